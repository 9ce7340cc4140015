"""Receiving (DOMAIN.md "After the close"): what arrived of each shipment line, and the
claims for damaged or missing units."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

# A claim's life: the vendor ships a replacement (the line may ship that many more
# units) or credits it (the practice gets a credit note; the vendor is never paid for it).
CLAIM_STATUSES = ("open", "replacing", "credited")


class Receipt(CreatedAtMixin, db.Model):
    """A practice recording what arrived of a shipment's lines to its locations."""

    __tablename__ = "receipts"
    __noun__ = "receipt"

    id: Mapped[IdPK]
    shipment_id: Mapped[int] = mapped_column(BigId, ForeignKey("shipments.id"), index=True)
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    received_by: Mapped[str] = mapped_column(String(254))

    lines: Mapped[list["ReceiptLine"]] = relationship(lazy="selectin", order_by="ReceiptLine.purchase_order_line_id")

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class ReceiptLine(db.Model):
    """One shipment line as received: good units and damaged ones; the rest of what
    shipped is missing. Each shipment line is received once (the key), never more than
    shipped (the check, on the shipped quantity copied from the shipment line)."""

    __tablename__ = "receipt_lines"
    __table_args__ = (
        ForeignKeyConstraint(["shipment_id", "purchase_order_line_id"],
                             ["shipment_lines.shipment_id", "shipment_lines.purchase_order_line_id"],
                             name="fk_receipt_lines_shipment_line"),
        CheckConstraint("received_quantity >= 0 AND damaged_quantity >= 0", name="quantities"),
        CheckConstraint("received_quantity + damaged_quantity <= shipped_quantity", name="at_most_shipped"),
    )

    shipment_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purchase_order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"),
                                                        primary_key=True)
    receipt_id: Mapped[int] = mapped_column(BigId, ForeignKey("receipts.id"), index=True)
    shipped_quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int] = mapped_column(Integer)  # good units
    damaged_quantity: Mapped[int] = mapped_column(Integer)

    @property
    def missing_quantity(self) -> int:
        return self.shipped_quantity - self.received_quantity - self.damaged_quantity


class Claim(CreatedAtMixin, db.Model):
    """Damaged or missing units of a received shipment line, claimed from the vendor."""

    __tablename__ = "claims"
    __table_args__ = (
        ForeignKeyConstraint(["shipment_id", "purchase_order_line_id"],
                             ["receipt_lines.shipment_id", "receipt_lines.purchase_order_line_id"],
                             name="fk_claims_receipt_line"),
        CheckConstraint(one_of_sql("status", CLAIM_STATUSES), name="status"),
        CheckConstraint("damaged_quantity >= 0 AND missing_quantity >= 0 AND damaged_quantity + missing_quantity > 0",
                        name="quantities"),
        CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved"),
        # One claim per received shipment line.
        Index("uq_claims_receipt_line", "shipment_id", "purchase_order_line_id", unique=True),
        Index("ix_claims_vendor_status", "vendor_id", "status"),
    )
    __noun__ = "claim"

    id: Mapped[IdPK]
    shipment_id: Mapped[int] = mapped_column(BigId)
    purchase_order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_order_lines.id"))
    purchase_order_id: Mapped[int] = mapped_column(BigId, ForeignKey("purchase_orders.id"))
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    damaged_quantity: Mapped[int] = mapped_column(Integer)
    missing_quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def quantity(self) -> int:
        return self.damaged_quantity + self.missing_quantity
