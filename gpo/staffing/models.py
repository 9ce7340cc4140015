"""The shared staffing pool: staff and their availability, shift requests, assignments
(never two at once for one person: a PostgreSQL exclusion constraint), timesheets and
the monthly cost runs."""
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

from gpo.contracts.models import Percent
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

AVAILABILITY_KINDS = ("weekly", "available", "unavailable")
REQUEST_STATUSES = ("open", "assigned", "accepted", "completed", "cancelled", "released")
ASSIGNMENT_STATUSES = ("assigned", "accepted", "completed", "released", "cancelled")
BOOKING_STATUSES = ("assigned", "accepted", "completed")  # the person's time is taken
TIMESHEET_STATUSES = ("submitted", "approved", "disputed")
RUN_STATUSES = ("queued", "finished", "failed")
MAX_SHIFT_HOURS = 16
SHORT_NOTICE = dt.timedelta(hours=48)
# The pool's roles as a sentence reads them ("no IT technician is free"); pages start
# a heading or a cell with a capital (the "staff_role" words).
ROLE_WORDS = {
    "billing_specialist": "billing specialist",
    "credentialing_coordinator": "credentialing coordinator",
    "it_technician": "IT technician",
    "front_desk_float": "front-desk float",
    "medical_assistant": "medical assistant",
}


def role_words(role: str) -> str:
    """A role in words, inside a sentence: "it_technician" -> "IT technician"."""
    return ROLE_WORDS.get(role) or role.replace("_", " ")


class StaffMember(CreatedAtMixin, db.Model):
    """A person in the MSO's pool. MSO staff see the whole pool; a staffing vendor who
    supplies a person (`vendor_id`) sees that person, never another vendor's (the
    vendor is the tenant; the MSO's own people have none)."""

    __tablename__ = "staff_members"
    __table_args__ = (CheckConstraint("hourly_cost_cents > 0", name="hourly_cost"),)
    __noun__ = "staff member"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(48), index=True)
    clinical: Mapped[bool] = mapped_column(default=False)
    hourly_cost_cents: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # The staffing vendor who supplies the person (None: the MSO's own employee).
    vendor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    availability: Mapped[list["Availability"]] = relationship(
        lazy="selectin", order_by="Availability.id", back_populates="staff", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int | None:
        """The supplying vendor (policy.tenancy: that vendor sees the person), or None."""
        return self.vendor_id


class Availability(CreatedAtMixin, db.Model):
    """When a person works: weekly windows in the pool's time zone (weekday 0 = Monday,
    minutes from local midnight, up to 1440), and dated exceptions: `unavailable`
    (leave) or `available` (an extra day), as UTC instants."""

    __tablename__ = "staff_availability"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", AVAILABILITY_KINDS), name="kind"),
        CheckConstraint("(kind = 'weekly' AND weekday BETWEEN 0 AND 6 AND start_minute >= 0 AND end_minute <= 1440 "
                        "AND start_minute < end_minute AND starts_at IS NULL AND ends_at IS NULL) OR "
                        "(kind <> 'weekly' AND starts_at IS NOT NULL AND ends_at IS NOT NULL AND weekday IS NULL "
                        "AND start_minute IS NULL AND end_minute IS NULL)", name="shape"),
    )
    __noun__ = "availability"

    id: Mapped[IdPK]
    staff_id: Mapped[int] = mapped_column(BigId, ForeignKey("staff_members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    weekday: Mapped[int | None] = mapped_column(Integer)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(300))

    staff: Mapped[StaffMember] = relationship(back_populates="availability")

    tenant_id = None


class ShiftRequest(CreatedAtMixin, db.Model):
    __tablename__ = "shift_requests"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="times"),
        Index("ix_shift_requests_practice_starts", "practice_id", "starts_at"),
    )
    __noun__ = "shift request"

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    role: Mapped[str] = mapped_column(String(48))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")
    short_notice: Mapped[bool] = mapped_column(default=False)  # requested < 48 h before it starts
    status: Mapped[str] = mapped_column(String(16), default="open")
    requested_by: Mapped[str] = mapped_column(String(254))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    assignments: Mapped[list["Assignment"]] = relationship(
        lazy="selectin", order_by="Assignment.id", back_populates="shift_request", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id

    @property
    def assignment(self) -> "Assignment | None":
        """The current (or last) assignment."""
        return self.assignments[-1] if self.assignments else None


class Assignment(CreatedAtMixin, db.Model):
    """A person booked for a shift. Its times are the shift's, copied so the database
    can refuse overlapping bookings of one person: on PostgreSQL an exclusion
    constraint over (staff_id, tstzrange(starts_at, ends_at)) for the booking statuses
    (migration 0007_staffing); SQLite serializes writers and the service checks."""

    __tablename__ = "staff_assignments"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", ASSIGNMENT_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="times"),
        # One live assignment per shift request.
        Index("uq_staff_assignments_one_live", "shift_request_id", unique=True,
              sqlite_where=text("status IN ('assigned', 'accepted', 'completed')"),
              postgresql_where=text("status IN ('assigned', 'accepted', 'completed')")),
        Index("ix_staff_assignments_staff_starts", "staff_id", "starts_at"),
    )
    __noun__ = "assignment"

    id: Mapped[IdPK]
    shift_request_id: Mapped[int] = mapped_column(BigId, ForeignKey("shift_requests.id"))
    staff_id: Mapped[int] = mapped_column(BigId, ForeignKey("staff_members.id"))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    # The person's hourly cost when booked: what the practice is billed per hour.
    hourly_cost_cents: Mapped[int] = mapped_column(BigInteger)
    assigned_by: Mapped[str] = mapped_column(String(254))
    accepted_by: Mapped[str | None] = mapped_column(String(254))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(254))
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    release_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    shift_request: Mapped[ShiftRequest] = relationship(back_populates="assignments", lazy="selectin")
    staff: Mapped[StaffMember] = relationship(lazy="selectin")
    timesheet: Mapped["Timesheet | None"] = relationship(back_populates="assignment", lazy="selectin", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class Timesheet(CreatedAtMixin, db.Model):
    """What was worked: recorded by MSO scheduling after the shift, approved or disputed
    by the practice; a disputed one is recorded again, then approved. Only approved
    minutes are billed, by the month's cost run (cost_run_id once billed)."""

    __tablename__ = "timesheets"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", TIMESHEET_STATUSES), name="status"),
        CheckConstraint("ended_at > started_at", name="times"),
        CheckConstraint("break_minutes >= 0", name="break"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("status = 'disputed' OR dispute_reason IS NULL", name="dispute_reason"),
        UniqueConstraint("assignment_id"),
    )
    __noun__ = "timesheet"

    id: Mapped[IdPK]
    assignment_id: Mapped[int] = mapped_column(BigId, ForeignKey("staff_assignments.id"))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    break_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer)  # end - start - break: what is billed once approved
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    recorded_by: Mapped[str] = mapped_column(String(254))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cost_run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("staffing_cost_runs.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    assignment: Mapped[Assignment] = relationship(back_populates="timesheet")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class CostRun(CreatedAtMixin, db.Model):
    """The month's staffing bill: one per month (asking twice is 409)."""

    __tablename__ = "staffing_cost_runs"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", RUN_STATUSES), name="status"),
        CheckConstraint("overhead_cents >= 0", name="overhead"),
        UniqueConstraint("month"),
    )
    __noun__ = "cost run"

    id: Mapped[IdPK]
    month: Mapped[str] = mapped_column(String(7))  # "2027-01", in the pool's time zone
    month_start: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    overhead_cents: Mapped[int] = mapped_column(BigInteger)
    short_notice_premium_percent: Mapped[Decimal] = mapped_column(Percent)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    requested_by: Mapped[str] = mapped_column(String(254))
    labor_cents: Mapped[int | None] = mapped_column(BigInteger)
    invoice_count: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    allocations: Mapped[list["CostAllocation"]] = relationship(lazy="selectin", order_by="CostAllocation.practice_id")

    tenant_id = None


class CostAllocation(db.Model):
    """One practice's part of a cost run: its approved minutes, labor, overhead share
    and invoice."""

    __tablename__ = "staffing_cost_allocations"
    __table_args__ = (UniqueConstraint("cost_run_id", "practice_id"),)

    id: Mapped[IdPK]
    cost_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("staffing_cost_runs.id"))
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"))
    approved_minutes: Mapped[int] = mapped_column(Integer)
    labor_cents: Mapped[int] = mapped_column(BigInteger)
    overhead_cents: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
