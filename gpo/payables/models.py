"""What the MSO owes its vendors (DOMAIN.md "After the close"): vendor invoices and
their three-way match, settlements with their remittance advice, and admin fees the
vendors remit."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.catalog.models import Price
from gpo.contracts.models import Percent
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

# pending_receipt: more invoiced than received so far, shipments still to arrive;
# exception: a price above the contract's (beyond the tolerance) or more invoiced than can
# still arrive; approved: matched, or approved over an exception by MSO finance with a
# reason; disputed: sent back to the vendor; replaced: a corrected invoice replaced it.
VENDOR_INVOICE_STATUSES = ("pending_receipt", "exception", "approved", "disputed", "replaced")
# Invoices whose units count against a line's deliverable units (all but replaced).
COUNTED_STATUSES = ("pending_receipt", "exception", "approved", "disputed")
PRICE_RESULTS = ("match", "below", "exception")  # at (or within tolerance), under, over the contract price
QUANTITY_RESULTS = ("matched", "pending_receipt", "exception")
SETTLEMENT_STATUSES = ("pending", "sent")


class VendorInvoice(CreatedAtMixin, db.Model):
    __tablename__ = "vendor_invoices"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", VENDOR_INVOICE_STATUSES), name="status"),
        CheckConstraint("goods_cents >= 0 AND freight_cents >= 0 AND tax_cents >= 0", name="amounts"),
        CheckConstraint("total_cents = goods_cents + freight_cents + tax_cents", name="total"),
        CheckConstraint("settlement_id IS NULL OR status = 'approved'", name="settled_approved"),
        # A vendor's invoice number is used once (a duplicate is a 409).
        UniqueConstraint("vendor_id", "number"),
        # A corrected invoice replaces one disputed invoice, once.
        UniqueConstraint("replaces_invoice_id"),
        Index("ix_vendor_invoices_vendor_status", "vendor_id", "status"),
    )
    __noun__ = "vendor invoice"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"))
    purchase_order_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_orders.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    goods_cents: Mapped[int] = mapped_column(BigInteger)  # the lines at the invoiced prices
    freight_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    # Sum of the lines' price exceptions (invoiced above contract), and of what they
    # invoiced below contract (passed to the practices on approval).
    exception_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    favourable_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    submitted_by: Mapped[str] = mapped_column(String(254))
    replaces_invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("vendor_invoices.id"))
    # MSO finance's dispute or override approval, with its reason (also audited).
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When freight, tax and favourable differences reached the practices (once).
    passed_through_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    settlement_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("vendor_settlements.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    lines: Mapped[list["VendorInvoiceLine"]] = relationship(
        lazy="selectin", order_by="VendorInvoiceLine.id", cascade="all, delete-orphan")
    taxes: Mapped[list["VendorInvoiceTax"]] = relationship(
        lazy="selectin", order_by="VendorInvoiceTax.location_id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class VendorInvoiceLine(db.Model):
    """One invoiced purchase-order line and its match: the price against the line's
    contract price (the close's final price, or the agreed substitute's), the units
    against the good units received."""

    __tablename__ = "vendor_invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint(one_of_sql("price_result", PRICE_RESULTS), name="price_result"),
        CheckConstraint(one_of_sql("quantity_result", QUANTITY_RESULTS), name="quantity_result"),
        CheckConstraint("price_difference_cents = line_cents - contract_cents", name="price_difference"),
        UniqueConstraint("vendor_invoice_id", "purchase_order_line_id"),
        Index("ix_vendor_invoice_lines_po_line", "purchase_order_line_id"),
    )

    id: Mapped[IdPK]
    vendor_invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendor_invoices.id", ondelete="CASCADE"))
    purchase_order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Price)
    line_cents: Mapped[int] = mapped_column(BigInteger)  # line_cents(unit_price, quantity)
    contract_price: Mapped[Decimal] = mapped_column(Price)
    contract_cents: Mapped[int] = mapped_column(BigInteger)  # line_cents(contract_price, quantity)
    price_difference_cents: Mapped[int] = mapped_column(BigInteger)  # > 0 above contract, < 0 below
    price_result: Mapped[str] = mapped_column(String(16))
    quantity_result: Mapped[str] = mapped_column(String(16))
    # Units beyond what was (or can still be) received, at the last match.
    excess_quantity: Mapped[int] = mapped_column(Integer, default=0)


class VendorInvoiceTax(db.Model):
    """Sales tax the vendor charged for one ship-to location (it goes to its practice)."""

    __tablename__ = "vendor_invoice_taxes"
    __table_args__ = (CheckConstraint("tax_cents >= 0", name="tax"),)

    vendor_invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendor_invoices.id", ondelete="CASCADE"),
                                                   primary_key=True)
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"), primary_key=True)
    tax_cents: Mapped[int] = mapped_column(BigInteger)


class VendorSettlement(CreatedAtMixin, db.Model):
    """One payment to a vendor: its approved, unsettled invoices issued on or before
    `through`, less the admin fees netted. payable = invoices - deductions, to the cent."""

    __tablename__ = "vendor_settlements"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", SETTLEMENT_STATUSES), name="status"),
        CheckConstraint("payable_cents = invoices_cents - deductions_cents", name="payable"),
        CheckConstraint("deductions_cents >= 0", name="deductions"),
        CheckConstraint("(status = 'sent') = (bank_reference IS NOT NULL)", name="sent_reference"),
        # A run for a date settles a vendor once, however often it runs.
        UniqueConstraint("vendor_id", "through"),
    )
    __noun__ = "vendor settlement"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    through: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    invoices_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    deductions_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    payable_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_by: Mapped[str | None] = mapped_column(String(254))
    requested_by: Mapped[str] = mapped_column(String(254))
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    deductions: Mapped[list["SettlementDeduction"]] = relationship(
        lazy="selectin", order_by="(SettlementDeduction.vendor_invoice_id, SettlementDeduction.contract_id)")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class SettlementDeduction(db.Model):
    """An admin fee netted from a settlement: round_half_up(goods_cents *
    admin_fee_percent / 100) on one invoice's goods under a contract whose terms say
    `admin_fee_settlement: netted`."""

    __tablename__ = "settlement_deductions"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount"),)

    settlement_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendor_settlements.id"), primary_key=True)
    vendor_invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendor_invoices.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), primary_key=True)
    goods_cents: Mapped[int] = mapped_column(BigInteger)
    admin_fee_percent: Mapped[Decimal] = mapped_column(Percent)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class AdminFeeRemittance(CreatedAtMixin, db.Model):
    """An admin fee a vendor paid the MSO itself (contracts whose fees are remitted, not
    netted), recorded by MSO finance."""

    __tablename__ = "admin_fee_remittances"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount"),
        UniqueConstraint("vendor_id", "reference"),
    )
    __noun__ = "admin fee remittance"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"))
    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(254))

    @property
    def tenant_id(self) -> int:
        return self.vendor_id
