"""The shared staffing pool (DOMAIN.md "Shared staffing pool", and CPOM for clinical
staff): MSO schedulers keep the pool and book people; practices request shifts,
accept (clinical roles: a physician) or release people, and approve or dispute
timesheets; MSO finance runs the month's costs into staffing invoices."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Container
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Location
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.invoices import draft_invoice
from gpo.db import Paged, db, flush_or_conflict, lock_row, paged, utcnow
from gpo.errors import Conflict, Forbidden, Invalid, NotFound
from gpo.etags import require_match
from gpo.jobs import enqueue
from gpo.money import allocate, format_dollars
from gpo.staffing import rules
from gpo.staffing.models import (
    BOOKING_STATUSES,
    MAX_SHIFT_HOURS,
    SHORT_NOTICE,
    Assignment,
    Availability,
    CostAllocation,
    CostRun,
    ShiftRequest,
    StaffMember,
    Timesheet,
)


def now() -> dt.datetime:
    """The clock every staffing rule reads (one place, so tests can move it)."""
    return utcnow()


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["STAFFING_TIMEZONE"])


# --- the pool ---------------------------------------------------------------------------


def list_staff(principal: Principal, filters: dict, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "staff.read")
    stmt = select(StaffMember)
    for name in ("role", "active", "clinical"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(StaffMember, name) == filters[name])
    return paged(stmt.order_by(StaffMember.name, StaffMember.id), page, page_size)


def get_staff(principal: Principal, staff_id: int) -> StaffMember:
    return policy.load(principal, StaffMember, staff_id, "staff.read")


def create_staff(principal: Principal, data: dict) -> StaffMember:
    policy.authorize(principal, "staff.manage")
    staff = StaffMember(**data)
    db.session.add(staff)
    db.session.flush()
    audit.record(principal, "staff.create", staff, organization_id=principal.organization_id, details={
        "name": staff.name, "role": staff.role, "clinical": staff.clinical, "hourly_cost_cents": staff.hourly_cost_cents})
    db.session.flush()
    return staff


def update_staff(principal: Principal, staff_id: int, data: dict, if_match: Container[str]) -> StaffMember:
    """Edit a person (If-Match). Booked shifts keep the hourly cost they were booked at."""
    staff = policy.load(principal, StaffMember, staff_id, "staff.manage", for_update=True)
    require_match(staff, if_match)
    changes = audit.apply_changes(staff, data)
    if changes:
        db.session.flush()
        audit.record(principal, "staff.update", staff, organization_id=principal.organization_id, details=changes)
    db.session.flush()
    return staff


def list_availability(principal: Principal, staff_id: int) -> list[Availability]:
    return get_staff(principal, staff_id).availability


def add_availability(principal: Principal, staff_id: int, data: dict) -> Availability:
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
    rows = staff.availability
    return rules.is_available(
        [rules.Window(r.weekday, r.start_minute, r.end_minute) for r in rows if r.kind == "weekly"],
        [rules.Span(r.starts_at, r.ends_at) for r in rows if r.kind == "available"],
        [rules.Span(r.starts_at, r.ends_at) for r in rows if r.kind == "unavailable"],
        starts_at, ends_at, zone())


def overlapping(staff_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> Assignment | None:
    """The person's booking that overlaps [starts_at, ends_at), if any."""
    return db.session.scalars(select(Assignment).where(
        Assignment.staff_id == staff_id, Assignment.status.in_(BOOKING_STATUSES),
        Assignment.starts_at < ends_at, Assignment.ends_at > starts_at).limit(1)).first()


# --- shift requests -------------------------------------------------------------------------


def create_request(principal: Principal, data: dict) -> ShiftRequest:
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
    asked_at = now()
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


def list_requests(principal: Principal, filters: dict, page: int, page_size: int) -> Paged:
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
    if request.starts_at <= now():
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


# --- assignment ----------------------------------------------------------------------------


def _book(principal: Principal, request: ShiftRequest, staff: StaffMember, how: str) -> Assignment:
    """Book `staff` for the request. The Python check gives the usual answer; a race
    between two schedulers is decided by the database (PostgreSQL's exclusion
    constraint; SQLite runs one writer at a time), and the loser gets 409."""
    if not staff.active:
        raise Invalid.of_field("staff_id", f"staff member {staff.id} is not active")
    if staff.role != request.role:
        raise Invalid.of_field("staff_id", f"staff member {staff.id} is a {staff.role}, the shift needs a {request.role}")
    if not available(staff, request.starts_at, request.ends_at):
        raise Invalid.of_field("staff_id", f"{staff.name} is not available from {request.starts_at:%Y-%m-%d %H:%M} "
                                   f"to {request.ends_at:%H:%M} UTC")
    clash = overlapping(staff.id, request.starts_at, request.ends_at)
    if clash is not None:
        raise Conflict(f"{staff.name} is already booked from {clash.starts_at:%Y-%m-%d %H:%M} to "
                       f"{clash.ends_at:%H:%M} UTC (assignment {clash.id})")
    assignment = Assignment(shift_request_id=request.id, staff_id=staff.id, practice_id=request.practice_id,
                            starts_at=request.starts_at, ends_at=request.ends_at, status="assigned",
                            hourly_cost_cents=staff.hourly_cost_cents, assigned_by=principal.label)
    db.session.add(assignment)
    flush_or_conflict(f"{staff.name} was booked for an overlapping shift at the same moment, "
                      f"or shift request {request.id} was assigned meanwhile")
    request.status = "assigned"
    db.session.flush()
    audit.record(principal, "shift_request.assign", request, details={
        "assignment_id": assignment.id, "staff_id": staff.id, "how": how})
    db.session.flush()
    return assignment


def _assignable(principal: Principal, request_id: int) -> ShiftRequest:
    request = policy.load(principal, ShiftRequest, request_id, "shift_request.assign", for_update=True)
    if request.status != "open":
        raise Conflict(f"shift request {request.id} is {request.status}: only an open request is assigned")
    if request.starts_at <= now():
        raise Conflict(f"shift request {request.id} has already started")
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
        raise Conflict(f"no {request.role} is available and free from {request.starts_at:%Y-%m-%d %H:%M} "
                       f"to {request.ends_at:%H:%M} UTC ({len(candidates)} in the pool)")
    local = request.starts_at.astimezone(zone())
    load = booked_minutes([s.id for s in free], rules.month_span(f"{local:%Y-%m}", zone()))
    chosen = min(free, key=lambda s: (load.get(s.id, 0), s.id))
    return _book(principal, request, chosen, "auto")


def get_assignment(principal: Principal, assignment_id: int) -> Assignment:
    return policy.load(principal, Assignment, assignment_id, "assignment.read")


def _locked(principal: Principal, assignment_id: int, action: str) -> Assignment:
    """The assignment for `action`, locked after its shift request: every use case
    locks the request first, so two of them never wait on each other in a circle."""
    assignment = policy.load(principal, Assignment, assignment_id, action)
    lock_row(ShiftRequest, assignment.shift_request_id)
    return lock_row(Assignment, assignment_id)


def accept(principal: Principal, assignment_id: int) -> Assignment:
    """The practice accepts the person. A clinical person is accepted only by a
    physician of the practice (CPOM): until then the assignment does not stand."""
    assignment = _locked(principal, assignment_id, "assignment.accept")
    if assignment.status != "assigned":
        raise Conflict(f"assignment {assignment.id} is {assignment.status}: only an assigned person is accepted")
    if assignment.staff.clinical and "practice_physician" not in principal.roles:
        raise Forbidden(f"{assignment.staff.name} is clinical staff: a physician of the practice accepts them (CPOM)")
    if assignment.starts_at <= now():
        raise Conflict(f"assignment {assignment.id} has started: a person is accepted before the shift")
    assignment.status, assignment.accepted_by, assignment.accepted_at = "accepted", principal.label, now()
    db.session.get(ShiftRequest, assignment.shift_request_id).status = "accepted"
    db.session.flush()
    audit.record(principal, "assignment.accept", assignment, details={"staff_id": assignment.staff_id})
    db.session.flush()
    return assignment


def release(principal: Principal, assignment_id: int, data: dict) -> list[Assignment]:
    """The practice releases the person from this future shift, or (`all_future`) from
    every future shift of theirs at the practice. Shifts under way or past stay.
    Clinical staff are released by a physician of the practice (CPOM)."""
    first = policy.load(principal, Assignment, assignment_id, "assignment.release")
    if first.staff.clinical and "practice_physician" not in principal.roles:
        raise Forbidden(f"{first.staff.name} is clinical staff: a physician of the practice releases them (CPOM)")
    moment = now()
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


# --- timesheets ----------------------------------------------------------------------------


def record_timesheet(principal: Principal, assignment_id: int, data: dict) -> Assignment:
    """Scheduling records what was worked, once the shift has happened. A disputed
    timesheet is corrected the same way and goes back to the practice."""
    assignment = _locked(principal, assignment_id, "timesheet.record")
    moment = now()
    if assignment.status not in ("accepted", "completed"):
        raise Conflict(f"assignment {assignment.id} is {assignment.status}: only an accepted shift has a timesheet")
    if assignment.starts_at > moment:
        raise Invalid.of_field("started_at", f"the shift starts at {assignment.starts_at:%Y-%m-%d %H:%M} UTC: "
                                     "record its timesheet once it has happened")
    started, ended, pause = data["started_at"], data["ended_at"], data["break_minutes"]
    if ended <= started:
        raise Invalid.of_field("ended_at", "the shift ends before it starts")
    if ended > moment:
        raise Invalid.of_field("ended_at", "the shift cannot end in the future")
    if ended - started > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise Invalid.of_field("ended_at", f"a shift is at most {MAX_SHIFT_HOURS} hours")
    if abs(started - assignment.starts_at) > dt.timedelta(hours=12):
        raise Invalid.of_field("started_at", "the shift started more than 12 hours from when it was booked")
    minutes = rules.worked_minutes(started, ended, pause)
    if minutes <= 0:
        raise Invalid.of_field("break_minutes", "the break is as long as the shift")
    sheet = _sheet_of(assignment)
    if sheet is None:
        sheet = Timesheet(assignment_id=assignment.id, practice_id=assignment.practice_id)
        db.session.add(sheet)
    elif sheet.status == "approved":
        raise Conflict(f"the timesheet of assignment {assignment.id} is approved: it no longer changes")
    sheet.started_at, sheet.ended_at, sheet.break_minutes, sheet.minutes = started, ended, pause, minutes
    sheet.status, sheet.dispute_reason, sheet.recorded_by = "submitted", None, principal.label
    sheet.decided_by = sheet.decided_at = None
    assignment.status = "completed"
    db.session.get(ShiftRequest, assignment.shift_request_id).status = "completed"
    db.session.flush()
    audit.record(principal, "timesheet.record", assignment, details={
        "started_at": started.isoformat(), "ended_at": ended.isoformat(), "break_minutes": pause, "minutes": minutes})
    db.session.flush()
    db.session.refresh(assignment)
    return assignment


def _month_of(moment: dt.datetime) -> str:
    return f"{moment.astimezone(zone()):%Y-%m}"


def _sheet_of(assignment: Assignment) -> Timesheet | None:
    """The assignment's timesheet, locked and read as it is now."""
    return db.session.scalars(select(Timesheet).where(Timesheet.assignment_id == assignment.id)
                              .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _decide(principal: Principal, assignment_id: int, action: str) -> tuple[Assignment, Timesheet]:
    # The same lock order as recording: a correction and a decision take turns.
    assignment = _locked(principal, assignment_id, action)
    sheet = _sheet_of(assignment)
    if sheet is None:
        raise Conflict(f"assignment {assignment.id} has no timesheet yet")
    if sheet.status == "approved":
        raise Conflict(f"the timesheet of assignment {assignment.id} is already approved")
    if sheet.status == "disputed":
        raise Conflict(f"the timesheet of assignment {assignment.id} is disputed: scheduling records the "
                       "corrected times first")
    return assignment, sheet


def approve_timesheet(principal: Principal, assignment_id: int) -> Assignment:
    """Approved minutes are what the month's cost run bills."""
    assignment, sheet = _decide(principal, assignment_id, "timesheet.approve")
    month = _month_of(assignment.starts_at)
    if db.session.scalar(select(CostRun.id).where(CostRun.month == month, CostRun.status != "failed")) is not None:
        raise Conflict(f"{month}'s staffing costs were already run: ask MSO finance to bill this shift by a "
                       "correction")
    sheet.status, sheet.decided_by, sheet.decided_at = "approved", principal.label, now()
    db.session.flush()
    audit.record(principal, "timesheet.approve", assignment, details={"minutes": sheet.minutes})
    db.session.flush()
    db.session.refresh(assignment)
    return assignment


def dispute_timesheet(principal: Principal, assignment_id: int, reason: str) -> Assignment:
    assignment, sheet = _decide(principal, assignment_id, "timesheet.dispute")
    sheet.status, sheet.dispute_reason = "disputed", reason
    sheet.decided_by, sheet.decided_at = principal.label, now()
    db.session.flush()
    audit.record(principal, "timesheet.dispute", assignment, details={"reason": reason})
    db.session.flush()
    db.session.refresh(assignment)
    return assignment


# --- the monthly cost run --------------------------------------------------------------------

def _approved_in(span: rules.Span, *, for_update: bool = False):
    """Approved, not yet billed timesheets of shifts starting in the span. Locking (the
    job), it first locks every timesheet of the month whatever its status, then keeps
    the approved ones as they are under the lock: an approval racing the run either
    commits first and is billed, or waits and then finds the run (409). Filtering on
    the status in SQL would skip a row whose approval is not yet committed."""
    stmt = (select(Timesheet, Assignment, ShiftRequest, StaffMember)
            .join(Assignment, Assignment.id == Timesheet.assignment_id)
            .join(ShiftRequest, ShiftRequest.id == Assignment.shift_request_id)
            .join(StaffMember, StaffMember.id == Assignment.staff_id)
            .where(Assignment.starts_at >= span.starts_at, Assignment.starts_at < span.ends_at)
            .order_by(Assignment.practice_id, StaffMember.name, Assignment.starts_at, Timesheet.id))
    if for_update:
        stmt = stmt.with_for_update(of=Timesheet).execution_options(populate_existing=True)
    else:
        stmt = stmt.where(Timesheet.status == "approved", Timesheet.cost_run_id.is_(None))
    return [row for row in db.session.execute(stmt).all()
            if row[0].status == "approved" and row[0].cost_run_id is None]


def request_cost_run(principal: Principal, data: dict) -> CostRun:
    """The month's run (MSO finance), for a month that has ended; once per month (409)."""
    policy.authorize(principal, "cost_run.create")
    month, overhead = data["month"], data["overhead_cents"]
    span = rules.month_span(month, zone())
    if span.ends_at > now():
        raise Invalid.of_field("month", f"{month} has not ended yet: its costs are run once it has")
    existing = db.session.scalars(select(CostRun).where(CostRun.month == month).with_for_update()).one_or_none()
    if existing is not None and existing.status != "failed":
        raise Conflict(f"the staffing costs of {month} were already run (cost run {existing.id})")
    if overhead > 0 and not _approved_in(span):
        raise Invalid.of_field("overhead_cents", f"no approved hours in {month} to share the overhead by")
    if existing is not None:
        # The job failed for good, keeping nothing (one transaction): run the month again.
        existing.status, existing.overhead_cents = "queued", overhead
        existing.job_id = enqueue("staffing.cost_run", principal, run_id=existing.id).id
        audit.record(principal, "cost_run.rerun", existing, organization_id=principal.organization_id,
                     details={"month": month, "overhead_cents": overhead})
        db.session.flush()
        return existing
    run = CostRun(month=month, month_start=span.starts_at.date(), timezone=current_app.config["STAFFING_TIMEZONE"],
                  overhead_cents=overhead, status="queued", requested_by=principal.label,
                  short_notice_premium_percent=Decimal(str(current_app.config["STAFFING_SHORT_NOTICE_PREMIUM_PERCENT"])))
    db.session.add(run)
    flush_or_conflict(f"the staffing costs of {month} were already run")
    run.job_id = enqueue("staffing.cost_run", principal, run_id=run.id).id
    audit.record(principal, "cost_run.create", run, organization_id=principal.organization_id,
                 details={"month": month, "overhead_cents": overhead})
    db.session.flush()
    return run


def get_cost_run(principal: Principal, run_id: int) -> CostRun:
    return policy.load(principal, CostRun, run_id, "cost_run.read")


def cost_run_failed(run_id: int) -> None:
    run = lock_row(CostRun, run_id)
    if run is not None and run.status == "queued":
        run.status = "failed"
        audit.record(SYSTEM, "cost_run.fail", run)
        db.session.flush()


def cost_run(run_id: int) -> dict:
    """Each practice pays its approved minutes times the booked hourly cost of the people
    it used (with the short-notice premium on short-notice shifts), each timesheet
    rounded once, plus its share of the month's overhead, `allocate(overhead,
    approved minutes per practice, practice ids)`: one draft staffing invoice per
    practice listing hours per person and role. One transaction: a crash leaves
    nothing, a rerun of a finished run does nothing."""
    run = lock_row(CostRun, run_id)
    if run is None:
        raise NotFound(f"cost run {run_id} not found")
    if run.status == "finished":
        return {"invoices": run.invoice_count}
    span = rules.month_span(run.month, ZoneInfo(run.timezone))
    rows = _approved_in(span, for_update=True)
    per_practice: dict[int, dict] = defaultdict(lambda: {"minutes": 0, "labor": 0, "people": {}})
    for sheet, assignment, request, staff in rows:
        premium = run.short_notice_premium_percent if request.short_notice else Decimal(0)
        cents = rules.labor_cents(sheet.minutes, assignment.hourly_cost_cents, premium)
        practice = per_practice[assignment.practice_id]
        practice["minutes"] += sheet.minutes
        practice["labor"] += cents
        person = practice["people"].setdefault((staff.id, request.role, assignment.hourly_cost_cents), {
            "name": staff.name, "minutes": 0, "cents": 0, "short_notice": 0})
        person["minutes"] += sheet.minutes
        person["cents"] += cents
        person["short_notice"] += request.short_notice
        sheet.cost_run_id = run.id
    practice_ids = sorted(per_practice)
    shares = allocate(run.overhead_cents, [per_practice[p]["minutes"] for p in practice_ids], practice_ids) \
        if practice_ids else []
    label = span.starts_at.strftime("%B %Y")
    for practice_id, share in zip(practice_ids, shares, strict=True):
        practice = per_practice[practice_id]
        lines = []
        for (_staff_id, role, hourly), person in practice["people"].items():
            hours = Decimal(person["minutes"]) / 60
            note = f", {person['short_notice']} short-notice shift(s) +{run.short_notice_premium_percent.normalize()}%" \
                if person["short_notice"] else ""
            lines.append({"kind": "staffing", "description": f"{person['name']} ({role}), {person['minutes'] // 60} h "
                          f"{person['minutes'] % 60:02d} min at {format_dollars(hourly)}/h{note}"[:300],
                          "quantity": hours.quantize(Decimal("0.0001")), "unit_price": Decimal(hourly) / 100,
                          "amount_cents": person["cents"]})
        if share:
            lines.append({"kind": "overhead", "description": f"Pool overhead, {label}: your share by approved hours "
                          f"({practice['minutes']} of the pool's minutes) of {format_dollars(run.overhead_cents)}",
                          "amount_cents": share})
        invoice = draft_invoice(practice_id, "staffing", f"staffing:{run.month}:practice:{practice_id}",
                                f"Shared staff {label}", lines, period_start=span.starts_at.date(),
                                period_end=(span.ends_at - dt.timedelta(days=1)).date())
        db.session.add(CostAllocation(cost_run_id=run.id, practice_id=practice_id,
                                      approved_minutes=practice["minutes"], labor_cents=practice["labor"],
                                      overhead_cents=share, invoice_id=invoice.id if invoice else None))
    run.status, run.finished_at = "finished", utcnow()
    run.labor_cents = sum(p["labor"] for p in per_practice.values())
    run.invoice_count = len(practice_ids)
    audit.record(SYSTEM, "cost_run.finish", run, details={
        "labor_cents": run.labor_cents, "overhead_cents": run.overhead_cents, "invoices": run.invoice_count})
    db.session.flush()
    return {"invoices": run.invoice_count, "labor_cents": run.labor_cents, "overhead_cents": run.overhead_cents}
