from __future__ import annotations

from marshmallow import fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import DecimalString, Id, Price, Schema, WholeNumber
from gpo.orders.models import CYCLE_STATUSES, ORDER_STATUSES, PO_STATUSES
from gpo.orders.rules import MAX_LINE_QUANTITY


class CycleCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "December 2026"})
    opens_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T00:00:00Z"})
    closes_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-15T23:00:00Z"})


class CycleSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 7})
    name = fields.String(required=True, metadata={"example": "December 2026"})
    opens_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T00:00:00+00:00"})
    closes_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-15T23:00:00+00:00"})
    status = fields.String(required=True, metadata={"example": "open", "description": "scheduled, open, closing or closed"})
    closing_started_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    closed_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    close_job_id = fields.Integer(required=True, allow_none=True, metadata={"example": None})


class CycleQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(CYCLE_STATUSES))


class JobRefSchema(Schema):
    job_id = fields.Integer(attribute="close_job_id", required=True, metadata={"example": 42})
    cycle_id = fields.Integer(attribute="id", required=True, metadata={"example": 7})
    status = fields.String(required=True, metadata={"example": "closing"})


class OrderLineInSchema(Schema):
    product_id = Id(required=True, metadata={"example": 101})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY), metadata={"example": 12})


class OrderCreateSchema(Schema):
    practice_id = Id(metadata={"example": 3, "description": "MSO staff ordering on a practice's behalf"})
    location_id = Id(required=True, metadata={"example": 12})
    lines = fields.List(fields.Nested(OrderLineInSchema), required=True, validate=validate.Length(min=1, max=500))
    submit = fields.Boolean(load_default=True, metadata={"example": True, "description": "false keeps it a draft"})


class OrderUpdateSchema(Schema):
    location_id = Id(metadata={"example": 12})
    lines = fields.List(fields.Nested(OrderLineInSchema), validate=validate.Length(min=1, max=500))


class OrderLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 501})
    product_id = fields.Integer(required=True, metadata={"example": 101})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    quantity = fields.Integer(required=True, metadata={"example": 12})
    clinical = fields.Boolean(required=True, metadata={"example": False})
    list_price = Price(required=True, metadata={"example": "19.9900", "description": "the list price when the order was placed"})
    estimated_unit_price = Price(required=True, allow_none=True, metadata={
        "example": "17.4913", "description": "at the tier the contract reaches now"})
    unit_price = Price(required=True, allow_none=True, metadata={"example": None, "description": "final, set by the close"})
    list_cents = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    line_cents = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    savings_cents = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    accepted_quantity = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    shipped_quantity = fields.Integer(required=True, metadata={"example": 0})


class OrderSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 88})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    cycle_id = fields.Integer(required=True, metadata={"example": 7})
    status = fields.String(required=True, metadata={
        "example": "confirmed",
        "description": "draft, awaiting_approval, confirmed, priced, invoiced, cancelled or missed_cycle"})
    placed_by = fields.String(required=True, metadata={"example": "buyer@lakeside.example"})
    submitted_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-12-03T16:20:00+00:00"})
    approved_by_user_id = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    approved_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    cancelled_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    missed_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    copied_from_order_id = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-12-03T16:19:41+00:00"})
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)


class OrderQuerySchema(Schema):
    cycle_id = Id()
    practice_id = Id()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class TierRefSchema(Schema):
    min_volume = fields.Integer(required=True, metadata={"example": 250})
    discount_percent = DecimalString(required=True, metadata={"example": "8.5"})
    item_prices = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                              metadata={"example": {"103": "3100.0000"}})


class TierProgressSchema(Schema):
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    cycle_id = fields.Integer(required=True, metadata={"example": 7})
    basis = fields.String(required=True, metadata={"example": "units"})
    volume = fields.Integer(required=True, metadata={"example": 238})
    achieved_tier = fields.Nested(TierRefSchema, required=True)
    # dumped, never loaded: `nullable` documents `nullable: true, allOf: [$ref]` (see MeSchema)
    next_tier = fields.Nested(TierRefSchema, required=True, metadata={"nullable": True,
                                                                      "description": "null: the top tier is reached"})
    volume_to_next_tier = fields.Integer(required=True, allow_none=True, metadata={"example": 12})
    savings_at_next_tier_cents = fields.Integer(required=True, allow_none=True, metadata={"example": 41250})


class TierProgressQuerySchema(Schema):
    cycle_id = Id()


class AchievedTierSchema(Schema):
    index = fields.Integer(required=True, metadata={"example": 1, "description": "0 for the base tier"})
    min_volume = fields.Integer(required=True, metadata={"example": 100})
    discount_percent = DecimalString(required=True, metadata={"example": "12.5000"})


class CycleResultSchema(Schema):
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    title = fields.String(required=True, metadata={"example": "Exam room supplies 2027"})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    basis = fields.String(required=True, metadata={"example": "units"})
    volume = fields.Integer(required=True, metadata={"example": 312})
    achieved_tier = fields.Nested(AchievedTierSchema, required=True)
    list_cents = fields.Integer(required=True, metadata={"example": 1250000})
    paid_cents = fields.Integer(required=True, metadata={"example": 1093750})
    savings_cents = fields.Integer(required=True, metadata={"example": 156250})


class PurchaseOrderLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 61})
    product_id = fields.Integer(required=True, metadata={"example": 101})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    quantity = fields.Integer(required=True, metadata={"example": 40})
    unit_price = Price(required=True, metadata={"example": "17.4913"})
    line_cents = fields.Integer(required=True, metadata={"example": 69965})
    accepted_quantity = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "null until the vendor acknowledges the line"})
    shipped_quantity = fields.Integer(required=True, metadata={"example": 0})


class PurchaseOrderSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 19})
    cycle_id = fields.Integer(required=True, metadata={"example": 7})
    contract_id = fields.Integer(required=True, metadata={"example": 1})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-12-16T00:05:12+00:00"})
    lines = fields.List(fields.Nested(PurchaseOrderLineSchema), required=True)


class PurchaseOrderQuerySchema(Schema):
    cycle_id = Id()


class PurchaseOrderPageQuerySchema(PurchaseOrderQuerySchema):
    """The console's and portal's filters of purchase orders (the API's, and more)."""

    vendor_id = Id()
    status = fields.String(validate=validate.OneOf(PO_STATUSES))


class AcknowledgeLineSchema(Schema):
    line_id = Id(required=True, metadata={"example": 61})
    accepted_quantity = WholeNumber(required=True, validate=validate.Range(min=0), metadata={"example": 40})


class AcknowledgeSchema(Schema):
    lines = fields.List(fields.Nested(AcknowledgeLineSchema), required=True, validate=validate.Length(min=1),
                        metadata={"example": [{"line_id": 61, "accepted_quantity": 40}]})


class ShipmentLineInSchema(Schema):
    line_id = Id(required=True, metadata={"example": 61})
    location_id = Id(required=True, metadata={"example": 12})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1), metadata={"example": 40})


class ShipmentInSchema(Schema):
    lines = fields.List(fields.Nested(ShipmentLineInSchema), required=True, validate=validate.Length(min=1))
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "UPS"})
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                    metadata={"example": "1Z999AA10123456784"})


class ShipmentLineSchema(Schema):
    purchase_order_line_id = fields.Integer(required=True, metadata={"example": 61})
    quantity = fields.Integer(required=True, metadata={"example": 40})


class ShipmentSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 3})
    purchase_order_id = fields.Integer(required=True, metadata={"example": 19})
    carrier = fields.String(required=True, metadata={"example": "UPS"})
    tracking_number = fields.String(required=True, metadata={"example": "1Z999AA10123456784"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    lines = fields.List(fields.Nested(ShipmentLineSchema), required=True)


# A request example (API.md "Cycles, orders, purchase orders").
ORDER_CREATE_EXAMPLE = {"location_id": 12, "lines": [{"product_id": 101, "quantity": 12}, {"product_id": 103, "quantity": 1}],
                        "submit": True}


# --- saved lists (an order guide) ------------------------------------------------------


class SavedListInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Weekly exam room"})


class SavedListItemInSchema(Schema):
    """A product by id, or by SKU, and its quantity."""

    product_id = Id(metadata={"example": 101})
    sku = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "GLV-100"})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY), metadata={"example": 12})


class SavedListToCartSchema(Schema):
    location_id = Id(required=True, metadata={"example": 12})


class SavedListItemSchema(Schema):
    product_id = fields.Integer(required=True, metadata={"example": 101})
    sku = fields.String(attribute="product.sku", required=True, metadata={"example": "GLV-100"})
    name = fields.String(attribute="product.name", required=True, metadata={"example": "Nitrile gloves, box of 100"})
    quantity = fields.Integer(required=True, metadata={"example": 12})


class SavedListSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 4})
    practice_id = fields.Integer(required=True, metadata={"example": 3})
    name = fields.String(required=True, metadata={"example": "Weekly exam room"})
    created_by = fields.String(required=True, metadata={"example": "buyer@lakeside.example"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    items = fields.List(fields.Nested(SavedListItemSchema), required=True)
