"""The console's cycles and purchase orders (WEB.md "Console pages"): the purchasing
calendar (schedule, open, close with the close job's live progress), a cycle's results
per contract, the tier dashboard across the open cycle's contracts, and the purchase
orders with their acknowledgement and shipping status. Each page parses, calls one
service of gpo.orders, renders."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError, Invalid
from gpo.orders import cycles as calendar
from gpo.orders import fulfilment, tier_progress
from gpo.orders.cycle_views import cycle_page, cycles_page, open_cycle_now
from gpo.orders.models import CYCLE_STATUSES, PO_STATUSES
from gpo.orders.schemas import CycleCreateSchema, CycleQuerySchema, PurchaseOrderPageQuerySchema
from gpo.web import Waiting
from gpo.web.filters import NoSuchLocalTime, local_datetime, local_input_as_utc, time_zone
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("cycle_console", __name__, "console", url_prefix="/console")

CYCLE_WORDS = {
    "scheduled": "scheduled",
    "open": "open for orders",
    "closing": "closing: orders are refused",
    "closed": "closed",
}
PO_WORDS = {
    "awaiting_acknowledgement": "waiting for the vendor's acknowledgement",
    "to_ship": "acknowledged: units to ship",
    "shipped": "everything accepted has shipped",
}
MAY_NOT_MANAGE = "Only MSO procurement and MSO admins schedule, open and close cycles."
NEAR = "0.10"  # "within 10% of their next tier"


def register(app) -> None:
    """The console's pages, navigation (Cycles 20, Purchase orders 30), words and what waits."""
    from gpo import web

    web.add_pages(app, blp)
    web.add_words(app, "cycle", CYCLE_WORDS)
    web.add_words(app, "purchase_order", PO_WORDS)
    web.add_nav(app, "console", "Cycles", "cycle_console.cycles", order=20)
    web.add_nav(app, "console", "Purchase orders", "cycle_console.purchase_orders", order=30)
    web.add_waiting(app, "console", waiting, roles={"mso_admin", "mso_procurement"}, order=20)


def waiting(principal) -> list[Waiting]:
    """Procurement's start page: when the open cycle closes, and the contracts near a tier."""
    cycle = open_cycle_now()
    if cycle is None:
        return []
    found = [Waiting(f"Cycle {cycle.name} closes {local_datetime(cycle.closes_at)}",
                     url_for("cycle_console.cycle", cycle_id=cycle.id))]
    near = tier_progress.contracts_near_next_tier(cycle.id, Decimal(NEAR))
    if near:
        found.append(Waiting(f"{near} contract{'' if near == 1 else 's'} within 10% of {'its' if near == 1 else 'their'} "
                             "next tier", url_for("cycle_console.tier_dashboard")))
    return found


# --- cycles ----------------------------------------------------------------------------


def _cycles_page(errors: FormErrors | None = None, status: int = 200, values: dict | None = None):
    principal = current_principal()
    query = {k: v for k, v in request.args.items() if k == "status" and v}
    filter_errors = FormErrors()
    try:
        filters = load(CycleQuerySchema(), query)
    except Invalid as error:  # a status that is not one: said at the filter
        filters, filter_errors, status = {}, errors_of(error), error.status_code
    page, page_size = page_args()
    result = cycles_page(principal, filters.get("status"), page, page_size)
    return render_template("orders/console_cycles.html", result=result, filters=query, page=page,
                           page_size=page_size, errors=errors or FormErrors(), values=values or {},
                           filter_errors=filter_errors,
                           statuses=[(s, CYCLE_WORDS[s]) for s in CYCLE_STATUSES], zone=time_zone().key,
                           may_manage=policy.may(principal, "cycle.manage"), not_offered=MAY_NOT_MANAGE), status


@blp.get("/cycles")
def cycles():
    return _cycles_page()


@blp.post("/cycles")
def schedule_cycle():
    values = form_data()
    data = dict(values)
    try:
        for name in ("opens_at", "closes_at"):
            try:
                data[name] = local_input_as_utc(values.get(name))
            except NoSuchLocalTime as exc:
                raise Invalid.of_field(name, str(exc)) from None
        made = calendar.create_cycle(current_principal(), load(CycleCreateSchema(), {
            k: v for k, v in data.items() if v is not None}))
    except DomainError as error:
        return _cycles_page(refusal(error), error.status_code, values=values)
    flash(f"Cycle {made.name} is scheduled: it opens {local_datetime(made.opens_at)}.", "success")
    return redirect(url_for("cycle_console.cycles"))


@blp.post("/cycles/<int:cycle_id>/open")
def open_cycle(cycle_id: int):
    try:
        opened = calendar.open_cycle(current_principal(), cycle_id)
    except DomainError as error:
        return _cycles_page(refusal(error), error.status_code)
    flash(f"Cycle {opened.name} is open: practices can order until {local_datetime(opened.closes_at)}.", "success")
    return redirect(url_for("cycle_console.cycle", cycle_id=cycle_id))


@blp.post("/cycles/<int:cycle_id>/close")
def close_cycle(cycle_id: int):
    try:
        closing = calendar.request_close(current_principal(), cycle_id)
    except DomainError as error:
        return _cycle_page(cycle_id, refusal(error), error.status_code)
    flash(f"Closing cycle {closing.name}: orders are refused from now on.", "success")
    return redirect(url_for("cycle_console.cycle", cycle_id=cycle_id))


def _cycle_page(cycle_id: int, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    view = cycle_page(principal, cycle_id)
    return render_template("orders/console_cycle.html", view=view, cycle=view.cycle, errors=errors or FormErrors(),
                           may_manage=policy.may(principal, "cycle.manage"), not_offered=MAY_NOT_MANAGE), status


@blp.get("/cycles/<int:cycle_id>")
def cycle(cycle_id: int):
    return _cycle_page(cycle_id)


@blp.get("/tier-dashboard")
def tier_dashboard():
    dashboard = tier_progress.tier_dashboard(current_principal())
    return render_template("orders/console_tier_dashboard.html", dashboard=dashboard)


# --- purchase orders -------------------------------------------------------------------


def purchase_orders_of(face_template: str, endpoint: str):
    """A list of purchase orders filtered as the query string says (the console's and
    the portal's): a filter out of range is refused at its field (422)."""
    principal = current_principal()
    query = {k: v for k, v in request.args.items() if k in ("vendor_id", "cycle_id", "status") and v}
    page, page_size = page_args()
    status = 200
    try:
        filters = load(PurchaseOrderPageQuerySchema(), query)
        errors = FormErrors()
    except Invalid as error:
        filters, errors, status = {}, errors_of(error), error.status_code
    result = fulfilment.purchase_orders_page(principal, filters, page, page_size)
    return render_template(face_template, result=result, filters=query, errors=errors, page=page,
                           page_size=page_size, endpoint=endpoint,
                           statuses=[(s, PO_WORDS[s]) for s in PO_STATUSES]), status


@blp.get("/purchase-orders")
def purchase_orders():
    return purchase_orders_of("orders/console_purchase_orders.html", "cycle_console.purchase_orders")


@blp.get("/purchase-orders/<int:purchase_order_id>")
def purchase_order(purchase_order_id: int):
    view = fulfilment.purchase_order_detail(current_principal(), purchase_order_id)
    return render_template("orders/console_purchase_order.html", view=view)
