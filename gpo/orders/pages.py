"""The storefront's order pages (WEB.md): the practice's orders and one order (lines,
prices, savings, shipments; cancel, copy to the next cycle, reorder), physicians'
approvals (CPOM), and saved lists (an order guide). Each parses the form, calls one
service of gpo.orders, renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError, PreconditionFailed
from gpo.orders import ordering, saved_lists, tracking
from gpo.orders.models import ORDER_STATUSES
from gpo.orders.schemas import (
    OrderQuerySchema,
    SavedListInSchema,
    SavedListItemInSchema,
    SavedListToCartSchema,
)
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("order_pages", __name__, "storefront")

# How each order status reads on a page (every status of ORDER_STATUSES).
ORDER_WORDS = {
    "draft": "a draft (in the cart)",
    "awaiting_approval": "awaiting a physician's approval",
    "confirmed": "confirmed",
    "priced": "priced at the close",
    "invoiced": "invoiced",
    "cancelled": "cancelled",
    "missed_cycle": "missed its cycle",
}


def register(app) -> None:
    """The pages, their navigation (Lists 30, Orders 40, Approvals 50) and the words."""
    from gpo import web

    web.add_pages(app, blp)
    web.add_words(app, "order", ORDER_WORDS)
    web.add_nav(app, "storefront", "Lists", "order_pages.lists", order=30)
    web.add_nav(app, "storefront", "Orders", "order_pages.orders", order=40)
    web.add_nav(app, "storefront", "Approvals", "order_pages.approvals", order=50)


# --- orders ----------------------------------------------------------------------------


@blp.get("/orders")
def orders():
    principal = current_principal()
    query = {k: v for k, v in request.args.items() if k in ("cycle_id", "status") and v}
    filters = load(OrderQuerySchema(), query)
    page, page_size = page_args()
    result = tracking.orders_page(principal, filters, page, page_size)
    return render_template("orders/orders.html", result=result, filters=query, page=page, page_size=page_size,
                           cycle_options=[(c.id, c.name) for c in result.cycles],
                           statuses=[(s, ORDER_WORDS[s]) for s in ORDER_STATUSES])


def _order_page(order_id: int, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    view = tracking.order_detail(principal, order_id)
    return render_template("orders/order.html", view=view, errors=errors or FormErrors(),
                           may_edit=policy.may(principal, "order.edit"),
                           may_cancel_backorder=policy.may(principal, "backorder.cancel")), status


@blp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _order_page(order_id)


def _order_action(order_id: int, action, success: str, to=None):
    """Run an order action; on a refusal show the order again with the reason."""
    try:
        result = action(current_principal(), order_id)
    except DomainError as error:
        undo_refused()
        if error.status_code == 404:
            raise
        return _order_page(order_id, errors_of(error), error.status_code)
    flash(success.format(result=result), "success")
    return redirect(url_for("order_pages.order", order_id=to(result) if to else order_id))


@blp.post("/orders/<int:order_id>/cancel")
def cancel_order(order_id: int):
    return _order_action(order_id, ordering.cancel_order, f"Order {order_id} is cancelled.")


@blp.post("/orders/<int:order_id>/copy")
def copy_order(order_id: int):
    return _order_action(order_id, ordering.copy_to_open_cycle,
                         f"Order {order_id} is copied into the open cycle as draft order {{result.id}}.",
                         to=lambda result: result.id)


@blp.post("/orders/<int:order_id>/reorder")
def reorder(order_id: int):
    return _order_action(order_id, saved_lists.reorder_to_cart,
                         f"The lines of order {order_id} are in your cart (draft order {{result.id}}).")


# --- approvals (CPOM) ------------------------------------------------------------------


def _approvals_page(errors: FormErrors | None = None, status: int = 200, changed: int | None = None):
    principal = current_principal()
    page, page_size = page_args()
    result = tracking.awaiting_approval(principal, page, page_size)
    return render_template("orders/approvals.html", result=result, page=page, page_size=page_size,
                           errors=errors or FormErrors(), changed=changed,
                           may_approve=policy.may(principal, "order.approve")), status


@blp.get("/approvals")
def approvals():
    return _approvals_page()


@blp.post("/approvals/<int:order_id>")
def approve(order_id: int):
    """Approve the version the physician read: its ETag comes back in a hidden field."""
    etag = request.form.get("etag", "").strip()
    try:
        ordering.approve_order(current_principal(), order_id, [etag] if etag else [])
    except PreconditionFailed:
        undo_refused()
        message = (f"Order {order_id} changed after you opened this page, so it was not approved. "
                   "Review the version shown now and approve it again if it is right.")
        return _approvals_page(FormErrors(message=message), 412, changed=order_id)
    except DomainError as error:
        return _approvals_page(refusal(error), error.status_code)
    flash(f"Order {order_id} is approved and confirmed.", "success")
    return redirect(url_for("order_pages.approvals"))


# --- saved lists -----------------------------------------------------------------------


def _lists_page(errors: FormErrors | None = None, status: int = 200, name: str = ""):
    principal = current_principal()
    page, page_size = page_args()
    result = saved_lists.list_saved_lists(principal, page, page_size)
    return render_template("orders/lists.html", result=result, page=page, page_size=page_size,
                           errors=errors or FormErrors(), name=name,
                           may_manage=policy.may(principal, "saved_list.manage")), status


@blp.get("/lists")
def lists():
    return _lists_page()


@blp.post("/lists")
def create_list():
    data = form_data()
    try:
        saved = saved_lists.create_saved_list(current_principal(), load(SavedListInSchema(), data))
    except DomainError as error:
        return _lists_page(refusal(error), error.status_code, name=data.get("name", ""))
    flash(f"List {saved.name!r} is created: add products to it.", "success")
    return redirect(url_for("order_pages.saved_list", list_id=saved.id))


def _list_page(list_id: int, errors: FormErrors | None = None, status: int = 200, form: dict | None = None):
    principal = current_principal()
    view = saved_lists.saved_list_view(principal, list_id)
    form = form or {"product_id": request.args.get("product_id", "")}
    return render_template("orders/list.html", view=view, saved=view.saved, errors=errors or FormErrors(),
                           location_options=[(loc.id, loc.name) for loc in view.locations],
                           form=form, may_manage=policy.may(principal, "saved_list.manage")), status


@blp.get("/lists/<int:list_id>")
def saved_list(list_id: int):
    return _list_page(list_id)


def _list_action(list_id: int, action, success: str, *, form: dict | None = None, to_lists: bool = False):
    try:
        result = action(current_principal())
    except DomainError as error:
        return _list_page(list_id,refusal(error), error.status_code, form=form)
    flash(success.format(result=result), "success")
    if to_lists:
        return redirect(url_for("order_pages.lists"))
    return redirect(url_for("order_pages.saved_list", list_id=list_id))


@blp.post("/lists/<int:list_id>/items")
def add_list_item(list_id: int):
    data = form_data()
    return _list_action(
        list_id, lambda p: saved_lists.add_saved_list_item(p, list_id, load(SavedListItemInSchema(), data)),
        "Added to the list.", form=data)


@blp.post("/lists/<int:list_id>/items/<int:product_id>/remove")
def remove_list_item(list_id: int, product_id: int):
    return _list_action(list_id, lambda p: saved_lists.remove_saved_list_item(p, list_id, product_id),
                        "Removed from the list.")


@blp.post("/lists/<int:list_id>/rename")
def rename_list(list_id: int):
    data = form_data()
    return _list_action(list_id, lambda p: saved_lists.rename_saved_list(p, list_id, load(SavedListInSchema(), data)),
                        "The list is renamed {result.name!r}.", form={"rename": data.get("name", "")})


@blp.post("/lists/<int:list_id>/delete")
def delete_list(list_id: int):
    return _list_action(list_id, lambda p: saved_lists.delete_saved_list(p, list_id), "The list is deleted.",
                        to_lists=True)


@blp.post("/lists/<int:list_id>/cart")
def list_to_cart(list_id: int):
    data = form_data()
    return _list_action(
        list_id, lambda p: saved_lists.add_saved_list_to_cart(
            p, list_id, load(SavedListToCartSchema(), data)["location_id"]),
        "Every line of the list is in your cart (draft order {result.id}).", form=data)
