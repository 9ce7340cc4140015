from __future__ import annotations

from marshmallow import fields, validate

from gpo.accounts.schemas import UserSchema
from gpo.api import Schema


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254), metadata={"example": "admin@summit-mso.example"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200), metadata={"example": "demo-password"})


class TokenSchema(Schema):
    access_token = fields.String(metadata={"example": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"example": 900})
    user = fields.Nested(UserSchema)


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    org_type = fields.String(metadata={"example": "practice"})


class ApiKeySchema(Schema):
    id = fields.Integer(dump_only=True)
    vendor_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "ERP integration"})
    prefix = fields.String(dump_only=True, metadata={"example": "gpo_Xk3q"})
    last4 = fields.String(dump_only=True, metadata={"example": "9fQz"})
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(
        dump_only=True,
        metadata={"description": "The key itself, shown this once.", "example": "gpo_Xk3q...9fQz"},
    )


class MeSchema(Schema):
    kind = fields.String(metadata={"example": "user"})
    organization = fields.Nested(OrganizationRefSchema)
    roles = fields.List(fields.String(), metadata={"example": ["practice_buyer"]})
    user = fields.Nested(UserSchema, allow_none=True)
    api_key = fields.Nested(ApiKeySchema, allow_none=True)
