from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import DecimalString, Id, Price, Schema, WholeNumber
from gpo.orders.models import CYCLE_STATUSES, ORDER_STATUSES


class CycleSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "December 2026"})
    opens_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T00:00:00Z"})
    closes_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-15T23:00:00Z"})
    status = fields.String(dump_only=True, metadata={"example": "open"})
    closing_started_at = fields.DateTime(dump_only=True, allow_none=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    close_job_id = fields.Integer(dump_only=True, allow_none=True)


class CycleQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(CYCLE_STATUSES))


class JobRefSchema(Schema):
    job_id = fields.Integer(attribute="close_job_id", metadata={"example": 42})
    cycle_id = fields.Integer(attribute="id")
    status = fields.String()


class OrderLineInSchema(Schema):
    product_id = Id(required=True, metadata={"example": 101})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=1_000_000), metadata={"example": 12})


class OrderCreateSchema(Schema):
    practice_id = Id(metadata={"description": "MSO staff ordering on a practice's behalf"})
    location_id = Id(required=True, metadata={"example": 12})
    lines = fields.List(fields.Nested(OrderLineInSchema), required=True, validate=validate.Length(min=1, max=500))
    submit = fields.Boolean(load_default=True, metadata={"description": "false keeps it a draft"})


class OrderUpdateSchema(Schema):
    location_id = Id()
    lines = fields.List(fields.Nested(OrderLineInSchema), validate=validate.Length(min=1, max=500))


class OrderLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    contract_id = fields.Integer()
    quantity = fields.Integer()
    clinical = fields.Boolean()
    list_price = Price(metadata={"description": "the list price when the order was placed"})
    estimated_unit_price = Price(allow_none=True, metadata={"description": "at the tier the contract reaches now"})
    unit_price = Price(allow_none=True, metadata={"description": "final, set by the close"})
    list_cents = fields.Integer(allow_none=True)
    line_cents = fields.Integer(allow_none=True)
    savings_cents = fields.Integer(allow_none=True)
    accepted_quantity = fields.Integer(allow_none=True)
    shipped_quantity = fields.Integer()


class OrderSchema(Schema):
    id = fields.Integer()
    practice_id = fields.Integer()
    location_id = fields.Integer()
    cycle_id = fields.Integer()
    status = fields.String(metadata={"example": "confirmed"})
    placed_by = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    approved_by_user_id = fields.Integer(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    missed_reason = fields.String(allow_none=True)
    copied_from_order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(OrderLineSchema))


class OrderQuerySchema(Schema):
    cycle_id = Id()
    practice_id = Id()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class TierRefSchema(Schema):
    min_volume = fields.Integer()
    discount_percent = DecimalString()
    item_prices = fields.Dict(keys=fields.String(), values=fields.String())


class TierProgressSchema(Schema):
    contract_id = fields.Integer()
    cycle_id = fields.Integer()
    basis = fields.String(metadata={"example": "units"})
    volume = fields.Integer(metadata={"example": 238})
    achieved_tier = fields.Nested(TierRefSchema)
    next_tier = fields.Nested(TierRefSchema, allow_none=True)
    volume_to_next_tier = fields.Integer(allow_none=True, metadata={"example": 12})
    savings_at_next_tier_cents = fields.Integer(allow_none=True, metadata={"example": 41250})


class TierProgressQuerySchema(Schema):
    cycle_id = Id()


class AchievedTierSchema(Schema):
    index = fields.Integer()
    min_volume = fields.Integer()
    discount_percent = DecimalString()


class CycleResultSchema(Schema):
    contract_id = fields.Integer()
    title = fields.String()
    vendor_id = fields.Integer()
    basis = fields.String()
    volume = fields.Integer()
    achieved_tier = fields.Nested(AchievedTierSchema)
    list_cents = fields.Integer(metadata={"example": 1250000})
    paid_cents = fields.Integer(metadata={"example": 1093750})
    savings_cents = fields.Integer(metadata={"example": 156250})


class PurchaseOrderLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    location_id = fields.Integer()
    quantity = fields.Integer()
    unit_price = Price()
    line_cents = fields.Integer()
    accepted_quantity = fields.Integer(allow_none=True)
    shipped_quantity = fields.Integer()


class PurchaseOrderSchema(Schema):
    id = fields.Integer()
    cycle_id = fields.Integer()
    contract_id = fields.Integer()
    vendor_id = fields.Integer()
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(PurchaseOrderLineSchema))


class PurchaseOrderQuerySchema(Schema):
    cycle_id = Id()


class AcknowledgeLineSchema(Schema):
    line_id = Id(required=True)
    accepted_quantity = WholeNumber(required=True, validate=validate.Range(min=0))


class AcknowledgeSchema(Schema):
    lines = fields.List(fields.Nested(AcknowledgeLineSchema), required=True, validate=validate.Length(min=1))


class ShipmentLineInSchema(Schema):
    line_id = Id(required=True)
    location_id = Id(required=True)
    quantity = WholeNumber(required=True, validate=validate.Range(min=1))


class ShipmentInSchema(Schema):
    lines = fields.List(fields.Nested(ShipmentLineInSchema), required=True, validate=validate.Length(min=1))
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "UPS"})
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                    metadata={"example": "1Z999AA10123456784"})


class ShipmentLineSchema(Schema):
    purchase_order_line_id = fields.Integer()
    quantity = fields.Integer()


class ShipmentSchema(Schema):
    id = fields.Integer()
    purchase_order_id = fields.Integer()
    carrier = fields.String()
    tracking_number = fields.String()
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(ShipmentLineSchema))
