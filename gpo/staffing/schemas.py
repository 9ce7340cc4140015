from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from gpo.api import DecimalString, Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, Month
from gpo.staffing.models import AVAILABILITY_KINDS, REQUEST_STATUSES

Role = fields.String  # e.g. "billing_specialist", "medical_assistant"
ROLE = {"validate": validate.Regexp(r"^[a-z][a-z0-9_]{1,47}$", error="a role like billing_specialist"),
        "metadata": {"example": "billing_specialist"}}


class StaffSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Dana Reyes"})
    role = Role(required=True, **ROLE)
    clinical = fields.Boolean(load_default=False, metadata={
        "description": "clinical personnel: a physician of the practice accepts them (CPOM)"})
    hourly_cost_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=10**7), metadata={"example": 3250})
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)


class StaffUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    role = Role(**ROLE)
    clinical = fields.Boolean()
    hourly_cost_cents = WholeNumber(validate=validate.Range(min=1, max=10**7))
    active = fields.Boolean()


class StaffQuerySchema(Schema):
    role = fields.String()
    active = fields.Boolean()
    clinical = fields.Boolean()


class ClockTime(fields.Field):
    """"HH:MM" local time, "24:00" for the end of the day; minutes from midnight inside."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)", value) if isinstance(value, str) else None
        if match is None or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValidationError("a time as HH:MM, 00:00 to 24:00")
        return int(match.group(1)) * 60 + int(match.group(2))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


class AvailabilitySchema(Schema):
    """A weekly window (`weekly`: weekday 0 = Monday .. 6, start, end, local time in
    STAFFING_TIMEZONE) or a dated exception (`unavailable`, e.g. leave, or
    `available`: starts_at, ends_at with their zone)."""

    id = fields.Integer(dump_only=True)
    staff_id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(AVAILABILITY_KINDS), metadata={"example": "weekly"})
    weekday = WholeNumber(validate=validate.Range(min=0, max=6), allow_none=True, metadata={"example": 0})
    start = ClockTime(attribute="start_minute", data_key="start", allow_none=True, metadata={"example": "08:00"})
    end = ClockTime(attribute="end_minute", data_key="end", allow_none=True, metadata={"example": "17:00"})
    starts_at = fields.AwareDateTime(allow_none=True, metadata={"example": "2027-02-01T00:00:00Z"})
    ends_at = fields.AwareDateTime(allow_none=True, metadata={"example": "2027-02-08T00:00:00Z"})
    note = fields.String(allow_none=True, validate=validate.Length(max=300), metadata={"example": "vacation"})


class ShiftRequestInSchema(Schema):
    location_id = Id(required=True, metadata={"example": 12})
    role = Role(required=True, **ROLE)
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T14:00:00Z"})
    ends_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T22:00:00Z"})
    notes = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"example": "cover for leave"})


class TimesheetSchema(Schema):
    started_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T14:05:00Z"})
    ended_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T22:00:00Z"})
    break_minutes = WholeNumber(load_default=0, validate=validate.Range(min=0, max=16 * 60), metadata={"example": 30})
    minutes = fields.Integer(dump_only=True, metadata={"example": 445, "description": "end - start - break"})
    status = fields.String(dump_only=True, metadata={"example": "submitted", "description": "submitted, approved or disputed"})
    dispute_reason = fields.String(dump_only=True, allow_none=True)
    recorded_by = fields.String(dump_only=True)
    decided_by = fields.String(dump_only=True, allow_none=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    cost_run_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "set once billed"})


class AssignmentSchema(Schema):
    id = fields.Integer()
    shift_request_id = fields.Integer()
    practice_id = fields.Integer()
    staff_id = fields.Integer()
    staff_name = fields.String(attribute="staff.name", metadata={"example": "Dana Reyes"})
    role = fields.String(attribute="staff.role", metadata={"example": "billing_specialist"})
    clinical = fields.Boolean(attribute="staff.clinical")
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String(metadata={"example": "assigned",
                                     "description": "assigned -> accepted -> completed, or released / cancelled"})
    hourly_cost_cents = fields.Integer(metadata={"example": 3250})
    assigned_by = fields.String()
    accepted_by = fields.String(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    released_by = fields.String(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    release_reason = fields.String(allow_none=True)
    timesheet = fields.Nested(TimesheetSchema, allow_none=True)


class ShiftRequestSchema(Schema):
    id = fields.Integer()
    practice_id = fields.Integer()
    location_id = fields.Integer()
    role = fields.String(metadata={"example": "billing_specialist"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    notes = fields.String()
    short_notice = fields.Boolean(metadata={"description": "requested less than 48 hours ahead: billed with the premium"})
    status = fields.String(metadata={"example": "open", "description": " -> ".join(REQUEST_STATUSES[:4])
                                     + " | cancelled | released"})
    requested_by = fields.String()
    cancel_reason = fields.String(allow_none=True)
    assignment = fields.Nested(AssignmentSchema, allow_none=True, metadata={"description": "the current or last booking"})
    created_at = fields.DateTime()


class ShiftRequestQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    role = fields.String()
    practice_id = Id()
    from_ = fields.AwareDateTime(data_key="from", attribute="from")
    to = fields.AwareDateTime()


class AssignInSchema(Schema):
    staff_id = Id(required=True, metadata={"example": 4})


class CancelInSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReleaseInSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={"example": "not a fit"})
    all_future = fields.Boolean(load_default=False, metadata={
        "description": "release the person from every future shift of theirs at the practice"})


class DisputeInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"example": "left at 21:00, not 22:00"})


class CostRunInSchema(Schema):
    month = Month(required=True, metadata={"example": "2027-01"})
    overhead_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS), metadata={"example": 250000})


class CostAllocationSchema(Schema):
    practice_id = fields.Integer()
    approved_minutes = fields.Integer(metadata={"example": 900})
    labor_cents = fields.Integer(metadata={"example": 48750})
    overhead_cents = fields.Integer(metadata={"example": 12500})
    invoice_id = fields.Integer(allow_none=True)


class CostRunSchema(Schema):
    id = fields.Integer()
    month = fields.String(metadata={"example": "2027-01"})
    timezone = fields.String(metadata={"example": "America/Chicago"})
    overhead_cents = fields.Integer(metadata={"example": 250000})
    short_notice_premium_percent = DecimalString(metadata={"example": "25.0000"})
    status = fields.String(metadata={"example": "queued", "description": "queued -> finished (or failed)"})
    job_id = fields.Integer(allow_none=True)
    labor_cents = fields.Integer(allow_none=True)
    invoice_count = fields.Integer(allow_none=True)
    allocations = fields.List(fields.Nested(CostAllocationSchema))
    requested_by = fields.String()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
