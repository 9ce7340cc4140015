from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import Id, Price, Schema, WholeNumber
from gpo.catalog.models import CATEGORIES, IMPORT_MODES
from gpo.identifiers import is_valid_gtin

# Well inside NUMERIC(14,4), and small enough that SQL price arithmetic stays within
# 64-bit integers on SQLite (price in 1/10000ths x a discount in 1/10000ths of a percent).
MAX_PRICE = Decimal("99999999.9999")


def _price(value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise ValidationError("list_price must be greater than 0")
    if value.as_tuple().exponent < -4:
        raise ValidationError("list_price has at most 4 decimal places")
    if value > MAX_PRICE:
        raise ValidationError(f"list_price is at most {MAX_PRICE}")


def _gtin(value: str | None) -> None:
    if value is not None and not is_valid_gtin(value):
        raise ValidationError("not a valid GTIN: 8, 12, 13 or 14 digits with the GS1 check digit")


class ProductCreateSchema(Schema):
    """A product as a vendor sends it (one API call or one import row)."""

    sku = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^\S(.*\S)?$", error="sku must not start or end with spaces")],
        metadata={"example": "GLV-NIT-M"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"example": "Nitrile exam gloves, medium, box of 100"})
    description = fields.String(validate=validate.Length(max=5000), metadata={"example": "Powder-free, latex-free."})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={"example": "supplies"})
    manufacturer = fields.String(validate=validate.Length(max=200), metadata={"example": "Acme"})
    manufacturer_part_number = fields.String(validate=validate.Length(max=100), metadata={"example": "AC-100M"})
    gtin = fields.String(allow_none=True, validate=_gtin, metadata={"example": "00012345678905"})
    unit_of_measure = fields.String(validate=validate.Length(min=1, max=50), metadata={"example": "box"})
    list_price = Price(required=True, validate=_price, metadata={"example": "12.9900"})
    clinical = fields.Boolean(metadata={"example": False})
    min_order_quantity = WholeNumber(validate=validate.Range(min=1, max=1_000_000), metadata={"example": 1})
    order_multiple = WholeNumber(validate=validate.Range(min=1, max=1_000_000), metadata={"example": 1})
    active = fields.Boolean(metadata={"example": True})


class ProductUpdateSchema(ProductCreateSchema):
    """Any subset of a product's fields (used with partial=True)."""


class ProductSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 101})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    sku = fields.String(required=True, metadata={"example": "GLV-NIT-M"})
    name = fields.String(required=True, metadata={"example": "Nitrile exam gloves, medium, box of 100"})
    description = fields.String(required=True, metadata={"example": "Powder-free, latex-free."})
    category = fields.String(required=True,
                             metadata={"example": "supplies", "description": "equipment, it, supplies or services"})
    manufacturer = fields.String(required=True, metadata={"example": "Acme"})
    manufacturer_part_number = fields.String(required=True, metadata={"example": "AC-100M"})
    gtin = fields.String(required=True, allow_none=True, metadata={"example": "00012345678905"})
    unit_of_measure = fields.String(required=True, metadata={"example": "box"})
    list_price = Price(required=True, metadata={"example": "12.9900"})
    clinical = fields.Boolean(required=True, metadata={"example": False})
    min_order_quantity = fields.Integer(required=True, metadata={"example": 1})
    order_multiple = fields.Integer(required=True, metadata={"example": 1})
    active = fields.Boolean(required=True, metadata={"example": True})
    clinical_marked_by_mso = fields.Boolean(required=True, metadata={
        "example": False, "description": "MSO procurement marked it clinical: its vendor cannot unmark it"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    updated_at = fields.DateTime(required=True, metadata={"example": "2026-11-20T08:12:44+00:00"})


class PriceSchema(Schema):
    list_price = Price(required=True, metadata={"example": "12.9900"})
    effective_from = fields.DateTime(required=True, metadata=CREATED_AT)
    effective_to = fields.DateTime(required=True, allow_none=True, metadata={
        "example": None, "description": "null for the price in effect"})


class ProductContractSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 4})
    title = fields.String(required=True, metadata={"example": "Exam room supplies 2027"})
    starts_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    ends_on = fields.Date(required=True, metadata={"example": "2027-12-31"})


class ProductDetailSchema(ProductSchema):
    """A product's page: reads a `gpo.catalog.products.ProductDetail` (the product's
    fields and price history from its `product`, and its `contracts`)."""

    price_history = fields.List(fields.Nested(PriceSchema), attribute="prices", required=True,
                                metadata={"description": "newest first"})
    contracts = fields.List(fields.Nested(ProductContractSchema), required=True,
                            metadata={"description": "the contracts in effect that the product is on"})


class ProductQuerySchema(Schema):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"example": "nitrile gloves"})
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    vendor_id = Id()
    clinical = fields.Boolean()
    active = fields.Boolean(metadata={"description": "Vendors (their own) and MSO staff may list inactive products."})
    on_contract = fields.Boolean(metadata={"description": "only products on (true) or not on (false) a contract in effect"})
    sort = fields.String(
        load_default="name",
        validate=validate.OneOf(["name", "-name", "price", "-price"]),
        metadata={"description": "name or price, '-' for descending"},
    )


class ImportRequestSchema(Schema):
    """Documents the JSON body; the view parses it itself (rows are validated one by one by the job)."""

    mode = fields.String(validate=validate.OneOf(IMPORT_MODES), load_default="upsert", metadata={
        "example": "upsert", "description": "replace also deactivates the vendor's products the file no longer lists"})
    products = fields.List(fields.Nested(ProductCreateSchema), required=True)


class ImportQuerySchema(Schema):
    mode = fields.String(validate=validate.OneOf(IMPORT_MODES),
                         metadata={"description": "for CSV bodies (JSON bodies carry mode themselves)"})


class ImportErrorSchema(Schema):
    line = fields.Integer(required=True, metadata={"example": 7})
    sku = fields.String(required=True, allow_none=True, metadata={"example": "GLV-NIT-L"})
    errors = fields.Dict(required=True, metadata={"example": {"list_price": ["list_price must be greater than 0"]}})


class CatalogImportSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 14})
    vendor_id = fields.Integer(required=True, metadata={"example": 5})
    mode = fields.String(required=True, metadata={"example": "upsert"})
    source_format = fields.String(required=True, metadata={"example": "csv", "description": "csv or json"})
    status = fields.String(required=True, metadata={"example": "finished", "description": "queued, running, finished or failed"})
    job_id = fields.Integer(required=True, allow_none=True, metadata={"example": 42})
    row_count = fields.Integer(required=True, metadata={"example": 1200})
    created = fields.Integer(required=True, metadata={"example": 1150})
    updated = fields.Integer(required=True, metadata={"example": 40})
    unchanged = fields.Integer(required=True, metadata={"example": 0})
    deactivated = fields.Integer(required=True, metadata={"example": 3})
    failed = fields.Integer(required=True, metadata={"example": 10})
    errors = fields.List(fields.Nested(ImportErrorSchema), required=True)
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)
    finished_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-11-02T15:04:09+00:00"})


class CatalogImportSummarySchema(CatalogImportSchema):
    """An import in a list (without its errors)."""

    class Meta:
        exclude = ("errors",)
