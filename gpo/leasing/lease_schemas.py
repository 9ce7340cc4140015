"""The schemas of leases offered, signed and withdrawn (API.md "Leasing"); the terms,
the schedule's rows and the classification's tests are the shared ones
(gpo/leasing/schemas.py)."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import Id, Schema
from gpo.leasing.models import END_OUTCOMES, LEASE_STATUSES
from gpo.leasing.rules import CLASSIFICATIONS
from gpo.leasing.schemas import (
    Cents,
    ClassificationTestSchema,
    LeaseQuoteInSchema,
    LeaseTermsSchema,
    ScheduleRowSchema,
)


class LeaseOfferInSchema(LeaseQuoteInSchema):
    """An offer: a quote's asset, practice and terms (`terms.check` answers 422 at every
    field at fault, a commencement in the past included)."""


class LeaseQuerySchema(Schema):
    practice_id = Id(metadata={"example": 3})
    asset_id = Id(metadata={"example": 1})
    status = fields.String(validate=validate.OneOf(LEASE_STATUSES), metadata={"example": "offered"})


class LeaseWithdrawInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata={
        "example": "the practice chose a 36-month term instead", "description": "why the offer is taken back"})


class LeaseClassificationSchema(Schema):
    """The ASC 842 classification fixed when the lease was offered, with each test and
    its figures."""

    kind = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS), metadata={"example": "sales_type"})
    tests = fields.List(fields.Nested(ClassificationTestSchema), required=True)
    sale_leaseback_financing = fields.Boolean(required=True, metadata={
        "example": False, "description": "the asset was bought from the practice (a sale-leaseback) and the "
                                         "leaseback is sales-type: for the books no sale occurs, a financing"})


class LeaseSummarySchema(Schema):
    """A lease in a list: its terms and figures, who offered and signed it, its end."""

    id = Id(required=True, metadata={"example": 12})
    asset_id = Id(required=True, metadata={"example": 1})
    asset_description = fields.String(required=True, metadata={"example": "Portable ultrasound, GE Vscan Air"})
    asset_clinical = fields.Boolean(required=True, metadata={
        "example": True, "description": "clinical equipment: a physician of the practice signs (CPOM)"})
    practice_id = Id(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    status = fields.String(required=True, validate=validate.OneOf(LEASE_STATUSES), metadata={
        "example": "active", "description": "offered -> active (signed) -> ended; an offer may be withdrawn"})
    terms = fields.Nested(LeaseTermsSchema, required=True)
    commences_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    term_ends_on = fields.Date(required=True, metadata={"example": "2032-01-01", "description": "the end of month n"})
    cost_cents = Cents(required=True, metadata={"example": 6200000, "description": "financed before the down payment"})
    fair_value_cents = Cents(required=True, metadata={"example": 6200000})
    rent_cents = Cents(required=True, metadata={"example": 114545, "description": "every month's rent, fixed"})
    due_at_signing_cents = Cents(required=True, metadata={
        "example": 364545, "description": "the commencement invoice: the down payment plus the k advance rents"})
    total_rent_cents = Cents(required=True, metadata={"example": 6872700})
    total_payments_cents = Cents(required=True, metadata={"example": 7122700, "description": "D plus every rent"})
    classification = fields.Nested(LeaseClassificationSchema, required=True)
    offered_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    offered_at = fields.DateTime(required=True, metadata={"example": "2026-12-01T15:04:05+00:00"})
    signed_by = fields.String(required=True, allow_none=True, metadata={"example": "dr.ruiz@lakeside.example"})
    signed_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-12-03T09:30:00+00:00"})
    commencement_invoice_id = Id(required=True, allow_none=True, metadata={
        "example": 88, "description": "the invoice issued at signing (none when nothing is due at signing)"})
    ended_on = fields.Date(required=True, allow_none=True, metadata={"example": None})
    end_outcome = fields.String(required=True, allow_none=True, validate=validate.OneOf(END_OUTCOMES),
                                metadata={"example": None, "description": "bought_out, purchased, returned or renewed"})
    end_reason = fields.String(required=True, allow_none=True, metadata={
        "example": None, "description": "why it ended, or why the offer was withdrawn"})
    end_invoice_id = Id(required=True, allow_none=True, metadata={"example": None})
    renews_lease_id = Id(required=True, allow_none=True, metadata={
        "example": None, "description": "the lease this one renews"})


class LeaseSchema(LeaseSummarySchema):
    """A lease with its schedule: fixed by signing (each row with the invoice that billed
    its rent); an offer's as signing would fix it."""

    schedule = fields.List(fields.Nested(ScheduleRowSchema), required=True)


LEASE_OFFER_EXAMPLE = {
    "asset_id": 1, "practice_id": 3, "term_months": 60, "annual_rate_percent": "8.5", "residual_cents": 500000,
    "advance_payments": 1, "down_payment_cents": 250000, "commences_on": "2027-01-01",
}
LEASE_WITHDRAW_EXAMPLE = {"reason": "the practice chose a 36-month term instead"}

