"""Timesheets: scheduling records what was worked once a shift has happened; the
practice approves it (what the month's cost run bills) or disputes it, and a disputed
timesheet is corrected and goes back to the practice."""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import case, select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import Paged, db, paged
from gpo.errors import Conflict, Invalid
from gpo.notifications import outbox
from gpo.staffing import clock, rules
from gpo.staffing.models import MAX_SHIFT_HOURS, Assignment, CostRun, ShiftRequest, Timesheet
from gpo.staffing.shifts import locked_assignment


class WorkedTimes(TypedDict):
    """What was worked (TimesheetInSchema)."""

    started_at: dt.datetime
    ended_at: dt.datetime
    break_minutes: int


def record_timesheet(principal: Principal, assignment_id: int, data: WorkedTimes) -> Assignment:
    """Scheduling records what was worked, once the shift has happened. A disputed
    timesheet is corrected the same way and goes back to the practice."""
    assignment = locked_assignment(principal, assignment_id, "timesheet.record")
    moment = clock.now()
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
    _tell_practice(assignment, sheet)
    db.session.flush()
    db.session.refresh(assignment)
    return assignment


def _tell_practice(assignment: Assignment, sheet: Timesheet) -> None:
    """timesheet.submitted: the practice's people who approve timesheets have one to
    approve or dispute (a corrected one after a dispute too)."""
    hours, rest = divmod(sheet.minutes, 60)
    outbox.emit(
        "timesheet.submitted", assignment, subject_type="staff_assignment", practice_id=assignment.practice_id,
        summary=(f"Timesheet of {assignment.staff.name} for {clock.shift_words(assignment.starts_at, assignment.ends_at)}: "
                 f"{hours} h {rest:02d} min worked, to approve or dispute"),
        data={"assignment_id": assignment.id, "shift_request_id": assignment.shift_request_id,
              "minutes": sheet.minutes})


def _sheet_of(assignment: Assignment) -> Timesheet | None:
    """The assignment's timesheet, locked and read as it is now."""
    return db.session.scalars(select(Timesheet).where(Timesheet.assignment_id == assignment.id)
                              .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _decide(principal: Principal, assignment_id: int, action: str) -> tuple[Assignment, Timesheet]:
    # The same lock order as recording: a correction and a decision take turns.
    assignment = locked_assignment(principal, assignment_id, action)
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
    month = clock.month_of(assignment.starts_at)
    if db.session.scalar(select(CostRun.id).where(CostRun.month == month, CostRun.status != "failed")) is not None:
        raise Conflict(f"{month}'s staffing costs were already run: ask MSO finance to bill this shift by a "
                       "correction")
    sheet.status, sheet.decided_by, sheet.decided_at = "approved", principal.label, clock.now()
    db.session.flush()
    audit.record(principal, "timesheet.approve", assignment, details={"minutes": sheet.minutes})
    db.session.flush()
    db.session.refresh(assignment)
    return assignment


def dispute_timesheet(principal: Principal, assignment_id: int, reason: str) -> Assignment:
    assignment, sheet = _decide(principal, assignment_id, "timesheet.dispute")
    sheet.status, sheet.dispute_reason = "disputed", reason
    sheet.decided_by, sheet.decided_at = principal.label, clock.now()
    db.session.flush()
    audit.record(principal, "timesheet.dispute", assignment, details={"reason": reason})
    db.session.flush()
    db.session.refresh(assignment)
    return assignment



def timesheets_of(principal: Principal, page: int, page_size: int) -> Paged:
    """The shifts of the caller's practice (MSO: every practice) that have a timesheet:
    those waiting for the practice's decision first, then the decided ones, newest
    first within each (the storefront's staffing page)."""
    policy.authorize(principal, "shift_request.read")
    stmt = (policy.scope(principal, select(ShiftRequest), ShiftRequest.practice_id)
            .join(Assignment, Assignment.shift_request_id == ShiftRequest.id)
            .join(Timesheet, Timesheet.assignment_id == Assignment.id)
            .order_by(case((Timesheet.status == "submitted", 0), else_=1), ShiftRequest.starts_at.desc(),
                      ShiftRequest.id.desc()))
    return paged(stmt, page, page_size)
