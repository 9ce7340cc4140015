from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import DecimalString, Id, Price, Schema, WholeNumber
from gpo.billing.models import INVOICE_KINDS, INVOICE_STATUSES, RUN_KINDS

MAX_CENTS = 10**13  # $100 billion: far above any real amount, far below BIGINT


def _percent(value):
    """0..100 with at most 4 decimal places (stored exactly, never rounded on input)."""
    if not value.is_finite() or value.as_tuple().exponent < -4:
        raise ValidationError("a percent with at most 4 decimal places")
    if not 0 <= value <= 100:
        raise ValidationError("must be between 0 and 100")


def Percent(**kwargs):  # noqa: N802 - a field factory
    return DecimalString(validate=_percent, **kwargs)


class PracticeFeeScheduleUpdateSchema(Schema):
    service_fee_percent = Percent(allow_none=True,
                                  metadata={"example": "2.5", "description": "of a purchasing invoice's goods"})
    monthly_membership_cents = WholeNumber(allow_none=True, validate=validate.Range(min=0, max=MAX_CENTS),
                                           metadata={"example": 15000})
    pmpm_cents = WholeNumber(allow_none=True, validate=validate.Range(min=0, max=MAX_CENTS),
                             metadata={"example": 2500, "description": "per provider active in the month"})


class FeeScheduleSchema(Schema):
    """The fees in effect (a practice's: its overrides, else the MSO default)."""

    practice_id = fields.Integer(required=True, allow_none=True, metadata={"example": 3, "description": "null: the MSO default"})
    service_fee_percent = DecimalString(required=True, metadata={"example": "2.5",
                                                                 "description": "of a purchasing invoice's goods"})
    monthly_membership_cents = fields.Integer(required=True, metadata={"example": 15000})
    pmpm_cents = fields.Integer(required=True, metadata={"example": 2500, "description": "per provider active in the month"})
    overridden = fields.List(fields.String(), required=True, metadata={
        "example": ["pmpm_cents"], "description": "a practice's fields set on it; the others inherit the MSO default"})


class DefaultFeeScheduleUpdateSchema(Schema):
    """The MSO default: every fee, none null (nothing to inherit from)."""

    service_fee_percent = Percent(required=True, metadata={"example": "2.5",
                                                           "description": "of a purchasing invoice's goods"})
    monthly_membership_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS),
                                           metadata={"example": 15000})
    pmpm_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS),
                             metadata={"example": 2500, "description": "per provider active in the month"})


class InvoiceLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 901})
    kind = fields.String(required=True, metadata={
        "example": "product",
        "description": "product, service_fee, membership, pmpm, premium, staffing, overhead or adjustment"})
    description = fields.String(required=True, metadata={"example": "GLV-NIT-M Nitrile exam gloves, medium"})
    contract_id = fields.Integer(required=True, allow_none=True, metadata={"example": 1})
    vendor_id = fields.Integer(required=True, allow_none=True, metadata={"example": 5})
    product_id = fields.Integer(required=True, allow_none=True, metadata={"example": 101})
    category = fields.String(required=True, allow_none=True, metadata={"example": "supplies"})
    quantity = Price(required=True, allow_none=True, metadata={"example": "40.0000"})
    unit_price = Price(required=True, allow_none=True, metadata={"example": "17.4913"})
    list_cents = fields.Integer(required=True, allow_none=True, metadata={"example": 79960})
    amount_cents = fields.Integer(required=True, metadata={"example": 69965})
    savings_cents = fields.Integer(required=True, allow_none=True, metadata={"example": 9995})


class PaymentAttemptSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 17})
    invoice_id = fields.Integer(required=True, metadata={"example": 123})
    attempt_number = fields.Integer(required=True, metadata={"example": 1})
    status = fields.String(required=True, metadata={"example": "pending",
                                                    "description": "pending, processing, succeeded or failed"})
    amount_cents = fields.Integer(required=True, metadata={"example": 66714})
    stripe_payment_intent_id = fields.String(required=True, allow_none=True, metadata={"example": "pi_3Pq..."})
    failure_code = fields.String(required=True, allow_none=True, metadata={"example": None})
    failure_message = fields.String(required=True, allow_none=True, metadata={"example": None})
    next_retry_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 42})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    finished_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})


class CreditApplicationSchema(Schema):
    credit_id = fields.Integer(required=True, metadata={"example": 7})
    amount_cents = fields.Integer(required=True, metadata={"example": 5000})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    reversed_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})


class InvoiceSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 123})
    number = fields.String(required=True, allow_none=True, metadata={"example": "INV-2026-000123",
                                                                     "description": "null while a draft"})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    kind = fields.String(required=True, metadata={"example": "purchasing",
                                                  "description": "purchasing, membership, insurance, staffing or credit"})
    status = fields.String(required=True, metadata={"example": "open",
                                                    "description": "draft, open, paid, void or uncollectible"})
    description = fields.String(required=True, metadata={"example": "Purchasing: December 2026"})
    cycle_id = fields.Integer(required=True, allow_none=True, metadata={"example": 7})
    period_start = fields.Date(required=True, allow_none=True, metadata={"example": "2026-12-01"})
    period_end = fields.Date(required=True, allow_none=True, metadata={"example": "2026-12-31"})
    service_fee_percent = Price(required=True, allow_none=True, metadata={"example": "2.5000"})
    service_fee_cents = fields.Integer(required=True, metadata={
        "example": 1749,
        "description": "the service fee line(s); already part of subtotal_cents, not to be added to it"})
    subtotal_cents = fields.Integer(required=True, metadata={
        "example": 71714,
        "description": "the sum of every line's amount_cents, fee lines included (service_fee_cents is part "
                       "of it): subtotal_cents - credits_applied_cents = total_cents. Not 'before fees'"})
    credits_applied_cents = fields.Integer(required=True, metadata={"example": 5000})
    total_cents = fields.Integer(required=True, metadata={"example": 66714,
                                                          "description": "subtotal_cents - credits_applied_cents"})
    issued_on = fields.Date(required=True, allow_none=True, metadata={"example": "2026-12-16"})
    due_on = fields.Date(required=True, allow_none=True, metadata={"example": "2027-01-15",
                                                                   "description": "net 30 from the issue date"})
    paid_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    voided_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    void_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    uncollectible_reason = fields.String(required=True, allow_none=True, metadata={
        "example": "3 payment attempts failed; the last on 2026-12-20: Your card was declined. (card_declined)"})
    corrects_invoice_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "a credit note's invoice"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    credit_applications = fields.List(fields.Nested(CreditApplicationSchema), required=True)
    payments = fields.List(fields.Nested(PaymentAttemptSchema), required=True)


class InvoiceQuerySchema(Schema):
    practice_id = Id()
    kind = fields.String(validate=validate.OneOf(INVOICE_KINDS))
    status = fields.String(validate=validate.OneOf(INVOICE_STATUSES))
    cycle_id = Id()


class VoidSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"example": "billed to the wrong practice"})


class CreditNoteInSchema(Schema):
    amount_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={"example": 2500})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=250),
                           metadata={"example": "damaged in transit"})


class PaymentMethodInSchema(Schema):
    stripe_payment_method_id = fields.String(required=True, validate=validate.Regexp(r"^pm_[A-Za-z0-9_]{1,60}$"),
                                             metadata={"example": "pm_1Q0PsIJvEtkwdCNY", "description":
                                                       "collected by the storefront with Stripe Elements"})


class PaymentMethodSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    stripe_customer_id = fields.String(required=True, allow_none=True, metadata={"example": "cus_Qx1"})
    stripe_payment_method_id = fields.String(required=True, allow_none=True, metadata={"example": "pm_1Q0PsIJvEtkwdCNY"})
    updated_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-12-01T10:00:00+00:00"})


def Month(**kwargs):  # noqa: N802 - a field factory
    """A calendar month, "YYYY-MM" (billing and staffing runs)."""
    return fields.String(validate=validate.Regexp(r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$",
                                                  error="a month as YYYY-MM, e.g. 2026-12"), **kwargs)


class BillingRunInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(RUN_KINDS), metadata={"example": "membership"})
    month = Month(required=True, metadata={"example": "2026-12"})


class BillingRunSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 4})
    kind = fields.String(required=True, metadata={"example": "membership"})
    month = fields.String(required=True, metadata={"example": "2026-12"})
    status = fields.String(required=True, metadata={"example": "queued", "description": "queued, finished or failed"})
    job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 42})
    invoice_count = fields.Integer(required=True, allow_none=True, metadata={"example": None,
                                                                             "description": "set when finished"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    finished_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})


class RebateAllocationSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    spend_cents = fields.Integer(required=True, metadata={"example": 125000})
    amount_cents = fields.Integer(required=True, metadata={"example": 40000})
    credit_id = fields.Integer(required=True, allow_none=True, metadata={"example": 7})


class RebateCreateSchema(Schema):
    vendor_id = Id(required=True, metadata={"example": 5})
    contract_id = Id(required=True, metadata={"example": 1})
    period_start = fields.Date(required=True, metadata={"example": "2026-10-01"})
    period_end = fields.Date(required=True, metadata={"example": "2026-12-31"})
    amount_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={"example": 250000})
    retained_percent = Percent(required=True,
                               metadata={"example": "20", "description": "the MSO's share"})
    notes = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"example": "Q4 volume rebate"})


class RebateSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 2})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    period_start = fields.Date(required=True, metadata={"example": "2026-10-01"})
    period_end = fields.Date(required=True, metadata={"example": "2026-12-31"})
    amount_cents = fields.Integer(required=True, metadata={"example": 250000})
    retained_percent = DecimalString(required=True, metadata={"example": "20.0000", "description": "the MSO's share"})
    notes = fields.String(required=True, metadata={"example": "Q4 volume rebate"})
    retained_cents = fields.Integer(required=True, metadata={"example": 50000})
    distributed_cents = fields.Integer(required=True, metadata={"example": 200000})
    recorded_by = fields.String(required=True, metadata={"example": "finance@summit-mso.example"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    allocations = fields.List(fields.Nested(RebateAllocationSchema), required=True)


class CreditApplicationViewSchema(Schema):
    invoice_id = fields.Integer(required=True, metadata={"example": 123})
    invoice_number = fields.String(required=True, allow_none=True, metadata={"example": "INV-2026-000123"})
    amount_cents = fields.Integer(required=True, metadata={"example": 25000})
    applied_at = fields.DateTime(required=True, metadata=CREATED_AT)
    reversed_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})


class CreditSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 7})
    source = fields.String(required=True, metadata={
        "example": "rebate", "description": "rebate, credit_note, insurance_cancellation or adjustment"})
    description = fields.String(required=True, metadata={"example": "Rebate 2: Exam room supplies, 2026-10-01 to 2026-12-31"})
    amount_cents = fields.Integer(required=True, metadata={"example": 40000})
    remaining_cents = fields.Integer(required=True, metadata={"example": 15000})
    rebate_id = fields.Integer(required=True, allow_none=True, metadata={"example": 2})
    credit_note_invoice_id = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    applications = fields.List(fields.Nested(CreditApplicationViewSchema), required=True)


class CreditsSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    balance_cents = fields.Integer(required=True, metadata={"example": 15000})
    credits = fields.List(fields.Nested(CreditSchema), required=True)


class PeriodQuerySchema(Schema):
    from_ = fields.Date(data_key="from", required=True, metadata={"example": "2026-01-01"})
    to = fields.Date(required=True, metadata={"example": "2026-12-31"})


class SavingsQuerySchema(PeriodQuerySchema):
    practice_id = Id()


class DisclosureQuerySchema(Schema):
    year = WholeNumber(required=True, validate=validate.Range(min=2000, max=2100), metadata={"example": 2026})
    practice_id = Id()


class StatementRowSchema(Schema):
    cycle_id = fields.Integer(required=True, metadata={"example": 7})
    cycle_name = fields.String(required=True, metadata={"example": "December 2026"})
    closed_on = fields.Date(required=True, metadata={"example": "2026-12-16"})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    contract_title = fields.String(required=True, metadata={"example": "Exam room supplies"})
    sales_cents = fields.Integer(required=True, metadata={"example": 1250000})
    admin_fee_percent = Price(required=True, metadata={"example": "2.0000"})
    admin_fee_cents = fields.Integer(required=True, metadata={"example": 25000})


class VendorStatementSchema(Schema):
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    from_ = fields.Date(data_key="from", attribute="from", required=True, metadata={"example": "2026-01-01"})
    to = fields.Date(required=True, metadata={"example": "2026-12-31"})
    sales_cents = fields.Integer(required=True, metadata={"example": 1250000})
    admin_fee_cents = fields.Integer(required=True, metadata={"example": 25000})
    rows = fields.List(fields.Nested(StatementRowSchema), required=True)


class DisclosureContractSchema(Schema):
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    contract_title = fields.String(required=True, metadata={"example": "Exam room supplies"})
    admin_fee_percent = Price(required=True, allow_none=True, metadata={"example": "2.0000"})
    admin_fee_disclosure = fields.String(required=True, allow_none=True, metadata={"example": None})
    admin_fee_settlement = fields.String(required=True, metadata={
        "example": "remitted", "description": "remitted by the vendor, or netted from the MSO's settlements"})
    purchases_cents = fields.Integer(required=True, metadata={"example": 84210})
    admin_fee_cents = fields.Integer(required=True, metadata={"example": 1684, "description": "fees owed"})
    admin_fee_received_cents = fields.Integer(required=True, metadata={
        "example": 1684, "description": "fees received: netted from settlements, or remitted (the practice's share)"})


class DisclosureRowSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    purchases_cents = fields.Integer(required=True, metadata={"example": 84210})
    admin_fee_cents = fields.Integer(required=True, metadata={"example": 1684, "description": "fees owed"})
    admin_fee_received_cents = fields.Integer(required=True, metadata={
        "example": 1684, "description": "fees received: netted from settlements, or remitted (the practice's share)"})
    contracts = fields.List(fields.Nested(DisclosureContractSchema), required=True)


class DisclosureSchema(Schema):
    year = fields.Integer(required=True, metadata={"example": 2026})
    practice_id = fields.Integer(required=True, allow_none=True, metadata={"example": 3,
                                                                           "description": "null: every practice"})
    purchases_cents = fields.Integer(required=True, metadata={"example": 84210})
    admin_fee_cents = fields.Integer(required=True, metadata={"example": 1684, "description": "fees owed"})
    admin_fee_received_cents = fields.Integer(required=True, metadata={
        "example": 1684, "description": "fees received: netted from settlements, or remitted (the practice's share)"})
    rows = fields.List(fields.Nested(DisclosureRowSchema), required=True)


class SavingsRowSchema(Schema):
    category = fields.String(required=True, metadata={"example": "supplies"})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    list_cents = fields.Integer(required=True, metadata={"example": 79960})
    paid_cents = fields.Integer(required=True, metadata={"example": 69965})
    savings_cents = fields.Integer(required=True, metadata={"example": 9995})


class SavingsMonthSchema(Schema):
    month = fields.String(required=True, metadata={"example": "2026-12", "description": "the month (UTC) the cycles closed"})
    list_cents = fields.Integer(required=True, metadata={"example": 79960})
    paid_cents = fields.Integer(required=True, metadata={"example": 69965})
    savings_cents = fields.Integer(required=True, metadata={"example": 9995})


class SavingsSchema(Schema):
    practice_id = fields.Integer(required=True, allow_none=True, metadata={"example": 3,
                                                                           "description": "null: every practice"})
    from_ = fields.Date(data_key="from", attribute="from", required=True, metadata={"example": "2026-01-01"})
    to = fields.Date(required=True, metadata={"example": "2026-12-31"})
    list_cents = fields.Integer(required=True, metadata={"example": 79960})
    paid_cents = fields.Integer(required=True, metadata={"example": 69965})
    savings_cents = fields.Integer(required=True, metadata={"example": 9995})
    rows = fields.List(fields.Nested(SavingsRowSchema), required=True)
    months = fields.List(fields.Nested(SavingsMonthSchema), required=True, metadata={
        "description": "the same sums per month of the cycles' close, oldest first"})


class WebhookAnswerSchema(Schema):
    received = fields.Boolean(required=True, metadata={"example": True})
    duplicate = fields.Boolean(required=True, metadata={"example": False})
    event_id = fields.String(required=True, metadata={"example": "evt_1Q0PsIJvEtkwdCNY"})
    effect = fields.String(metadata={"example": "ignored", "description": "what the event did; absent for a duplicate"})
