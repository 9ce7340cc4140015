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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.catalog.models import Price, Product
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

CYCLE_STATUSES = ("scheduled", "open", "closing", "closed")
# An order is "submitted" for an instant: it is confirmed at once, or waits for a
# physician's approval when it has clinical lines.
ORDER_STATUSES = ("draft", "awaiting_approval", "confirmed", "priced", "invoiced", "cancelled", "missed_cycle")
OPEN_ORDER_STATUSES = ("draft", "awaiting_approval", "confirmed")
# Where a purchase order stands, read from its lines (no column): a line not
# acknowledged yet, accepted units not all shipped, or everything accepted shipped.
PO_STATUSES = ("awaiting_acknowledgement", "to_ship", "shipped")
# A vendor's offered substitute (DOMAIN.md "After the close"): the practice decides.
SUBSTITUTION_STATUSES = ("offered", "approved", "declined")



class Cycle(CreatedAtMixin, db.Model):
    """A buying round: practices order while it is open; the close pools the orders."""

    __tablename__ = "cycles"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", CYCLE_STATUSES), name="status"),
        CheckConstraint("closes_at > opens_at", name="window"),
        UniqueConstraint("name"),
        # At most one cycle is open at a time.
        Index("uq_cycles_one_open", "status", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
    __noun__ = "cycle"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(100))
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    closing_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    close_job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))


class Order(CreatedAtMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", ORDER_STATUSES), name="status"),
        Index("ix_orders_cycle_status", "cycle_id", "status"),
    )
    __noun__ = "order"

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    placed_by: Mapped[str] = mapped_column(String(254))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # CPOM: clinical lines count only once a physician of the practice approves.
    approved_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    missed_reason: Mapped[str | None] = mapped_column(Text)
    copied_from_order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"))
    # What the practice lets the vendor do with units it cannot ship now (DOMAIN.md
    # "After the close"): false makes those units rejected instead.
    substitutions_allowed: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    backorders_allowed: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Touched by every change, so the row (and its version, the ETag) changes with its lines.
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", lazy="selectin", order_by="OrderLine.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id

    @property
    def has_clinical_lines(self) -> bool:
        return any(line.clinical for line in self.lines)


class OrderLine(db.Model):
    """A product and quantity; list price snapshot at order time, final price at close."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("accepted_quantity IS NULL OR (accepted_quantity >= 0 AND accepted_quantity <= quantity)",
                        name="accepted_quantity"),
        CheckConstraint("shipped_quantity >= 0", name="shipped_quantity"),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    list_price: Mapped[Decimal] = mapped_column(Price)
    clinical: Mapped[bool] = mapped_column(default=False)
    # Set by the close (and by a vendor's acknowledgement that refuses units).
    unit_price: Mapped[Decimal | None] = mapped_column(Price)
    list_cents: Mapped[int | None] = mapped_column(BigInteger)
    line_cents: Mapped[int | None] = mapped_column(BigInteger)
    savings_cents: Mapped[int | None] = mapped_column(BigInteger)
    accepted_quantity: Mapped[int | None] = mapped_column(Integer)
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")


class CycleContractResult(db.Model):
    """What the close decided for one contract in one cycle."""

    __tablename__ = "cycle_contract_results"

    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), primary_key=True)
    volume: Mapped[int] = mapped_column(BigInteger)
    achieved_tier_index: Mapped[int] = mapped_column(Integer)
    achieved_min_volume: Mapped[int] = mapped_column(BigInteger)
    discount_percent: Mapped[Decimal] = mapped_column(Price)


class CycleItemPrice(db.Model):
    """The final unit price of each contract item in a cycle (the close's price list)."""

    __tablename__ = "cycle_item_prices"

    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(Price)


# Units a purchase-order line must still deliver, as SQL (PurchaseOrderLine.deliverable).
_DELIVERABLE = ("(COALESCE(accepted_quantity, 0) + backordered_quantity - backorder_cancelled_quantity"
                " + replacement_quantity)")


class PurchaseOrder(CreatedAtMixin, db.Model):
    """One per contract and cycle, sent to the vendor."""

    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("cycle_id", "contract_id"),)
    __noun__ = "purchase order"

    id: Mapped[IdPK]
    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"))
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"))
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)

    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        lazy="selectin", order_by="(PurchaseOrderLine.product_id, PurchaseOrderLine.location_id, PurchaseOrderLine.id)"
    )

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class PurchaseOrderLine(db.Model):
    """A product's quantity for one ship-to location, and what became of its units.

    The vendor's acknowledgement splits `quantity` once: `accepted_quantity` (ships
    now), `backordered_quantity` (ships by `expected_ship_on`), `substituted_quantity`
    (offered as another product: a Substitution), and the rest rejected. Later:
    `backorder_cancelled_quantity` of the backorder cancelled, `replacement_quantity`
    promised for damage or shortage claims. A line with `substitution_of_id` is an
    approved substitute: it ships, is received and invoiced like any line, and pools
    no order lines of its own.

    Units the vendor must still deliver (`deliverable`) bound what ships and what it
    may invoice; the database checks both."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        # One line per product, location and price (a list price changed mid-cycle splits
        # it); approved substitutes are lines of their own.
        Index("uq_purchase_order_lines_pooled", "purchase_order_id", "product_id", "location_id", "unit_price",
              unique=True, sqlite_where=text("substitution_of_id IS NULL"),
              postgresql_where=text("substitution_of_id IS NULL")),
        CheckConstraint("accepted_quantity IS NULL OR (accepted_quantity >= 0 AND accepted_quantity <= quantity)",
                        name="accepted_quantity"),
        CheckConstraint("backordered_quantity >= 0 AND substituted_quantity >= 0 AND replacement_quantity >= 0",
                        name="unit_counts"),
        CheckConstraint("COALESCE(accepted_quantity, 0) + backordered_quantity + substituted_quantity <= quantity",
                        name="acknowledged_split"),
        CheckConstraint("backorder_cancelled_quantity >= 0 AND backorder_cancelled_quantity <= backordered_quantity",
                        name="backorder_cancelled"),
        CheckConstraint(f"shipped_quantity >= 0 AND shipped_quantity <= {_DELIVERABLE}", name="shipped_quantity"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= shipped_quantity", name="received_quantity"),
        CheckConstraint(f"invoiced_quantity >= 0 AND invoiced_quantity <= {_DELIVERABLE}", name="invoiced_quantity"),
    )

    id: Mapped[IdPK]
    purchase_order_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_orders.id"), index=True)
    # The product and ship-to location of the order lines it pools (an approved
    # substitute's: its substitution's product, its original line's location). No
    # foreign keys of their own (one lookup per line the close inserts); on PostgreSQL a
    # trigger checks once per statement that every id a statement writes here exists
    # (migration 0016).
    product_id: Mapped[int] = mapped_column(BigId)
    location_id: Mapped[int] = mapped_column(BigId)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Price)
    line_cents: Mapped[int] = mapped_column(BigInteger)
    # NULL until the vendor acknowledges the line.
    accepted_quantity: Mapped[int | None] = mapped_column(Integer)
    backordered_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expected_ship_on: Mapped[dt.date | None] = mapped_column(Date)
    backorder_cancelled_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    substituted_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replacement_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Good units the practice received (receiving keeps it, under this row's lock).
    received_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Units on the vendor's invoices that count (not replaced), under this row's lock.
    invoiced_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    substitution_of_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"))

    @property
    def deliverable(self) -> int:
        """Units the vendor must deliver: accepted, backordered and not cancelled, and
        replacements promised."""
        return ((self.accepted_quantity or 0) + self.backordered_quantity - self.backorder_cancelled_quantity
                + self.replacement_quantity)

    @property
    def to_ship(self) -> int:
        return self.deliverable - self.shipped_quantity

    @property
    def open_backorder(self) -> int:
        """Backordered units neither cancelled nor shipped yet (units accepted ship first)."""
        return max(0, min(self.backordered_quantity - self.backorder_cancelled_quantity, self.to_ship))

    @property
    def rejected_quantity(self) -> int:
        """Units the acknowledgement rejected outright (0 before it)."""
        if self.accepted_quantity is None:
            return 0
        return self.quantity - self.accepted_quantity - self.backordered_quantity - self.substituted_quantity


class Substitution(CreatedAtMixin, db.Model):
    """Another of the vendor's products offered for some units of a purchase-order line,
    at a price no higher than the line's. The practice of the line's location approves
    (then `substitute_line_id` is the line that ships it) or declines (the units are
    rejected). Clinical on either side: a physician of that practice decides (CPOM)."""

    __tablename__ = "substitutions"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", SUBSTITUTION_STATUSES), name="status"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("(status = 'offered') = (decided_at IS NULL)", name="decided"),
        CheckConstraint("(status = 'approved') = (substitute_line_id IS NOT NULL)", name="approved_line"),
        # A line is acknowledged once: at most one substitute offered for it.
        UniqueConstraint("original_line_id"),
        UniqueConstraint("substitute_line_id"),
        Index("ix_substitutions_practice_status", "practice_id", "status"),
    )
    __noun__ = "substitution"

    id: Mapped[IdPK]
    purchase_order_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_orders.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    original_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Price)
    # Either product clinical, when offered: only a physician of the practice decides.
    clinical: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="offered")
    offered_by: Mapped[str] = mapped_column(String(254))
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    substitute_line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"))


class Shipment(CreatedAtMixin, db.Model):
    __tablename__ = "shipments"

    id: Mapped[IdPK]
    purchase_order_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(100))

    lines: Mapped[list["ShipmentLine"]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class ShipmentLine(db.Model):
    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    shipment_id: Mapped[int] = mapped_column(BigId, ForeignKey("shipments.id"), primary_key=True)
    purchase_order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class SavedList(CreatedAtMixin, db.Model):
    """A practice's order guide: products and quantities it buys again and again."""

    __tablename__ = "saved_lists"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)
    __noun__ = "saved list"

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(254))

    items: Mapped[list["SavedListItem"]] = relationship(
        back_populates="saved_list", cascade="all, delete-orphan", lazy="selectin", order_by="SavedListItem.id"
    )

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class SavedListItem(db.Model):
    __tablename__ = "saved_list_items"
    __table_args__ = (
        UniqueConstraint("list_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity"),
    )

    id: Mapped[IdPK]
    list_id: Mapped[int] = mapped_column(BigId, ForeignKey("saved_lists.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer)

    saved_list: Mapped[SavedList] = relationship(back_populates="items")
    product: Mapped["Product"] = relationship(lazy="selectin")


# How many rows share a contract's running volume in a cycle: an order adds to slot
# `order id % RUNNING_VOLUME_SLOTS`, so concurrent orders (consecutive ids) update
# different rows and never wait for each other's row lock (gpo/orders/running_volumes.py).
RUNNING_VOLUME_SLOTS = 64


class RunningVolume(db.Model):
    """Part of what a cycle's confirmed lines on a contract add up to, kept in the
    transaction of every order that changes them: the confirmed lines of the orders of
    one slot, priced at one tier of the contract. `units` and `list_cents` are the
    same on every tier's row of a slot; `tier_cents` is the sum of each line's cents at
    tier `tier_index`'s price (rounded half-up per line, as the close does). Summed
    over the slots: the volume, and what the lines would cost at each tier."""

    __tablename__ = "running_volumes"
    __table_args__ = (
        CheckConstraint(f"slot >= 0 AND slot < {RUNNING_VOLUME_SLOTS}", name="slot"),
        CheckConstraint("tier_index >= 0", name="tier_index"),
        # (No CHECK that the amounts stay >= 0: INSERT ... ON CONFLICT checks the
        # proposed row, and a line leaving proposes a negative delta.)
    )

    cycle_id: Mapped[int] = mapped_column(BigId, ForeignKey("cycles.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tier_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    units: Mapped[int] = mapped_column(BigInteger)
    list_cents: Mapped[int] = mapped_column(BigInteger)
    tier_cents: Mapped[int] = mapped_column(BigInteger)
