from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import DecimalString, Id, Price, Schema, WholeNumber
from gpo.catalog.schemas import MAX_PRICE
from gpo.orders.line_states import LINE_STATES, line_state, unit_states
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
    substitutions_allowed = fields.Boolean(metadata={
        "example": True, "description": "the vendor may offer an equivalent product for units it cannot ship (default true)"})
    backorders_allowed = fields.Boolean(metadata={
        "example": True, "description": "the vendor may backorder units to ship later (default true)"})


class OrderUpdateSchema(Schema):
    location_id = Id(metadata={"example": 12})
    lines = fields.List(fields.Nested(OrderLineInSchema), validate=validate.Length(min=1, max=500))
    substitutions_allowed = fields.Boolean(metadata={
        "example": True, "description": "the vendor may offer an equivalent product for units it cannot ship (default true)"})
    backorders_allowed = fields.Boolean(metadata={
        "example": True, "description": "the vendor may backorder units to ship later (default true)"})


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
    substitutions_allowed = fields.Boolean(required=True, metadata={"example": True})
    backorders_allowed = fields.Boolean(required=True, metadata={"example": True})
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


def _computed(kind, fn, **kwargs):
    """A field of `kind` dumping `fn(obj)`: computed, yet not readOnly in the document
    (answers and requests are separate schemas already)."""

    class Read(kind):
        def get_value(self, obj, attr, accessor=None, default=None):
            return fn(obj)

    return Read(**kwargs)


class PurchaseOrderLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 61})
    product_id = fields.Integer(required=True, metadata={"example": 101})
    location_id = fields.Integer(required=True, metadata={"example": 12})
    quantity = fields.Integer(required=True, metadata={"example": 40})
    unit_price = Price(required=True, metadata={"example": "17.4913"})
    line_cents = fields.Integer(required=True, metadata={"example": 69965})
    accepted_quantity = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "null until the vendor acknowledges the line"})
    backordered_quantity = fields.Integer(required=True, metadata={"example": 0})
    expected_ship_on = fields.Date(required=True, allow_none=True, metadata={
        "example": None, "description": "when backordered units are expected to ship"})
    backorder_cancelled_quantity = fields.Integer(required=True, metadata={"example": 0})
    open_backorder = fields.Integer(required=True, metadata={
        "example": 0, "description": "backordered units neither cancelled nor shipped"})
    substituted_quantity = fields.Integer(required=True, metadata={
        "example": 0, "description": "units offered (or approved) as another product: see /substitutions"})
    rejected_quantity = fields.Integer(required=True, metadata={
        "example": 0, "description": "units rejected (a declined substitute too)"})
    replacement_quantity = fields.Integer(required=True, metadata={"example": 0})
    deliverable = fields.Integer(required=True, metadata={
        "example": 40, "description": "accepted + backordered - cancelled + replacements: what may ship"})
    shipped_quantity = fields.Integer(required=True, metadata={"example": 0})
    received_quantity = fields.Integer(required=True, metadata={"example": 0})
    invoiced_quantity = fields.Integer(required=True, metadata={"example": 0})
    substitution_of_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "an approved substitute's line: the line it replaces units of"})
    state = _computed(fields.String, line_state, required=True, metadata={
        "example": "awaiting_acknowledgement", "enum": [*LINE_STATES, "split"],
        "description": "the one state of all its units, or split"})
    states = _computed(fields.Dict, unit_states, keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "example": {"accepted": 30, "backordered": 10}, "description": "units per state"})


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


def _unit_price(value: Decimal) -> None:
    if not value.is_finite() or value < 0:
        raise ValidationError("unit_price must be 0 or more")
    if value.as_tuple().exponent < -4:
        raise ValidationError("unit_price has at most 4 decimal places")
    if value > MAX_PRICE:
        raise ValidationError(f"unit_price is at most {MAX_PRICE}")


class SubstituteInSchema(Schema):
    product_id = Id(required=True, metadata={"example": 104})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY), metadata={"example": 5})
    unit_price = Price(required=True, validate=_unit_price, metadata={
        "example": "16.5000", "description": "at most the line's unit price, 4 places"})


class AcknowledgeLineSchema(Schema):
    line_id = Id(required=True, metadata={"example": 61})
    accepted_quantity = WholeNumber(required=True, validate=validate.Range(min=0), metadata={"example": 30})
    backordered_quantity = WholeNumber(load_default=0, validate=validate.Range(min=0), metadata={"example": 5})
    expected_ship_on = fields.Date(allow_none=True, metadata={
        "example": "2027-01-20", "description": "required with backordered units; today or later"})
    substitute = fields.Nested(SubstituteInSchema, allow_none=True, metadata={
        "example": {"product_id": 104, "quantity": 5, "unit_price": "16.5000"},
        "description": "another of the vendor's active products offered for some units; the practice decides"})


class AcknowledgeSchema(Schema):
    lines = fields.List(fields.Nested(AcknowledgeLineSchema), required=True, validate=validate.Length(min=1),
                        metadata={"example": [
                            {"line_id": 61, "accepted_quantity": 30, "backordered_quantity": 5,
                             "expected_ship_on": "2027-01-20",
                             "substitute": {"product_id": 104, "quantity": 5, "unit_price": "16.5000"}}]})


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
