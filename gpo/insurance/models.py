"""Malpractice programs and the enrollments of practices' providers in them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.audit import JsonType
from gpo.contracts.models import Percent
from gpo.db import BigId, CreatedAtMixin, ExactDecimal, IdPK, UTCDateTime, db, one_of_sql

PROGRAM_STATUSES = ("open", "binding", "bound")
ENROLLMENT_STATUSES = ("active", "cancelled")
Fte = ExactDecimal(7, 4)


class InsuranceProgram(CreatedAtMixin, db.Model):
    """A carrier's group program for one policy period. Its rating terms are kept as
    posted (validated whole by gpo/insurance/rules.py) and never change; binding fixes
    the group discount band for the period."""

    __tablename__ = "insurance_programs"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", PROGRAM_STATUSES), name="status"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("(status = 'bound') = (bound_at IS NOT NULL)", name="bound_at"),
        CheckConstraint("bound_provider_count IS NULL OR bound_provider_count >= 0", name="bound_provider_count"),
    )
    __noun__ = "insurance program"

    id: Mapped[IdPK]
    carrier_vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    limits_options: Mapped[list] = mapped_column(JsonType)
    specialty_classes: Mapped[dict] = mapped_column(JsonType)
    rates: Mapped[list] = mapped_column(JsonType)
    step_factors: Mapped[list] = mapped_column(JsonType)
    claims_free_credits: Mapped[list] = mapped_column(JsonType)
    group_discount_bands: Mapped[list] = mapped_column(JsonType)
    installment_options: Mapped[list] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(254))
    bind_job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    bound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bound_provider_count: Mapped[int | None] = mapped_column(Integer)
    bound_discount_percent: Mapped[Decimal | None] = mapped_column(Percent)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.carrier_vendor_id

    @property
    def days_in_period(self) -> int:
        return (self.period_end - self.period_start).days + 1


class Enrollment(CreatedAtMixin, db.Model):
    """A provider enrolled in a program by its practice. Before binding its premium is
    a quote (computed when read, at the band the group reaches then); binding, or
    enrolling after it, writes the final premium here."""

    __tablename__ = "insurance_enrollments"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", ENROLLMENT_STATUSES), name="status"),
        CheckConstraint("fte > 0", name="fte"),  # (sign only: scaled on SQLite; rules check <= 1)
        CheckConstraint("claims_made_year >= 1", name="claims_made_year"),
        CheckConstraint("claims_free_years >= 0", name="claims_free_years"),
        CheckConstraint("installments >= 1", name="installments"),
        CheckConstraint("(status = 'cancelled') = (cancelled_on IS NOT NULL)", name="cancelled_on"),
        CheckConstraint("premium_cents IS NULL OR premium_cents >= 0", name="premium"),
        CheckConstraint("credited_cents >= 0", name="credited"),
        # One active enrollment per provider per program: enrolling twice is impossible.
        Index("uq_insurance_enrollments_one_active", "program_id", "provider_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_insurance_enrollments_practice", "practice_id", "program_id"),
    )
    __noun__ = "enrollment"

    id: Mapped[IdPK]
    program_id: Mapped[int] = mapped_column(BigId, ForeignKey("insurance_programs.id"), index=True)
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    provider_id: Mapped[int] = mapped_column(BigId, ForeignKey("providers.id"), index=True)
    specialty: Mapped[str] = mapped_column(String(64))  # the provider's, when enrolled
    specialty_class: Mapped[str] = mapped_column(String(32))
    limits: Mapped[str] = mapped_column(String(32))
    fte: Mapped[Decimal] = mapped_column(Fte)
    claims_made_year: Mapped[int] = mapped_column(Integer)
    claims_free_years: Mapped[int] = mapped_column(Integer)
    installments: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[dt.date] = mapped_column(Date)  # first day of coverage
    status: Mapped[str] = mapped_column(String(16), default="active")
    enrolled_by: Mapped[str] = mapped_column(String(254))
    # Final once bound (at binding, or when enrolled after it):
    group_discount_percent: Mapped[Decimal | None] = mapped_column(Percent)
    annual_premium_cents: Mapped[int | None] = mapped_column(BigInteger)
    premium_cents: Mapped[int | None] = mapped_column(BigInteger)  # for the days covered
    # Cancelling: the first day no longer covered, and the unused days credited back.
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    credited_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("credits.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # selectin, not joined: a joined load cannot go with the FOR UPDATE that locks an enrollment
    program: Mapped[InsuranceProgram] = relationship(lazy="selectin")
    provider = relationship("Provider", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id

    @property
    def final(self) -> bool:
        return self.premium_cents is not None
