"""The console's staffing reads (WEB.md "Console pages": the staffing board): a week per
staff member with availability and bookings, the shift requests waiting for a person,
the shifts whose timesheets are to be recorded, the cost runs, what waits for
scheduling; and a staffing vendor's own people for the portal. Each read is a few
queries, never one per person or per request."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import raiseload

from gpo import jobs
from gpo.accounts.models import Location, Organization, Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import Paged, db
from gpo.errors import Forbidden
from gpo.staffing import clock
from gpo.staffing.models import BOOKING_STATUSES, Assignment, CostRun, ShiftRequest, StaffMember, Timesheet
from gpo.staffing.staff import available

WAITING_LIMIT = 50


@dataclass
class Booking:
    """An assignment as the board shows it: where, for whom."""

    assignment: Assignment
    practice: str
    location: str


@dataclass
class Day:
    """One person's day: weekly windows (the pool's time), dated exceptions, bookings."""

    date: dt.date
    windows: list[tuple[int, int]] = field(default_factory=list)  # minutes from local midnight
    extra: list[tuple[dt.datetime, dt.datetime, str | None]] = field(default_factory=list)
    leave: list[tuple[dt.datetime, dt.datetime, str | None]] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)


@dataclass
class PersonWeek:
    staff: StaffMember
    days: list[Day]


@dataclass
class WaitingRequest:
    """An open shift request, its practice and location, whether its role is clinical,
    and the active people of its role (whom the scheduler may choose)."""

    request: ShiftRequest
    practice: str
    location: str
    clinical: bool
    candidates: list[StaffMember]
    week: dt.date  # the Monday of the request's week (the board to show it on)
    busy: dict[int, str] = field(default_factory=dict)  # candidate id -> "booked" or "unavailable", then

    @property
    def options(self) -> list[tuple[int, str]]:
        """The candidates as a form's choices: (id, name), a person who cannot take the
        shift marked: "Dana Reyes (booked then)", "Eli Park (unavailable then)"."""
        return [(person.id, f"{person.name} ({self.busy[person.id]} then)" if person.id in self.busy else person.name)
                for person in self.candidates]


@dataclass
class Week:
    monday: dt.date
    days: list[dt.date]
    rows: list[PersonWeek]
    waiting: list[WaitingRequest]
    waiting_total: int

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def this_week(zone: ZoneInfo) -> dt.date:
    return monday_of(clock.now().astimezone(zone).date())


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)


def _where():
    """The practice (an Organization: its name) and Location joined to a shift request."""
    return Organization, Location


def week(principal: Principal, monday: dt.date, zone: ZoneInfo) -> Week:
    """The week from `monday` (local dates in `zone`): every active person (and anyone
    booked that week) with their availability and bookings per day, and the open shift
    requests still to start (the first WAITING_LIMIT by start), each person of its role
    marked when booked or unavailable at its time. Six queries whatever the pool's
    size: people, their availability, the week's bookings with where, the waiting
    requests with where, their count, and the bookings overlapping them."""
    policy.authorize(principal, "staff.read")
    monday = monday_of(monday)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    starts, ends = _midnight(days[0], zone), _midnight(days[-1] + dt.timedelta(days=1), zone)
    practice, location = _where()
    booked_rows = db.session.execute(
        select(Assignment, practice.name, location.name)
        .join(ShiftRequest, ShiftRequest.id == Assignment.shift_request_id)
        .join(location, location.id == ShiftRequest.location_id)
        .join(practice, practice.id == ShiftRequest.practice_id)
        .where(Assignment.status.in_(BOOKING_STATUSES), Assignment.starts_at < ends, Assignment.ends_at > starts)
        .options(raiseload(Assignment.shift_request), raiseload(Assignment.staff), raiseload(Assignment.timesheet))
        .order_by(Assignment.starts_at, Assignment.id)).all()
    booked_ids = {a.staff_id for a, _, _ in booked_rows}
    people = policy.scope(principal, select(StaffMember), StaffMember.vendor_id).where(
        or_(StaffMember.active.is_(True), StaffMember.id.in_(booked_ids or {0})))
    staff = list(db.session.scalars(people.order_by(StaffMember.name, StaffMember.id)))
    by_person: dict[int, dict[dt.date, list[Booking]]] = defaultdict(lambda: defaultdict(list))
    for assignment, practice_name, location_name in booked_rows:
        day = assignment.starts_at.astimezone(zone).date()
        by_person[assignment.staff_id][day].append(Booking(assignment, practice_name, location_name))
    rows = []
    for person in staff:
        person_days = []
        for day in days:
            cell = Day(day, bookings=by_person[person.id][day])
            day_starts, day_ends = _midnight(day, zone), _midnight(day + dt.timedelta(days=1), zone)
            for row in person.availability:
                if row.kind == "weekly" and row.weekday == day.weekday():
                    cell.windows.append((row.start_minute, row.end_minute))
                elif row.kind != "weekly" and row.starts_at < day_ends and row.ends_at > day_starts:
                    (cell.extra if row.kind == "available" else cell.leave).append((row.starts_at, row.ends_at, row.note))
            cell.windows.sort()
            person_days.append(cell)
        rows.append(PersonWeek(person, person_days))
    waiting, total = _waiting(principal, staff, zone)
    return Week(monday, days, rows, waiting, total)


def _waiting(principal: Principal, staff: list[StaffMember], zone: ZoneInfo) -> tuple[list[WaitingRequest], int]:
    """The open requests still to start, each with the active people of its role, those
    booked or unavailable at its time marked (one query for every request's clashes)."""
    practice, location = _where()
    open_now = (ShiftRequest.status == "open", ShiftRequest.starts_at > clock.now())
    rows = db.session.execute(
        policy.scope(principal, select(ShiftRequest, practice.name, location.name), ShiftRequest.practice_id)
        .join(location, location.id == ShiftRequest.location_id)
        .join(practice, practice.id == ShiftRequest.practice_id)
        .where(*open_now).options(raiseload(ShiftRequest.assignments))
        .order_by(ShiftRequest.starts_at, ShiftRequest.id).limit(WAITING_LIMIT)).all()
    total = db.session.scalar(select(func.count(ShiftRequest.id)).where(*open_now)) if len(rows) == WAITING_LIMIT \
        else len(rows)
    by_role: dict[str, list[StaffMember]] = defaultdict(list)
    for person in staff:
        if person.active:
            by_role[person.role].append(person)
    clinical_roles = {person.role for person in staff if person.clinical}
    booked = _booked_during([request.id for request, _, _ in rows],
                            {person.id for request, _, _ in rows for person in by_role.get(request.role, [])})
    waiting = []
    for request, practice_name, location_name in rows:
        candidates = by_role.get(request.role, [])
        busy = {}
        for person in candidates:
            if (request.id, person.id) in booked:
                busy[person.id] = "booked"
            elif not available(person, request.starts_at, request.ends_at):
                busy[person.id] = "unavailable"
        waiting.append(WaitingRequest(request, practice_name, location_name, request.role in clinical_roles,
                                      candidates, monday_of(request.starts_at.astimezone(zone).date()), busy))
    return waiting, total


def _booked_during(request_ids: list[int], staff_ids: set[int]) -> set[tuple[int, int]]:
    """(request id, person id) for each of the people booked for a shift overlapping one
    of the requests: one query, the database matching the times (always sent, so the
    board's statements do not depend on what waits)."""
    return {(request_id, staff_id) for request_id, staff_id in db.session.execute(
        select(ShiftRequest.id, Assignment.staff_id)
        .join(Assignment, (Assignment.starts_at < ShiftRequest.ends_at) & (Assignment.ends_at > ShiftRequest.starts_at))
        .where(ShiftRequest.id.in_(request_ids), Assignment.staff_id.in_(staff_ids),
               Assignment.status.in_(BOOKING_STATUSES)))}


# --- timesheets --------------------------------------------------------------------------


@dataclass
class Sheet:
    """A shift whose times are to be recorded (or were): the assignment and where."""

    assignment: Assignment
    practice: str
    location: str


def _to_record():
    """Accepted shifts that have started and have no timesheet, and those whose
    timesheet the practice disputed (scheduling records the corrected times)."""
    return or_(
        (Assignment.status == "accepted") & (Assignment.starts_at <= clock.now()),
        (Assignment.status == "completed") & (Timesheet.status == "disputed"))


def timesheets(principal: Principal, page: int, page_size: int) -> tuple[list[Sheet], Paged]:
    """The shifts to record (all of them, oldest first) and the recorded timesheets
    (submitted, approved, disputed; newest first, a page of them)."""
    policy.authorize(principal, "staff.read")
    practice, location = _where()
    base = (policy.scope(principal, select(Assignment, practice.name, location.name), Assignment.practice_id)
            .join(ShiftRequest, ShiftRequest.id == Assignment.shift_request_id)
            .join(location, location.id == ShiftRequest.location_id)
            .join(practice, practice.id == ShiftRequest.practice_id)
            .outerjoin(Timesheet, Timesheet.assignment_id == Assignment.id))
    to_record = [Sheet(*row) for row in db.session.execute(
        base.where(_to_record()).order_by(Assignment.starts_at, Assignment.id).limit(200)).all()]
    done = base.where(Timesheet.id.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(done.order_by(None).subquery()))
    rows = db.session.execute(done.order_by(Assignment.starts_at.desc(), Assignment.id.desc())
                              .limit(page_size).offset((page - 1) * page_size)).all() \
        if (page - 1) * page_size < total else []
    return to_record, Paged(items=[Sheet(*row) for row in rows], total=total)


# --- cost runs ---------------------------------------------------------------------------


@dataclass
class CostRuns:
    runs: list[CostRun]
    practices: dict[int, str]  # the allocations' practice names
    job: jobs.Job | None  # the newest run's job while it runs, if the caller may follow it


def cost_runs(principal: Principal) -> CostRuns:
    """Every cost run, newest month first, with its practices' names, and the job of a
    run still queued (for its live progress) when the caller may read that job."""
    policy.authorize(principal, "cost_run.read")
    runs = list(db.session.scalars(select(CostRun).order_by(CostRun.month.desc()).limit(36)))
    ids = {a.practice_id for run in runs for a in run.allocations}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
                 .all()) if ids else {}
    job = None
    queued = next((run for run in runs if run.status == "queued" and run.job_id is not None), None)
    if queued is not None:
        try:
            job = jobs.get_job(principal, queued.job_id)
        except Forbidden:
            job = None
    return CostRuns(runs, names, job)


# --- what waits for scheduling -------------------------------------------------------------


def waiting_counts(principal: Principal) -> tuple[int, dt.datetime | None, int]:
    """(open shift requests still to start, when the earliest of them starts, shifts
    whose timesheets are to be recorded) in one query."""
    open_now = (ShiftRequest.status == "open", ShiftRequest.starts_at > clock.now())
    open_requests = select(func.count(ShiftRequest.id)).where(*open_now).scalar_subquery()
    earliest = select(func.min(ShiftRequest.starts_at)).where(*open_now).scalar_subquery()
    to_record = (select(func.count(Assignment.id)).select_from(Assignment)
                 .outerjoin(Timesheet, Timesheet.assignment_id == Assignment.id)
                 .where(_to_record()).scalar_subquery())
    row = db.session.execute(select(open_requests, earliest, to_record)).one()
    first = row[1]
    if isinstance(first, str):  # SQLite answers min() of a timestamp as text
        first = dt.datetime.fromisoformat(first)
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=dt.timezone.utc)
    return int(row[0]), first, int(row[2])


# --- a staffing vendor's people (the portal) -------------------------------------------------


@dataclass
class Person:
    staff: StaffMember
    upcoming: list[Booking]


def people_of(principal: Principal) -> list[Person]:
    """The people the caller's vendor supplies (MSO staff: every supplied person) with
    their upcoming bookings: where and when. Three queries."""
    policy.authorize(principal, "staff.read")
    staff = list(db.session.scalars(policy.scope(principal, select(StaffMember), StaffMember.vendor_id)
                                    .where(StaffMember.vendor_id.is_not(None))
                                    .order_by(StaffMember.name, StaffMember.id)))
    return _with_upcoming(staff)


def person_of(principal: Principal, staff_id: int) -> Person:
    """One person (404 outside the caller's tenancy: another vendor's) with their
    upcoming bookings."""
    return _with_upcoming([policy.load(principal, StaffMember, staff_id, "staff.read")])[0]


def _with_upcoming(staff: list[StaffMember]) -> list[Person]:
    if not staff:
        return []
    practice, location = _where()
    rows = db.session.execute(
        select(Assignment, practice.name, location.name)
        .join(ShiftRequest, ShiftRequest.id == Assignment.shift_request_id)
        .join(location, location.id == ShiftRequest.location_id)
        .join(practice, practice.id == ShiftRequest.practice_id)
        .where(Assignment.staff_id.in_([s.id for s in staff]), Assignment.status.in_(("assigned", "accepted")),
               Assignment.ends_at > clock.now())
        .order_by(Assignment.starts_at, Assignment.id).limit(500)).all()
    upcoming: dict[int, list[Booking]] = defaultdict(list)
    for assignment, practice_name, location_name in rows:
        upcoming[assignment.staff_id].append(Booking(assignment, practice_name, location_name))
    return [Person(person, upcoming[person.id]) for person in staff]


def staffing_vendors(principal: Principal) -> list[Vendor]:
    """The vendors a person may be supplied by (the staff form's choices)."""
    policy.authorize(principal, "vendor.list")
    return list(db.session.scalars(select(Vendor).where(Vendor.kind == "staffing").order_by(Vendor.name)))
