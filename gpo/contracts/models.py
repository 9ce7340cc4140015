"""Contracts, their items and the proposals of their negotiation."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.audit import JsonType
from gpo.contracts.tiers import Tier
from gpo.db import BigId, CreatedAtMixin, ExactDecimal, IdPK, UTCDateTime, db, one_of_sql

BASES = ("units", "spend")
SIDES = ("mso", "vendor")
PROPOSAL_STATUSES = ("open", "superseded", "accepted", "rejected")
Percent = ExactDecimal(7, 4)
ADMIN_FEE_SETTLEMENTS = ("remitted", "netted")


class Contract(CreatedAtMixin, db.Model):
    """A vendor's prices for some of its products over a term.

    Its status is not stored: it follows from the negotiation and the date, so it is
    never stale (see `status_on`)."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("basis IN ('units', 'spend')", name="basis"),
        CheckConstraint("ends_on >= starts_on", name="term"),
        # (Only the sign here: the column is scaled on SQLite; rules.py checks < 100.)
        CheckConstraint("admin_fee_percent IS NULL OR admin_fee_percent >= 0", name="admin_fee_percent"),
        CheckConstraint(one_of_sql("admin_fee_settlement", ADMIN_FEE_SETTLEMENTS), name="admin_fee_settlement"),
    )
    __noun__ = "contract"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # The agreed terms: copied from the accepted proposal, changed only by accepting another.
    tiers: Mapped[list | None] = mapped_column(JsonType)
    admin_fee_percent: Mapped[Decimal | None] = mapped_column(Percent)
    admin_fee_disclosure: Mapped[str | None] = mapped_column(Text)
    # How the vendor pays the admin fee: it remits it, or the MSO nets it from what it
    # pays the vendor (gpo/payables settlements).
    admin_fee_settlement: Mapped[str] = mapped_column(String(8), default="remitted", server_default="remitted")
    accepted_proposal_number: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    terminated_on: Mapped[dt.date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    items: Mapped[list["ContractItem"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", lazy="selectin", order_by="ContractItem.product_id"
    )
    proposals: Mapped[list["Proposal"]] = relationship(
        back_populates="contract", order_by="Proposal.number", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.vendor_id

    @property
    def product_ids(self) -> list[int]:
        return [item.product_id for item in self.items]

    @property
    def tier_list(self) -> list[Tier]:
        return [Tier.from_json(t) for t in (self.tiers or [])]

    @property
    def effective_end(self) -> dt.date:
        """The last day the contract applies: its end, or the day before termination."""
        if self.terminated_on is not None:
            return min(self.ends_on, self.terminated_on - dt.timedelta(days=1))
        return self.ends_on

    def status_on(self, day: dt.date) -> str:
        """negotiating -> accepted (agreed, before its start) -> active -> expired, or terminated."""
        if self.terminated_on is not None and day >= self.terminated_on:
            return "terminated"
        if self.accepted_at is None:
            return "negotiating"
        if day < self.starts_on:
            return "accepted"
        if day > self.ends_on:
            return "expired"
        return "active"

    @classmethod
    def status_expression(cls, day: dt.date):
        """SQL of `status_on(day)`, for filtering lists."""
        return case(
            (and_(cls.terminated_on.is_not(None), cls.terminated_on <= day), "terminated"),
            (cls.accepted_at.is_(None), "negotiating"),
            (cls.starts_on > day, "accepted"),
            (cls.ends_on < day, "expired"),
            else_="active",
        )

    @hybrid_method
    def in_effect_on(self, day: dt.date) -> bool:
        return self.status_on(day) == "active"

    @in_effect_on.expression
    def in_effect_on(cls, day):  # noqa: N805
        """SQL: accepted, inside its term, not terminated by that day."""
        return and_(
            cls.accepted_at.is_not(None),
            cls.starts_on <= day,
            cls.ends_on >= day,
            or_(cls.terminated_on.is_(None), cls.terminated_on > day),
        )


class ContractItem(db.Model):
    __tablename__ = "contract_items"

    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), primary_key=True, index=True)

    contract: Mapped[Contract] = relationship(back_populates="items")


class Proposal(CreatedAtMixin, db.Model):
    """One offer in a contract's negotiation thread; every proposal is kept."""

    __tablename__ = "contract_proposals"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        CheckConstraint("author_side IN ('mso', 'vendor')", name="author_side"),
        CheckConstraint("status IN ('open', 'superseded', 'accepted', 'rejected')", name="status"),
        # At most one open proposal per contract.
        Index("uq_contract_proposals_one_open", "contract_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
    __noun__ = "proposal"

    id: Mapped[IdPK]
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"))
    number: Mapped[int] = mapped_column(Integer)
    author_side: Mapped[str] = mapped_column(String(8))
    author_label: Mapped[str] = mapped_column(String(254))
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    author_api_key_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("api_keys.id"))
    tiers: Mapped[list] = mapped_column(JsonType)
    admin_fee_percent: Mapped[Decimal] = mapped_column(Percent)
    admin_fee_disclosure: Mapped[str | None] = mapped_column(Text)
    admin_fee_settlement: Mapped[str] = mapped_column(String(8), default="remitted", server_default="remitted")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(254))

    contract: Mapped[Contract] = relationship(back_populates="proposals")

    @property
    def tenant_id(self) -> int:
        return self.contract.vendor_id


