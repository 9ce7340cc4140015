"""Billing: fee schedules, invoices and their numbers, credits, rebates, membership runs,
Stripe payments (DOMAIN.md "Billing")."""
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

from gpo.catalog.models import Price
from gpo.contracts.models import Percent
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

# "adjustment": freight and tax a vendor invoiced after the practice's purchasing
# invoice was issued (gpo/payables).
INVOICE_KINDS = ("purchasing", "membership", "insurance", "staffing", "lease", "adjustment", "credit")
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")
FINALIZED_STATUSES = ("open", "paid", "uncollectible")  # issued and not voided
# Leasing's lines: a down payment and rents, a buyout or the purchase at the residual, a
# practice's share of a shared suite's rent (gpo/leasing).
# After the close: a vendor's freight and each location's sales tax, passed through with
# no service fee (a price below contract is an "adjustment").
LINE_KINDS = ("product", "service_fee", "membership", "pmpm", "premium", "staffing", "overhead", "adjustment",
              "down_payment", "rent", "buyout", "purchase_option", "space_rent", "freight", "tax")
CREDIT_SOURCES = ("rebate", "credit_note", "insurance_cancellation", "adjustment", "sale_leaseback")
ATTEMPT_STATUSES = ("pending", "processing", "succeeded", "failed")
RUN_KINDS = ("membership", "lease")  # a kind's work: membership.add_run_kind
RUN_STATUSES = ("queued", "finished", "failed")


class FeeSchedule(CreatedAtMixin, db.Model):
    """The MSO's fees: one default row, and per-practice overrides whose NULL fields
    inherit the default."""

    __tablename__ = "fee_schedules"
    __table_args__ = (
        CheckConstraint("(is_default AND practice_id IS NULL) OR (NOT is_default AND practice_id IS NOT NULL)",
                        name="default_or_practice"),
        CheckConstraint("service_fee_percent IS NULL OR service_fee_percent >= 0", name="service_fee_percent"),
        CheckConstraint("monthly_membership_cents IS NULL OR monthly_membership_cents >= 0", name="membership"),
        CheckConstraint("pmpm_cents IS NULL OR pmpm_cents >= 0", name="pmpm"),
        UniqueConstraint("practice_id"),
        Index("uq_fee_schedules_one_default", "is_default", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )
    __noun__ = "fee schedule"

    id: Mapped[IdPK]
    is_default: Mapped[bool] = mapped_column(default=False)
    practice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("practices.id"))
    service_fee_percent: Mapped[Decimal | None] = mapped_column(Percent)
    monthly_membership_cents: Mapped[int | None] = mapped_column(BigInteger)
    pmpm_cents: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class InvoiceCounter(db.Model):
    """The last invoice number issued per year. Incremented under its row lock inside
    the finalizing transaction: a rollback gives the number back, so numbers are
    gap-free and unique."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class Invoice(CreatedAtMixin, db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint(one_of_sql("status", INVOICE_STATUSES), name="status"),
        CheckConstraint("credits_applied_cents >= 0", name="credits_applied"),
        CheckConstraint("total_cents = subtotal_cents - credits_applied_cents", name="total"),
        # A bill never goes below zero; a credit note is all negative.
        CheckConstraint("(kind = 'credit' AND subtotal_cents <= 0 AND credits_applied_cents = 0) "
                        "OR (kind <> 'credit' AND total_cents >= 0)", name="sign"),
        CheckConstraint("status IN ('draft', 'void') OR number IS NOT NULL", name="numbered"),
        UniqueConstraint("number"),
        # What the invoice bills ("purchasing:cycle:7:practice:3"): creating it twice is impossible.
        UniqueConstraint("source_key"),
        Index("ix_invoices_practice_status", "practice_id", "status"),
    )
    __noun__ = "invoice"

    id: Mapped[IdPK]
    number: Mapped[str | None] = mapped_column(String(32))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source_key: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(200))
    cycle_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cycles.id"), index=True)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    # The fee schedule's percent when the invoice was drafted (purchasing invoices).
    service_fee_percent: Mapped[Decimal | None] = mapped_column(Percent)
    service_fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_applied_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(Text)
    uncollectible_reason: Mapped[str | None] = mapped_column(Text)
    # A credit note says which invoice it corrects.
    corrects_invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    lines: Mapped[list["InvoiceLine"]] = relationship(
        lazy="selectin", order_by="InvoiceLine.id", cascade="all, delete-orphan", back_populates="invoice")
    payments: Mapped[list["PaymentAttempt"]] = relationship(lazy="selectin", order_by="PaymentAttempt.attempt_number")
    credit_applications: Mapped[list["CreditApplication"]] = relationship(
        lazy="selectin", order_by="CreditApplication.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", LINE_KINDS), name="kind"),
        # A practice's order line is billed once, and an approved substitute once.
        UniqueConstraint("order_line_id"),
        UniqueConstraint("substitution_id"),
        Index("ix_invoice_lines_contract", "contract_id"),
    )

    id: Mapped[IdPK]
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    order_line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("order_lines.id"))
    # The substitute product's goods that replace some of an order line's units.
    substitution_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("substitutions.id"))
    # A goods line's contract, vendor and product are its order line's (and that line's
    # product's vendor): the order_line_id key holds them. No foreign keys of their own,
    # which cost one lookup per line in the close's million-line INSERT; on PostgreSQL a
    # trigger checks once per statement that every id a statement writes here exists
    # (migration 0016).
    contract_id: Mapped[int | None] = mapped_column(BigId)
    vendor_id: Mapped[int | None] = mapped_column(BigId)
    product_id: Mapped[int | None] = mapped_column(BigId)
    category: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[Decimal | None] = mapped_column(Price)
    unit_price: Mapped[Decimal | None] = mapped_column(Price)
    list_cents: Mapped[int | None] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    savings_cents: Mapped[int | None] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Credit(CreatedAtMixin, db.Model):
    """Money the MSO owes a practice (a rebate share, a credit note): applied to its
    next invoices, oldest first."""

    __tablename__ = "credits"
    __table_args__ = (
        CheckConstraint(one_of_sql("source", CREDIT_SOURCES), name="source"),
        CheckConstraint("amount_cents > 0", name="amount"),
        CheckConstraint("remaining_cents >= 0 AND remaining_cents <= amount_cents", name="remaining"),
        Index("ix_credits_practice_remaining", "practice_id", "remaining_cents"),
    )
    __noun__ = "credit"

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    source: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(300))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    remaining_cents: Mapped[int] = mapped_column(BigInteger)
    rebate_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rebates.id"))
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))  # the credit note

    applications: Mapped[list["CreditApplication"]] = relationship(lazy="selectin", order_by="CreditApplication.id")

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class CreditApplication(CreatedAtMixin, db.Model):
    __tablename__ = "credit_applications"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount"), UniqueConstraint("credit_id", "invoice_id"))

    id: Mapped[IdPK]
    credit_id: Mapped[int] = mapped_column(BigId, ForeignKey("credits.id"))
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # Set when the invoice is voided and the amount goes back to the credit.
    reversed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Rebate(CreatedAtMixin, db.Model):
    __tablename__ = "rebates"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount"),
        CheckConstraint("retained_percent >= 0", name="retained_percent"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("retained_cents + distributed_cents = amount_cents", name="split"),
        # One rebate per contract and period: recording it twice is a 409.
        UniqueConstraint("contract_id", "period_start", "period_end"),
    )
    __noun__ = "rebate"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    retained_percent: Mapped[Decimal] = mapped_column(Percent)
    retained_cents: Mapped[int] = mapped_column(BigInteger)
    distributed_cents: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(254))

    allocations: Mapped[list["RebateAllocation"]] = relationship(lazy="selectin", order_by="RebateAllocation.practice_id")

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class RebateAllocation(db.Model):
    __tablename__ = "rebate_allocations"

    rebate_id: Mapped[int] = mapped_column(BigId, ForeignKey("rebates.id"), primary_key=True)
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), primary_key=True)
    spend_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    credit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("credits.id"))


class BillingRun(CreatedAtMixin, db.Model):
    """A monthly billing run (membership, or leasing's rents and shared space): one per
    kind and month, however often it is asked for."""

    __tablename__ = "billing_runs"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", RUN_KINDS), name="kind"),
        CheckConstraint(one_of_sql("status", RUN_STATUSES), name="status"),
        UniqueConstraint("kind", "month"),
    )
    __noun__ = "billing run"

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))  # "2026-12"
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    invoice_count: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(254))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PaymentProfile(CreatedAtMixin, db.Model):
    """A practice's Stripe customer and saved payment method: Stripe ids only, never card data."""

    __tablename__ = "payment_profiles"
    __table_args__ = (UniqueConstraint("stripe_customer_id"),)
    __noun__ = "payment profile"

    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), primary_key=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PaymentAttempt(CreatedAtMixin, db.Model):
    """One try at collecting an invoice through a PaymentIntent. Written, with its
    idempotency key, before Stripe is called: a crash after Stripe answered is
    reconciled by finding the PaymentIntent that carries the key in its metadata."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", ATTEMPT_STATUSES), name="status"),
        CheckConstraint("amount_cents > 0", name="amount"),
        UniqueConstraint("invoice_id", "attempt_number"),
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("stripe_payment_intent_id"),
        # At most one attempt in flight per invoice.
        Index("uq_payment_attempts_one_in_flight", "invoice_id", unique=True,
              sqlite_where=text("status IN ('pending', 'processing')"),
              postgresql_where=text("status IN ('pending', 'processing')")),
        Index("ix_payment_attempts_retry", "status", "next_retry_at"),
    )
    __noun__ = "payment attempt"

    id: Mapped[IdPK]
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    next_retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    requested_by: Mapped[str] = mapped_column(String(254))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class StripeEvent(db.Model):
    """A webhook event processed: the primary key makes each event count once, written
    in the same transaction as its effect."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
