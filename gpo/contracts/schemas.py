from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import DecimalString, Id, MAX_ID, Price, Schema
from gpo.catalog.models import CATEGORIES
from gpo.contracts.models import BASES

CONTRACT_STATUSES = ("negotiating", "accepted", "active", "expired", "terminated")


class ProductIdKey(fields.Integer):
    """item_prices keys arrive as JSON strings ("103")."""

    def __init__(self, **kwargs):
        super().__init__(strict=False, **kwargs)


class TierSchema(Schema):
    min_volume = fields.Integer(required=True, strict=True, validate=validate.Range(max=10**15),
                                metadata={"example": 250, "description": "units, or list-price cents for a spend basis"})
    discount_percent = DecimalString(required=True, metadata={"example": "8.5"})
    item_prices = fields.Dict(
        keys=ProductIdKey(validate=validate.Range(min=1, max=MAX_ID)), values=Price(), load_default=dict,
        metadata={"example": {"103": "3100.0000"}, "description": "product id -> fixed unit price at this tier"},
    )


class TermsSchema(Schema):
    """A proposal's terms."""

    tiers = fields.List(fields.Nested(TierSchema), required=True, validate=validate.Length(min=1, max=20))
    admin_fee_percent = DecimalString(required=True, metadata={"example": "2.0"})
    admin_fee_disclosure = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    notes = fields.String(load_default="", validate=validate.Length(max=5000), metadata={"example": "opening offer"})


class ContractCreateSchema(Schema):
    vendor_id = Id(required=True, metadata={"example": 7})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Exam room supplies 2027"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={"example": "supplies"})
    basis = fields.String(required=True, validate=validate.OneOf(BASES), metadata={"example": "units"})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    ends_on = fields.Date(required=True, metadata={"example": "2027-12-31"})
    items = fields.List(Id(), required=True, validate=validate.Length(min=1, max=5000),
                        metadata={"example": [101, 102, 103]})
    proposal = fields.Nested(TermsSchema, required=True)


class ContractSchema(Schema):
    """A contract; practices see no admin fee fields."""

    id = fields.Integer()
    vendor_id = fields.Integer()
    title = fields.String()
    category = fields.String()
    basis = fields.String(metadata={"example": "units"})
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String(metadata={"example": "active", "description": " -> ".join(CONTRACT_STATUSES[:4]) + " or terminated"})
    items = fields.List(fields.Integer(), metadata={"example": [101, 102, 103]})
    tiers = fields.List(fields.Nested(TierSchema), allow_none=True, metadata={"description": "the agreed tiers (none before acceptance)"})
    admin_fee_percent = DecimalString(allow_none=True, metadata={"example": "2.0000"})
    admin_fee_disclosure = fields.String(allow_none=True)
    accepted_proposal_number = fields.Integer(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    terminated_on = fields.Date(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ProposalSchema(Schema):
    number = fields.Integer(metadata={"example": 2})
    author_side = fields.String(metadata={"example": "vendor"})
    author_label = fields.String(metadata={"example": "admin@acme.example"})
    status = fields.String(metadata={"example": "open"})
    tiers = fields.List(fields.Nested(TierSchema))
    admin_fee_percent = DecimalString()
    admin_fee_disclosure = fields.String(allow_none=True)
    notes = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)


class ContractQuerySchema(Schema):
    vendor_id = Id()
    product_id = Id()
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES))


class TerminateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"example": "vendor repeatedly missed delivery dates"})
