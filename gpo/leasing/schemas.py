"""The schemas every leasing slice shares: a lease's terms (a quote's, an offer's, a
renewal's), the schedule's rows and the ASC 842 classification."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, Percent
from gpo.leasing.rules import CLASSIFICATIONS, MAX_TERM_MONTHS, RESIDUAL_GUARANTEES

Cents = WholeNumber  # integer cents


class LeaseTermsSchema(Schema):
    """The terms of a lease (terms.LeaseTermsInput); the rules that join fields (advance
    payments below the term, residual and down payment within the cost, a commencement
    today or later) answer 422 at their field from gpo/leasing/terms.py."""

    term_months = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_TERM_MONTHS),
                              metadata={"example": 60, "description": f"n, 1 to {MAX_TERM_MONTHS} months"})
    annual_rate_percent = Percent(required=True, metadata={"example": "8.5", "description": "r, 0 to 100"})
    residual_cents = Cents(load_default=0, validate=validate.Range(min=0, max=MAX_CENTS), metadata={
        "example": 500000, "description": "R: the purchase option at the end of the term, at most the cost"})
    advance_payments = WholeNumber(load_default=0, validate=validate.Range(min=0, max=MAX_TERM_MONTHS), metadata={
        "example": 1, "description": "k rents due at signing (0: every rent in arrears; 1: the first; 2: the "
                                     "first and the last ...), fewer than the term"})
    down_payment_cents = Cents(load_default=0, validate=validate.Range(min=0, max=MAX_CENTS),
                               metadata={"example": 250000, "description": "D, due at signing, at most the cost"})
    commences_on = fields.Date(required=True, metadata={"example": "2027-01-01", "description": "today or later"})
    early_termination_fee_percent = Percent(load_default=None, metadata={
        "example": "2", "description": "added to the balance when the practice buys out early (default 0)"})
    residual_guarantee = fields.String(load_default="none", validate=validate.OneOf(RESIDUAL_GUARANTEES), metadata={
        "example": "none", "description": "who guarantees the residual: none, the practice or a third party"})
    transfers_ownership = fields.Boolean(load_default=False, metadata={
        "example": False, "description": "ownership passes to the practice at the end (ASC 842 test 1)"})
    purchase_option_reasonably_certain = fields.Boolean(load_default=False, metadata={
        "example": False, "description": "the practice is reasonably certain to buy at the residual (test 2)"})


class ScheduleRowSchema(Schema):
    month = WholeNumber(required=True, metadata={"example": 1})
    due_on = fields.Date(required=True, metadata={"example": "2027-02-01", "description": "the end of the month"})
    rent_cents = Cents(required=True, metadata={"example": 114545, "description": "0 in the last k months"})
    interest_cents = Cents(required=True, metadata={"example": 41334})
    principal_cents = Cents(required=True, metadata={"example": 73211})
    balance_cents = Cents(required=True, metadata={"example": 5762244})
    invoice_id = Id(required=False, allow_none=True, metadata={"example": None, "description": "the invoice that billed it"})


class ClassificationTestSchema(Schema):
    name = fields.String(required=True, metadata={"example": "present_value", "description": (
        "ownership_transfer, purchase_option, term, present_value, specialized; direct_financing when none passed")})
    passed = fields.Boolean(required=True, metadata={"example": True})
    explanation = fields.String(required=True, metadata={"example": (
        "the lease payments are worth 94.72% of the fair value at the implicit rate of 8.4999% (at least 90%)")})
    figures = fields.Dict(required=True, metadata={"example": {
        "present_value_cents": 5872623, "fair_value_cents": 6200000, "percent": "94.72",
        "implicit_rate_percent": "8.4999", "threshold_percent": "90"}})


class ClassificationSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS), metadata={"example": "sales_type"})
    implicit_rate_percent = fields.String(required=True, metadata={"example": "8.4999"})
    present_value_cents = Cents(required=True, metadata={"example": 5872623})
    present_value_percent = fields.String(required=True, metadata={"example": "94.72"})
    sale_leaseback_financing = fields.Boolean(required=True, metadata={
        "example": False, "description": "a sale-leaseback whose leaseback is sales-type: no sale occurs, a financing"})
    tests = fields.List(fields.Nested(ClassificationTestSchema), required=True)


class LeaseQuoteInSchema(LeaseTermsSchema):
    asset_id = Id(required=True, metadata={"example": 1})
    practice_id = Id(required=True, metadata={"example": 3})


class LeaseQuoteSchema(Schema):
    """A lease quote: every figure of the terms, nothing stored (named apart from the
    insurance enrollment's Quote in the OpenAPI document)."""

    asset_id = Id(required=True, metadata={"example": 1})
    practice_id = Id(required=True, metadata={"example": 3})
    terms = fields.Nested(LeaseTermsSchema, required=True)
    cost_cents = Cents(required=True, metadata={"example": 6200000})
    fair_value_cents = Cents(required=True, metadata={"example": 6200000})
    rent_cents = Cents(required=True, metadata={"example": 114545})
    due_at_signing_cents = Cents(required=True, metadata={"example": 364545, "description": "D plus k rents"})
    total_rent_cents = Cents(required=True, metadata={"example": 6872700})
    total_payments_cents = Cents(required=True, metadata={"example": 7122700, "description": "D plus every rent"})
    schedule = fields.List(fields.Nested(ScheduleRowSchema), required=True)
    classification = fields.Nested(ClassificationSchema, required=True)
