"""Leasing (DOMAIN.md "Equipment and space leasing"): the MSO's assets, the leases of
them to practices with their fixed schedules, and shared suites sublet by square feet."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.audit import JsonType
from gpo.contracts.models import Percent
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql
from gpo.leasing.rules import CLASSIFICATIONS, MAX_TERM_MONTHS, RESIDUAL_GUARANTEES

ASSET_CATEGORIES = ("medical_equipment", "it", "office", "other")
# offered (by MSO finance) -> active (signed by the practice) -> ended; an offer the
# MSO takes back, or one left unsigned when another lease of the asset starts, is withdrawn.
LEASE_STATUSES = ("offered", "active", "ended", "withdrawn")
END_OUTCOMES = ("bought_out", "purchased", "returned", "renewed")


class Asset(CreatedAtMixin, db.Model):
    """Equipment or IT the MSO owns and leases. Bought from a practice for a
    sale-leaseback, it says which (`sold_by_practice_id`) and the credit that paid it."""

    __tablename__ = "leasing_assets"
    __table_args__ = (
        CheckConstraint(one_of_sql("category", ASSET_CATEGORIES), name="category"),
        CheckConstraint("cost_cents > 0", name="cost"),
        CheckConstraint("fair_value_cents > 0", name="fair_value"),
        CheckConstraint("economic_life_months > 0", name="economic_life"),
        CheckConstraint("(sold_by_practice_id IS NULL) = (purchase_credit_id IS NULL)", name="sale_leaseback"),
    )
    __noun__ = "asset"

    id: Mapped[IdPK]
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(24))
    clinical: Mapped[bool] = mapped_column(default=False)
    specialized: Mapped[bool] = mapped_column(default=False)  # no other use: an ASC 842 test
    serial_number: Mapped[str | None] = mapped_column(String(100))
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    fair_value_cents: Mapped[int] = mapped_column(BigInteger)
    acquired_on: Mapped[dt.date] = mapped_column(Date)
    economic_life_months: Mapped[int] = mapped_column(Integer)
    sold_by_practice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    purchase_credit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("credits.id"))
    created_by: Mapped[str] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Lease(CreatedAtMixin, db.Model):
    """An asset leased to a practice. Offered with its terms and figures (rent,
    classification); signing makes it active, issues the commencement invoice and
    writes the schedule, which never changes. An asset is on at most one active lease:
    the partial unique index decides between two signings."""

    __tablename__ = "leases"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", LEASE_STATUSES), name="status"),
        CheckConstraint(f"term_months >= 1 AND term_months <= {MAX_TERM_MONTHS}", name="term"),
        CheckConstraint("advance_payments >= 0 AND advance_payments < term_months", name="advance_payments"),
        # Percents' upper bounds are the rules' (gpo/leasing/rules.py): SQLite stores them scaled.
        CheckConstraint("annual_rate_percent >= 0", name="rate"),
        CheckConstraint("cost_cents > 0", name="cost"),
        CheckConstraint("residual_cents >= 0 AND residual_cents <= cost_cents", name="residual"),
        CheckConstraint("down_payment_cents >= 0 AND down_payment_cents <= cost_cents", name="down_payment"),
        CheckConstraint("early_termination_fee_percent >= 0",
                        name="early_termination_fee"),
        CheckConstraint("rent_cents > 0", name="rent"),
        CheckConstraint(one_of_sql("residual_guarantee", RESIDUAL_GUARANTEES), name="residual_guarantee"),
        CheckConstraint(one_of_sql("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint("end_outcome IS NULL OR " + one_of_sql("end_outcome", END_OUTCOMES), name="end_outcome"),
        CheckConstraint("(status IN ('active', 'ended')) = (signed_at IS NOT NULL)", name="signed"),
        CheckConstraint("(status = 'ended') = (ended_on IS NOT NULL AND end_outcome IS NOT NULL)", name="ended"),
        # An asset is on at most one lease in effect: two signings cannot both win.
        Index("uq_leases_one_active_per_asset", "asset_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_leases_practice_status", "practice_id", "status"),
    )
    __noun__ = "lease"

    id: Mapped[IdPK]
    asset_id: Mapped[int] = mapped_column(BigId, ForeignKey("leasing_assets.id"), index=True)
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    status: Mapped[str] = mapped_column(String(16), default="offered")
    # The terms (rules.LeaseTerms) and what they give, fixed when offered.
    cost_cents: Mapped[int] = mapped_column(BigInteger)  # financed before the down payment
    fair_value_cents: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    annual_rate_percent: Mapped[Decimal] = mapped_column(Percent)
    residual_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    advance_payments: Mapped[int] = mapped_column(Integer, default=0)
    down_payment_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    early_termination_fee_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    residual_guarantee: Mapped[str] = mapped_column(String(16), default="none")
    transfers_ownership: Mapped[bool] = mapped_column(default=False)
    purchase_option_reasonably_certain: Mapped[bool] = mapped_column(default=False)
    commences_on: Mapped[dt.date] = mapped_column(Date)
    rent_cents: Mapped[int] = mapped_column(BigInteger)
    classification: Mapped[str] = mapped_column(String(24))
    classification_tests: Mapped[list] = mapped_column(JsonType)  # each test with its figures
    offered_by: Mapped[str] = mapped_column(String(254))
    signed_by: Mapped[str | None] = mapped_column(String(254))
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    commencement_invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    # The end: bought out early, purchased at the residual, returned, or renewed.
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_outcome: Mapped[str | None] = mapped_column(String(16))
    end_reason: Mapped[str | None] = mapped_column(Text)
    end_invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    renews_lease_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("leases.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # selectin, not joined: a joined load cannot go with the FOR UPDATE that locks a lease
    asset: Mapped[Asset] = relationship(lazy="selectin")
    schedule: Mapped[list["LeaseScheduleRow"]] = relationship(
        lazy="selectin", order_by="LeaseScheduleRow.month", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class LeaseScheduleRow(db.Model):
    """Month t of a signed lease (rules.schedule), with the date its rent is due and the
    invoice that billed it: the monthly run bills a row once."""

    __tablename__ = "lease_schedule"
    __table_args__ = (
        CheckConstraint("month >= 1", name="month"),
        CheckConstraint("rent_cents >= 0", name="rent"),
        CheckConstraint("balance_cents >= 0", name="balance"),
        Index("ix_lease_schedule_due_on", "due_on"),
    )

    lease_id: Mapped[int] = mapped_column(BigId, ForeignKey("leases.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_on: Mapped[dt.date] = mapped_column(Date)
    rent_cents: Mapped[int] = mapped_column(BigInteger)
    interest_cents: Mapped[int] = mapped_column(BigInteger)
    principal_cents: Mapped[int] = mapped_column(BigInteger)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))


class Space(CreatedAtMixin, db.Model):
    """A suite the MSO rents and sublets to practices by square feet. Its monthly rent
    rises by `escalation_percent` on each anniversary of `starts_on`."""

    __tablename__ = "leasing_spaces"
    __table_args__ = (
        CheckConstraint("square_feet > 0", name="square_feet"),
        CheckConstraint("base_rent_cents > 0", name="base_rent"),
        CheckConstraint("escalation_percent >= 0", name="escalation"),
    )
    __noun__ = "space"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    square_feet: Mapped[int] = mapped_column(Integer)
    base_rent_cents: Mapped[int] = mapped_column(BigInteger)  # a month, in the first year
    escalation_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    occupancies: Mapped[list["Occupancy"]] = relationship(
        lazy="selectin", order_by="Occupancy.starts_on, Occupancy.id", back_populates="space")

    __mapper_args__ = {"version_id_col": version}


class Occupancy(CreatedAtMixin, db.Model):
    """A practice's square feet in a suite from `starts_on` to `ends_on` (open-ended
    when NULL). New occupancies are checked under the suite's row lock: together they
    never exceed its square feet, and one practice's never overlap."""

    __tablename__ = "leasing_occupancies"
    __table_args__ = (
        CheckConstraint("square_feet > 0", name="square_feet"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        Index("ix_leasing_occupancies_practice", "practice_id"),
    )
    __noun__ = "occupancy"

    id: Mapped[IdPK]
    space_id: Mapped[int] = mapped_column(BigId, ForeignKey("leasing_spaces.id"), index=True)
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    square_feet: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(254))

    space: Mapped[Space] = relationship(back_populates="occupancies")

    @property
    def tenant_id(self) -> int:
        return self.practice_id
