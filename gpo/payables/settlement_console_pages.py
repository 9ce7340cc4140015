"""The console's settlement pages (WEB.md "Console pages"), for MSO finance: the list of
settlements, "Run a settlement" through a date, one settlement's remittance advice with
its CSV and "Mark sent" with the bank reference; admin fees vendors remitted (record one,
list them); and the vendor scorecard for any MSO role. Each page parses with the API's
schemas, calls one service, renders; a refusal is shown at its field."""
from __future__ import annotations

import datetime as dt
import functools

from flask import flash, redirect, render_template, request, url_for

from gpo import jobs
from gpo.api import csv_response
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.finance_pages import _load_with_dollars, query_refusal
from gpo.db import utcnow
from gpo.errors import DomainError, Forbidden, Invalid
from gpo.money import format_dollars
from gpo.payables import remittances, scorecard, settlements
from gpo.payables.settlement_schemas import (
    MarkSentSchema,
    RemittanceInSchema,
    ScorecardQuerySchema,
    SettlementQuerySchema,
    SettlementRequestSchema,
)
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import Waiting, page_blueprint

blp = page_blueprint("settlement_console", __name__, "console", url_prefix="/console")

SETTLEMENT_WORDS = {"pending": "pending: not paid yet", "sent": "sent to the bank"}
REMITTANCE_MONEY = {"amount": "amount_cents"}


def finance_only(view):
    """A role the policy refuses (403) sees the reason instead of the page's actions."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Forbidden as exc:
            undo_refused()
            reason = f"Only MSO finance and MSO admins pay vendors and record their admin fees: {exc.message}."
            return render_template("payables/settlement_not_offered.html", reason=reason), 403
    return wrapper


def waiting(principal) -> list[Waiting]:
    """Settlements made but not sent yet."""
    count = settlements.list_settlements(principal, {"status": "pending"}, 1, 1).total
    if not count:
        return []
    return [Waiting(f"{count} settlement{'' if count == 1 else 's'} to pay and mark sent",
                    url_for("settlement_console.settlement_list", status="pending"))]


# --- settlements ----------------------------------------------------------------------------


def _list_page(values: dict | None = None, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    raw = {k: v for k, v in request.args.items() if k in ("vendor_id", "status") and v}
    filter_errors = FormErrors()
    try:
        filters = load(SettlementQuerySchema(), raw)
    except Invalid as exc:
        filters, filter_errors = {}, errors_of(exc)
        status = 422 if status == 200 else status
    result = settlements.list_settlements(principal, filters, page, page_size)
    return render_template(
        "payables/settlement_list.html", rows=settlements.rows(result), total=result.total, page=page, job=_run_job(),
        page_size=page_size, filters=raw, filter_errors=filter_errors, errors=errors or FormErrors(),
        values=values or {"through": str(utcnow().date())}, vendors=scorecard.scorecard_vendors(principal),
        statuses=list(SETTLEMENT_WORDS.items()), may_run=policy.may(principal, "vendor_settlement.create")), status


def _run_job():
    """The run just asked for (`?job=`), to follow its progress; None if it is not one."""
    raw = request.args.get("job", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        return None
    try:
        job = jobs.get_job(current_principal(), int(raw))
    except DomainError:
        return None
    return job if job.kind == settlements.SETTLEMENT_RUN else None


@blp.get("/settlements")
@finance_only
def settlement_list():
    return _list_page()


@blp.post("/settlements")
@finance_only
def run_settlement():
    """As POST /vendor-settlements: refused at the date when nothing is left to settle."""
    values = {k: v for k, v in form_data().items() if k in ("through", "vendor_id")}
    try:
        job = settlements.request_settlement(current_principal(), load(SettlementRequestSchema(), values))
    except DomainError as exc:
        return _list_page(values, refusal(exc, (409, 422)), exc.status_code)
    flash(f"The settlement run through {values['through']} has started (job #{job.id}): each vendor's settlement "
          "is listed below once it has run.", "success")
    return redirect(url_for(".settlement_list", job=job.id))


def _detail_page(settlement_id: int, errors: FormErrors | None = None, values: dict | None = None, status: int = 200):
    principal = current_principal()
    detail = settlements.advice(settlements.get_settlement(principal, settlement_id))
    return render_template("payables/settlement_detail.html", s=detail, errors=errors or FormErrors(),
                           values=values or {}, csv_url=url_for(".settlement_csv", settlement_id=settlement_id),
                           may_send=policy.may(principal, "vendor_settlement.send"),
                           back_url=url_for(".settlement_list")), status


@blp.get("/settlements/<int:settlement_id>")
@finance_only
def settlement_detail(settlement_id: int):
    return _detail_page(settlement_id)


@blp.get("/settlements/<int:settlement_id>.csv")
@finance_only
def settlement_csv(settlement_id: int):
    detail = settlements.advice(settlements.get_settlement(current_principal(), settlement_id))
    return csv_response(settlements.advice_rows(detail), settlements.ADVICE_COLUMNS,
                        f"remittance-advice-{detail['id']}-through-{detail['through']}.csv")


@blp.post("/settlements/<int:settlement_id>/mark-sent")
@finance_only
def mark_sent(settlement_id: int):
    values = {k: v for k, v in form_data().items() if k == "bank_reference"}
    try:
        data = load(MarkSentSchema(), values)
        settlement = settlements.mark_sent(current_principal(), settlement_id, data["bank_reference"])
    except DomainError as exc:
        return _detail_page(settlement_id, refusal(exc, (409, 422)), values, exc.status_code)
    flash(f"Settlement #{settlement.id} is sent: {format_dollars(settlement.payable_cents)} "
          f"(bank reference {settlement.bank_reference}).", "success")
    return redirect(url_for(".settlement_detail", settlement_id=settlement.id))


# --- admin fees remitted ---------------------------------------------------------------------


def _remittance_page(values: dict | None = None, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    result = remittances.list_remittances(principal, {}, page, page_size)
    return render_template(
        "payables/remittance_list.html", rows=remittances.views(result.items), total=result.total, page=page,
        page_size=page_size, values=values or {"received_on": str(utcnow().date())}, errors=errors or FormErrors(),
        choices=remittances.remittance_choices(), vendors=scorecard.scorecard_vendors(principal),
        may_record=policy.may(principal, "admin_fee_remittance.create")), status


@blp.get("/admin-fee-remittances")
@finance_only
def remittance_list():
    return _remittance_page()


@blp.post("/admin-fee-remittances")
@finance_only
def record_remittance():
    values = {k: v for k, v in form_data().items()
              if k in ("vendor_id", "contract_id", "cycle_id", "amount", "received_on", "reference")}
    try:
        data = _load_with_dollars(RemittanceInSchema(), values, REMITTANCE_MONEY)
        remittance = remittances.record_remittance(current_principal(), data)
    except DomainError as exc:
        errors = refusal(exc, (409, 422))
        errors = FormErrors(errors.message, {("amount" if k == "amount_cents" else k): v for k, v in errors.fields.items()})
        return _remittance_page(values, errors, exc.status_code)
    flash(f"Recorded: {format_dollars(remittance.amount_cents)} received (reference {remittance.reference}).", "success")
    return redirect(url_for(".remittance_list"))


# --- the vendor scorecard --------------------------------------------------------------------


def period_args(extra: tuple[str, ...] = ("vendor_id",)) -> dict:
    """from/to (this quarter so far by default, in UTC days) and the query's own."""
    today = utcnow().date()
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return {"from": str(start), "to": str(today),
            **{k: v for k, v in request.args.items() if k in ("from", "to", *extra) and v}}


@blp.get("/vendor-scorecard")
def scorecard_page():
    principal = current_principal()
    raw = period_args()
    report, errors, status = None, FormErrors(), 200
    try:
        query = load(ScorecardQuerySchema(), raw)
        report = scorecard.vendor_scorecard(principal, query.get("vendor_id"), query["from_"], query["to"])
    except DomainError as exc:
        errors, status = query_refusal(exc), exc.status_code
    return render_template("payables/scorecard_report.html", report=report, query=raw, errors=errors,
                           vendors=scorecard.scorecard_vendors(principal),
                           csv_url=url_for(".scorecard_csv", **raw), choose_vendor=True,
                           finance=policy.may(principal, "vendor_settlement.read")), status


@blp.get("/vendor-scorecard.csv")
def scorecard_csv():
    query = load(ScorecardQuerySchema(), period_args())
    report = scorecard.vendor_scorecard(current_principal(), query.get("vendor_id"), query["from_"], query["to"])
    return csv_response(report["rows"], scorecard.SCORECARD_COLUMNS,
                        f"vendor-scorecard-{query['from_']}-to-{query['to']}.csv")
