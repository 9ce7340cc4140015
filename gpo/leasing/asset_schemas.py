"""The assets' schemas (API.md "Leasing": GET/POST /leasing/assets, GET /leasing/assets/{id}):
an asset as MSO finance records it, the list's filters, and an asset as read, with
its status, who leases it now and its history."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.accounts.schemas import CREATED_AT
from gpo.api import Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS
from gpo.leasing.assets import ASSET_STATUSES, MAX_ECONOMIC_LIFE_MONTHS
from gpo.leasing.models import ASSET_CATEGORIES, END_OUTCOMES, LEASE_STATUSES
from gpo.leasing.schemas import Cents

ASSET_CREATE_EXAMPLE = {
    "description": "Digital X-ray unit", "category": "medical_equipment", "clinical": True, "specialized": False,
    "serial_number": "DRX-20417", "cost_cents": 4500000, "fair_value_cents": 4800000, "acquired_on": "2026-11-30",
    "economic_life_months": 120, "sold_by_practice_id": 3,
}


class AssetInSchema(Schema):
    """An asset the MSO bought; with `sold_by_practice_id`, bought from that practice for a
    sale-leaseback (the price becomes the practice's credit)."""

    description = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"example": "Digital X-ray unit"})
    category = fields.String(required=True, validate=validate.OneOf(ASSET_CATEGORIES),
                             metadata={"example": "medical_equipment", "description": ", ".join(ASSET_CATEGORIES)})
    clinical = fields.Boolean(required=True, metadata={
        "example": True, "description": "clinical equipment: a physician of the practice signs its lease (CPOM)"})
    specialized = fields.Boolean(load_default=False, metadata={
        "example": False, "description": "so specialized it has no other use after the lease (an ASC 842 test)"})
    serial_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                                  metadata={"example": "DRX-20417"})
    cost_cents = Cents(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={
        "example": 4500000, "description": "what the MSO paid (for a sale-leaseback: the price paid to the practice)"})
    fair_value_cents = Cents(required=True, validate=validate.Range(min=1, max=MAX_CENTS), metadata={
        "example": 4800000, "description": "what the asset is worth now (the 90% test's base)"})
    acquired_on = fields.Date(required=True, metadata={"example": "2026-11-30", "description": "today or earlier"})
    economic_life_months = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ECONOMIC_LIFE_MONTHS),
                                       metadata={"example": 120, "description": f"1 to {MAX_ECONOMIC_LIFE_MONTHS}, "
                                                                                "from when the MSO acquired it"})
    sold_by_practice_id = Id(load_default=None, allow_none=True, metadata={
        "example": 3, "description": "a sale-leaseback: the practice whose equipment the MSO buys"})


class AssetQuerySchema(Schema):
    available = fields.Boolean(metadata={"description": "on no active lease and not sold (true), or the others"})
    practice_id = Id(metadata={"description": "assets a practice sold, or with a lease to it (not withdrawn)"})
    category = fields.String(validate=validate.OneOf(ASSET_CATEGORIES))
    clinical = fields.Boolean()


class AssetLeaseSchema(Schema):
    """A lease of the asset, as its history shows it."""

    lease_id = Id(required=True, metadata={"example": 12})
    practice_id = Id(required=True, metadata={"example": 3})
    practice_name = fields.String(required=True, metadata={"example": "Lakeside Family Medicine"})
    status = fields.String(required=True, validate=validate.OneOf(LEASE_STATUSES), metadata={"example": "active"})
    commences_on = fields.Date(required=True, metadata={"example": "2027-01-01"})
    term_months = WholeNumber(required=True, metadata={"example": 48})
    rent_cents = Cents(required=True, metadata={"example": 48729})
    ended_on = fields.Date(required=True, allow_none=True, metadata={"example": None})
    end_outcome = fields.String(required=True, allow_none=True, validate=validate.OneOf(END_OUTCOMES),
                                metadata={"example": None, "description": ", ".join(END_OUTCOMES)})


class AssetOriginSchema(Schema):
    """Where the asset came from: bought, or bought from a practice (sale-leaseback)."""

    kind = fields.String(required=True, validate=validate.OneOf(("bought", "sale_leaseback")),
                         metadata={"example": "sale_leaseback"})
    acquired_on = fields.Date(required=True, metadata={"example": "2026-11-30"})
    cost_cents = Cents(required=True, metadata={"example": 4500000})
    practice_id = Id(required=True, allow_none=True, metadata={"example": 3, "description": "the seller"})
    practice_name = fields.String(required=True, allow_none=True, metadata={"example": "Lakeside Family Medicine"})
    credit_id = Id(required=True, allow_none=True, metadata={
        "example": 41, "description": "the credit that paid the seller, applied to its next invoices"})
    summary = fields.String(required=True, metadata={"example": (
        "Bought from Lakeside Family Medicine on 2026-11-30 for $45,000.00 (sale-leaseback), paid as credit #41 "
        "on the practice's next invoices.")})


class AssetHistorySchema(Schema):
    origin = fields.Nested(AssetOriginSchema, required=True)
    leases = fields.List(fields.Nested(AssetLeaseSchema), required=True, metadata={
        "description": "every lease of it, oldest first (withdrawn offers left out; a practice: its own)"})


class AssetSchema(Schema):
    """An asset with its status, its lease in effect and its history. A practice reads
    its own leases only, and the seller of a sale-leaseback only when it is the seller."""

    id = Id(required=True, metadata={"example": 7})
    description = fields.String(required=True, metadata={"example": "Digital X-ray unit"})
    category = fields.String(required=True, metadata={"example": "medical_equipment"})
    clinical = fields.Boolean(required=True, metadata={"example": True})
    specialized = fields.Boolean(required=True, metadata={"example": False})
    serial_number = fields.String(required=True, allow_none=True, metadata={"example": "DRX-20417"})
    cost_cents = Cents(required=True, metadata={"example": 4500000})
    fair_value_cents = Cents(required=True, metadata={"example": 4800000})
    acquired_on = fields.Date(required=True, metadata={"example": "2026-11-30"})
    economic_life_months = WholeNumber(required=True, metadata={"example": 120})
    sold_by_practice_id = Id(required=True, allow_none=True, metadata={"example": 3})
    purchase_credit_id = Id(required=True, allow_none=True, metadata={"example": 41})
    status = fields.String(required=True, validate=validate.OneOf(ASSET_STATUSES), metadata={
        "example": "leased", "description": "leased (an active lease), offered (offers only), available, sold"})
    leased_to = fields.Nested(AssetLeaseSchema, required=True, metadata={
        "nullable": True, "description": "the active lease, if any (a practice: when it is its own)"})
    history = fields.Nested(AssetHistorySchema, required=True)
    created_by = fields.String(required=True, metadata={"example": "finance@mso.example"})
    created_at = fields.DateTime(required=True, metadata=CREATED_AT)


QUOTE_EXAMPLE = {
    "asset_id": 7, "practice_id": 3, "term_months": 48, "annual_rate_percent": "15", "residual_cents": 660000,
    "advance_payments": 4, "down_payment_cents": 0, "commences_on": "2027-01-01",
}

