"""Vendor invoices over the API (API.md "After the close"): what a vendor sends, and an
invoice with each line's three-way match."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from gpo.api import Id, Price, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS
from gpo.catalog.schemas import MAX_PRICE
from gpo.payables.models import PRICE_RESULTS, QUANTITY_RESULTS, VENDOR_INVOICE_STATUSES

Cents = WholeNumber  # integer cents
MAX_UNITS = 10**9


def _unit_price(value: Decimal) -> None:
    if not value.is_finite() or value < 0:
        raise ValidationError("unit_price must not be negative")
    if value.as_tuple().exponent < -4:
        raise ValidationError("unit_price has at most 4 decimal places")
    if value > MAX_PRICE:
        raise ValidationError(f"unit_price is at most {MAX_PRICE}")


class VendorInvoiceLineInSchema(Schema):
    po_line_id = Id(required=True, metadata={"example": 61, "description": "a line of the purchase order"})
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_UNITS), metadata={"example": 60})
    unit_price = Price(required=True, validate=_unit_price, metadata={"example": "18.2500"})


class VendorInvoiceTaxInSchema(Schema):
    location_id = Id(required=True, metadata={"example": 12, "description": "a ship-to location of the purchase order"})
    tax_cents = Cents(required=True, validate=validate.Range(min=0, max=MAX_CENTS), metadata={"example": 8640})


class VendorInvoiceInSchema(Schema):
    """A vendor's invoice for one purchase order: its lines at the prices it charges,
    freight, and sales tax per ship-to location."""

    number = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "example": "ACME-2027-0042", "description": "the vendor's own number, used once per vendor"})
    purchase_order_id = Id(required=True, metadata={"example": 9})
    issued_on = fields.Date(required=True, metadata={"example": "2027-01-20"})
    lines = fields.List(fields.Nested(VendorInvoiceLineInSchema), required=True,
                        validate=validate.Length(min=1, max=1000))
    freight_cents = Cents(load_default=0, validate=validate.Range(min=0, max=MAX_CENTS), metadata={"example": 2501})
    tax = fields.List(fields.Nested(VendorInvoiceTaxInSchema), load_default=list, validate=validate.Length(max=1000))
    replaces_invoice_id = Id(load_default=None, allow_none=True, metadata={
        "example": None, "description": "a disputed invoice of the same purchase order this one corrects"})


class VendorInvoiceQuerySchema(Schema):
    vendor_id = Id(metadata={"example": 5})
    status = fields.String(validate=validate.OneOf(VENDOR_INVOICE_STATUSES), metadata={"example": "exception"})


class VendorInvoiceDecisionSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata={
        "example": "the vendor's price increase was agreed by phone on 14 January", "description": "why (audited)"})


class VendorInvoiceLineSchema(Schema):
    """One invoiced line and its match: the price against the purchase order's contract
    price, the units (over the vendor's invoices so far) against the good units received."""

    id = Id(required=True, metadata={"example": 301})
    po_line_id = Id(required=True, attribute="purchase_order_line_id", metadata={"example": 61})
    quantity = WholeNumber(required=True, metadata={"example": 60})
    unit_price = Price(required=True, metadata={"example": "18.2500"})
    line_cents = Cents(required=True, metadata={"example": 109500})
    contract_price = Price(required=True, metadata={"example": "17.9910"})
    contract_cents = Cents(required=True, metadata={"example": 107946})
    price_difference_cents = Cents(required=True, metadata={
        "example": 1554, "description": "line_cents - contract_cents: above the contract > 0, below < 0"})
    price_result = fields.String(required=True, validate=validate.OneOf(PRICE_RESULTS), metadata={
        "example": "exception", "description": "match, below (passed to the practices) or exception"})
    quantity_result = fields.String(required=True, validate=validate.OneOf(QUANTITY_RESULTS), metadata={
        "example": "matched", "description": "matched, pending_receipt (shipments still to arrive) or exception"})
    excess_quantity = WholeNumber(required=True, metadata={
        "example": 0, "description": "units beyond what was received (pending) or can still arrive (exception)"})


class VendorInvoiceTaxSchema(Schema):
    location_id = Id(required=True, metadata={"example": 12})
    tax_cents = Cents(required=True, metadata={"example": 8640})


class VendorInvoiceSchema(Schema):
    id = Id(required=True, metadata={"example": 40})
    vendor_id = Id(required=True, metadata={"example": 5})
    purchase_order_id = Id(required=True, metadata={"example": 9})
    number = fields.String(required=True, metadata={"example": "ACME-2027-0042"})
    issued_on = fields.Date(required=True, metadata={"example": "2027-01-20"})
    status = fields.String(required=True, validate=validate.OneOf(VENDOR_INVOICE_STATUSES), metadata={
        "example": "exception",
        "description": "pending_receipt, exception, approved (matched, or by MSO finance with a reason), "
                       "disputed or replaced"})
    goods_cents = Cents(required=True, metadata={"example": 109500})
    freight_cents = Cents(required=True, metadata={"example": 2501})
    tax_cents = Cents(required=True, metadata={"example": 8640})
    total_cents = Cents(required=True, metadata={"example": 120641})
    exception_cents = Cents(required=True, metadata={"example": 1554, "description": "the lines' price exceptions"})
    favourable_cents = Cents(required=True, metadata={
        "example": 0, "description": "invoiced below contract: passed to the practices on approval"})
    submitted_by = fields.String(required=True, metadata={"example": "api_key:3"})
    replaces_invoice_id = Id(required=True, allow_none=True, metadata={"example": None})
    decided_by = fields.String(required=True, allow_none=True, metadata={"example": None})
    decided_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    decision_reason = fields.String(required=True, allow_none=True, metadata={"example": None})
    approved_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    passed_through_at = fields.DateTime(required=True, allow_none=True, metadata={
        "example": None, "description": "when freight, tax and favourable differences reached the practices"})
    settlement_id = Id(required=True, allow_none=True, metadata={"example": None})
    created_at = fields.DateTime(required=True, metadata={"example": "2027-01-20T15:04:05+00:00"})
    lines = fields.List(fields.Nested(VendorInvoiceLineSchema), required=True)
    tax = fields.List(fields.Nested(VendorInvoiceTaxSchema), required=True, attribute="taxes")


VENDOR_INVOICE_EXAMPLE = {
    "number": "ACME-2027-0042", "purchase_order_id": 9, "issued_on": "2027-01-20",
    "lines": [{"po_line_id": 61, "quantity": 60, "unit_price": "18.2500"}],
    "freight_cents": 2501, "tax": [{"location_id": 12, "tax_cents": 8640}],
}
DECISION_EXAMPLE = {"reason": "the vendor's price increase was agreed by phone on 14 January"}
