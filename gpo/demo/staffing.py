"""The demo's shared staffing: the MSO's staff pool (two of them supplied by StaffRight
Health, the staffing vendor), last month's worked shifts run into staffing invoices,
and next week's requests, one of them waiting for the scheduler with a person free to
take it and one already booked at that time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gpo.accounts.models import Location, Practice, Vendor
from gpo.db import db
from gpo.demo.common import location_of, principal_of, wait_until_done
from gpo.etags import etag_for
from gpo.staffing import clock, cost_runs, shifts
from gpo.staffing.models import Assignment, CostRun, ShiftRequest, StaffMember, Timesheet
from gpo.staffing.staff import add_availability, create_staff, update_staff

STAFF = [  # name, role, clinical, hourly cost
    ("Dana Reyes", "billing_specialist", False, 3250),
    ("Eli Park", "billing_specialist", False, 3000),
    ("Mia Chen", "medical_assistant", True, 2800),
    ("Omar Haddad", "it_technician", False, 4500),
]
SUPPLIED_BY_STAFFRIGHT = ("Eli Park", "Mia Chen")  # the rest are the MSO's own employees
APPEALS = "claims appeals before the payer's deadline"  # the request waiting for the scheduler

LAST_MONTH = [  # practice, person, accepted by, short notice: one a weekday from the month's second week
    ("Lakeside Family Medicine", "Dana Reyes", "buyer@lakeside.example", False),
    ("Lakeside Family Medicine", "Dana Reyes", "buyer@lakeside.example", True),
    ("Lakeside Family Medicine", "Omar Haddad", "admin@lakeside.example", False),
    ("Riverbend Pediatrics", "Mia Chen", "dr.diaz@riverbend.example", False),
    ("Riverbend Pediatrics", "Eli Park", "admin@riverbend.example", False),
]


def _local(day: dt.date, hour: int, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.timezone.utc)


def _weekdays(first: dt.date, count: int) -> list[dt.date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def seed_staffing() -> list[str]:
    """The MSO's staff pool (weekdays 08:00-18:00), last month's worked and approved
    shifts run into staffing invoices by the month's cost run, and next week's requests:
    one booked and accepted, a clinical one waiting for a physician, one still open.
    Last month's history is written directly (the API takes only future shifts)."""
    scheduler = principal_of("scheduler@summit-mso.example")
    _staff_pool(scheduler)
    staff = {p.name: p for p in db.session.scalars(select(StaffMember))}
    practices = {p.name: p for p in db.session.scalars(select(Practice))}
    zone = clock.zone()
    today = clock.now().astimezone(zone).date()
    last_month_start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month = f"{last_month_start:%Y-%m}"
    if db.session.scalars(select(CostRun).where(CostRun.month == month)).first() is None:
        _last_month_worked(staff, practices, last_month_start, zone)
        _run_costs(month)
    upcoming = db.session.scalar(select(func.count(ShiftRequest.id)).where(ShiftRequest.starts_at > clock.now()))
    if not upcoming:
        _next_week_requests(scheduler, staff, today, zone)
    _waiting_request(today, zone)
    run = db.session.scalars(select(CostRun).where(CostRun.month == month)).one()
    return ["Shared staffing:",
            f" a pool of {len(staff)} (GET /api/v1/staffing/staff as scheduler@summit-mso.example)",
            f" {month}'s cost run {run.id}: {run.invoice_count} draft staffing invoices "
            f"(GET /api/v1/staffing/cost-runs/{run.id} as finance@summit-mso.example)",
            " next week: Lakeside's shift booked and accepted; Riverbend's medical assistant waits for "
            "dr.diaz@riverbend.example to accept (CPOM); Northside's IT shift is open for auto-assign;",
            " Riverbend's billing specialist waits for scheduler@summit-mso.example on /console/staffing: one of the two",
            " billing specialists is free, the other is booked at Lakeside then (assigning them is refused: double booking)",
            " StaffRight Health (admin@staffright.example) supplies Eli Park and Mia Chen: /portal/staff"]


def _staff_pool(scheduler) -> None:
    """The pool, each available weekdays 08:00-18:00, unless there is one already; the
    people StaffRight Health supplies linked to it (once)."""
    _create_pool(scheduler)
    staffright = db.session.scalars(select(Vendor).where(Vendor.name == "StaffRight Health")).first()
    if staffright is None:
        return
    for person in db.session.scalars(select(StaffMember).where(StaffMember.name.in_(SUPPLIED_BY_STAFFRIGHT),
                                                               StaffMember.vendor_id.is_(None))):
        update_staff(scheduler, person.id, {"vendor_id": staffright.id}, [etag_for(person)])


def _create_pool(scheduler) -> None:
    if db.session.scalar(select(func.count(StaffMember.id))) == 0:
        for name, role, clinical, cents in STAFF:
            person = create_staff(scheduler, {"name": name, "role": role, "clinical": clinical,
                                              "hourly_cost_cents": cents, "active": True})
            for weekday in range(5):
                add_availability(scheduler, person.id, {"kind": "weekly", "weekday": weekday,
                                                        "start_minute": 8 * 60, "end_minute": 18 * 60})


def _last_month_worked(staff: dict[str, StaffMember], practices: dict[str, Practice], last_month_start: dt.date,
                       zone) -> None:
    """Last month's shifts (LAST_MONTH), each 09:00-17:00 on a weekday from the month's
    second week, completed and with an approved timesheet."""
    for day, (practice_name, person_name, accepted_by, short) in zip(
            _weekdays(last_month_start + dt.timedelta(days=7), 5), LAST_MONTH, strict=True):
        _worked_shift(practices[practice_name], staff[person_name], accepted_by, short,
                      _local(day, 9, zone), _local(day, 17, zone))
    db.session.flush()


def _worked_shift(practice: Practice, person: StaffMember, accepted_by: str, short: bool, starts: dt.datetime,
                  ends: dt.datetime) -> None:
    """A completed request, its completed assignment, and the approved timesheet
    (15 minutes over, a 30-minute break: 465 minutes)."""
    location = db.session.scalars(select(Location).where(Location.practice_id == practice.id)).first()
    request = ShiftRequest(practice_id=practice.id, location_id=location.id, role=person.role, starts_at=starts,
                           ends_at=ends, short_notice=short, status="completed", requested_by=accepted_by)
    db.session.add(request)
    db.session.flush()
    booking = Assignment(shift_request_id=request.id, staff_id=person.id, practice_id=practice.id,
                         starts_at=starts, ends_at=ends, status="completed", hourly_cost_cents=person.hourly_cost_cents,
                         assigned_by="scheduler@summit-mso.example", accepted_by=accepted_by, accepted_at=starts)
    db.session.add(booking)
    db.session.flush()
    db.session.add(Timesheet(assignment_id=booking.id, practice_id=practice.id, started_at=starts,
                             ended_at=ends + dt.timedelta(minutes=15), break_minutes=30, minutes=465,
                             status="approved", recorded_by="scheduler@summit-mso.example",
                             decided_by=accepted_by, decided_at=ends))


def _run_costs(month: str) -> None:
    """MSO finance's cost run for the month (a job: wait for it)."""
    run = cost_runs.request_cost_run(principal_of("finance@summit-mso.example"),
                                    {"month": month, "overhead_cents": 150000})
    wait_until_done(f"the staffing cost run for {month}", select(CostRun.status).where(CostRun.id == run.id),
                    ("finished", "failed"))


def _next_week_requests(scheduler, staff: dict[str, StaffMember], today: dt.date, zone) -> None:
    """Next week's requests: Lakeside's booked and accepted, Riverbend's clinical one
    assigned and waiting for the physician, Northside's still open."""
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    lakeside = shifts.create_request(principal_of("admin@lakeside.example"), {
        "location_id": location_of("Lakeside Family Medicine"), "role": "billing_specialist",
        "starts_at": _local(next_monday, 9, zone), "ends_at": _local(next_monday, 17, zone),
        "notes": "month-end claims backlog"})
    booked = shifts.auto_assign(scheduler, lakeside.id)
    shifts.accept(principal_of("buyer@lakeside.example"), booked.id)
    riverbend = shifts.create_request(principal_of("admin@riverbend.example"), {
        "location_id": location_of("Riverbend Pediatrics"), "role": "medical_assistant",
        "starts_at": _local(next_monday + dt.timedelta(days=1), 8, zone),
        "ends_at": _local(next_monday + dt.timedelta(days=1), 16, zone), "notes": "flu clinic"})
    shifts.assign(scheduler, riverbend.id, staff["Mia Chen"].id)
    shifts.create_request(principal_of("admin@northside.example"), {
        "location_id": location_of("Northside Orthopedics"), "role": "it_technician",
        "starts_at": _local(next_monday + dt.timedelta(days=2), 10, zone),
        "ends_at": _local(next_monday + dt.timedelta(days=2), 14, zone), "notes": "new workstations"})


def _waiting_request(today: dt.date, zone) -> None:
    """Riverbend's billing specialist next Monday 10:00-14:00, open: the billing
    specialist booked at Lakeside 09:00-17:00 that day cannot take it (double booking),
    the other one can. Once: not while such a request is still to come."""
    waiting = db.session.scalar(select(ShiftRequest.id).where(ShiftRequest.notes == APPEALS,
                                                              ShiftRequest.starts_at > clock.now()).limit(1))
    if waiting is not None:
        return
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    shifts.create_request(principal_of("admin@riverbend.example"), {
        "location_id": location_of("Riverbend Pediatrics"), "role": "billing_specialist",
        "starts_at": _local(next_monday, 10, zone), "ends_at": _local(next_monday, 14, zone), "notes": APPEALS})
