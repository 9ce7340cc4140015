from __future__ import annotations

from marshmallow import ValidationError, fields, validate

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


class FeeScheduleSchema(Schema):
    practice_id = fields.Integer(dump_only=True, allow_none=True)
    service_fee_percent = Percent(allow_none=True,
                                  metadata={"example": "2.5", "description": "of a purchasing invoice's goods"})
    monthly_membership_cents = WholeNumber(allow_none=True, validate=validate.Range(min=0, max=MAX_CENTS),
                                           metadata={"example": 15000})
    pmpm_cents = WholeNumber(allow_none=True, validate=validate.Range(min=0, max=MAX_CENTS),
                             metadata={"example": 2500, "description": "per provider active in the month"})
    overridden = fields.List(fields.String(), dump_only=True, metadata={
        "description": "a practice's fields set on it; the others inherit the MSO default"})


class DefaultFeeScheduleInSchema(Schema):
    """The MSO default: every fee, none null (nothing to inherit from)."""

    service_fee_percent = Percent(required=True, metadata={"example": "2.5",
                                                           "description": "of a purchasing invoice's goods"})
    monthly_membership_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS),
                                           metadata={"example": 15000})
    pmpm_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS),
                             metadata={"example": 2500, "description": "per provider active in the month"})


class InvoiceLineSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"example": "product"})
    description = fields.String(metadata={"example": "GLV-NIT-M Nitrile exam gloves, medium"})
    contract_id = fields.Integer(allow_none=True)
    vendor_id = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    quantity = Price(allow_none=True, metadata={"example": "40.0000"})
    unit_price = Price(allow_none=True, metadata={"example": "17.4913"})
    list_cents = fields.Integer(allow_none=True, metadata={"example": 79960})
    amount_cents = fields.Integer(metadata={"example": 69965})
    savings_cents = fields.Integer(allow_none=True, metadata={"example": 9995})


class PaymentAttemptSchema(Schema):
    id = fields.Integer()
    invoice_id = fields.Integer()
    attempt_number = fields.Integer(metadata={"example": 1})
    status = fields.String(metadata={"example": "pending"})
    amount_cents = fields.Integer()
    stripe_payment_intent_id = fields.String(allow_none=True, metadata={"example": "pi_3Pq..."})
    failure_code = fields.String(allow_none=True, metadata={"example": "card_declined"})
    failure_message = fields.String(allow_none=True)
    next_retry_at = fields.DateTime(allow_none=True)
    job_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class CreditApplicationSchema(Schema):
    credit_id = fields.Integer()
    amount_cents = fields.Integer()
    created_at = fields.DateTime()
    reversed_at = fields.DateTime(allow_none=True)


class InvoiceSchema(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"example": "INV-2026-000123"})
    practice_id = fields.Integer()
    kind = fields.String(metadata={"example": "purchasing"})
    status = fields.String(metadata={"example": "open"})
    description = fields.String(metadata={"example": "Purchasing: December 2026"})
    cycle_id = fields.Integer(allow_none=True)
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    service_fee_percent = Price(allow_none=True, metadata={"example": "2.5000"})
    service_fee_cents = fields.Integer(metadata={"example": 1749})
    subtotal_cents = fields.Integer(metadata={"example": 71714})
    credits_applied_cents = fields.Integer(metadata={"example": 5000})
    total_cents = fields.Integer(metadata={"example": 66714})
    issued_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={"description": "net 30 from the issue date"})
    paid_at = fields.DateTime(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    uncollectible_reason = fields.String(allow_none=True, metadata={
        "example": "3 payment attempts failed; the last on 2026-12-20: Your card was declined. (card_declined)"})
    corrects_invoice_id = fields.Integer(allow_none=True, metadata={"description": "a credit note's invoice"})
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    credit_applications = fields.List(fields.Nested(CreditApplicationSchema))
    payments = fields.List(fields.Nested(PaymentAttemptSchema))


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
    practice_id = fields.Integer()
    stripe_customer_id = fields.String(allow_none=True, metadata={"example": "cus_Qx1"})
    stripe_payment_method_id = fields.String(allow_none=True, metadata={"example": "pm_1Q0PsIJvEtkwdCNY"})
    updated_at = fields.DateTime(allow_none=True)


def Month(**kwargs):  # noqa: N802 - a field factory
    """A calendar month, "YYYY-MM" (billing and staffing runs)."""
    return fields.String(validate=validate.Regexp(r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$",
                                                  error="a month as YYYY-MM, e.g. 2026-12"), **kwargs)


class BillingRunInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(RUN_KINDS), metadata={"example": "membership"})
    month = Month(required=True, metadata={"example": "2026-12"})


class BillingRunSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"example": "membership"})
    month = fields.String(metadata={"example": "2026-12"})
    status = fields.String(metadata={"example": "queued"})
    job_id = fields.Integer(allow_none=True)
    invoice_count = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class RebateAllocationSchema(Schema):
    practice_id = fields.Integer()
    spend_cents = fields.Integer(metadata={"example": 125000})
    amount_cents = fields.Integer(metadata={"example": 40000})
    credit_id = fields.Integer(allow_none=True)


class RebateSchema(Schema):
    id = fields.Integer(dump_only=True)
    vendor_id = Id(required=True, metadata={"example": 5})
    contract_id = Id(required=True, metadata={"example": 1})
    period_start = fields.Date(required=True, metadata={"example": "2026-10-01"})
    period_end = fields.Date(required=True, metadata={"example": "2026-12-31"})
    amount_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={"example": 250000})
    retained_percent = Percent(required=True,
                               metadata={"example": "20", "description": "the MSO's share"})
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    retained_cents = fields.Integer(dump_only=True, metadata={"example": 50000})
    distributed_cents = fields.Integer(dump_only=True, metadata={"example": 200000})
    recorded_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    allocations = fields.List(fields.Nested(RebateAllocationSchema), dump_only=True)


class CreditApplicationViewSchema(Schema):
    invoice_id = fields.Integer()
    invoice_number = fields.String(allow_none=True)
    amount_cents = fields.Integer()
    applied_at = fields.DateTime()
    reversed_at = fields.DateTime(allow_none=True)


class CreditSchema(Schema):
    id = fields.Integer()
    source = fields.String(metadata={"example": "rebate"})
    description = fields.String()
    amount_cents = fields.Integer(metadata={"example": 40000})
    remaining_cents = fields.Integer(metadata={"example": 15000})
    rebate_id = fields.Integer(allow_none=True)
    credit_note_invoice_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    applications = fields.List(fields.Nested(CreditApplicationViewSchema))


class CreditsSchema(Schema):
    practice_id = fields.Integer()
    balance_cents = fields.Integer(metadata={"example": 15000})
    credits = fields.List(fields.Nested(CreditSchema))


class PeriodQuerySchema(Schema):
    from_ = fields.Date(data_key="from", required=True, metadata={"example": "2026-01-01"})
    to = fields.Date(required=True, metadata={"example": "2026-12-31"})


class SavingsQuerySchema(PeriodQuerySchema):
    practice_id = Id()


class DisclosureQuerySchema(Schema):
    year = WholeNumber(required=True, validate=validate.Range(min=2000, max=2100), metadata={"example": 2026})
    practice_id = Id()


class StatementRowSchema(Schema):
    cycle_id = fields.Integer()
    cycle_name = fields.String()
    closed_on = fields.Date()
    contract_id = fields.Integer()
    contract_title = fields.String()
    sales_cents = fields.Integer(metadata={"example": 1250000})
    admin_fee_percent = Price(metadata={"example": "2.0000"})
    admin_fee_cents = fields.Integer(metadata={"example": 25000})


class VendorStatementSchema(Schema):
    vendor_id = fields.Integer()
    vendor_name = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    sales_cents = fields.Integer()
    admin_fee_cents = fields.Integer()
    rows = fields.List(fields.Nested(StatementRowSchema))


class DisclosureContractSchema(Schema):
    contract_id = fields.Integer()
    contract_title = fields.String()
    admin_fee_percent = Price(allow_none=True)
    admin_fee_disclosure = fields.String(allow_none=True)
    purchases_cents = fields.Integer()
    admin_fee_cents = fields.Integer()


class DisclosureRowSchema(Schema):
    practice_id = fields.Integer()
    practice_name = fields.String()
    vendor_id = fields.Integer()
    vendor_name = fields.String()
    purchases_cents = fields.Integer(metadata={"example": 84210})
    admin_fee_cents = fields.Integer(metadata={"example": 1684})
    contracts = fields.List(fields.Nested(DisclosureContractSchema))


class DisclosureSchema(Schema):
    year = fields.Integer()
    practice_id = fields.Integer(allow_none=True)
    purchases_cents = fields.Integer()
    admin_fee_cents = fields.Integer()
    rows = fields.List(fields.Nested(DisclosureRowSchema))


class SavingsRowSchema(Schema):
    category = fields.String(metadata={"example": "supplies"})
    vendor_id = fields.Integer()
    vendor_name = fields.String(metadata={"example": "Acme Medical Supply"})
    list_cents = fields.Integer(metadata={"example": 79960})
    paid_cents = fields.Integer(metadata={"example": 69965})
    savings_cents = fields.Integer(metadata={"example": 9995})


class SavingsSchema(Schema):
    practice_id = fields.Integer(allow_none=True)
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    list_cents = fields.Integer()
    paid_cents = fields.Integer()
    savings_cents = fields.Integer()
    rows = fields.List(fields.Nested(SavingsRowSchema))


class WebhookAnswerSchema(Schema):
    received = fields.Boolean()
    duplicate = fields.Boolean()
    event_id = fields.String()
    effect = fields.String()
