"""The vendor portal's settlements and scorecard (WEB.md "Vendor portal pages"): the
vendor's own settlements with their remittance advice and its CSV, read only, as GET
/vendor-settlements answers them; and its own scorecard for a period with a CSV. Another
vendor's settlement or scorecard is not found (404), exactly as in the API."""
from __future__ import annotations

from flask import render_template, url_for

from gpo.api import csv_response
from gpo.auth.request import current_principal
from gpo.billing.finance_pages import query_refusal
from gpo.errors import DomainError
from gpo.payables import scorecard, settlements
from gpo.payables.settlement_console_pages import SETTLEMENT_WORDS, period_args
from gpo.payables.settlement_schemas import ScorecardQuerySchema
from gpo.web.forms import FormErrors, load, page_args
from gpo.web.shell import page_blueprint

blp = page_blueprint("settlement_portal", __name__, "portal", url_prefix="/portal")


@blp.get("/settlements")
def settlement_list():
    principal = current_principal()
    page, page_size = page_args()
    result = settlements.list_settlements(principal, {}, page, page_size)
    return render_template("payables/settlement_portal_list.html", rows=settlements.rows(result), total=result.total,
                           page=page, page_size=page_size, statuses=SETTLEMENT_WORDS)


@blp.get("/settlements/<int:settlement_id>")
def settlement_detail(settlement_id: int):
    detail = settlements.advice(settlements.get_settlement(current_principal(), settlement_id))
    return render_template("payables/settlement_detail.html", s=detail, errors=FormErrors(), values={},
                           csv_url=url_for(".settlement_csv", settlement_id=settlement_id), may_send=False,
                           back_url=url_for(".settlement_list"))


@blp.get("/settlements/<int:settlement_id>.csv")
def settlement_csv(settlement_id: int):
    detail = settlements.advice(settlements.get_settlement(current_principal(), settlement_id))
    return csv_response(settlements.advice_rows(detail), settlements.ADVICE_COLUMNS,
                        f"remittance-advice-{detail['id']}-through-{detail['through']}.csv")


def _args() -> dict:
    """The period, and the vendor: the signed-in one's own unless the query names another
    (whose scorecard then answers 404)."""
    return {"vendor_id": str(current_principal().organization_id), **period_args()}


@blp.get("/scorecard")
def scorecard_page():
    principal = current_principal()
    raw = _args()
    report, errors, status = None, FormErrors(), 200
    try:
        query = load(ScorecardQuerySchema(), raw)
        report = scorecard.vendor_scorecard(principal, query["vendor_id"], query["from_"], query["to"])
    except DomainError as exc:
        errors, status = query_refusal(exc), exc.status_code
    csv_args = {k: v for k, v in raw.items() if k in ("from", "to")}
    return render_template("payables/scorecard_report.html", report=report, query=raw, errors=errors, vendors=[],
                           csv_url=url_for(".scorecard_csv", **csv_args), choose_vendor=False), status


@blp.get("/scorecard.csv")
def scorecard_csv():
    query = load(ScorecardQuerySchema(), _args())
    report = scorecard.vendor_scorecard(current_principal(), query["vendor_id"], query["from_"], query["to"])
    return csv_response(report["rows"], scorecard.SCORECARD_COLUMNS,
                        f"scorecard-{query['from_']}-to-{query['to']}.csv")
