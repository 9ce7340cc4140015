"""Pages of a signed lease's life. Storefront (`lifecycle_pages`): the payoff quote as
of a chosen date and "Buy out now". Console (`lifecycle_console`): the payoff quote
for finance and the end of term (purchase, return, renewal). Each page parses with the
API's schemas and calls the same use cases (gpo/leasing/lifecycle.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import Conflict, DomainError, Invalid
from gpo.leasing import lifecycle
from gpo.leasing.leases import term_ends_on
from gpo.leasing.lifecycle_schemas import BuyoutQuerySchema, EndInSchema
from gpo.leasing.models import Lease
from gpo.money import NotDollars, format_dollars, parse_dollars
from gpo.web import Waiting
from gpo.web.forms import FormErrors, errors_of, form_data, load, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("lifecycle_pages", __name__, "storefront")
console = page_blueprint("lifecycle_console", __name__, "console", url_prefix="/console")

NOT_BUY_OUT = "Only the practice's admins and physicians buy out a lease."
NOT_END = "Only MSO finance and MSO admins end a lease's term."
# The renewal's money fields as the form shows them (dollars) and the schema takes them.
RENEWAL_MONEY = {"renewal.residual": "residual_cents", "renewal.down_payment": "down_payment_cents",
                 "renewal.fair_value": "fair_value_cents"}


def _quote(principal, lease: Lease, raw: dict):
    """The quote for the date asked (as typed), or the refusal at the `as_of` field."""
    if lease.status != "active":
        return None, raw, FormErrors()
    try:
        query = load(BuyoutQuerySchema(), raw)
        return lifecycle.buyout_quote(principal, lease.id, query.get("as_of")), raw, FormErrors()
    except Invalid as exc:
        return None, raw, errors_of(exc)


def _buyout_page(template: str, lease_id: int, *, errors=None, status: int = 200):
    principal = current_principal()
    lease = policy.load(principal, Lease, lease_id, "lease.read")
    raw = {k: v for k, v in request.args.items() if k == "as_of" and v.strip()}
    quote, values, as_of_errors = _quote(principal, lease, raw)
    if as_of_errors:
        status = 422  # the date asked, refused at its field
    body = render_template(template, lease=lease, quote=quote, values=values, as_of_errors=as_of_errors,
                           errors=errors or FormErrors(), today=today(),
                           why_not=lifecycle.why_not_bought_out(lease, today()) if lease.status == "active" else None,
                           may_buy_out=policy.may(principal, "lease.buyout"), not_buy_out=NOT_BUY_OUT)
    return body, status


# --- the storefront ------------------------------------------------------------------


@blp.get("/leasing/leases/<int:lease_id>/buyout")
def buyout(lease_id: int):
    return _buyout_page("leasing/buyout.html", lease_id)


@blp.post("/leasing/leases/<int:lease_id>/buyout")
def buy_out(lease_id: int):
    """As POST /leasing/leases/{id}/buyout: today's payoff on an issued invoice."""
    try:
        lease = lifecycle.buy_out(current_principal(), lease_id)
    except DomainError as exc:
        return _buyout_page("leasing/buyout.html", lease_id, errors=refusal(exc, (409,)), status=exc.status_code)
    result = lifecycle.end_result(lease)
    flash(f"Lease {lease.id} is bought out: invoice {result['end_invoice'].number} for "
          f"{format_dollars(result['end_invoice'].subtotal_cents)}. No further rent is billed.", "success")
    return redirect(url_for("lifecycle_pages.buyout", lease_id=lease_id))


# --- the console ---------------------------------------------------------------------


@console.get("/leasing/leases/<int:lease_id>/buyout")
def console_buyout(lease_id: int):
    return _buyout_page("leasing/console_buyout.html", lease_id)


def _end_values(lease: Lease) -> dict:
    """The renewal form's first values: the same term and rate, from today, financing
    the residual with none left."""
    return {"outcome": "purchase", "renewal.term_months": str(min(lease.term_months, 24)),
            "renewal.annual_rate_percent": f"{lease.annual_rate_percent.normalize():f}",
            "renewal.advance_payments": "0", "renewal.commences_on": today().isoformat()}


def _end_page(lease_id: int, *, values=None, errors=None, status: int = 200):
    principal = current_principal()
    lease = policy.load(principal, Lease, lease_id, "lease.read")
    body = render_template(
        "leasing/console_end.html", lease=lease, why_not=lifecycle.why_not_ended(lease, today()),
        ends_on=term_ends_on(lease), unbilled=lifecycle.unbilled_rows(lease.id, today()),
        result=lifecycle.end_result(lease) if lease.status == "ended" else None,
        values=values if values is not None else _end_values(lease), errors=errors or FormErrors(),
        may_end=policy.may(principal, "lease.end"), not_end=NOT_END)
    return body, status


def _end_input(values: dict) -> dict:
    """The posted form as EndInSchema's body: renewal.* fields nested, dollars as cents
    (a bad amount is refused at its field); the renewal only for outcome renew."""
    body = {k: v for k, v in values.items() if k in ("outcome", "reason")}
    if values.get("outcome") == "renew":
        renewal = {}
        for name, value in values.items():
            if not name.startswith("renewal."):
                continue
            if name in RENEWAL_MONEY:
                try:
                    renewal[RENEWAL_MONEY[name]] = parse_dollars(value)
                except NotDollars as exc:
                    raise Invalid.of_field(name, str(exc)) from None
            else:
                renewal[name.removeprefix("renewal.")] = value
        body["renewal"] = renewal
    return body


def _as_form_fields(errors: FormErrors) -> FormErrors:
    """The schema's names as the form's (renewal.residual_cents -> renewal.residual)."""
    names = {f"renewal.{key}": name for name, key in RENEWAL_MONEY.items()}
    return FormErrors(errors.message, {names.get(k, k): v for k, v in errors.fields.items()})


@console.get("/leasing/leases/<int:lease_id>/end")
def end(lease_id: int):
    return _end_page(lease_id)


@console.post("/leasing/leases/<int:lease_id>/end")
def end_post(lease_id: int):
    """As POST /leasing/leases/{id}/end; a refusal is shown at its field."""
    principal = current_principal()
    values = form_data()
    try:
        policy.authorize(principal, "lease.end")  # a role that may not: 403, whatever the form holds
        lease, renewal = lifecycle.end_lease(principal, lease_id, load(EndInSchema(), _end_input(values)))
    except (Invalid, Conflict) as exc:
        return _end_page(lease_id, values=values, errors=_as_form_fields(refusal(exc, (409, 422))),
                         status=exc.status_code)
    words = {"purchased": "purchased by the practice", "returned": "returned", "renewed": "renewed"}
    message = f"Lease {lease.id} ended: {words[lease.end_outcome]}."
    if renewal is not None:
        message += (f" Renewal lease {renewal.id} is offered at {format_dollars(renewal.rent_cents)} a month "
                    "for the practice to sign.")
    flash(message, "success")
    return redirect(url_for("lifecycle_console.end", lease_id=lease_id))


def waiting(principal) -> list[Waiting]:
    """The console's start page: leases whose term ends within 60 days (or has ended);
    one links to its end of term, several to the active leases."""
    leases = lifecycle.ending_soon(principal)
    if not leases:
        return []
    n = len(leases)
    link = url_for("lifecycle_console.end", lease_id=leases[0].id) if n == 1 \
        else url_for("lease_console.leases", status="active")
    return [Waiting(f"{n} lease{'' if n == 1 else 's'} reach{'es' if n == 1 else ''} the end of "
                    f"{'its' if n == 1 else 'their'} term within {lifecycle.ENDING_SOON_DAYS} days", link)]
