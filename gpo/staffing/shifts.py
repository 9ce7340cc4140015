"""Shifts (DOMAIN.md "Shared staffing pool", and CPOM for clinical staff): practices
request shifts and cancel them; MSO schedulers book a person (by hand or the fairest
free one); practices accept (clinical roles: a physician) or release people."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import Paged, db, flush_or_conflict, lock_row, paged
from gpo.errors import Conflict, Forbidden, Invalid
from gpo.notifications import outbox
from gpo.staffing import clock, rules
from gpo.staffing.models import (
    BOOKING_STATUSES,
    MAX_SHIFT_HOURS,
    SHORT_NOTICE,
    Assignment,
    ShiftRequest,
    StaffMember,
    role_words,
)
from gpo.staffing.staff import available


class NewShiftRequest(TypedDict):
    """A practice's request for a person (ShiftRequestInSchema)."""

    location_id: int
    role: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    notes: str


# The shift requests' list filters (ShiftRequestQuerySchema; "from" is a Python keyword).
ShiftRequestFilters = TypedDict("ShiftRequestFilters", {
    "status": str, "role": str, "practice_id": int, "from": dt.datetime, "to": dt.datetime}, total=False)


class Release(TypedDict):
    """How a practice releases a person (ReleaseInSchema)."""

    reason: str | None
    all_future: bool


def overlapping(staff_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> Assignment | None:
    """The person's booking that overlaps [starts_at, ends_at), if any."""
    return db.session.scalars(select(Assignment).where(
        Assignment.staff_id == staff_id, Assignment.status.in_(BOOKING_STATUSES),
        Assignment.starts_at < ends_at, Assignment.ends_at > starts_at).limit(1)).first()



def create_request(principal: Principal, data: NewShiftRequest) -> ShiftRequest:
    """A practice asks for a person of a role at one of its locations. Less than 48
    hours ahead it is short-notice (billed with the premium)."""
    policy.authorize(principal, "shift_request.create")
    if principal.org_type != "practice":
        raise Forbidden("shift requests are made by a practice")
    location = db.session.get(Location, data["location_id"])
    if location is None or location.practice_id != principal.organization_id:
        raise Invalid.of_field("location_id", f"location {data['location_id']} is not one of your practice's locations")
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    if ends_at <= starts_at:
        raise Invalid.of_field("ends_at", "the shift ends before it starts")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise Invalid.of_field("ends_at", f"a shift is at most {MAX_SHIFT_HOURS} hours")
    asked_at = clock.now()
    if starts_at <= asked_at:
        raise Invalid.of_field("starts_at", "the shift must start in the future")
    has_role = db.session.scalar(select(StaffMember.id).where(
        StaffMember.role == data["role"], StaffMember.active.is_(True)).limit(1))
    if has_role is None:
        raise Invalid.of_field("role", f"no active staff member in the pool has the role {data['role']!r}")
    request = ShiftRequest(practice_id=principal.organization_id, location_id=location.id, role=data["role"],
                           starts_at=starts_at, ends_at=ends_at, notes=data.get("notes") or "",
                           short_notice=starts_at - asked_at < SHORT_NOTICE, status="open",
                           requested_by=principal.label)
    db.session.add(request)
    db.session.flush()
    audit.record(principal, "shift_request.create", request, details={
        "role": request.role, "starts_at": starts_at.isoformat(), "short_notice": request.short_notice})
    db.session.flush()
    return request


def list_requests(principal: Principal, filters: ShiftRequestFilters, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "shift_request.read")
    stmt = policy.scope(principal, select(ShiftRequest), ShiftRequest.practice_id)
    for name in ("status", "role", "practice_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(ShiftRequest, name) == filters[name])
    if filters.get("from") is not None:
        stmt = stmt.where(ShiftRequest.starts_at >= filters["from"])
    if filters.get("to") is not None:
        stmt = stmt.where(ShiftRequest.starts_at < filters["to"])
    return paged(stmt.order_by(ShiftRequest.starts_at, ShiftRequest.id), page, page_size)


def get_request(principal: Principal, request_id: int) -> ShiftRequest:
    return policy.load(principal, ShiftRequest, request_id, "shift_request.read")


def _live(request: ShiftRequest) -> Assignment | None:
    a = request.assignment
    return a if a is not None and a.status in BOOKING_STATUSES else None


def cancel_request(principal: Principal, request_id: int, reason: str | None) -> ShiftRequest:
    """The practice (or scheduling) withdraws a shift before it starts; its booking is freed."""
    request = policy.load(principal, ShiftRequest, request_id, "shift_request.cancel", for_update=True)
    if request.status not in ("open", "assigned", "accepted"):
        raise Conflict(f"shift request {request.id} is {request.status}: it cannot be cancelled")
    if request.starts_at <= clock.now():
        raise Conflict(f"shift request {request.id} has started: record its timesheet instead")
    live = _live(request)
    if live is not None and live.status == "accepted" and live.staff.clinical \
            and "practice_physician" not in principal.roles:
        raise Forbidden(f"{live.staff.name} is clinical staff accepted by a physician: a physician of the practice "
                        "cancels their shift (CPOM)")
    if live is not None:
        live.status = "cancelled"
    request.status, request.cancel_reason = "cancelled", reason
    db.session.flush()
    audit.record(principal, "shift_request.cancel", request, details={"reason": reason})
    db.session.flush()
    return request



def _book(principal: Principal, request: ShiftRequest, staff: StaffMember, how: str) -> Assignment:
    """Book `staff` for the request. The Python check gives the usual answer; a race
    between two schedulers is decided by the database (PostgreSQL's exclusion
    constraint; SQLite runs one writer at a time), and the loser gets 409."""
    if not staff.active:
        raise Invalid.of_field("staff_id", f"{staff.name} is not active")
    if staff.role != request.role:
        raise Invalid.of_field("staff_id", f"{staff.name} is {a_role(staff.role)}; "
                                           f"the shift needs {a_role(request.role)}")
    if not available(staff, request.starts_at, request.ends_at):
        raise Invalid.of_field("staff_id", f"{staff.name} is not available "
                                           f"{clock.shift_words(request.starts_at, request.ends_at)}")
    clash = overlapping(staff.id, request.starts_at, request.ends_at)
    if clash is not None:
        where = db.session.scalar(select(Organization.name).where(Organization.id == clash.practice_id))
        raise Conflict(f"{staff.name} is already booked {clock.shift_words(clash.starts_at, clash.ends_at)}"
                       + (f" at {where}" if where else ""))
    assignment = Assignment(shift_request_id=request.id, staff_id=staff.id, practice_id=request.practice_id,
                            starts_at=request.starts_at, ends_at=request.ends_at, status="assigned",
                            hourly_cost_cents=staff.hourly_cost_cents, assigned_by=principal.label)
    db.session.add(assignment)
    flush_or_conflict(f"{staff.name} was booked for an overlapping shift at the same moment, "
                      "or the shift was assigned meanwhile")
    request.status = "assigned"
    db.session.flush()
    audit.record(principal, "shift_request.assign", request, details={
        "assignment_id": assignment.id, "staff_id": staff.id, "how": how})
    db.session.flush()
    if staff.clinical:
        _tell_physicians(request, assignment, staff)
    return assignment


def _tell_physicians(request: ShiftRequest, assignment: Assignment, staff: StaffMember) -> None:
    """shift_request.awaiting_physician: clinical staff booked for the practice stand
    only once a physician of the practice accepts them (CPOM)."""
    location = db.session.get(Location, request.location_id).name
    outbox.emit(
        "shift_request.awaiting_physician", request, practice_id=request.practice_id,
        summary=(f"{staff.name} ({role_words(staff.role)}, clinical) is booked for {location} "
                 f"{clock.shift_words(request.starts_at, request.ends_at)}: a physician of the practice accepts"),
        data={"shift_request_id": request.id, "assignment_id": assignment.id, "role": request.role,
              "starts_at": request.starts_at.isoformat(), "ends_at": request.ends_at.isoformat()})


def _a(words: str) -> str:
    """"a billing specialist", "an IT technician"."""
    return f"{'an' if words[:1].lower() in 'aeio' or words.startswith(('IT', 'MSO')) else 'a'} {words}"


def a_role(role: str) -> str:
    """A role in a sentence with its article: "an IT technician"."""
    return _a(role_words(role))


_REQUEST_STATUS_WORDS = {"assigned": "assigned already", "accepted": "accepted already", "completed": "worked",
                         "cancelled": "cancelled", "released": "released"}


def _status_words(status: str) -> str:
    return _REQUEST_STATUS_WORDS.get(status, status)


def _assignable(principal: Principal, request_id: int) -> ShiftRequest:
    request = policy.load(principal, ShiftRequest, request_id, "shift_request.assign", for_update=True)
    if request.status != "open":
        raise Conflict(f"the shift request is {_status_words(request.status)}: only an open request is assigned")
    if request.starts_at <= clock.now():
        raise Conflict(f"the shift ({clock.shift_words(request.starts_at, request.ends_at)}) has already started")
    return request


def assign(principal: Principal, request_id: int, staff_id: int) -> Assignment:
    request = _assignable(principal, request_id)
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise Invalid.of_field("staff_id", f"no staff member {staff_id}")
    return _book(principal, request, staff, "manual")


def booked_minutes(staff_ids: list[int], span: rules.Span) -> dict[int, int]:
    """Minutes each person is booked for shifts starting in the span (for fairness)."""
    rows = db.session.execute(select(Assignment.staff_id, Assignment.starts_at, Assignment.ends_at).where(
        Assignment.staff_id.in_(staff_ids), Assignment.status.in_(BOOKING_STATUSES),
        Assignment.starts_at >= span.starts_at, Assignment.starts_at < span.ends_at)).all()
    totals: dict[int, int] = defaultdict(int)
    for staff_id, starts_at, ends_at in rows:
        totals[staff_id] += int((ends_at - starts_at).total_seconds() // 60)
    return totals


def auto_assign(principal: Principal, request_id: int) -> Assignment:
    """Book the available person of the role with no overlapping shift who has the
    fewest hours booked this month (ties: the lowest id), spreading hours fairly."""
    request = _assignable(principal, request_id)
    candidates = db.session.scalars(select(StaffMember).where(
        StaffMember.role == request.role, StaffMember.active.is_(True)).order_by(StaffMember.id)).all()
    free = [s for s in candidates if available(s, request.starts_at, request.ends_at)
            and overlapping(s.id, request.starts_at, request.ends_at) is None]
    if not free:
        raise Conflict(f"no {role_words(request.role)} is available and free "
                       f"{clock.shift_words(request.starts_at, request.ends_at)} ({len(candidates)} in the pool)")
    local = request.starts_at.astimezone(clock.zone())
    load = booked_minutes([s.id for s in free], rules.month_span(f"{local:%Y-%m}", clock.zone()))
    chosen = min(free, key=lambda s: (load.get(s.id, 0), s.id))
    return _book(principal, request, chosen, "auto")


def get_assignment(principal: Principal, assignment_id: int) -> Assignment:
    return policy.load(principal, Assignment, assignment_id, "assignment.read")


def locked_assignment(principal: Principal, assignment_id: int, action: str) -> Assignment:
    """The assignment for `action`, locked after its shift request: every use case
    locks the request first, so two of them never wait on each other in a circle."""
    assignment = policy.load(principal, Assignment, assignment_id, action)
    lock_row(ShiftRequest, assignment.shift_request_id)
    return lock_row(Assignment, assignment_id)


def accept(principal: Principal, assignment_id: int) -> Assignment:
    """The practice accepts the person. A clinical person is accepted only by a
    physician of the practice (CPOM): until then the assignment does not stand."""
    assignment = locked_assignment(principal, assignment_id, "assignment.accept")
    if assignment.status != "assigned":
        raise Conflict(f"assignment {assignment.id} is {assignment.status}: only an assigned person is accepted")
    if assignment.staff.clinical and "practice_physician" not in principal.roles:
        raise Forbidden(f"{assignment.staff.name} is clinical staff: a physician of the practice accepts them (CPOM)")
    if assignment.starts_at <= clock.now():
        raise Conflict(f"assignment {assignment.id} has started: a person is accepted before the shift")
    assignment.status, assignment.accepted_by, assignment.accepted_at = "accepted", principal.label, clock.now()
    db.session.get(ShiftRequest, assignment.shift_request_id).status = "accepted"
    db.session.flush()
    audit.record(principal, "assignment.accept", assignment, details={"staff_id": assignment.staff_id})
    db.session.flush()
    return assignment


def release(principal: Principal, assignment_id: int, data: Release) -> list[Assignment]:
    """The practice releases the person from this future shift, or (`all_future`) from
    every future shift of theirs at the practice. Shifts under way or past stay.
    Clinical staff are released by a physician of the practice (CPOM)."""
    first = policy.load(principal, Assignment, assignment_id, "assignment.release")
    if first.staff.clinical and "practice_physician" not in principal.roles:
        raise Forbidden(f"{first.staff.name} is clinical staff: a physician of the practice releases them (CPOM)")
    moment = clock.now()
    requests = {first.id: first.shift_request_id}
    if data.get("all_future"):
        requests.update(db.session.execute(select(Assignment.id, Assignment.shift_request_id).where(
            Assignment.practice_id == first.practice_id, Assignment.staff_id == first.staff_id,
            Assignment.status.in_(("assigned", "accepted")), Assignment.starts_at > moment)).all())
    # Requests first, all in one ordered statement, then their assignments: two
    # releases of overlapping sets never hold what the other waits for.
    db.session.execute(select(ShiftRequest.id).where(ShiftRequest.id.in_(requests.values()))
                       .order_by(ShiftRequest.id).with_for_update())
    locked = {a.id: a for a in db.session.scalars(
        select(Assignment).where(Assignment.id.in_(requests)).order_by(Assignment.id)
        .with_for_update().execution_options(populate_existing=True))}
    first = locked[assignment_id]
    if first.status not in ("assigned", "accepted"):
        raise Conflict(f"assignment {first.id} is {first.status}: only a booked future shift is released")
    if first.starts_at <= moment:
        raise Conflict(f"assignment {first.id} has started: it can no longer be released")
    targets = [first] + sorted((a for a in locked.values() if a.id != first.id and a.status in ("assigned", "accepted")
                                and a.starts_at > moment), key=lambda a: a.starts_at)
    for assignment in targets:
        assignment.status, assignment.released_by, assignment.released_at = "released", principal.label, moment
        assignment.release_reason = data.get("reason")
        db.session.get(ShiftRequest, assignment.shift_request_id).status = "released"
        db.session.flush()
        audit.record(principal, "assignment.release", assignment, details={
            "staff_id": assignment.staff_id, "reason": data.get("reason")})
    db.session.flush()
    return targets

