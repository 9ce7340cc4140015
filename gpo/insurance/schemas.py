from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from gpo.api import DecimalString, Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, Percent
from gpo.insurance.models import ENROLLMENT_STATUSES, PROGRAM_STATUSES
from gpo.insurance.rules import INSTALLMENT_CHOICES

Label = fields.String  # a limit option or class name, e.g. "1M/3M", "6"


def _places(limit: int):
    def check(value: Decimal) -> None:
        if not value.is_finite() or value.as_tuple().exponent < -limit:
            raise ValidationError(f"a decimal with at most {limit} decimal places")
    return check


def _fte(value: Decimal) -> None:
    _places(4)(value)
    if not Decimal("0.1") <= value <= Decimal(1):
        raise ValidationError("FTE must be between 0.1 and 1.0")


class RateSchema(Schema):
    specialty_class = Label(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "1"})
    limits = Label(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "1M/3M"})
    annual_rate_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS),
                                    metadata={"example": 1200000})


class ClaimsFreeCreditSchema(Schema):
    min_years = WholeNumber(required=True, validate=validate.Range(min=1, max=100), metadata={"example": 3})
    percent = Percent(required=True, metadata={"example": "5"})


class GroupBandSchema(Schema):
    min_providers = WholeNumber(required=True, validate=validate.Range(min=0, max=10**9), metadata={"example": 10})
    percent = Percent(required=True, metadata={"example": "5"})


class ProgramSchema(Schema):
    """A malpractice group program. On input, validated whole: every class has a rate
    for every limit option, step factors in (0, 1] and never decreasing, credits and
    bands strictly increasing with percents below 100, the bands starting at 0."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"example": "Physicians group program 2027"})
    carrier_vendor_id = Id(load_default=None, metadata={
        "example": 9, "description": "the carrier (a vendor of kind carrier); a carrier posting may leave it out"})
    period_start = fields.Date(required=True, metadata={"example": "2027-01-01"})
    period_end = fields.Date(required=True, metadata={"example": "2027-12-31"})
    limits_options = fields.List(Label(validate=validate.Length(min=1, max=32)), required=True,
                                 validate=validate.Length(min=1, max=20), metadata={"example": ["1M/3M", "2M/4M"]})
    specialty_classes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=Label(validate=validate.Length(min=1, max=32)), required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"example": {"family_medicine": "1", "pediatrics": "1", "general_surgery": "6"},
                  "description": "provider specialty -> rating class"})
    rates = fields.List(fields.Nested(RateSchema), required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"example": [{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1200000},
                                              {"specialty_class": "1", "limits": "2M/4M", "annual_rate_cents": 1500000}]})
    step_factors = fields.List(DecimalString(validate=_places(4)), required=True,
                               validate=validate.Length(min=1, max=30),
                               metadata={"example": ["0.35", "0.60", "0.80", "0.90", "1.00"],
                                         "description": "claims-made years 1, 2, ...; the last for every later year"})
    claims_free_credits = fields.List(fields.Nested(ClaimsFreeCreditSchema), load_default=list,
                                      validate=validate.Length(max=20),
                                      metadata={"example": [{"min_years": 3, "percent": "5"}, {"min_years": 5, "percent": "10"}]})
    group_discount_bands = fields.List(fields.Nested(GroupBandSchema), required=True,
                                       validate=validate.Length(min=1, max=20), metadata={"example": [
                                           {"min_providers": 0, "percent": "0"}, {"min_providers": 10, "percent": "5"},
                                           {"min_providers": 25, "percent": "10"}, {"min_providers": 50, "percent": "15"}]})
    installment_options = fields.List(WholeNumber(validate=validate.OneOf(INSTALLMENT_CHOICES)), required=True,
                                      validate=validate.Length(min=1, max=6), metadata={"example": [1, 4, 12]})
    status = fields.String(dump_only=True, metadata={"example": "open", "description": "open -> binding -> bound"})
    bind_job_id = fields.Integer(dump_only=True, allow_none=True)
    bound_at = fields.DateTime(dump_only=True, allow_none=True)
    bound_provider_count = fields.Integer(dump_only=True, allow_none=True, metadata={"example": 27})
    bound_discount_percent = DecimalString(dump_only=True, allow_none=True, metadata={"example": "10.0000"})
    created_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ProgramQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(PROGRAM_STATUSES))


class BandSchema(Schema):
    min_providers = fields.Integer(metadata={"example": 25})
    percent = DecimalString(metadata={"example": "10"})


class GroupProgressSchema(Schema):
    program_id = fields.Integer()
    status = fields.String(metadata={"example": "open"})
    enrolled = fields.Integer(metadata={"example": 22, "description": "active enrollments across the whole MSO"})
    current_band = fields.Nested(BandSchema)
    next_band = fields.Nested(BandSchema, allow_none=True, metadata={"description": "null: the top band is reached"})
    providers_to_next_band = fields.Integer(allow_none=True, metadata={"example": 3})
    bound_provider_count = fields.Integer(allow_none=True)
    bound_discount_percent = DecimalString(allow_none=True)


class EnrollmentInSchema(Schema):
    provider_id = Id(required=True, metadata={"example": 31})
    limits = Label(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "1M/3M"})
    fte = DecimalString(required=True, validate=_fte, metadata={"example": "0.5", "description": "0.1 to 1.0"})
    claims_made_year = WholeNumber(required=True, validate=validate.Range(min=1, max=100), metadata={"example": 2})
    claims_free_years = WholeNumber(required=True, validate=validate.Range(min=0, max=100), metadata={"example": 4})
    installments = WholeNumber(required=True, validate=validate.OneOf(INSTALLMENT_CHOICES), metadata={"example": 4})
    effective_on = fields.Date(load_default=None, metadata={
        "example": "2027-03-01",
        "description": "first day of cover; default the period's start (after binding: today). "
                       "A later start pays round_half_up(annual * days_covered / days_in_period)"})


class QuoteSchema(Schema):
    base_rate_cents = fields.Integer(metadata={"example": 1200000})
    step_factor = DecimalString(metadata={"example": "0.60"})
    fte = DecimalString(metadata={"example": "0.5000"})
    claims_free_percent = DecimalString(metadata={"example": "5"})
    group_discount_percent = DecimalString(metadata={"example": "5"})
    annual_cents = fields.Integer(metadata={"example": 324900})
    days_covered = fields.Integer(metadata={"example": 365})
    days_in_period = fields.Integer(metadata={"example": 365})
    premium_cents = fields.Integer(metadata={"example": 324900})


class InstallmentSchema(Schema):
    due_on = fields.Date(metadata={"example": "2027-01-01"})
    amount_cents = fields.Integer(metadata={"example": 81225})


class EnrollmentSchema(Schema):
    """An enrollment with its quote (before binding, at the band the group reaches now)
    or its final premium. The program's carrier sees only the underwriting fields:
    provider, NPI, specialty, limits, rating facts, dates and premium."""

    id = fields.Integer()
    program_id = fields.Integer()
    status = fields.String(metadata={"example": "active", "description": "active or cancelled"})
    provider_id = fields.Integer(metadata={"example": 31})
    provider_name = fields.String(metadata={"example": "Ana Ruiz"})
    npi = fields.String(metadata={"example": "1245319599"})
    specialty = fields.String(metadata={"example": "family_medicine"})
    specialty_class = fields.String(metadata={"example": "1"})
    limits = fields.String(metadata={"example": "1M/3M"})
    fte = DecimalString(metadata={"example": "0.5000"})
    claims_made_year = fields.Integer(metadata={"example": 2})
    claims_free_years = fields.Integer(metadata={"example": 4})
    effective_on = fields.Date(metadata={"example": "2027-01-01"})
    cancelled_on = fields.Date(allow_none=True, metadata={"description": "first day no longer covered"})
    final = fields.Boolean(metadata={"description": "true once bound: the premium no longer changes"})
    annual_premium_cents = fields.Integer(metadata={"example": 324900})
    premium_cents = fields.Integer(metadata={"example": 324900, "description": "for the days covered"})
    practice_id = fields.Integer()
    installments = fields.Integer(metadata={"example": 4})
    quote = fields.Nested(QuoteSchema)
    installment_schedule = fields.List(fields.Nested(InstallmentSchema))
    credited_cents = fields.Integer(metadata={"description": "credited back for unused days on cancellation"})
    credit_id = fields.Integer(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    enrolled_by = fields.String()
    created_at = fields.DateTime()


class EnrollmentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))
    practice_id = Id()


class CancelSchema(Schema):
    effective_on = fields.Date(load_default=None, metadata={
        "example": "2027-07-01", "description": "first day no longer covered; default today (or the start of cover)"})
    reason = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={"example": "left the practice"})
