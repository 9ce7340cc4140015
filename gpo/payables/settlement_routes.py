"""Settlements, admin fees remitted and the vendor scorecard (API.md "After the close")."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, csv_doc, csv_response, page_of, wants_csv
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.payables import remittances, scorecard, settlements
from gpo.payables.settlement_schemas import (
    MARK_SENT_EXAMPLE,
    REMITTANCE_EXAMPLE,
    SETTLEMENT_REQUEST_EXAMPLE,
    MarkSentSchema,
    RemittanceInSchema,
    RemittanceQuerySchema,
    RemittanceSchema,
    ScorecardQuerySchema,
    ScorecardSchema,
    SettlementDetailSchema,
    SettlementQuerySchema,
    SettlementRequestSchema,
    SettlementRunSchema,
    SettlementSchema,
)

blp = Blueprint("vendor_settlements", __name__, url_prefix="/api/v1",
                description="Paying the vendors: settlements with their remittance advice, admin fees remitted, "
                            "the vendor scorecard")

ADVICE_EXAMPLE = (",".join(settlements.ADVICE_COLUMNS) + "\r\n"
                  "invoice,31,INV-1001,2027-01-20,12,,107946,1500,0,,109446\r\n"
                  "admin_fee_netted,31,INV-1001,,,1,107946,,,2.0000,-2159\r\n"
                  "payable,,,,,,,,,,107287\r\n")


@blp.route("/vendor-settlements")
class Settlements(MethodView):
    @blp.arguments(SettlementQuerySchema, location="query")
    @blp.response(200, SettlementSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Settlements, the latest `through` first (MSO finance: every vendor's; a vendor
        admin: its own)."""
        pp = pagination_parameters
        result = settlements.list_settlements(current_principal(), filters, pp.page, pp.page_size)
        result.items = settlements.rows(result)
        return page_of(result, pp)

    @blp.arguments(SettlementRequestSchema, example=SETTLEMENT_REQUEST_EXAMPLE)
    @blp.response(202, SettlementRunSchema)
    def post(self, data):
        """Run a settlement through a date (MSO finance): a background job makes one
        settlement per vendor of its approved, unsettled invoices issued on or before
        `through`, netting the admin fee where the contract says `netted`. 422 when
        nothing approved is left to settle by then (nothing is written); asking again
        for the same date settles only what was approved since, for vendors not yet
        settled through it (409 when those are). `GET /jobs/{job_id}` lists what it made."""
        job = settlements.request_settlement(current_principal(), data)
        return {"job_id": job.id, "status": job.status, "through": data["through"], "vendor_id": data.get("vendor_id")}


@blp.route("/vendor-settlements/<int:settlement_id>")
class SettlementItem(MethodView):
    @blp.response(200, SettlementDetailSchema)
    @blp.doc(**csv_doc(SettlementDetailSchema, ADVICE_EXAMPLE))
    def get(self, settlement_id):
        """A settlement with its remittance advice: each invoice paid and each admin fee
        netted (MSO finance; a vendor admin: its own). `Accept: text/csv` for the advice
        as a spreadsheet: the amounts of its invoice and deduction rows add up to the
        payable row."""
        detail = settlements.advice(settlements.get_settlement(current_principal(), settlement_id))
        if wants_csv():
            return csv_response(settlements.advice_rows(detail), settlements.ADVICE_COLUMNS,
                                f"remittance-advice-{detail['id']}-through-{detail['through']}.csv")
        return detail


@blp.route("/vendor-settlements/<int:settlement_id>/mark-sent")
class MarkSent(MethodView):
    @idempotent()
    @blp.arguments(MarkSentSchema, example=MARK_SENT_EXAMPLE)
    @blp.response(200, SettlementDetailSchema)
    def post(self, data, settlement_id):
        """pending -> sent, with the payment's bank reference (MSO finance). A settlement
        already sent is 409."""
        principal = current_principal()
        return settlements.advice(settlements.mark_sent(principal, settlement_id, data["bank_reference"].strip()))


@blp.route("/admin-fee-remittances")
class Remittances(MethodView):
    @blp.arguments(RemittanceQuerySchema, location="query")
    @blp.response(200, RemittanceSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Admin fees vendors remitted, newest first (MSO finance; a vendor admin: its own)."""
        pp = pagination_parameters
        result = remittances.list_remittances(current_principal(), filters, pp.page, pp.page_size)
        result.items = remittances.views(result.items)
        return page_of(result, pp)

    @idempotent()
    @blp.arguments(RemittanceInSchema, example=REMITTANCE_EXAMPLE)
    @blp.response(201, RemittanceSchema)
    def post(self, data):
        """Record an admin fee a vendor remitted for a contract and cycle (MSO finance):
        a contract of that vendor whose fee is remitted (not netted), a closed cycle with a
        purchase order on it, received by today. The vendor's reference is recorded once
        (409). The admin-fee disclosure counts it as received."""
        return remittances.views([remittances.record_remittance(current_principal(), data)])[0]


@blp.route("/reports/vendor-scorecard")
class VendorScorecard(MethodView):
    @blp.arguments(ScorecardQuerySchema, location="query")
    @blp.response(200, ScorecardSchema)
    @blp.doc(**csv_doc(ScorecardSchema, ",".join(scorecard.SCORECARD_COLUMNS)
                       + "\r\n5,Acme Medical Supply,2,110,100,90.9,10,9.1,1,1,100.0,3,2,66.7,450\r\n"))
    def get(self, query):
        """Per vendor, over the purchase orders of the cycles closed in the period: fill
        rate, backorder rate, backorders shipped by the expected date, price accuracy and
        exception dollars, each rate beside the counts it is figured from (MSO staff: any
        vendor or all; a vendor: its own, another's is 404). `Accept: text/csv` for a
        spreadsheet."""
        report = scorecard.vendor_scorecard(current_principal(), query.get("vendor_id"), query["from_"], query["to"])
        if wants_csv():
            return csv_response(report["rows"], scorecard.SCORECARD_COLUMNS,
                                f"vendor-scorecard-{query['from_']}-to-{query['to']}.csv")
        return report
