"""The storefront's shop (WEB.md): search and filter the active catalog with each
product's price now (at the tier its contract reaches in the open cycle) and at the
next tier, add to the cart; a product's page with its price history, its contract's
tiers and the tier progress. The services are gpo.orders.cart's `shop`,
`product_page` and `add_to_cart`."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.api import Id
from gpo.auth.request import current_principal
from gpo.catalog.models import CATEGORIES, CATEGORY_WORDS
from gpo.catalog.schemas import ProductQuerySchema
from gpo.errors import DomainError
from gpo.orders import cart, storefront
from gpo.orders.schemas import OrderLineInSchema
from gpo.web import charts
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, undo_refused
from gpo.web.shell import page_blueprint, waiting_for

blp = page_blueprint("shop", __name__, "storefront", url_prefix="/shop")
PAGE_SIZE = 20


class AddToCartSchema(OrderLineInSchema):
    """One product to the cart (the API's order line, with the ship-to location)."""

    location_id = Id(required=True)


def _filters() -> tuple[dict, dict, FormErrors | None]:
    """The query string's filters (as ProductQuerySchema loads them), what the form
    shows back, and the errors of a bad filter (then ignored)."""
    shown = {name: request.args.get(name, "").strip() for name in ("q", "category", "vendor")}
    data = {k: v for k, v in {"q": shown["q"], "category": shown["category"],
                               "vendor_id": shown["vendor"]}.items() if v}
    try:
        return load(ProductQuerySchema(), data), shown, None
    except DomainError as exc:
        undo_refused()
        errors = errors_of(exc)
        if "vendor_id" in errors.fields:
            errors.fields["vendor"] = errors.fields.pop("vendor_id")
        return {"sort": "name"}, shown, errors


def _filter_args() -> dict:
    """The shop's own query parameters, to keep them after an add (never url_for's
    `_external`, `_scheme`, ... controls a query string could smuggle in)."""
    return {name: request.args[name] for name in ("q", "category", "vendor", "page") if request.args.get(name)}


def _line_errors(exc: DomainError) -> FormErrors:
    """A refused add as errors of the product's own form (its one line is line 0)."""
    errors = errors_of(exc)
    fields = dict(errors.fields)
    quantity = fields.pop("quantity", None) or fields.pop("lines.0", None) or fields.pop("product_id", None)
    if quantity:
        fields["quantity"] = quantity
    message = "This product was not added: " + (quantity or errors.message)
    return FormErrors(message=message, fields=fields)


def _add(principal) -> tuple[int | None, FormErrors | None, dict]:
    """Add the posted product to the cart: (product id, errors or None, posted values)."""
    data = form_data()
    try:
        product_id = int(data.get("product_id", ""))
    except ValueError:
        product_id = None
    try:
        line = load(AddToCartSchema(), data)
        result = cart.add_to_cart(principal, line["location_id"],
                                  [{"product_id": line["product_id"], "quantity": line["quantity"]}])
    except DomainError as exc:
        undo_refused()
        errors = _line_errors(exc)
        errors.status = exc.status_code
        return product_id, errors, data
    flash(f"Added {line['quantity']} to the cart (order {result.id}).", "success")
    return product_id, None, data


@blp.route("", methods=["GET", "POST"])
def shop():
    principal = current_principal()
    refused_id, refused, posted = None, None, {}
    if request.method == "POST":
        refused_id, refused, posted = _add(principal)
        if refused is None:
            return redirect(url_for("shop.shop", **_filter_args()))
    filters, shown, filter_errors = _filters()
    page, page_size = page_args(PAGE_SIZE)
    result = storefront.shop(principal, filters, page, page_size)
    status = refused.status if refused else (422 if filter_errors else 200)
    return render_template("catalog/shop.html", result=result, shown=shown, filter_errors=filter_errors,
                           filter_args=_filter_args(),
                           categories=[(c, CATEGORY_WORDS[c]) for c in CATEGORIES],
                           page=page, page_size=page_size,
                           refused_id=refused_id, refused=refused, posted=posted,
                           # what the practice must act on after the close (substitutes, receiving)
                           waiting=waiting_for("storefront", principal),
                           locations_options=[(loc.id, loc.name) for loc in result.locations]), status


def price_chart(history) -> str:
    """The price history as an SVG line chart, as a data: URL for an <img> ("": none)."""
    if not history:
        return ""
    chart = charts.new("Line", show_legend=False, height=300, width=640, x_label_rotation=20,
                       title="List price", y_title="US dollars")
    chart.x_labels = [f"{p.effective_from:%Y-%m-%d}" for p in history]
    chart.add("List price", [p.list_price for p in history])  # Decimal: pygal draws it as is
    return charts.data_url(chart)


@blp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product(product_id: int):
    principal = current_principal()
    refused, posted = None, {}
    if request.method == "POST":
        _, refused, posted = _add(principal)
        if refused is None:
            return redirect(url_for("shop.product", product_id=product_id))
    view = storefront.product_page(principal, product_id)
    return render_template("catalog/product.html", view=view, chart=price_chart(view.history),
                           refused=refused, posted=posted,
                           locations_options=[(loc.id, loc.name) for loc in view.locations]), (refused.status if refused else 200)
