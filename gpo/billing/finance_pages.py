"""The console's "Rebates & fees" pages (WEB.md "Console pages"): rebates (enter one,
see its allocation per practice before recording it, record it, see the credits it
gave), the fee schedules (the MSO default and each practice's overrides), vendor
statements and the admin-fee disclosure. Like the API routes, each page parses with
the API's schemas, calls the services of gpo.billing, and renders; the money a user
types is in dollars, turned into the API's exact cents by `gpo.money.parse_dollars`."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for

from gpo.api import Id, csv_response
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing import invoices, rebates, reports
from gpo.billing.routes import DISCLOSURE_COLUMNS, STATEMENT_COLUMNS
from gpo.billing.schemas import (
    DefaultFeeScheduleUpdateSchema,
    DisclosureQuerySchema,
    PeriodQuerySchema,
    PracticeFeeScheduleUpdateSchema,
    RebateCreateSchema,
)
from gpo.db import utcnow
from gpo.errors import DomainError, Invalid
from gpo.money import NotDollars, dollars_typed, format_dollars, parse_dollars
from gpo.web.filters import time_zone
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("finance_console", __name__, "console", url_prefix="/console")

REBATE_CREDIT_WORDS = {
    "unused": "credited, not used yet",
    "partly_used": "credits partly used on invoices",
    "used": "credits used up on invoices",
}
NOT_FINANCE = "Only MSO finance (or an MSO admin) may {}."
FIX_FIELDS = "Please correct the fields marked below."
# form field (dollars) -> the API's field (cents)
REBATE_MONEY = {"amount": "amount_cents"}
FEE_MONEY = {"monthly_membership": "monthly_membership_cents", "pmpm": "pmpm_cents"}


class StatementQuerySchema(PeriodQuerySchema):
    """The console's statement picker: GET /vendors/{vendor_id}/statements?from=&to=."""

    vendor_id = Id(required=True)


def _load_with_dollars(schema, data: dict, money: dict[str, str]) -> dict:
    """`data` (form fields, money in dollars) loaded by the API's `schema` (money in
    cents), every refusal named by the form's own field."""
    body = {k: v for k, v in data.items() if k not in money}
    errors: dict[str, list[str]] = {}
    for field, api_field in money.items():
        if field in data:
            try:
                body[api_field] = parse_dollars(data[field])
            except NotDollars as exc:
                errors[field] = [str(exc)]
    try:
        loaded = load(schema, body)
    except Invalid as exc:
        back = {api_field: field for field, api_field in money.items()}
        for name, messages in exc.errors["json"].items():
            errors.setdefault(back.get(name, name), messages)
        raise Invalid(FIX_FIELDS, {"json": errors}) from None
    if errors:
        raise Invalid(FIX_FIELDS, {"json": errors})
    return loaded


def _renamed(errors: FormErrors, money: dict[str, str]) -> FormErrors:
    """A service's refusal naming the API's cents fields, shown at the form's dollars fields."""
    back = {api_field: field for field, api_field in money.items()}
    return FormErrors(errors.message, {back.get(k, k): v for k, v in errors.fields.items()})


# --- rebates -------------------------------------------------------------------------------


@blp.get("/rebates")
def rebate_list():
    principal = current_principal()
    page, page_size = page_args()
    result = rebates.list_rebates(principal, page, page_size)
    return render_template("billing/finance_rebates.html", rebates=result.items, total=result.total, page=page,
                           page_size=page_size, may_record=policy.may(principal, "rebate.create"),
                           not_finance=NOT_FINANCE.format("record rebates"))


def _rebate_form(form: dict, errors: FormErrors | None = None, preview: dict | None = None, status: int = 200):
    principal = current_principal()
    return render_template("billing/finance_rebate_new.html", form=form, errors=errors or FormErrors(),
                           preview=preview, choices=rebates.rebate_choices(principal),
                           may_record=policy.may(principal, "rebate.create"),
                           not_finance=NOT_FINANCE.format("record rebates")), status


def _rebate_input() -> tuple[dict, dict]:
    """The posted rebate: the form as typed, and as the API's RebateCreateSchema loads it."""
    form = form_data()
    return form, _load_with_dollars(RebateCreateSchema(), {k: v for k, v in form.items() if k != "previewed"},
                                    REBATE_MONEY)


@blp.get("/rebates/new")
def rebate_new():
    return _rebate_form({k: v for k, v in request.args.items() if k in ("vendor_id", "contract_id")})


@blp.post("/rebates/preview")
def rebate_preview():
    """"Preview allocation": what recording would do, per practice, with nothing written."""
    form = form_data()
    try:
        form, data = _rebate_input()
        preview = rebates.preview_rebate(current_principal(), data)
    except DomainError as exc:
        return _rebate_form(form, _renamed(refusal(exc, shown_at_form=(409, 422)), REBATE_MONEY),
                            status=exc.status_code)
    form["amount"] = dollars_typed(data["amount_cents"])
    return _rebate_form(form, preview=preview)


def _previewed(text: str) -> list[tuple[int, int]]:
    """The confirmation's "practice:cents,..." (what the preview showed)."""
    try:
        pairs = [item.split(":") for item in text.split(",") if item]
        return [(int(practice), int(cents)) for practice, cents in pairs]
    except ValueError:
        raise Invalid("Preview the allocation before recording the rebate.") from None


@blp.post("/rebates")
def rebate_record():
    """"Record rebate", from the preview's confirmation: recorded only if the allocation
    is still the one previewed."""
    form = form_data()
    try:
        if not form.get("previewed"):
            raise Invalid("Preview the allocation before recording the rebate.")
        form, data = _rebate_input()
        rebate = rebates.record_rebate(current_principal(), data, previewed=_previewed(form["previewed"]))
    except DomainError as exc:
        return _rebate_form(form, _renamed(refusal(exc, shown_at_form=(409, 422)), REBATE_MONEY),
                            status=exc.status_code)
    flash(f"Rebate recorded: {format_dollars(rebate.distributed_cents)} credited to "
          f"{sum(1 for a in rebate.allocations if a.amount_cents)} practices, "
          f"{format_dollars(rebate.retained_cents)} kept by the MSO.", "success")
    return redirect(url_for("finance_console.rebate_detail", rebate_id=rebate.id))


@blp.get("/rebates/<int:rebate_id>")
def rebate_detail(rebate_id: int):
    return render_template("billing/finance_rebate.html", detail=rebates.rebate_detail(current_principal(), rebate_id))


# --- fee schedules -------------------------------------------------------------------------


def _fee_form(schedule: dict) -> dict:
    """A fee schedule as its form shows it (money in dollars)."""
    return {"service_fee_percent": f"{Decimal(schedule['service_fee_percent']).normalize():f}",
            "monthly_membership": dollars_typed(schedule["monthly_membership_cents"]),
            "pmpm": dollars_typed(schedule["pmpm_cents"])}


def _fee_schedules_page(form: dict | None = None, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    overview = invoices.fee_schedules_overview(principal)
    return render_template("billing/finance_fee_schedules.html", overview=overview,
                           form=form if form is not None else _fee_form(overview["default"]),
                           errors=errors or FormErrors(), may_update=policy.may(principal, "fee_schedule.update"),
                           not_finance=NOT_FINANCE.format("change fee schedules")), status


@blp.get("/fee-schedules")
def fee_schedules():
    return _fee_schedules_page()


@blp.post("/fee-schedules/default")
def fee_schedule_default():
    form = form_data()
    try:
        data = _load_with_dollars(DefaultFeeScheduleUpdateSchema(), form, FEE_MONEY)
        invoices.put_fee_schedule(current_principal(), None, data)
    except DomainError as exc:
        return _fee_schedules_page(form, _renamed(refusal(exc), FEE_MONEY), exc.status_code)
    flash("The default fee schedule is saved; invoices drafted from now on use it.", "success")
    return redirect(url_for("finance_console.fee_schedules"))


def _override_page(practice_id: int, form: dict | None = None, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    schedule = invoices.get_fee_schedule(principal, practice_id)  # 404 for no such practice
    overview = invoices.fee_schedules_overview(principal)
    row = next(p for p in overview["practices"] if p["practice_id"] == practice_id)
    if form is None:  # the fields it overrides; blank ones inherit
        form = {f: v for f, v in _fee_form(schedule).items() if FEE_MONEY.get(f, f) in schedule["overridden"]}
    return render_template("billing/finance_fee_override.html", practice=row, default=overview["default"],
                           form=form, errors=errors or FormErrors(),
                           may_update=policy.may(principal, "fee_schedule.update"),
                           not_finance=NOT_FINANCE.format("change fee schedules")), status


@blp.get("/fee-schedules/practices/<int:practice_id>")
def fee_override(practice_id: int):
    return _override_page(practice_id)


@blp.post("/fee-schedules/practices/<int:practice_id>")
def fee_override_save(practice_id: int):
    """A blank field inherits the MSO default (as a null in the API)."""
    form = form_data()
    try:
        data = _load_with_dollars(PracticeFeeScheduleUpdateSchema(), form, FEE_MONEY)
        schedule = invoices.put_fee_schedule(current_principal(), practice_id, data)
    except DomainError as exc:
        return _override_page(practice_id, form, _renamed(refusal(exc), FEE_MONEY), exc.status_code)
    flash("The practice's fees are saved" + (" (it overrides " + ", ".join(
        f.replace("_cents", "").replace("_", " ") for f in schedule["overridden"]) + ")"
        if schedule["overridden"] else ": it inherits every MSO default") + ".", "success")
    return redirect(url_for("finance_console.fee_schedules"))


@blp.post("/fee-schedules/practices/<int:practice_id>/clear")
def fee_override_clear(practice_id: int):
    invoices.put_fee_schedule(current_principal(), practice_id, {})
    flash("The override is cleared: the practice pays the MSO default fees.", "success")
    return redirect(url_for("finance_console.fee_schedules"))


# --- vendor statements ---------------------------------------------------------------------


def query_refusal(exc: DomainError) -> FormErrors:
    """A refused query (a filter form): its messages at the filter's fields; 403 and 404
    are the error page's."""
    if exc.status_code in (403, 404):
        raise exc
    undo_refused()
    errors = errors_of(exc)
    return FormErrors(errors.message, {k.removeprefix("query."): v for k, v in errors.fields.items()})


def this_year() -> dict:
    """This year so far, in UTC days as the statements date a close (reports.closed_between):
    a local date would end the period a day early in the evening, when UTC is already tomorrow."""
    today = utcnow().date()
    return {"from": f"{today.year}-01-01", "to": str(today)}


def _statement_args() -> dict:
    return {**this_year(), **{k: v for k, v in request.args.items() if k in ("vendor_id", "from", "to") and v}}


@blp.get("/statements")
def statements():
    principal = current_principal()
    raw = _statement_args()
    vendors = reports.statement_vendors(principal)
    statement, errors, status = None, FormErrors(), 200
    if "vendor_id" in raw:
        try:
            query = load(StatementQuerySchema(), raw)
            statement = reports.vendor_statement(principal, query["vendor_id"], query["from_"], query["to"])
        except DomainError as exc:
            errors, status = query_refusal(exc), exc.status_code
    return render_template("billing/finance_statements.html", vendors=vendors, query=raw, statement=statement,
                           errors=errors), status


@blp.get("/statements.csv")
def statements_csv():
    query = load(StatementQuerySchema(), _statement_args())
    statement = reports.vendor_statement(current_principal(), query["vendor_id"], query["from_"], query["to"])
    return csv_response(statement["rows"], STATEMENT_COLUMNS,
                        f"vendor-{query['vendor_id']}-statement-{query['from_']}-to-{query['to']}.csv")


# --- the admin-fee disclosure --------------------------------------------------------------


def _disclosure_args() -> dict:
    today = utcnow().astimezone(time_zone()).date()
    return {"year": str(today.year), **{k: v for k, v in request.args.items() if k in ("year", "practice_id") and v}}


@blp.get("/disclosure")
def disclosure():
    principal = current_principal()
    raw = _disclosure_args()
    practices = reports.disclosure_practices(principal)
    report, errors, status = None, FormErrors(), 200
    try:
        query = load(DisclosureQuerySchema(), raw)
        report = reports.admin_fee_disclosure(principal, query["year"], query.get("practice_id"))
    except DomainError as exc:
        errors, status = query_refusal(exc), exc.status_code
    return render_template("billing/finance_disclosure.html", practices=practices, query=raw, report=report,
                           by_contract=reports.disclosure_by_contract(report) if report else [],
                           errors=errors), status


@blp.get("/disclosure.csv")
def disclosure_csv():
    query = load(DisclosureQuerySchema(), _disclosure_args())
    report = reports.admin_fee_disclosure(current_principal(), query["year"], query.get("practice_id"))
    return csv_response(report["rows"], DISCLOSURE_COLUMNS, f"admin-fee-disclosure-{query['year']}.csv")
