"""The console's lease pages (WEB.md "Console pages": leasing): every lease with its
asset, practice, rent, status and commencement, filtered by status and practice;
offering a lease (MSO finance, as POST /leasing/leases: money typed in dollars); a
lease's page with its figures, classification, schedule and "Withdraw offer". Each
page parses, calls the use cases of gpo.leasing.leases, and renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import DomainError, Invalid
from gpo.leasing import asset_forms, assets, leases
from gpo.leasing.lease_schemas import LeaseOfferInSchema, LeaseWithdrawInSchema
from gpo.leasing.models import LEASE_STATUSES
from gpo.money import NotDollars, dollars_typed, format_dollars, parse_dollars
from gpo.web import Waiting
from gpo.web.forms import FormErrors, form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("lease_console", __name__, "console", url_prefix="/console")

NOT_OFFER = "Only MSO finance (or an MSO admin) offers leases to practices."
NOT_WITHDRAW = "Only MSO finance (or an MSO admin) withdraws lease offers."
# Money fields the form takes in dollars ("5,000.00"); `<name>_cents` in whole cents is
# taken too (the asset comparison page posts a quote's cents as they are).
DOLLAR_FIELDS = ("residual", "down_payment")
CHECKBOXES = ("transfers_ownership", "purchase_option_reasonably_certain")


def _filters() -> tuple[dict, FormErrors]:
    """The list's filters from the query string; a value out of place is dropped and said."""
    filters, errors = {}, FormErrors()
    status = request.args.get("status", "")
    if status in LEASE_STATUSES:
        filters["status"] = status
    elif status:
        errors.fields["status"] = f"no such status: {status}"
    practice = request.args.get("practice_id", "")
    practice_id = asset_forms.id_of(practice)
    if practice_id is not None:
        filters["practice_id"] = practice_id
    elif practice:
        errors.fields["practice_id"] = "choose a practice from the list"
    return filters, errors


@blp.get("/leasing/leases", endpoint="leases")
def leases_list():
    principal = current_principal()
    page, page_size = page_args()
    filters, errors = _filters()
    result = leases.list_leases(principal, filters, page, page_size)
    return render_template(
        "leasing/console_leases.html", rows=result.items, total=result.total, page=page, page_size=page_size,
        filters=filters, errors=errors, practices=assets.practice_options(active_only=True),
        statuses=[(s, s) for s in LEASE_STATUSES], may_offer=policy.may(principal, "lease.offer"),
        not_offer=NOT_OFFER)


def _form_page(values: dict, errors=None, status: int = 200):
    principal = current_principal()
    body = render_template(
        "leasing/console_lease_new.html", values=values, errors=errors,
        asset_options=assets.asset_options(), practice_options=assets.practice_options(active_only=True),
        may_offer=policy.may(principal, "lease.offer"), not_offer=NOT_OFFER)
    return body, status


@blp.get("/leasing/leases/new")
def new():
    """The offer form, prefilled from ?asset_id=&practice_id= (and any term)."""
    values = {"term_months": "60", "annual_rate_percent": "8", "advance_payments": "1", "residual": "0.00",
              "down_payment": "0.00", "commences_on": today().isoformat()}
    values.update({k: v for k, v in request.args.items() if v.strip()})
    for name in DOLLAR_FIELDS:  # cents handed over from a quote are shown in dollars
        cents = request.args.get(f"{name}_cents", "")
        if cents.isascii() and cents.isdigit() and len(cents) < 15:
            values[name] = dollars_typed(int(cents))
            values.pop(f"{name}_cents", None)
    return _form_page(values)


def _offer_data(values: dict) -> dict:
    """The form as LeaseOfferInSchema takes it: dollars in exact cents (`parse_dollars`),
    unticked checkboxes false. A refusal names the form's own fields."""
    data = {k: v for k, v in values.items() if k not in DOLLAR_FIELDS}
    problems = {}
    for name in DOLLAR_FIELDS:
        if name in values:
            try:
                data[f"{name}_cents"] = parse_dollars(values[name])
            except NotDollars as exc:
                problems[name] = [str(exc)]
    for name in CHECKBOXES:  # an unticked checkbox is not posted at all
        data[name] = values.get(name, False)
    if problems:
        raise Invalid("Please correct the fields marked below.", {"json": problems})
    return load(LeaseOfferInSchema(), data)


def _form_errors(exc: DomainError, values: dict) -> FormErrors:
    errors = refusal(exc, (409, 422))
    for name in DOLLAR_FIELDS:  # the schema's and terms' `<name>_cents` is the form's `<name>`
        if f"{name}_cents" in errors.fields and f"{name}_cents" not in values:
            errors.fields[name] = errors.fields.pop(f"{name}_cents")
    return errors


@blp.post("/leasing/leases")
def offer():
    """Offer a lease on the form's terms; refused terms are shown at their fields."""
    principal = current_principal()
    policy.authorize(principal, "lease.offer")  # a role that may not: 403, whatever the form holds
    values = form_data()
    try:
        lease = leases.offer(principal, _offer_data(values))
    except DomainError as exc:
        return _form_page(values, _form_errors(exc, values), exc.status_code)
    flash(f"Lease {lease.id} is offered to the practice: {format_dollars(lease.rent_cents)} a month "
          f"for {lease.term_months} months, waiting for its signature.", "success")
    return redirect(url_for("lease_console.lease", lease_id=lease.id))


def _lease_page(lease_id: int, *, errors=None, values=None, status: int = 200):
    principal = current_principal()
    lease = leases.get_lease(principal, lease_id)
    body = render_template(
        "leasing/console_lease.html", lease=leases.lease_view(lease), on=today(), errors=errors, values=values or {},
        may_withdraw=policy.may(principal, "lease.withdraw"), not_withdraw=NOT_WITHDRAW)
    return body, status


@blp.get("/leasing/leases/<int:lease_id>")
def lease(lease_id: int):
    return _lease_page(lease_id)


@blp.post("/leasing/leases/<int:lease_id>/withdraw")
def withdraw(lease_id: int):
    principal = current_principal()
    policy.authorize(principal, "lease.withdraw", leases.get_lease(principal, lease_id))  # 404, then 403
    values = form_data()
    try:
        data = load(LeaseWithdrawInSchema(), values)
        withdrawn = leases.withdraw(principal, lease_id, data["reason"])
    except DomainError as exc:
        return _lease_page(lease_id, errors=refusal(exc, (409, 422)), values=values, status=exc.status_code)
    flash(f"Lease {withdrawn.id}'s offer is withdrawn.", "success")
    return redirect(url_for("lease_console.lease", lease_id=withdrawn.id))


def waiting(principal) -> list[Waiting]:
    """The console's start page: offers the practices have not signed yet."""
    n = leases.offers_waiting(principal)
    if not n:
        return []
    return [Waiting(f"{n} lease offer{'' if n == 1 else 's'} waiting for a practice's signature",
                    url_for("lease_console.leases", status="offered"))]
