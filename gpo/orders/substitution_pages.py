"""The storefront after the close (WEB.md): the substitutes vendors offered for the
practice's lines, each approved or declined here (a physician when either product is
clinical, CPOM: the others read why instead of the buttons), and the order page's
"Cancel backorder" and choices (may the vendor substitute or backorder). Each page
parses, calls one service of gpo.orders, renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.orders import backorders, ordering, substitutions
from gpo.orders.after_close_schemas import BackorderCancelSchema
from gpo.orders.cart_pages import checked_choices
from gpo.orders.pages import _order_page
from gpo.orders.schemas import OrderUpdateSchema
from gpo.web import Waiting
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("substitution_pages", __name__, "storefront")

SUBSTITUTION_WORDS = {"offered": "waiting for your decision", "approved": "approved", "declined": "declined"}


def register(app) -> None:
    """The page, its navigation (Substitutions 45), its words and what waits."""
    from gpo import web

    web.add_pages(app, blp)
    web.add_words(app, "substitution", SUBSTITUTION_WORDS)
    web.add_nav(app, "storefront", "Substitutions", "substitution_pages.substitutions", order=45)
    web.add_waiting(app, "storefront", waiting)


def waiting(principal) -> list[Waiting]:
    """"2 substitutes waiting for your decision", "1 substitute waiting for a physician's approval"."""
    if principal.is_mso or not policy.may(principal, "substitution.decide"):
        return []
    counts = substitutions.waiting_count(principal)
    found = []
    url = url_for("substitution_pages.substitutions")
    for n, words in ((counts["any"], "waiting for your decision"),
                     (counts["physician"], "waiting for a physician's approval")):
        if n:
            found.append(Waiting(f"{n} substitute{'' if n == 1 else 's'} {words}", url))
    return found


def _page(errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    offered = substitutions.list_substitutions(principal, "offered", 1, 100)
    decided = substitutions.list_substitutions(principal, None, page, page_size)
    return render_template(
        "orders/substitutions.html", offered=offered.items, decided=[s for s in decided.items if s.status != "offered"],
        total=decided.total, page=page, page_size=page_size, errors=errors or FormErrors(),
        why_not={s.id: substitutions.why_not_decided(principal, s.substitution) for s in offered.items}), status


@blp.get("/substitutions", endpoint="substitutions")
def substitutions_page():
    return _page()


def _decide(substitution_id: int, decide, done: str):
    try:
        result = decide(current_principal(), substitution_id)
    except DomainError as error:
        return _page(refusal(error), error.status_code)
    flash(done.format(s=result), "success")
    return redirect(url_for("substitution_pages.substitutions"))


@blp.post("/substitutions/<int:substitution_id>/approve")
def approve(substitution_id: int):
    return _decide(substitution_id, substitutions.approve,
                   "Substitute approved: {s.quantity} × {s.product.name} ship instead of {s.original_product.name}.")


@blp.post("/substitutions/<int:substitution_id>/decline")
def decline(substitution_id: int):
    return _decide(substitution_id, substitutions.decline,
                   "Substitute declined: those {s.quantity} units of {s.original_product.name} are cancelled.")


@blp.post("/orders/<int:order_id>/backorders/<int:po_line_id>/cancel")
def cancel_backorder(order_id: int, po_line_id: int):
    """Cancel a backorder shown on the order's page (all its open units, or `quantity`)."""
    try:
        result = backorders.cancel_backorder(current_principal(), po_line_id, load(BackorderCancelSchema(), form_data()))
    except DomainError as error:
        return _order_page(order_id, refusal(error), error.status_code)
    flash(f"Backorder cancelled: {result.product.name} has {result.open_backorder} units still backordered.",
          "success")
    return redirect(url_for("order_pages.order", order_id=order_id))


@blp.post("/orders/<int:order_id>/choices")
def choices(order_id: int):
    """The order's choices while its cycle is open (the ETag the page was read at)."""
    etag = form_data().get("etag", "")
    try:
        ordering.edit_order(current_principal(), order_id, load(OrderUpdateSchema(), checked_choices() or {}), [etag])
    except DomainError as error:
        undo_refused()
        if error.status_code in (403, 404):
            raise
        return _order_page(order_id, errors_of(error), error.status_code)
    flash("Your choices for this order are saved.", "success")
    return redirect(url_for("order_pages.order", order_id=order_id))
