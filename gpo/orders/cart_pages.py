"""The storefront's cart (WEB.md `/cart`): the practice's draft order at each ship-to
location in the open cycle, with estimated totals and savings; edit quantities and
remove lines (edit_order, with the ETag the page was read at, so a concurrent edit
is never overwritten blind), submit (submit_order), and quick order by pasting
`SKU, quantity` lines (cart.quick_order: all are added, or none)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.api import MAX_ID
from gpo.auth.request import current_principal
from gpo.errors import DomainError, Invalid, PreconditionFailed
from gpo.orders import cart, ordering
from gpo.orders.schemas import OrderUpdateSchema
from gpo.web.forms import FormErrors, errors_of, load, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("cart", __name__, "storefront", url_prefix="/cart")
CHANGED = ("This cart changed since you opened it (someone else edited it). "
           "It is shown below as it is now: make your change again.")


def _render(errors: FormErrors | None = None, *, order_id: int | None = None, quick=None,
            quick_text: str = "", quick_location: str = "", status: int = 200):
    view = cart.view_cart(current_principal())
    return render_template("orders/cart.html", view=view, errors=errors or FormErrors(), error_order_id=order_id,
                           quick=quick, quick_text=quick_text, quick_location=quick_location,
                           location_options=[(loc.id, loc.name) for loc in view.locations]), status


@blp.get("")
def view():
    return _render()


def _posted_lines() -> tuple[list[dict], list[int]]:
    """The cart form's lines in the page's order (without a removed one), and their
    product ids by position (to show a refusal next to the right quantity)."""
    remove = request.form.get("remove", "")
    lines, ids = [], []
    for key in request.form:
        if not key.startswith("quantity-"):
            continue
        product_id = key.removeprefix("quantity-")
        if product_id == remove:
            continue
        lines.append({"product_id": product_id, "quantity": request.form[key].strip()})
        ids.append(product_id)
    return lines, ids


def _fields_by_product(errors: FormErrors, ids: list) -> FormErrors:
    fields = {}
    for name, message in errors.fields.items():
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(ids):
            fields[f"quantity-{ids[int(parts[1])]}"] = message
        else:
            fields[name] = message
    return FormErrors(message=errors.message, fields=fields)


@blp.post("/orders/<int:order_id>")
def edit(order_id: int):
    """Update the quantities (or remove the line named by `remove`)."""
    principal = current_principal()
    lines, ids = _posted_lines()
    etag = request.form.get("etag", "")
    try:
        data = load(OrderUpdateSchema(), {"lines": lines}) if lines else {"lines": []}
        ordering.edit_order(principal, order_id, data, [etag])
    except PreconditionFailed as exc:
        undo_refused()
        return _render(FormErrors(message=CHANGED), order_id=order_id, status=exc.status_code)
    except DomainError as exc:
        undo_refused()
        return _render(_fields_by_product(errors_of(exc), ids), order_id=order_id, status=exc.status_code)
    flash("Line removed from the cart." if request.form.get("remove") else "Cart updated.", "success")
    return redirect(url_for("cart.view"))


def checked_choices() -> dict[str, bool] | None:
    """The checkout's two checkboxes (an unchecked box is not posted; `choices` says
    the form had them)."""
    if not request.form.get("choices"):
        return None
    return {flag: request.form.get(flag) == "on" for flag in ("substitutions_allowed", "backorders_allowed")}


@blp.post("/orders/<int:order_id>/submit")
def submit(order_id: int):
    try:
        result = ordering.submit_order(current_principal(), order_id, [request.form.get("etag", "")],
                                       choices=checked_choices())
    except PreconditionFailed as exc:
        undo_refused()
        return _render(FormErrors(message=CHANGED), order_id=order_id, status=exc.status_code)
    except DomainError as exc:
        undo_refused()
        return _render(errors_of(exc), order_id=order_id, status=exc.status_code)
    words = {"awaiting_approval": "submitted: it is awaiting a physician's approval for its clinical lines",
             "confirmed": "submitted and confirmed"}
    flash(f"Order {result.id} {words.get(result.status, result.status)}.", "success")
    return redirect(url_for("cart.view"))


@blp.post("/quick-order")
def quick_order():
    text = request.form.get("text", "")
    location = request.form.get("location_id", "").strip()
    try:
        if not (location.isascii() and location.isdigit() and 1 <= int(location) <= MAX_ID):
            raise Invalid.of_field("location_id", "choose the ship-to location")
        result = cart.quick_order(current_principal(), int(location), text)
    except cart.QuickOrderRefused as exc:
        undo_refused()
        return _render(quick=exc.problems, quick_text=text, quick_location=location, status=exc.status_code)
    except DomainError as exc:
        undo_refused()
        errors = errors_of(exc)
        return _render(FormErrors(message=errors.message, fields={"quick." + k: v for k, v in errors.fields.items()}),
                       quick_text=text, quick_location=location, status=exc.status_code)
    count = len(result.lines)
    flash(f"Quick order added: the cart for this location now has {count} line{'s' if count != 1 else ''}.",
          "success")
    return redirect(url_for("cart.view"))
