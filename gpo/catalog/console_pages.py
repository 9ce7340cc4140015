"""The console's catalog (DOMAIN.md CPOM: a clinical product's order lines need a
physician's approval): MSO staff search every vendor's products, and MSO procurement
or an MSO admin marks a product clinical or unmarks it, under the ETag of the version
the page showed. The same use case as the API's PATCH /products/{id} with only
`clinical` (products.update_product); a stale version is refused with the API's 412
message and nothing changes; any other MSO role is told why it may not, and its POST
answers the service's 403."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.catalog import products
from gpo.catalog.models import CATEGORIES, CATEGORY_WORDS
from gpo.catalog.schemas import ProductQuerySchema, ProductUpdateSchema
from gpo.errors import DomainError, PreconditionFailed
from gpo.etags import etag_for
from gpo.web.forms import FormErrors, errors_of, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("catalog_console", __name__, "console", url_prefix="/console")
PAGE_SIZE = 25
FILTERS = ("q", "vendor_id", "category", "clinical", "active")
NOT_OFFERED = "Only MSO procurement or an MSO admin marks products clinical."


def _list_args() -> dict:
    """The list's own query parameters, kept across a mark (never url_for's `_external`,
    `_scheme`, ... controls a query string could smuggle in)."""
    return {name: request.args[name] for name in FILTERS + ("page", "page_size") if request.args.get(name)}


def _products_page(errors: FormErrors | None = None, status: int = 200, refused_id: int | None = None):
    principal = current_principal()
    shown = {name: request.args.get(name, "").strip() for name in FILTERS}
    shown["active"] = shown["active"] or "true"
    filter_errors = FormErrors()
    try:
        filters = load(ProductQuerySchema(), {k: v for k, v in shown.items() if v})
    except DomainError as exc:
        undo_refused()
        filter_errors, status = errors_of(exc), (status if errors else exc.status_code)
        filters = {"sort": "name", "active": True}
    page, page_size = page_args(PAGE_SIZE)
    result = products.console_catalog(principal, filters, page, page_size)
    return render_template("catalog/console_products.html", result=result, shown=shown,
                           filter_errors=filter_errors, errors=errors or FormErrors(), refused_id=refused_id,
                           etags={p.id: etag_for(p) for p in result.items}, list_args=_list_args(),
                           categories=[(c, CATEGORY_WORDS[c]) for c in CATEGORIES], page=page,
                           page_size=page_size, may_mark=policy.may(principal, "product.mark_clinical"),
                           not_offered=NOT_OFFERED), status


@blp.get("/products")
def catalog_products():
    return _products_page()


@blp.post("/products/<int:product_id>/clinical")
def mark_clinical(product_id: int):
    """Mark (clinical=true) or unmark (clinical=false) one product: the API's PATCH
    body {"clinical": ...} under If-Match (the form's etag)."""
    etag = request.form.get("etag", "").strip()
    try:
        data = load(ProductUpdateSchema(partial=True), {"clinical": request.form.get("clinical", "")})
        detail = products.update_product(current_principal(), product_id, data, [etag] if etag else [])
    except PreconditionFailed as exc:
        undo_refused()
        errors = FormErrors(message=f"Nothing was changed: {exc.message}. The list now shows the product as it "
                                    "is now; mark it again if it is still right.")
        return _products_page(errors, exc.status_code, product_id)
    except DomainError as exc:
        errors = refusal(exc)  # 403 (a role that may not) and 404 go to the error page
        message = errors.fields.get("clinical") or exc.message
        errors = FormErrors(message=f"Nothing was changed: {message}")
        return _products_page(errors, exc.status_code, product_id)
    product = detail.product
    if etag_for(product) == etag:
        flash(f"Nothing changed: {product.name} ({product.sku}) was already "
              f"{'clinical' if product.clinical else 'not clinical'}.", "info")
    elif product.clinical:
        flash(f"{product.name} ({product.sku}) is clinical now: a practice's order line of it needs the approval "
              "of one of its physicians, and its vendor cannot unmark it.", "success")
    else:
        flash(f"{product.name} ({product.sku}) is no longer clinical: practices order it without a physician's "
              "approval.", "success")
    return redirect(url_for("catalog_console.catalog_products", **_list_args()))
