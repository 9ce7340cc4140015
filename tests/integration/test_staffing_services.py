"""The staffing use cases called directly (no HTTP), each in its own unit of work as
an edge would run it, with hand-computed minutes and cents: booking refuses a person
who is unavailable or already booked (saying why), clinical staff are accepted and
released by a physician (CPOM), a timesheet's minutes, and the month's cost run's
labor and overhead split per practice through allocate()."""
import datetime as dt

import pytest
from sqlalchemy import select

from gpo.auth.services import principal_for_user
from gpo.billing.models import Invoice
from gpo.db import db, unit_of_work
from gpo.errors import Conflict, Forbidden, Invalid
from gpo.staffing import clock, cost_runs, shifts, staff, timesheets
from gpo.staffing.models import CostAllocation, CostRun, Timesheet
from tests.factories import LocationFactory, MsoFactory, PracticeFactory, UserFactory

# Mondays to Fridays, 08:00-18:00 in Chicago (UTC-6 in January: 14:00-00:00 UTC)
WEEKDAYS = [{"kind": "weekly", "weekday": d, "start_minute": 8 * 60, "end_minute": 18 * 60} for d in range(5)]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Pool:
    """An MSO with a scheduler and finance, two practices (an admin each, and a
    physician at the first), and three people available on weekdays."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        mso = MsoFactory()
        self.practice, self.other = PracticeFactory(name="Lakeside"), PracticeFactory(name="Riverbend")
        self.location, self.other_location = LocationFactory(practice=self.practice), LocationFactory(practice=self.other)

        def principal(org, role):
            return principal_for_user(UserFactory(organization_id=org.id, roles=[role], email=f"{role}.{org.id}@x.test"))

        self.scheduler, self.finance = principal(mso, "mso_scheduler"), principal(mso, "mso_finance")
        self.admin, self.physician = principal(self.practice, "practice_admin"), principal(self.practice, "practice_physician")
        self.other_admin = principal(self.other, "practice_admin")
        self.set_now("2027-01-04T15:00:00Z")  # a Monday
        self.dana = self.person("Dana Reyes", "billing_specialist", 3250)
        self.eli = self.person("Eli Park", "billing_specialist", 3000)
        self.mia = self.person("Mia Chen", "medical_assistant", 2800, clinical=True)

    def set_now(self, text: str) -> None:
        self.monkeypatch.setattr(clock, "now", lambda: at(text))

    def person(self, name, role, cents, clinical=False) -> int:
        with unit_of_work():
            person = staff.create_staff(self.scheduler, {"name": name, "role": role, "clinical": clinical,
                                                         "hourly_cost_cents": cents, "active": True})
            for window in WEEKDAYS:
                staff.add_availability(self.scheduler, person.id, window)
            return person.id

    def request(self, starts, ends, role="billing_specialist", who=None) -> int:
        who = who or self.admin
        location = self.location if who.organization_id == self.practice.id else self.other_location
        with unit_of_work():
            return shifts.create_request(who, {"location_id": location.id, "role": role, "starts_at": at(starts),
                                               "ends_at": at(ends), "notes": ""}).id

    def assign(self, request_id, staff_id) -> int:
        with unit_of_work():
            return shifts.assign(self.scheduler, request_id, staff_id).id

    def accept(self, assignment_id, who=None) -> str:
        with unit_of_work():
            return shifts.accept(who or self.admin, assignment_id).status

    def booked(self, starts, ends, staff_id, who=None, role="billing_specialist") -> int:
        assignment_id = self.assign(self.request(starts, ends, role=role, who=who), staff_id)
        self.accept(assignment_id, who)
        return assignment_id

    def worked(self, assignment_id, started, ended, break_minutes=0, approver=None) -> int:
        """Record the timesheet (scheduling) and approve it (the practice): its minutes."""
        with unit_of_work():
            timesheets.record_timesheet(self.scheduler, assignment_id, {
                "started_at": at(started), "ended_at": at(ended), "break_minutes": break_minutes})
        with unit_of_work():
            timesheets.approve_timesheet(approver or self.admin, assignment_id)
        return db.session.scalars(select(Timesheet.minutes).where(Timesheet.assignment_id == assignment_id)).one()


@pytest.fixture
def pool(db_ctx, monkeypatch):
    return Pool(monkeypatch)


def test_booking_refuses_a_person_who_is_not_available_and_says_when(pool):
    saturday = pool.request("2027-01-16T15:00:00Z", "2027-01-16T20:00:00Z")
    with pytest.raises(Invalid) as refused, unit_of_work():
        shifts.assign(pool.scheduler, saturday, pool.dana)
    assert refused.value.message == "Dana Reyes is not available Sat Jan 16, 9:00 AM–2:00 PM CST"
    assert refused.value.errors == {"json": {"staff_id": [refused.value.message]}}
    # leave on a weekday: the weekly window no longer covers it
    with unit_of_work():
        staff.add_availability(pool.scheduler, pool.dana, {"kind": "unavailable", "starts_at": at("2027-01-12T00:00:00Z"),
                                                           "ends_at": at("2027-01-13T00:00:00Z"), "note": "leave"})
    tuesday = pool.request("2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z")
    with pytest.raises(Invalid, match="Dana Reyes is not available Tue Jan 12, 8:00 AM–4:00 PM CST"), unit_of_work():
        shifts.assign(pool.scheduler, tuesday, pool.dana)


def test_a_shift_reads_in_the_pool_s_zone_with_its_abbreviation(db_ctx):
    assert clock.shift_words(at("2026-12-07T15:00:00Z"), at("2026-12-07T23:00:00Z")) == \
        "Mon Dec 7, 9:00 AM–5:00 PM CST"
    # past local midnight: both days; across the change of the clocks: both abbreviations
    assert clock.shift_words(at("2027-01-12T04:00:00Z"), at("2027-01-12T12:00:00Z")) == \
        "Mon Jan 11, 10:00 PM–Tue Jan 12, 6:00 AM CST"
    assert clock.shift_words(at("2027-03-14T06:00:00Z"), at("2027-03-14T10:00:00Z")) == \
        "Sun Mar 14, 12:00 AM CST–5:00 AM CDT"


def test_booking_refuses_a_person_already_booked_for_an_overlapping_shift(pool):
    first = pool.assign(pool.request("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z"), pool.dana)
    clash = pool.request("2027-01-11T20:00:00Z", "2027-01-11T23:00:00Z", who=pool.other_admin)
    with pytest.raises(Conflict) as refused, unit_of_work():
        shifts.assign(pool.scheduler, clash, pool.dana)
    assert refused.value.message == "Dana Reyes is already booked Mon Jan 11, 8:00 AM–4:00 PM CST at Lakeside"
    # back to back is not an overlap; the fairest free person is the one with fewer hours
    after = pool.request("2027-01-11T22:00:00Z", "2027-01-11T23:00:00Z", who=pool.other_admin)
    assert pool.assign(after, pool.dana) > first
    with unit_of_work():
        chosen = shifts.auto_assign(pool.scheduler, clash)
        assert (chosen.staff_id, chosen.status) == (pool.eli, "assigned")


def test_clinical_staff_are_accepted_and_released_by_a_physician_only(pool):
    assignment = pool.assign(pool.request("2027-01-12T14:00:00Z", "2027-01-12T20:00:00Z", role="medical_assistant"),
                             pool.mia)
    with pytest.raises(Forbidden) as refused, unit_of_work():
        shifts.accept(pool.admin, assignment)
    assert refused.value.message == "Mia Chen is clinical staff: a physician of the practice accepts them (CPOM)"
    assert pool.accept(assignment, pool.physician) == "accepted"
    with pytest.raises(Forbidden, match=r"a physician of the practice releases them \(CPOM\)"), unit_of_work():
        shifts.release(pool.admin, assignment, {"reason": None, "all_future": False})
    with unit_of_work():
        [released] = shifts.release(pool.physician, assignment, {"reason": "not a fit", "all_future": False})
        assert (released.status, released.release_reason) == ("released", "not a fit")
    # a non-clinical person is accepted by the practice's admin
    assert pool.accept(pool.assign(pool.request("2027-01-13T14:00:00Z", "2027-01-13T20:00:00Z"), pool.dana)) == "accepted"


def test_a_timesheet_counts_end_minus_start_minus_break(pool):
    assignment = pool.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", pool.dana)
    pool.set_now("2027-01-12T12:00:00Z")
    with unit_of_work():
        done = timesheets.record_timesheet(pool.scheduler, assignment, {
            "started_at": at("2027-01-11T14:05:00Z"), "ended_at": at("2027-01-11T22:00:00Z"), "break_minutes": 30})
        assert (done.status, done.timesheet.minutes, done.timesheet.status) == ("completed", 445, "submitted")
    with pytest.raises(Invalid, match="the break is as long as the shift"), unit_of_work():
        timesheets.record_timesheet(pool.scheduler, assignment, {
            "started_at": at("2027-01-11T14:00:00Z"), "ended_at": at("2027-01-11T15:00:00Z"), "break_minutes": 60})


def test_the_cost_run_bills_labor_and_splits_the_overhead_by_approved_minutes(pool, run_jobs):
    a1 = pool.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", pool.dana)
    a2 = pool.booked("2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z", pool.eli)
    b1 = pool.booked("2027-01-13T14:00:00Z", "2027-01-13T21:00:00Z", pool.eli, who=pool.other_admin)
    pool.set_now("2027-02-02T12:00:00Z")
    # 445 min x $32.50/h = 24,104.17 -> 24,104; 450 min x $30.00 = 22,500; 420 min x $30.00 = 21,000
    assert pool.worked(a1, "2027-01-11T14:05:00Z", "2027-01-11T22:00:00Z", 30) == 445
    assert pool.worked(a2, "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z", 30) == 450
    assert pool.worked(b1, "2027-01-13T14:00:00Z", "2027-01-13T21:00:00Z", approver=pool.other_admin) == 420
    with unit_of_work():
        run = cost_runs.request_cost_run(pool.finance, {"month": "2027-01", "overhead_cents": 100000})
        run_id, job_id = run.id, run.job_id
    assert run_jobs(job_id).status == "finished"
    db.session.expire_all()
    run = db.session.get(CostRun, run_id)
    assert (run.status, run.labor_cents, run.invoice_count) == ("finished", 24104 + 22500 + 21000, 2)
    # 100,000 by minutes 895 : 420 = 68,060.84 : 31,939.16 -> 68,061 and 31,939 (they add up)
    allocations = db.session.scalars(select(CostAllocation).order_by(CostAllocation.practice_id)).all()
    assert [(x.practice_id, x.approved_minutes, x.labor_cents, x.overhead_cents) for x in allocations] == [
        (pool.practice.id, 895, 46604, 68061), (pool.other.id, 420, 21000, 31939)]
    invoice = db.session.get(Invoice, allocations[0].invoice_id)
    assert [(line.kind, line.amount_cents) for line in invoice.lines] == [
        ("staffing", 24104), ("staffing", 22500), ("overhead", 68061)]
    assert invoice.subtotal_cents == 46604 + 68061
    # asked again: 409; the job's body run again bills nothing twice
    with pytest.raises(Conflict, match="already run"), unit_of_work():
        cost_runs.request_cost_run(pool.finance, {"month": "2027-01", "overhead_cents": 100000})
    with unit_of_work():
        assert cost_runs.cost_run(run_id) == {"invoices": 2}
    assert len(db.session.scalars(select(Invoice)).all()) == 2
