"""Settlements, admin fees remitted and the vendor scorecard over HTTP (API.md "After the
close"). The examples are one settlement: Acme's invoice for 60 boxes of gloves at
17.9910 (107,946 cents of goods) with 1,500 cents of freight, on a contract whose 2%
admin fee is netted: round_half_up(107,946 * 2 / 100) = 2,159, payable 109,446 - 2,159
= 107,287."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import DecimalString, Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, PeriodQuerySchema
from gpo.payables.models import SETTLEMENT_STATUSES

CREATED_AT = {"example": "2027-02-01T15:04:05+00:00"}


class SettlementRequestSchema(Schema):
    through = fields.Date(required=True, metadata={
        "example": "2027-01-31", "description": "pays approved, unsettled invoices issued on or before it (not after today)"})
    vendor_id = Id(load_default=None, allow_none=True, metadata={
        "example": 5, "description": "one vendor only; null or absent: every vendor with something to settle"})


class SettlementRunSchema(Schema):
    """The run's job: `GET /jobs/{job_id}` says when it is done and which settlements it made."""

    job_id = fields.Integer(required=True, metadata={"example": 42})
    status = fields.String(required=True, metadata={"example": "queued", "description": "the job's status"})
    through = fields.Date(required=True, metadata={"example": "2027-01-31"})
    vendor_id = fields.Integer(required=True, allow_none=True, metadata={"example": 5})


class SettlementQuerySchema(Schema):
    vendor_id = Id(metadata={"example": 5})
    status = fields.String(validate=validate.OneOf(SETTLEMENT_STATUSES), metadata={"example": "pending"})


class MarkSentSchema(Schema):
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "example": "ACH-20270203-0001", "description": "the payment's reference at the bank"})


class SettlementSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 9})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    through = fields.Date(required=True, metadata={"example": "2027-01-31"})
    status = fields.String(required=True, metadata={"example": "pending", "description": "pending -> sent"})
    invoices_cents = fields.Integer(required=True, metadata={
        "example": 109446, "description": "the invoices' totals: goods at the approved prices, freight, tax"})
    deductions_cents = fields.Integer(required=True, metadata={"example": 2159, "description": "admin fees netted"})
    payable_cents = fields.Integer(required=True, metadata={"example": 107287,
                                                            "description": "invoices_cents - deductions_cents"})
    bank_reference = fields.String(required=True, allow_none=True, metadata={"example": None,
                                                                              "description": "set when sent"})
    sent_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    sent_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    requested_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 42})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class AdviceInvoiceSchema(Schema):
    vendor_invoice_id = fields.Integer(required=True, metadata={"example": 31})
    number = fields.String(required=True, metadata={"example": "INV-1001"})
    purchase_order_id = fields.Integer(required=True, metadata={"example": 12})
    issued_on = fields.Date(required=True, metadata={"example": "2027-01-20"})
    goods_cents = fields.Integer(required=True, metadata={"example": 107946})
    freight_cents = fields.Integer(required=True, metadata={"example": 1500})
    tax_cents = fields.Integer(required=True, metadata={"example": 0})
    total_cents = fields.Integer(required=True, metadata={"example": 109446})


class AdviceDeductionSchema(Schema):
    vendor_invoice_id = fields.Integer(required=True, metadata={"example": 31})
    number = fields.String(required=True, metadata={"example": "INV-1001"})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    contract_title = fields.String(required=True, metadata={"example": "Exam room supplies"})
    goods_cents = fields.Integer(required=True, metadata={"example": 107946})
    admin_fee_percent = DecimalString(required=True, metadata={"example": "2.0000"})
    amount_cents = fields.Integer(required=True, metadata={
        "example": 2159, "description": "round_half_up(goods_cents * admin_fee_percent / 100)"})


class SettlementDetailSchema(SettlementSchema):
    """A settlement with its remittance advice: each invoice paid and each fee netted."""

    invoices = fields.List(fields.Nested(AdviceInvoiceSchema), required=True)
    deductions = fields.List(fields.Nested(AdviceDeductionSchema), required=True)


# --- admin fees remitted ------------------------------------------------------------------


class RemittanceInSchema(Schema):
    vendor_id = Id(required=True, metadata={"example": 5})
    contract_id = Id(required=True, metadata={"example": 1, "description": "the vendor's contract, its fee remitted"})
    cycle_id = Id(required=True, metadata={"example": 7, "description": "a closed cycle with a purchase order on it"})
    amount_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS),
                               metadata={"example": 2159})
    received_on = fields.Date(required=True, metadata={"example": "2027-02-05", "description": "not after today"})
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "example": "WIRE-88213", "description": "the payment's reference: once per vendor (409)"})


class RemittanceQuerySchema(Schema):
    vendor_id = Id(metadata={"example": 5})
    contract_id = Id(metadata={"example": 1})
    cycle_id = Id(metadata={"example": 7})


class RemittanceSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 3})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    contract_title = fields.String(required=True, metadata={"example": "Exam room supplies"})
    cycle_id = fields.Integer(required=True, metadata={"example": 7})
    cycle_name = fields.String(required=True, metadata={"example": "January 2027"})
    amount_cents = fields.Integer(required=True, metadata={"example": 2159})
    received_on = fields.Date(required=True, metadata={"example": "2027-02-05"})
    reference = fields.String(required=True, metadata={"example": "WIRE-88213"})
    recorded_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


# --- the vendor scorecard -----------------------------------------------------------------

_RATE = ("a percentage with 1 decimal place, rounded half up from the exact fraction of the two counts beside it; "
         "null when there is nothing to count")


class ScorecardQuerySchema(PeriodQuerySchema):
    vendor_id = Id(metadata={"example": 5, "description": "a vendor sees only its own (default)"})


class ScorecardRowSchema(Schema):
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    purchase_orders = fields.Integer(required=True, metadata={"example": 2})
    ordered_units = fields.Integer(required=True, metadata={
        "example": 110, "description": "units on the purchase orders' original lines (not substitutes)"})
    accepted_units = fields.Integer(required=True, metadata={"example": 100})
    fill_rate_percent = DecimalString(required=True, allow_none=True, metadata={
        "example": "90.9", "description": f"accepted / ordered units: {_RATE}"})
    backordered_units = fields.Integer(required=True, metadata={"example": 10})
    backorder_rate_percent = DecimalString(required=True, allow_none=True, metadata={
        "example": "9.1", "description": f"backordered / ordered units: {_RATE}"})
    backordered_lines = fields.Integer(required=True, metadata={"example": 1})
    shipped_on_time_lines = fields.Integer(required=True, metadata={
        "example": 1, "description": "backordered lines whose backordered units all shipped (none cancelled) on "
                                     "or before the expected ship date (UTC)"})
    shipped_on_time_percent = DecimalString(required=True, allow_none=True, metadata={
        "example": "100.0", "description": f"shipped_on_time_lines / backordered_lines: {_RATE}"})
    invoice_lines = fields.Integer(required=True, metadata={
        "example": 3, "description": "lines of the vendor's invoices that count (not replaced)"})
    price_match_lines = fields.Integer(required=True, metadata={"example": 2,
                                                                "description": "of them, at the contract price"})
    price_accuracy_percent = DecimalString(required=True, allow_none=True, metadata={
        "example": "66.7", "description": f"price_match_lines / invoice_lines: {_RATE}"})
    exception_cents = fields.Integer(required=True, metadata={
        "example": 450, "description": "price exceptions on the invoices that count"})


class ScorecardSchema(Schema):
    """Per vendor, over the purchase orders of the cycles closed in the period (UTC days)."""

    from_ = fields.Date(data_key="from", attribute="from", required=True, metadata={"example": "2027-01-01"})
    to = fields.Date(required=True, metadata={"example": "2027-03-31"})
    vendor_id = fields.Integer(required=True, allow_none=True, metadata={"example": 5,
                                                                         "description": "null: every vendor"})
    rows = fields.List(fields.Nested(ScorecardRowSchema), required=True)


SETTLEMENT_REQUEST_EXAMPLE = {"through": "2027-01-31", "vendor_id": 5}
MARK_SENT_EXAMPLE = {"bank_reference": "ACH-20270203-0001"}
REMITTANCE_EXAMPLE = {"vendor_id": 5, "contract_id": 1, "cycle_id": 7, "amount_cents": 2159,
                      "received_on": "2027-02-05", "reference": "WIRE-88213"}
