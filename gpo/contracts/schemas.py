from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import MAX_ID, DecimalString, Id, Price, Schema
from gpo.catalog.models import CATEGORIES
from gpo.contracts.models import ADMIN_FEE_SETTLEMENTS, BASES

CONTRACT_STATUSES = ("negotiating", "accepted", "active", "expired", "terminated")


class ProductIdKey(fields.Integer):
    """item_prices keys arrive as JSON strings ("103")."""

    def __init__(self, **kwargs):
        super().__init__(strict=False, **kwargs)


class TierInSchema(Schema):
    min_volume = fields.Integer(required=True, strict=True, validate=validate.Range(max=10**15),
                                metadata={"example": 250, "description": "units, or list-price cents for a spend basis"})
    discount_percent = DecimalString(required=True, metadata={"example": "8.5"})
    item_prices = fields.Dict(
        keys=ProductIdKey(validate=validate.Range(min=1, max=MAX_ID)), values=Price(), load_default=dict,
        metadata={"example": {"103": "3100.0000"}, "description": "product id -> fixed unit price at this tier"},
    )


class TierSchema(Schema):
    """A tier as agreed or proposed."""

    min_volume = fields.Integer(required=True, metadata={
        "example": 250, "description": "units, or list-price cents for a spend basis"})
    discount_percent = DecimalString(required=True, metadata={"example": "8.5"})
    # Not `required`: sent as stored, and tiers stored without it are read as {}.
    item_prices = fields.Dict(keys=ProductIdKey(), values=Price(), metadata={
        "example": {"103": "3100.0000"}, "description": "product id -> fixed unit price at this tier"})


_SETTLEMENT = ("how the vendor pays the admin fee: `remitted` (default: the vendor pays it to the MSO, "
               "finance records it) or `netted` (deducted from the MSO's settlements of the vendor's invoices)")


class TermsSchema(Schema):
    """A proposal's terms."""

    tiers = fields.List(fields.Nested(TierInSchema), required=True, validate=validate.Length(min=1, max=20))
    admin_fee_percent = DecimalString(required=True, metadata={"example": "2.0"})
    admin_fee_disclosure = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                                         metadata={"example": None, "description": "required above a 3% admin fee"})
    admin_fee_settlement = fields.String(load_default="remitted", validate=validate.OneOf(ADMIN_FEE_SETTLEMENTS), metadata={
        "example": "remitted", "description": _SETTLEMENT})
    notes = fields.String(load_default="", validate=validate.Length(max=5000), metadata={"example": "opening offer"})


class ContractCreateSchema(Schema):
    vendor_id = Id(required=True, metadata={"example": 7})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"example": "Exam room supplies 2027"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={"example": "supplies"})
    basis = fields.String(required=True, validate=validate.OneOf(BASES), metadata={"example": "units"})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    ends_on = fields.Date(required=True, metadata={"example": "2027-12-31"})
    items = fields.List(Id(), required=True, validate=validate.Length(min=1, max=5000),
                        metadata={"example": [101, 102, 103]})
    proposal = fields.Nested(TermsSchema, required=True)


_MSO_AND_VENDOR = "sent to MSO staff and the vendor, never to practices"


class ContractSchema(Schema):
    """A contract; practices see no admin fee fields."""

    id = fields.Integer(required=True, metadata={"example": 1})
    vendor_id = fields.Integer(required=True, metadata={"example": 7})
    title = fields.String(required=True, metadata={"example": "Exam room supplies 2027"})
    category = fields.String(required=True, metadata={"example": "supplies"})
    basis = fields.String(required=True, metadata={"example": "units", "description": "units or spend"})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    ends_on = fields.Date(required=True, metadata={"example": "2027-12-31"})
    status = fields.String(required=True, metadata={"example": "active",
                                                    "description": " -> ".join(CONTRACT_STATUSES[:4]) + " or terminated"})
    items = fields.List(fields.Integer(), required=True, metadata={"example": [101, 102, 103]})
    tiers = fields.List(fields.Nested(TierSchema), required=True, allow_none=True,
                        metadata={"description": "the agreed tiers (null before acceptance)"})
    admin_fee_percent = DecimalString(allow_none=True, metadata={"example": "2.0000", "description": _MSO_AND_VENDOR})
    admin_fee_disclosure = fields.String(allow_none=True, metadata={"example": None, "description": _MSO_AND_VENDOR})
    admin_fee_settlement = fields.String(metadata={"example": "remitted", "description": f"{_SETTLEMENT}; {_MSO_AND_VENDOR}"})
    accepted_proposal_number = fields.Integer(allow_none=True, metadata={"example": 2, "description": _MSO_AND_VENDOR})
    accepted_at = fields.DateTime(allow_none=True, metadata={"example": "2026-11-20T08:12:44+00:00",
                                                             "description": _MSO_AND_VENDOR})
    terminated_on = fields.Date(required=True, allow_none=True, metadata={"example": None})
    termination_reason = fields.String(allow_none=True, metadata={"example": None, "description": _MSO_AND_VENDOR})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-11-02T15:04:05+00:00"})


class ProposalSchema(Schema):
    number = fields.Integer(required=True, metadata={"example": 2})
    author_side = fields.String(required=True, metadata={"example": "vendor", "description": "mso or vendor"})
    author_label = fields.String(required=True, metadata={"example": "admin@acme.example"})
    status = fields.String(required=True, metadata={"example": "open"})
    tiers = fields.List(fields.Nested(TierSchema), required=True)
    admin_fee_percent = DecimalString(required=True, metadata={"example": "2.0000"})
    admin_fee_disclosure = fields.String(required=True, allow_none=True, metadata={"example": None})
    admin_fee_settlement = fields.String(required=True, metadata={"example": "remitted", "description": _SETTLEMENT})
    notes = fields.String(required=True, metadata={"example": "opening offer"})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-11-02T15:04:05+00:00"})
    decided_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    decided_by = fields.String(required=True, allow_none=True, metadata={"example": None})


class ContractQuerySchema(Schema):
    vendor_id = Id()
    product_id = Id()
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES))


class TerminateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"example": "vendor repeatedly missed delivery dates"})


# A request example (API.md "Example bodies").
CONTRACT_CREATE_EXAMPLE = {
    "vendor_id": 7, "title": "Exam room supplies 2027", "category": "supplies", "basis": "units",
    "starts_on": "2027-01-01", "ends_on": "2027-12-31", "items": [101, 102, 103],
    "proposal": {"admin_fee_percent": "2.0", "notes": "opening offer", "tiers": [
        {"min_volume": 0, "discount_percent": "0"},
        {"min_volume": 250, "discount_percent": "8.5", "item_prices": {"103": "3100.0000"}},
        {"min_volume": 500, "discount_percent": "12"}]},
}


class ContractListQuerySchema(Schema):
    """The console's and portal's contract list filters (the API's, and words of the title)."""

    vendor_id = Id()
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES))
    q = fields.String(validate=validate.Length(max=100))
