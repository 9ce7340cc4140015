from __future__ import annotations

from marshmallow import fields, validate

from gpo.accounts.schemas import CREATED_AT, UserSchema
from gpo.api import Schema


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"example": "admin@summit-mso.example"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "demo-password"})


class TokenSchema(Schema):
    access_token = fields.String(required=True, metadata={"example": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."})
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"example": 900, "description": "seconds"})
    user = fields.Nested(UserSchema, required=True)


class OrganizationRefSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 3})
    name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    org_type = fields.String(required=True, metadata={"example": "practice", "description": "mso, practice or vendor"})


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "ERP integration"})


class ApiKeySchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 8})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    name = fields.String(required=True, metadata={"example": "ERP integration"})
    prefix = fields.String(required=True, metadata={"example": "gpo_Xk3q"})
    last4 = fields.String(required=True, metadata={"example": "9fQz"})
    active = fields.Boolean(required=True, metadata={"example": True})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    revoked_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    last_used_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-11-20T08:12:44+00:00"})


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(
        required=True,
        metadata={"description": "The key itself, shown this once.", "example": "gpo_Xk3q...9fQz"},
    )


class MeSchema(Schema):
    kind = fields.String(required=True, metadata={"example": "user", "description": "user or api_key"})
    organization = fields.Nested(OrganizationRefSchema, required=True)
    roles = fields.List(fields.String(), required=True, metadata={"example": ["practice_buyer"]})
    # Answers are dumped, never loaded: `nullable` in the metadata documents the null
    # as `nullable: true, allOf: [$ref]`, which generators type (allow_none would
    # document an untyped `anyOf`).
    user = fields.Nested(UserSchema, required=True, metadata={"nullable": True, "description": "null for an API key"})
    api_key = fields.Nested(ApiKeySchema, required=True, metadata={"nullable": True, "description": "null for a user"})
