from __future__ import annotations

import datetime as dt

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from gpo.accounts.models import ALL_ROLES, PRACTICE_STATUSES, VENDOR_KINDS
from gpo.api import Schema
from gpo.identifiers import is_valid_npi

_name = validate.Length(min=1, max=200)


class PracticeSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"example": 12})
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
    created_at = fields.DateTime(dump_only=True)


class PracticeUpdateSchema(PracticeSchema):
    """Every field optional (used with partial=True)."""

    status = fields.String(validate=validate.OneOf(PRACTICE_STATUSES))
    joined_on = fields.Date()


class LocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    practice_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120), metadata={"example": "Main clinic"})
    line1 = fields.String(required=True, validate=_name, metadata={"example": "100 Lake St"})
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
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
    created_at = fields.DateTime(dump_only=True)


class ProviderSchema(Schema):
    id = fields.Integer(dump_only=True)
    practice_id = fields.Integer(dump_only=True)
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
    created_at = fields.DateTime(dump_only=True)

    @validates("npi")
    def _npi(self, value, **kwargs):
        if not is_valid_npi(value):
            raise ValidationError("not a valid NPI: 10 digits with a Luhn check digit (prefix 80840)")

    @validates_schema
    def _dates(self, data, **kwargs):
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            raise ValidationError("active_to must not be before active_from", "active_to")


class ProviderUpdateSchema(ProviderSchema):
    """Every field optional (used with partial=True)."""

    active_to = fields.Date(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization_id = fields.Integer(dump_only=True)
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"example": "buyer@lakeside.example"})
    name = fields.String(required=True, validate=_name, metadata={"example": "Sam Buyer"})
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=12, max=200),
        metadata={"example": "correct-horse-battery"},
    )
    roles = fields.List(
        fields.String(validate=validate.OneOf(ALL_ROLES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"example": ["practice_buyer"]},
    )
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class VendorSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=_name, metadata={"example": "Acme Medical Supply"})
    kind = fields.String(required=True, validate=validate.OneOf(VENDOR_KINDS), metadata={"example": "supplier"})
    created_at = fields.DateTime(dump_only=True)


class VendorUpdateSchema(VendorSchema):
    class Meta:
        partial = True
