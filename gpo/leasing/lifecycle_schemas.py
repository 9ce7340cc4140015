"""The schemas of a signed lease's life: the payoff quote, buying out, the end of term."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import Id, Schema
from gpo.billing.schemas import MAX_CENTS, InvoiceSchema, Percent
from gpo.leasing.models import END_OUTCOMES
from gpo.leasing.schemas import Cents, LeaseTermsSchema

OUTCOMES = ("purchase", "return", "renew")


class BuyoutQuerySchema(Schema):
    as_of = fields.Date(load_default=None, metadata={
        "example": "2027-12-15", "description": "the date of the payoff (default today)"})


class UnbilledRentSchema(Schema):
    month = fields.Integer(required=True, metadata={"example": 12, "description": "the schedule month t"})
    rent_number = fields.Integer(required=True, metadata={
        "example": 13, "description": "which of the n rents it is: t + 1 with rents paid in advance "
                                      "(rent 1 was paid at signing), t without"})
    due_on = fields.Date(required=True, metadata={"example": "2027-12-01"})
    rent_cents = Cents(required=True, metadata={"example": 48729})


class BuyoutQuoteSchema(Schema):
    """The payoff as of a date: balance_t plus the early termination fee, and the rents
    due by then that no invoice bills yet (they are owed too)."""

    lease_id = Id(required=True, metadata={"example": 7})
    as_of = fields.Date(required=True, metadata={"example": "2027-12-15"})
    months_passed = fields.Integer(required=True, metadata={
        "example": 12, "description": "t: the lease's months ended by as_of (their rents are due), or the "
                                      "last month whose rent an invoice already bills, if later"})
    term_months = fields.Integer(required=True, metadata={"example": 48})
    term_ends_on = fields.Date(required=True, metadata={"example": "2030-12-01", "description": "the end of month n"})
    balance_cents = Cents(required=True, metadata={"example": 1719364, "description": "balance_t in the schedule"})
    early_termination_fee_percent = Percent(required=True, metadata={"example": "0"})
    fee_cents = Cents(required=True, metadata={"example": 0, "description": "the fee on the balance, half-up once"})
    payoff_cents = Cents(required=True, metadata={"example": 1719364, "description": "balance_t plus the fee"})
    unbilled_rents = fields.List(fields.Nested(UnbilledRentSchema), required=True)
    unbilled_rent_cents = Cents(required=True, metadata={"example": 0})
    total_cents = Cents(required=True, metadata={"example": 1719364, "description": "the payoff plus the unbilled rents"})


class RenewalTermsSchema(LeaseTermsSchema):
    """A renewal's terms: it finances the old lease's residual."""

    fair_value_cents = Cents(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={
        "example": 660000, "description": "the asset's fair value now (default: the old lease's residual)"})


class EndInSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES), metadata={
        "example": "purchase", "description": "purchase (at the residual), return, or renew (a new offered lease)"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                           metadata={"example": "the practice keeps the copier"})
    renewal = fields.Nested(RenewalTermsSchema, metadata={
        "description": "the renewal's terms (outcome renew only)"})


END_EXAMPLE = {"outcome": "purchase", "reason": "the practice keeps the copier"}


class RenewalSummarySchema(Schema):
    id = Id(required=True, metadata={"example": 8})
    status = fields.String(required=True, metadata={"example": "offered"})
    cost_cents = Cents(required=True, metadata={"example": 660000, "description": "the old lease's residual"})
    term_months = fields.Integer(required=True, metadata={"example": 24})
    rent_cents = Cents(required=True, metadata={"example": 29120})
    commences_on = fields.Date(required=True, metadata={"example": "2030-12-15"})
    renews_lease_id = Id(required=True, metadata={"example": 7})


class LeaseEndSchema(Schema):
    """A lease that ended: how, when, the invoice that ended it and any renewal."""

    id = Id(required=True, metadata={"example": 7})
    status = fields.String(required=True, metadata={"example": "ended"})
    end_outcome = fields.String(required=True, validate=validate.OneOf(END_OUTCOMES), metadata={"example": "bought_out"})
    ended_on = fields.Date(required=True, metadata={"example": "2027-12-15"})
    end_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    end_invoice_id = Id(required=True, allow_none=True, metadata={"example": 321})
    # dumped, never loaded: `nullable` documents the null as a typed reference (gpo/auth/schemas.py MeSchema)
    end_invoice = fields.Nested(InvoiceSchema, required=True, metadata={
        "nullable": True, "description": "null when a return or renewal had no rent left to bill"})
    renewal = fields.Nested(RenewalSummarySchema, required=True, metadata={
        "nullable": True, "description": "the new offered lease (outcome renew only)"})
