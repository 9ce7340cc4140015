"""The pool (DOMAIN.md "Shared staffing pool"): MSO schedulers keep its staff members
and their availability (weekly windows, dated exceptions)."""
from __future__ import annotations

import datetime as dt
from typing import Container, Literal, NotRequired, TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import Paged, db, paged
from gpo.errors import Invalid
from gpo.etags import require_match
from gpo.staffing import clock, rules
from gpo.staffing.models import Availability, StaffMember


class StaffFilters(TypedDict, total=False):
    """The pool's list filters (StaffQuerySchema)."""

    role: str
    active: bool
    clinical: bool


class NewStaff(TypedDict):
    """A person joining the pool (StaffCreateSchema)."""

    name: str
    role: str
    clinical: bool
    hourly_cost_cents: int
    active: bool
    vendor_id: NotRequired[int | None]


class StaffChanges(TypedDict, total=False):
    """An edit of a person (StaffUpdateSchema): only the fields given."""

    name: str
    role: str
    clinical: bool
    hourly_cost_cents: int
    active: bool
    vendor_id: int | None


class NewAvailability(TypedDict):
    """A weekly window or a dated exception (AvailabilityCreateSchema; the schema loads
    "start"/"end" as minutes from local midnight)."""

    kind: Literal["weekly", "unavailable", "available"]
    weekday: NotRequired[int | None]
    start_minute: NotRequired[int | None]
    end_minute: NotRequired[int | None]
    starts_at: NotRequired[dt.datetime | None]
    ends_at: NotRequired[dt.datetime | None]
    note: NotRequired[str | None]


def list_staff(principal: Principal, filters: StaffFilters, page: int, page_size: int) -> Paged:
    """The pool (MSO staff); a staffing vendor's own people (policy.scope on the vendor)."""
    policy.authorize(principal, "staff.read")
    stmt = policy.scope(principal, select(StaffMember), StaffMember.vendor_id)
    for name in ("role", "active", "clinical"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(StaffMember, name) == filters[name])
    return paged(stmt.order_by(StaffMember.name, StaffMember.id), page, page_size)


def get_staff(principal: Principal, staff_id: int) -> StaffMember:
    return policy.load(principal, StaffMember, staff_id, "staff.read")


def create_staff(principal: Principal, data: NewStaff) -> StaffMember:
    policy.authorize(principal, "staff.manage")
    _check_vendor(data.get("vendor_id"))
    staff = StaffMember(**data)
    db.session.add(staff)
    db.session.flush()
    audit.record(principal, "staff.create", staff, organization_id=principal.organization_id, details={
        "name": staff.name, "role": staff.role, "clinical": staff.clinical, "hourly_cost_cents": staff.hourly_cost_cents,
        "vendor_id": staff.vendor_id})
    db.session.flush()
    return staff


def update_staff(principal: Principal, staff_id: int, data: StaffChanges, if_match: Container[str]) -> StaffMember:
    """Edit a person (If-Match). Booked shifts keep the hourly cost they were booked at."""
    staff = policy.load(principal, StaffMember, staff_id, "staff.manage", for_update=True)
    require_match(staff, if_match)
    if "vendor_id" in data:
        _check_vendor(data["vendor_id"])
    changes = audit.apply_changes(staff, data)
    if changes:
        db.session.flush()
        audit.record(principal, "staff.update", staff, organization_id=principal.organization_id, details=changes)
    db.session.flush()
    return staff


def _check_vendor(vendor_id: int | None) -> None:
    """A person is supplied by a staffing vendor, or by nobody (the MSO's own)."""
    if vendor_id is None:
        return
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        raise Invalid.of_field("vendor_id", f"no vendor {vendor_id}")
    if vendor.kind != "staffing":
        raise Invalid.of_field("vendor_id", f"{vendor.name} is a {vendor.kind} vendor, not a staffing vendor")


def list_availability(principal: Principal, staff_id: int) -> list[Availability]:
    return get_staff(principal, staff_id).availability


def add_availability(principal: Principal, staff_id: int, data: NewAvailability) -> Availability:
    """A weekly window (`weekly`: weekday, start, end in the pool's time zone) or a dated
    exception (`unavailable`, e.g. leave, or `available`: starts_at, ends_at)."""
    staff = policy.load(principal, StaffMember, staff_id, "staff.manage")
    if data["kind"] == "weekly":
        # (the schema loads "start"/"end" as minutes from local midnight)
        fields = {"weekday": "weekday", "start": "start_minute", "end": "end_minute"}
        missing = [name for name, key in fields.items() if data.get(key) is None]
        if missing:
            raise Invalid("a weekly window needs weekday, start and end", {"json": {f: ["required"] for f in missing}})
        if data["start_minute"] >= data["end_minute"]:
            raise Invalid.of_field("end", "the window ends before it starts")
        row = Availability(staff_id=staff.id, kind="weekly", weekday=data["weekday"], start_minute=data["start_minute"],
                           end_minute=data["end_minute"], note=data.get("note"))
    else:
        missing = [f for f in ("starts_at", "ends_at") if data.get(f) is None]
        if missing:
            raise Invalid("a dated exception needs starts_at and ends_at", {"json": {f: ["required"] for f in missing}})
        if data["ends_at"] <= data["starts_at"]:
            raise Invalid.of_field("ends_at", "the exception ends before it starts")
        row = Availability(staff_id=staff.id, kind=data["kind"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                           note=data.get("note"))
    db.session.add(row)
    db.session.flush()
    audit.record(principal, "staff.availability_add", staff, organization_id=principal.organization_id,
                 details={"availability_id": row.id, "kind": row.kind})
    db.session.flush()
    return row


def delete_availability(principal: Principal, availability_id: int) -> None:
    """Remove a window or exception. Shifts already booked stay booked."""
    row = policy.load(principal, Availability, availability_id, "staff.manage")
    audit.record(principal, "staff.availability_remove", row.staff, organization_id=principal.organization_id,
                 details={"availability_id": row.id, "kind": row.kind})
    db.session.delete(row)
    db.session.flush()


def available(staff: StaffMember, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """The person's availability covers [starts_at, ends_at) (rules.is_available)."""
    rows = staff.availability
    return rules.is_available(
        [rules.Window(r.weekday, r.start_minute, r.end_minute) for r in rows if r.kind == "weekly"],
        [rules.Span(r.starts_at, r.ends_at) for r in rows if r.kind == "available"],
        [rules.Span(r.starts_at, r.ends_at) for r in rows if r.kind == "unavailable"],
        starts_at, ends_at, clock.zone())

