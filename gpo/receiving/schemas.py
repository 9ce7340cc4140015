"""The schemas of shipments as received, receipts and claims (API.md "After the close")."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import Id, Price, Schema, WholeNumber
from gpo.receiving.models import CLAIM_STATUSES
from gpo.receiving.shipments import SHIPMENT_STATUSES

CREATED_AT = {"example": "2027-01-12T15:04:05+00:00"}
SHIPMENT_LINE_ID = {
    "example": 61, "description": "the shipment line: a shipment has one line per purchase-order line, so it is "
                                  "named by that purchase-order line's id (PurchaseOrder.lines[].id)"}
MAX_UNITS = 1_000_000


class ShipmentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(SHIPMENT_STATUSES), metadata={
        "example": "to_receive", "description": "to_receive: a line the reader sees has no receipt yet; "
                                                "received: every one is received"})


class ShipmentLineViewSchema(Schema):
    shipment_line_id = Id(required=True, metadata=SHIPMENT_LINE_ID)
    product_id = Id(required=True, metadata={"example": 101})
    sku = fields.String(required=True, metadata={"example": "GLV-100"})
    product_name = fields.String(required=True, metadata={"example": "Nitrile exam gloves, box of 100"})
    location_id = Id(required=True, metadata={"example": 12})
    location_name = fields.String(required=True, metadata={"example": "Lakeside main clinic"})
    practice_id = Id(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    unit_price = Price(required=True, metadata={"example": "17.9910"})
    shipped_quantity = fields.Integer(required=True, metadata={"example": 60})
    received = fields.Boolean(required=True, metadata={"example": True})
    received_quantity = fields.Integer(required=True, allow_none=True, metadata={
        "example": 58, "description": "good units (null until received)"})
    damaged_quantity = fields.Integer(required=True, allow_none=True, metadata={"example": 2})
    missing_quantity = fields.Integer(required=True, allow_none=True, metadata={
        "example": 0, "description": "shipped - good - damaged"})
    receipt_id = Id(required=True, allow_none=True, metadata={"example": 4})
    received_by = fields.String(required=True, allow_none=True, metadata={"example": "buyer@lakeside.example"})
    received_at = fields.DateTime(required=True, allow_none=True, metadata=CREATED_AT)
    claim_id = Id(required=True, allow_none=True, metadata={
        "example": 9, "description": "the claim the damaged or missing units opened"})
    claim_status = fields.String(required=True, allow_none=True, validate=validate.OneOf(CLAIM_STATUSES),
                                 metadata={"example": "open"})


class ShipmentViewSchema(Schema):
    """A shipment with the lines the reader sees (a practice: its own locations')."""

    id = Id(required=True, metadata={"example": 3})
    purchase_order_id = Id(required=True, metadata={"example": 19})
    vendor_id = Id(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical"})
    carrier = fields.String(required=True, metadata={"example": "UPS"})
    tracking_number = fields.String(required=True, metadata={"example": "1Z999AA10123456784"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    status = fields.String(required=True, validate=validate.OneOf(SHIPMENT_STATUSES), metadata={"example": "received"})
    lines = fields.List(fields.Nested(ShipmentLineViewSchema), required=True)


class ReceiptLineInSchema(Schema):
    shipment_line_id = Id(required=True, metadata=SHIPMENT_LINE_ID)
    received_quantity = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_UNITS), metadata={
        "example": 58, "description": "good units"})
    damaged_quantity = WholeNumber(required=True, validate=validate.Range(min=0, max=MAX_UNITS), metadata={
        "example": 2, "description": "units that arrived damaged; the rest of what shipped is missing"})


class ReceiptInSchema(Schema):
    lines = fields.List(fields.Nested(ReceiptLineInSchema), required=True, validate=validate.Length(min=1, max=1000))


RECEIPT_EXAMPLE = {"lines": [{"shipment_line_id": 61, "received_quantity": 58, "damaged_quantity": 2}]}


class ClaimQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES), metadata={"example": "open"})


class ClaimSchema(Schema):
    """Damaged or missing units of a received shipment line, claimed from the vendor:
    open, then replacing (the vendor ships them again) or credited (the practice gets
    them back: its draft invoice drops them, or a credit note)."""

    id = Id(required=True, metadata={"example": 9})
    shipment_id = Id(required=True, metadata={"example": 3})
    shipment_line_id = Id(required=True, metadata=SHIPMENT_LINE_ID)
    purchase_order_id = Id(required=True, metadata={"example": 19})
    vendor_id = Id(required=True, metadata={"example": 5})
    vendor_name = fields.String(required=True, metadata={"example": "Acme Medical"})
    practice_id = Id(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    location_id = Id(required=True, metadata={"example": 12})
    location_name = fields.String(required=True, metadata={"example": "Lakeside main clinic"})
    product_id = Id(required=True, metadata={"example": 101})
    sku = fields.String(required=True, metadata={"example": "GLV-100"})
    product_name = fields.String(required=True, metadata={"example": "Nitrile exam gloves, box of 100"})
    unit_price = Price(required=True, metadata={"example": "17.9910"})
    substitute = fields.Boolean(required=True, metadata={
        "example": False, "description": "the line is an approved substitute's"})
    damaged_quantity = fields.Integer(required=True, metadata={"example": 2})
    missing_quantity = fields.Integer(required=True, metadata={"example": 0})
    quantity = fields.Integer(required=True, metadata={"example": 2, "description": "damaged + missing"})
    worth_cents = fields.Integer(required=True, metadata={
        "example": 3598, "description": "line_cents(unit_price, quantity): the goods, before the MSO's service fee"})
    status = fields.String(required=True, validate=validate.OneOf(CLAIM_STATUSES), metadata={"example": "open"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    resolved_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    resolved_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
