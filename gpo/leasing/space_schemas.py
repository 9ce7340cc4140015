"""Shared space over HTTP (API.md "Leasing"): suites, occupancies, the month's split."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import DecimalString, Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, Month, Percent

MAX_SQUARE_FEET = 10**7


class SpaceCreateSchema(Schema):
    """A suite the MSO rents and sublets by square feet."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Suite 200"})
    address = fields.String(load_default="", validate=validate.Length(max=300), metadata={"example": "1 Medical Plaza"})
    square_feet = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_SQUARE_FEET),
                              metadata={"example": 2500})
    base_rent_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={
        "example": 1000000, "description": "the monthly rent in the first year"})
    escalation_percent = Percent(load_default=None, metadata={
        "example": "3", "description": "the rent rises by it on each anniversary of starts_on, from the base "
                                      "(default 0)"})
    starts_on = fields.Date(required=True, metadata={"example": "2025-01-01"})


class SpaceQuerySchema(Schema):
    month = Month(load_default=None, metadata={"example": "2027-01", "description": "the split's month; default this month"})


class OccupancyInSchema(Schema):
    practice_id = Id(required=True, metadata={"example": 3})
    square_feet = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_SQUARE_FEET), metadata={
        "example": 1200, "description": "more than 0; with the suite's other occupancies never more than the "
                                        "suite's square feet on any day (409)"})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01", "description": "not before the suite's start"})
    ends_on = fields.Date(load_default=None, metadata={
        "example": "2027-12-31", "description": "the last day occupied, on or after starts_on; null: no end yet"})


class OccupancyEndSchema(Schema):
    ends_on = fields.Date(required=True, metadata={
        "example": "2027-06-30", "description": "the last day occupied: on or after its start, before any end it has"})


class OccupancySchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 12})
    space_id = fields.Integer(required=True, metadata={"example": 4})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    square_feet = fields.Integer(required=True, metadata={"example": 1200})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    ends_on = fields.Date(required=True, allow_none=True, metadata={"example": None, "description": "null: no end yet"})
    created_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-12-01T15:04:05+00:00"})


class SpaceShareSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    square_feet = fields.Integer(required=True, metadata={"example": 1200, "description": "the most held on a day"})
    days = fields.Integer(required=True, metadata={"example": 31, "description": "days of the month it occupied"})
    square_foot_days = fields.Integer(required=True, metadata={"example": 37200})
    share_cents = fields.Integer(required=True, metadata={"example": 509232})
    invoice_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "the lease run's invoice for it, once the month is billed"})


class SpaceSplitSchema(Schema):
    """The month's rent split by square-foot-days (largest remainder); the vacancy is
    the MSO's own share, never invoiced. A practice sees its own share only."""

    month = fields.String(required=True, metadata={"example": "2027-01"})
    rent_cents = fields.Integer(required=True, metadata={"example": 1060900, "description": "escalated for the month"})
    square_feet = fields.Integer(required=True, metadata={"example": 2500})
    days_in_month = fields.Integer(required=True, metadata={"example": 31})
    shares = fields.List(fields.Nested(SpaceShareSchema), required=True)
    vacant_square_foot_days = fields.Integer(required=True, allow_none=True, metadata={
        "example": 15500, "description": "null for a practice"})
    vacant_share_cents = fields.Integer(required=True, allow_none=True, metadata={
        "example": 212180, "description": "the MSO's own share; null for a practice"})
    billed_cents = fields.Integer(required=True, allow_none=True, metadata={
        "example": 848720, "description": "the practices' shares: the rent less the vacancy; null for a practice"})


class SpaceSchema(Schema):
    """A suite and the month's rent (`month`: this month, or the one asked for)."""

    id = fields.Integer(required=True, metadata={"example": 4})
    name = fields.String(required=True, metadata={"example": "Suite 200"})
    address = fields.String(required=True, metadata={"example": "1 Medical Plaza"})
    square_feet = fields.Integer(required=True, metadata={"example": 2500})
    base_rent_cents = fields.Integer(required=True, metadata={"example": 1000000})
    escalation_percent = DecimalString(required=True, metadata={"example": "3.0000"})
    starts_on = fields.Date(required=True, metadata={"example": "2025-01-01"})
    month = fields.String(required=True, metadata={"example": "2027-01"})
    rent_cents = fields.Integer(required=True, metadata={"example": 1060900})
    created_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-12-01T15:04:05+00:00"})


class SpaceDetailSchema(SpaceSchema):
    """A suite with its occupancies (a practice: its own) and the month's split."""

    occupancies = fields.List(fields.Nested(OccupancySchema), required=True)
    split = fields.Nested(SpaceSplitSchema, required=True)


SPACE_CREATE_EXAMPLE = {"name": "Suite 200", "address": "1 Medical Plaza", "square_feet": 2500,
                        "base_rent_cents": 1000000, "escalation_percent": "3", "starts_on": "2025-01-01"}
OCCUPANCY_EXAMPLE = {"practice_id": 3, "square_feet": 1200, "starts_on": "2027-01-01"}
OCCUPANCY_END_EXAMPLE = {"ends_on": "2027-06-30"}
