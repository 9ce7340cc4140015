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


class ProgramCreateSchema(Schema):
    """A malpractice group program, validated whole: every class has a rate for every
    limit option, step factors in (0, 1] and never decreasing, credits and bands
    strictly increasing with percents below 100, the bands starting at 0."""

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


class ProgramSchema(Schema):
    """A malpractice group program: its terms as posted and its binding status."""

    id = fields.Integer(required=True, metadata={"example": 2})
    name = fields.String(required=True, metadata={"example": "Physicians group program 2027"})
    carrier_vendor_id = fields.Integer(required=True, metadata={"example": 9})
    period_start = fields.Date(required=True, metadata={"example": "2027-01-01"})
    period_end = fields.Date(required=True, metadata={"example": "2027-12-31"})
    limits_options = fields.List(Label(), required=True, metadata={"example": ["1M/3M", "2M/4M"]})
    specialty_classes = fields.Dict(keys=fields.String(), values=Label(), required=True, metadata={
        "example": {"family_medicine": "1", "pediatrics": "1", "general_surgery": "6"},
        "description": "provider specialty -> rating class"})
    rates = fields.List(fields.Nested(RateSchema), required=True)
    step_factors = fields.List(DecimalString(), required=True, metadata={
        "example": ["0.35", "0.60", "0.80", "0.90", "1.00"],
        "description": "claims-made years 1, 2, ...; the last for every later year"})
    claims_free_credits = fields.List(fields.Nested(ClaimsFreeCreditSchema), required=True)
    group_discount_bands = fields.List(fields.Nested(GroupBandSchema), required=True)
    installment_options = fields.List(fields.Integer(), required=True, metadata={"example": [1, 4, 12]})
    status = fields.String(required=True, metadata={"example": "bound", "description": "open -> binding -> bound"})
    bind_job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 57})
    bound_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2027-01-02T06:00:00+00:00"})
    bound_provider_count = fields.Integer(required=True, allow_none=True, metadata={"example": 27})
    bound_discount_percent = DecimalString(required=True, allow_none=True, metadata={"example": "10.0000"})
    created_by = fields.String(required=True, metadata={"example": "underwriting@carrier.example"})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-11-02T15:04:05+00:00"})


class ProgramQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(PROGRAM_STATUSES))


class BandSchema(Schema):
    min_providers = fields.Integer(required=True, metadata={"example": 25})
    percent = DecimalString(required=True, metadata={"example": "10"})


class GroupProgressSchema(Schema):
    program_id = fields.Integer(required=True, metadata={"example": 2})
    status = fields.String(required=True, metadata={"example": "open"})
    enrolled = fields.Integer(required=True, metadata={"example": 22, "description": "active enrollments across the whole MSO"})
    current_band = fields.Nested(BandSchema, required=True)
    # dumped, never loaded: `nullable` documents `nullable: true, allOf: [$ref]` (see MeSchema)
    next_band = fields.Nested(BandSchema, required=True, metadata={"nullable": True,
                                                                   "description": "null: the top band is reached"})
    providers_to_next_band = fields.Integer(required=True, allow_none=True, metadata={"example": 3})
    bound_provider_count = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    bound_discount_percent = DecimalString(required=True, allow_none=True, metadata={"example": None})


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
    base_rate_cents = fields.Integer(required=True, metadata={"example": 1200000})
    step_factor = DecimalString(required=True, metadata={"example": "0.60"})
    fte = DecimalString(required=True, metadata={"example": "0.5000"})
    claims_free_percent = DecimalString(required=True, metadata={"example": "5"})
    group_discount_percent = DecimalString(required=True, metadata={"example": "5"})
    annual_cents = fields.Integer(required=True, metadata={"example": 324900})
    days_covered = fields.Integer(required=True, metadata={"example": 365})
    days_in_period = fields.Integer(required=True, metadata={"example": 365})
    premium_cents = fields.Integer(required=True, metadata={"example": 324900})


class InstallmentSchema(Schema):
    due_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    amount_cents = fields.Integer(required=True, metadata={"example": 81225})


_NOT_TO_CARRIER = "not sent to the program's carrier"


class EnrollmentSchema(Schema):
    """An enrollment with its quote (before binding, at the band the group reaches now)
    or its final premium. The program's carrier sees only the underwriting fields:
    provider, NPI, specialty, limits, rating facts, dates and premium (the fields
    listed as required)."""

    id = fields.Integer(required=True, metadata={"example": 40})
    program_id = fields.Integer(required=True, metadata={"example": 2})
    status = fields.String(required=True, metadata={"example": "active", "description": "active or cancelled"})
    provider_id = fields.Integer(required=True, metadata={"example": 31})
    provider_name = fields.String(required=True, metadata={"example": "Ana Ruiz"})
    npi = fields.String(required=True, metadata={"example": "1245319599"})
    specialty = fields.String(required=True, metadata={"example": "family_medicine"})
    specialty_class = fields.String(required=True, metadata={"example": "1"})
    limits = fields.String(required=True, metadata={"example": "1M/3M"})
    fte = DecimalString(required=True, metadata={"example": "0.5000"})
    claims_made_year = fields.Integer(required=True, metadata={"example": 2})
    claims_free_years = fields.Integer(required=True, metadata={"example": 4})
    effective_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    cancelled_on = fields.Date(required=True, allow_none=True, metadata={"example": None,
                                                                         "description": "first day no longer covered"})
    final = fields.Boolean(required=True, metadata={"example": False,
                                                    "description": "true once bound: the premium no longer changes"})
    annual_premium_cents = fields.Integer(required=True, metadata={"example": 324900})
    premium_cents = fields.Integer(required=True, metadata={"example": 324900, "description": "for the days covered"})
    practice_id = fields.Integer(metadata={"example": 3, "description": _NOT_TO_CARRIER})
    installments = fields.Integer(metadata={"example": 4, "description": _NOT_TO_CARRIER})
    quote = fields.Nested(QuoteSchema, metadata={"description": _NOT_TO_CARRIER})
    installment_schedule = fields.List(fields.Nested(InstallmentSchema), metadata={"description": _NOT_TO_CARRIER})
    credited_cents = fields.Integer(metadata={
        "example": 0, "description": "credited back for unused days on cancellation; " + _NOT_TO_CARRIER})
    credit_id = fields.Integer(allow_none=True, metadata={"example": None, "description": _NOT_TO_CARRIER})
    cancel_reason = fields.String(allow_none=True, metadata={"example": None, "description": _NOT_TO_CARRIER})
    enrolled_by = fields.String(metadata={"example": "admin@lakeside.example", "description": _NOT_TO_CARRIER})
    created_at = fields.DateTime(metadata={"example": "2026-12-05T14:30:00+00:00", "description": _NOT_TO_CARRIER})


class EnrollmentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))
    practice_id = Id()


class CancelSchema(Schema):
    effective_on = fields.Date(load_default=None, metadata={
        "example": "2027-07-01", "description": "first day no longer covered; default today (or the start of cover)"})
    reason = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={"example": "left the practice"})


# Request examples (API.md "Example bodies").
PROGRAM_CREATE_EXAMPLE = {
    "name": "Physicians group program 2027", "carrier_vendor_id": 9,
    "period_start": "2027-01-01", "period_end": "2027-12-31",
    "limits_options": ["1M/3M", "2M/4M"],
    "specialty_classes": {"family_medicine": "1", "pediatrics": "1", "general_surgery": "6", "obgyn": "8"},
    "rates": [{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1200000},
              {"specialty_class": "1", "limits": "2M/4M", "annual_rate_cents": 1500000}],
    "step_factors": ["0.35", "0.60", "0.80", "0.90", "1.00"],
    "claims_free_credits": [{"min_years": 3, "percent": "5"}, {"min_years": 5, "percent": "10"}],
    "group_discount_bands": [{"min_providers": 0, "percent": "0"}, {"min_providers": 10, "percent": "5"},
                             {"min_providers": 25, "percent": "10"}, {"min_providers": 50, "percent": "15"}],
    "installment_options": [1, 4, 12],
}
ENROLLMENT_EXAMPLE = {"provider_id": 31, "limits": "1M/3M", "fte": "0.5", "claims_made_year": 2,
                      "claims_free_years": 4, "installments": 4}
