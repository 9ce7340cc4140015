"""Backorders and substitutions over the API (API.md "After the close")."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import Id, Price, Schema, WholeNumber
from gpo.orders.backorders import BACKORDER_STATUSES
from gpo.orders.models import SUBSTITUTION_STATUSES
from gpo.orders.rules import MAX_LINE_QUANTITY


class BackorderQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(BACKORDER_STATUSES), metadata={
        "example": "open", "description": "open (default): units still to ship; all: cancelled and shipped ones too"})


class BackorderCancelSchema(Schema):
    quantity = WholeNumber(validate=validate.Range(min=1, max=MAX_LINE_QUANTITY), metadata={
        "example": 5, "description": "units to cancel; default every open unit"})


class BackorderSchema(Schema):
    po_line_id = fields.Integer(attribute="line.id", required=True, metadata={"example": 61})
    purchase_order_id = fields.Integer(required=True, metadata={"example": 19})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    product_id = fields.Integer(required=True, metadata={"example": 101})
    sku = fields.String(attribute="product.sku", required=True, metadata={"example": "GLV-100"})
    product_name = fields.String(attribute="product.name", required=True, metadata={"example": "Nitrile gloves"})
    unit_price = Price(required=True, metadata={"example": "17.9910"})
    backordered_quantity = fields.Integer(required=True, metadata={"example": 10})
    backorder_cancelled_quantity = fields.Integer(required=True, metadata={"example": 0})
    open_backorder = fields.Integer(required=True, metadata={
        "example": 10, "description": "units neither cancelled nor shipped"})
    shipped_quantity = fields.Integer(required=True, metadata={"example": 50})
    expected_ship_on = fields.Date(required=True, metadata={"example": "2027-01-20"})


class SubstitutionQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(SUBSTITUTION_STATUSES), metadata={"example": "offered"})


class SubstitutionSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 4})
    purchase_order_id = fields.Integer(required=True, metadata={"example": 19})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    original_line_id = fields.Integer(required=True, metadata={"example": 61})
    original_product_id = fields.Integer(attribute="original.product_id", required=True, metadata={"example": 101})
    original_product_name = fields.String(attribute="original_product.name", required=True,
                                          metadata={"example": "Nitrile gloves, medium"})
    original_unit_price = Price(attribute="original.unit_price", required=True, metadata={"example": "17.9910"})
    product_id = Id(required=True, metadata={"example": 104, "description": "the substitute"})
    product_name = fields.String(attribute="product.name", required=True, metadata={"example": "Latex-free gloves, medium"})
    quantity = fields.Integer(required=True, metadata={"example": 5})
    unit_price = Price(required=True, metadata={"example": "16.5000", "description": "at most the original's"})
    clinical = fields.Boolean(required=True, metadata={
        "example": False, "description": "either product clinical: a physician of the practice decides (CPOM)"})
    status = fields.String(required=True, metadata={"example": "offered", "enum": list(SUBSTITUTION_STATUSES)})
    offered_by = fields.String(required=True, metadata={"example": "Acme API key ak_3f9"})
    decided_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    decided_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    substitute_line_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "the purchase-order line that ships the substitute, once approved"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
