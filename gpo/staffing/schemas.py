from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import DecimalString, Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, Month
from gpo.staffing.models import AVAILABILITY_KINDS, REQUEST_STATUSES

Role = fields.String  # e.g. "billing_specialist", "medical_assistant"
ROLE = {"validate": validate.Regexp(r"^[a-z][a-z0-9_]{1,47}$", error="a role like billing_specialist"),
        "metadata": {"example": "billing_specialist"}}


class StaffCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Dana Reyes"})
    role = Role(required=True, **ROLE)
    clinical = fields.Boolean(load_default=False, metadata={
        "example": False, "description": "clinical personnel: a physician of the practice accepts them (CPOM)"})
    hourly_cost_cents = WholeNumber(required=True, validate=validate.Range(min=1, max=10**7), metadata={"example": 3250})
    active = fields.Boolean(load_default=True, metadata={"example": True})
    vendor_id = Id(load_default=None, allow_none=True, metadata={
        "example": None, "description": "the staffing vendor who supplies the person; null: the MSO's own"})


class StaffSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 4})
    name = fields.String(required=True, metadata={"example": "Dana Reyes"})
    role = fields.String(required=True, metadata={"example": "billing_specialist"})
    clinical = fields.Boolean(required=True, metadata={
        "example": False, "description": "clinical personnel: a physician of the practice accepts them (CPOM)"})
    hourly_cost_cents = fields.Integer(required=True, metadata={"example": 3250})
    active = fields.Boolean(required=True, metadata={"example": True})
    vendor_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "the staffing vendor who supplies the person; null: the MSO's own"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class StaffUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200), metadata={"example": "Dana Reyes"})
    role = Role(**ROLE)
    clinical = fields.Boolean(metadata={"example": False})
    hourly_cost_cents = WholeNumber(validate=validate.Range(min=1, max=10**7), metadata={"example": 3400})
    active = fields.Boolean(metadata={"example": True})
    vendor_id = Id(allow_none=True, metadata={
        "example": None, "description": "the staffing vendor who supplies the person; null: the MSO's own"})


class StaffQuerySchema(Schema):
    role = fields.String()
    active = fields.Boolean()
    clinical = fields.Boolean()


class ClockTime(fields.String):
    """"HH:MM" local time, "24:00" for the end of the day; minutes from midnight inside.
    (A String for the OpenAPI type only: it loads and dumps itself.)"""

    def _deserialize(self, value, attr, data, **kwargs):
        match = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)", value) if isinstance(value, str) else None
        if match is None or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValidationError("a time as HH:MM, 00:00 to 24:00")
        return int(match.group(1)) * 60 + int(match.group(2))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


_AVAILABILITY_DOC = """A weekly window (`weekly`: weekday 0 = Monday .. 6, start, end, local time in
    STAFFING_TIMEZONE) or a dated exception (`unavailable`, e.g. leave, or
    `available`: starts_at, ends_at with their zone)."""


class AvailabilityCreateSchema(Schema):
    __doc__ = _AVAILABILITY_DOC

    kind = fields.String(required=True, validate=validate.OneOf(AVAILABILITY_KINDS), metadata={"example": "weekly"})
    weekday = WholeNumber(validate=validate.Range(min=0, max=6), allow_none=True, metadata={"example": 0})
    start = ClockTime(attribute="start_minute", data_key="start", allow_none=True, metadata={"example": "08:00"})
    end = ClockTime(attribute="end_minute", data_key="end", allow_none=True, metadata={"example": "17:00"})
    starts_at = fields.AwareDateTime(allow_none=True, metadata={"example": "2027-02-01T00:00:00Z"})
    ends_at = fields.AwareDateTime(allow_none=True, metadata={"example": "2027-02-08T00:00:00Z"})
    note = fields.String(allow_none=True, validate=validate.Length(max=300), metadata={"example": "vacation"})


class AvailabilitySchema(Schema):
    __doc__ = _AVAILABILITY_DOC

    id = fields.Integer(required=True, metadata={"example": 9})
    staff_id = fields.Integer(required=True, metadata={"example": 4})
    kind = fields.String(required=True, metadata={"example": "weekly", "description": "weekly, unavailable or available"})
    weekday = fields.Integer(required=True, allow_none=True, metadata={"example": 0})
    start = ClockTime(attribute="start_minute", data_key="start", required=True, allow_none=True,
                      metadata={"example": "08:00"})
    end = ClockTime(attribute="end_minute", data_key="end", required=True, allow_none=True, metadata={"example": "17:00"})
    starts_at = fields.AwareDateTime(required=True, allow_none=True, metadata={"example": None})
    ends_at = fields.AwareDateTime(required=True, allow_none=True, metadata={"example": None})
    note = fields.String(required=True, allow_none=True, metadata={"example": None})


class ShiftRequestInSchema(Schema):
    location_id = Id(required=True, metadata={"example": 12})
    role = Role(required=True, **ROLE)
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T14:00:00Z"})
    ends_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T22:00:00Z"})
    notes = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"example": "cover for leave"})


class TimesheetInSchema(Schema):
    started_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T14:05:00Z"})
    ended_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T22:00:00Z"})
    break_minutes = WholeNumber(load_default=0, validate=validate.Range(min=0, max=16 * 60), metadata={"example": 30})


class TimesheetSchema(Schema):
    started_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T14:05:00+00:00"})
    ended_at = fields.AwareDateTime(required=True, metadata={"example": "2027-01-12T22:00:00+00:00"})
    break_minutes = fields.Integer(required=True, metadata={"example": 30})
    minutes = fields.Integer(required=True, metadata={"example": 445, "description": "end - start - break"})
    status = fields.String(required=True, metadata={"example": "submitted", "description": "submitted, approved or disputed"})
    dispute_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    recorded_by = fields.String(required=True, metadata={"example": "scheduler@summit-mso.example"})
    decided_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    decided_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    cost_run_id = fields.Integer(required=True, allow_none=True, metadata={"example": None, "description": "set once billed"})


class AssignmentSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 15})
    shift_request_id = fields.Integer(required=True, metadata={"example": 22})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    staff_id = fields.Integer(required=True, metadata={"example": 4})
    staff_name = fields.String(attribute="staff.name", required=True, metadata={"example": "Dana Reyes"})
    role = fields.String(attribute="staff.role", required=True, metadata={"example": "billing_specialist"})
    clinical = fields.Boolean(attribute="staff.clinical", required=True, metadata={"example": False})
    starts_at = fields.DateTime(required=True, metadata={"example": "2027-01-12T14:00:00+00:00"})
    ends_at = fields.DateTime(required=True, metadata={"example": "2027-01-12T22:00:00+00:00"})
    status = fields.String(required=True, metadata={"example": "assigned",
                                                    "description": "assigned -> accepted -> completed, or released / cancelled"})
    hourly_cost_cents = fields.Integer(required=True, metadata={"example": 3250})
    assigned_by = fields.String(required=True, metadata={"example": "scheduler@summit-mso.example"})
    accepted_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    accepted_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    released_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    released_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    release_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    # dumped, never loaded: `nullable` documents `nullable: true, allOf: [$ref]` (see MeSchema)
    timesheet = fields.Nested(TimesheetSchema, required=True, metadata={"nullable": True,
                                                                        "description": "null until recorded"})


class ShiftRequestSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 22})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    role = fields.String(required=True, metadata={"example": "billing_specialist"})
    starts_at = fields.DateTime(required=True, metadata={"example": "2027-01-12T14:00:00+00:00"})
    ends_at = fields.DateTime(required=True, metadata={"example": "2027-01-12T22:00:00+00:00"})
    notes = fields.String(required=True, metadata={"example": "cover for leave"})
    short_notice = fields.Boolean(required=True, metadata={
        "example": False, "description": "requested less than 48 hours ahead: billed with the premium"})
    status = fields.String(required=True, metadata={"example": "open", "description": " -> ".join(REQUEST_STATUSES[:4])
                                                    + " | cancelled | released"})
    requested_by = fields.String(required=True, metadata={"example": "admin@lakeside.example"})
    cancel_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    assignment = fields.Nested(AssignmentSchema, required=True, metadata={
        "nullable": True, "description": "the current or last booking; null before the first"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class ShiftRequestQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    role = fields.String()
    practice_id = Id()
    from_ = fields.AwareDateTime(data_key="from", attribute="from")
    to = fields.AwareDateTime()


class AssignInSchema(Schema):
    staff_id = Id(required=True, metadata={"example": 4})


class CancelInSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000),
                           metadata={"example": "clinic closed for the day"})


class ReleaseInSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={"example": "not a fit"})
    all_future = fields.Boolean(load_default=False, metadata={
        "example": False, "description": "release the person from every future shift of theirs at the practice"})


class DisputeInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"example": "left at 21:00, not 22:00"})


class CostRunInSchema(Schema):
    month = Month(required=True, metadata={"example": "2027-01"})
    overhead_cents = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_CENTS), metadata={"example": 250000})


class CostAllocationSchema(Schema):
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    approved_minutes = fields.Integer(required=True, metadata={"example": 900})
    labor_cents = fields.Integer(required=True, metadata={"example": 48750})
    overhead_cents = fields.Integer(required=True, metadata={"example": 12500})
    invoice_id = fields.Integer(required=True, allow_none=True, metadata={"example": 131})


class CostRunSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 1})
    month = fields.String(required=True, metadata={"example": "2027-01"})
    timezone = fields.String(required=True, metadata={"example": "America/Chicago"})
    overhead_cents = fields.Integer(required=True, metadata={"example": 250000})
    short_notice_premium_percent = DecimalString(required=True, metadata={"example": "25.0000"})
    status = fields.String(required=True, metadata={"example": "finished", "description": "queued -> finished (or failed)"})
    job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 42})
    labor_cents = fields.Integer(required=True, allow_none=True, metadata={"example": 48750,
                                                                           "description": "set when finished"})
    invoice_count = fields.Integer(required=True, allow_none=True, metadata={"example": 1})
    allocations = fields.List(fields.Nested(CostAllocationSchema), required=True)
    requested_by = fields.String(required=True, metadata={"example": "finance@summit-mso.example"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    finished_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2027-02-01T06:00:04+00:00"})


# Request examples (API.md "Example bodies").
STAFF_CREATE_EXAMPLE = {"name": "Dana Reyes", "role": "billing_specialist", "clinical": False, "hourly_cost_cents": 3250}
SHIFT_REQUEST_EXAMPLE = {"location_id": 12, "role": "billing_specialist", "starts_at": "2027-01-12T14:00:00Z",
                         "ends_at": "2027-01-12T22:00:00Z"}
TIMESHEET_EXAMPLE = {"started_at": "2027-01-12T14:05:00Z", "ended_at": "2027-01-12T22:00:00Z", "break_minutes": 30}
