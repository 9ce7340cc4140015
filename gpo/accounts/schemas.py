from __future__ import annotations

import datetime as dt

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from gpo.accounts.models import PRACTICE_STATUSES, VENDOR_KINDS
from gpo.api import Schema
from gpo.auth.roles import ALL_ROLES
from gpo.identifiers import is_valid_npi

_name = validate.Length(min=1, max=200)


def _time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if len(value) > 64 or "\x00" in value:
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("time_zone must be an IANA time zone such as America/Chicago") from None

# Request bodies (…Create, …Update) and answers (the plain name) are separate schemas:
# an answer lists in `required` every field the server always sends.
CREATED_AT = {"example": "2026-11-02T15:04:05+00:00"}


class PracticeCreateSchema(Schema):
    name = fields.String(required=True, validate=_name, metadata={"example": "Lakeside Family Medicine"})
    tax_id = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{2}-\d{7}$", error="tax_id must look like 12-3456789"),
        metadata={"example": "12-3456789"},
    )
    status = fields.String(
        validate=validate.OneOf(PRACTICE_STATUSES), load_default="active", metadata={"example": "active"}
    )
    joined_on = fields.Date(load_default=dt.date.today, metadata={"example": "2026-01-15"})
    time_zone = fields.String(validate=_time_zone, metadata={
        "example": "America/Chicago", "description": "IANA time zone the web pages show the practice's "
        "dates in (default America/Chicago); the API's timestamps stay UTC"})


class PracticeUpdateSchema(PracticeCreateSchema):
    """Every field optional (used with partial=True)."""

    status = fields.String(validate=validate.OneOf(PRACTICE_STATUSES), metadata={"example": "suspended"})
    joined_on = fields.Date(metadata={"example": "2026-01-15"})


class PracticeSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 12})
    name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    tax_id = fields.String(required=True, metadata={"example": "12-3456789"})
    status = fields.String(required=True, metadata={"example": "active", "description": "active or suspended"})
    joined_on = fields.Date(required=True, metadata={"example": "2026-01-15"})
    time_zone = fields.String(required=True, metadata={"example": "America/Chicago"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class LocationCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120), metadata={"example": "Main clinic"})
    line1 = fields.String(required=True, validate=_name, metadata={"example": "100 Lake St"})
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                          metadata={"example": "Suite 200"})
    city = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Madison"})
    state = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Z]{2}$", error="state must be a two-letter code"),
        metadata={"example": "WI"},
    )
    postal_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{5}(-\d{4})?$", error="postal_code must be a US ZIP code"),
        metadata={"example": "53703"},
    )


class LocationSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 12})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    name = fields.String(required=True, metadata={"example": "Main clinic"})
    line1 = fields.String(required=True, metadata={"example": "100 Lake St"})
    line2 = fields.String(required=True, allow_none=True, metadata={"example": "Suite 200"})
    city = fields.String(required=True, metadata={"example": "Madison"})
    state = fields.String(required=True, metadata={"example": "WI"})
    postal_code = fields.String(required=True, metadata={"example": "53703"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class ProviderCreateSchema(Schema):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Ana"})
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Ortiz"})
    npi = fields.String(required=True, metadata={"example": "1234567893"})
    specialty = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z_]{1,63}$", error="specialty must be a lower_case code"),
        metadata={"example": "family_medicine"},
    )
    active_from = fields.Date(required=True, metadata={"example": "2026-01-01"})
    active_to = fields.Date(load_default=None, allow_none=True, metadata={"example": None})

    @validates("npi")
    def _npi(self, value, **kwargs):
        if not is_valid_npi(value):
            raise ValidationError("not a valid NPI: 10 digits with a Luhn check digit (prefix 80840)")

    @validates_schema
    def _dates(self, data, **kwargs):
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            raise ValidationError("active_to must not be before active_from", "active_to")


class ProviderUpdateSchema(ProviderCreateSchema):
    """Every field optional (used with partial=True)."""

    active_to = fields.Date(allow_none=True, metadata={"example": "2026-12-31"})


class ProviderSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 31})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    first_name = fields.String(required=True, metadata={"example": "Ana"})
    last_name = fields.String(required=True, metadata={"example": "Ortiz"})
    npi = fields.String(required=True, metadata={"example": "1234567893"})
    specialty = fields.String(required=True, metadata={"example": "family_medicine"})
    active_from = fields.Date(required=True, metadata={"example": "2026-01-01"})
    active_to = fields.Date(required=True, allow_none=True, metadata={
        "example": None, "description": "the last day with the practice; null while active"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"example": "buyer@lakeside.example"})
    name = fields.String(required=True, validate=_name, metadata={"example": "Sam Buyer"})
    password = fields.String(
        required=True, validate=validate.Length(min=12, max=200),
        metadata={"example": "correct-horse-battery", "description": "12 to 200 characters; never sent back"},
    )
    roles = fields.List(
        fields.String(validate=validate.OneOf(ALL_ROLES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"example": ["practice_buyer"]},
    )


class UserSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 21})
    organization_id = fields.Integer(required=True, metadata={"example": 3})
    email = fields.Email(required=True, metadata={"example": "buyer@lakeside.example"})
    name = fields.String(required=True, metadata={"example": "Sam Buyer"})
    roles = fields.List(fields.String(), required=True, metadata={"example": ["practice_buyer"]})
    active = fields.Boolean(required=True, metadata={"example": True})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


class VendorCreateSchema(Schema):
    name = fields.String(required=True, validate=_name, metadata={"example": "Acme Medical Supply"})
    kind = fields.String(required=True, validate=validate.OneOf(VENDOR_KINDS), metadata={"example": "supplier"})


class VendorUpdateSchema(VendorCreateSchema):
    class Meta:
        partial = True


class VendorSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 5})
    name = fields.String(required=True, metadata={"example": "Acme Medical Supply"})
    kind = fields.String(required=True, metadata={"example": "supplier", "description": "supplier, carrier or staffing"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


# The console's list filters (query strings of /console/practices and /console/vendors).
class PracticeQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(PRACTICE_STATUSES), metadata={"example": "active"})
    q = fields.String(validate=validate.Length(max=200), metadata={"example": "lake"})


class VendorKindQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(VENDOR_KINDS), metadata={"example": "supplier"})
