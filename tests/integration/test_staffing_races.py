"""Double booking is impossible in the database itself (PostgreSQL's exclusion
constraint), and two schedulers booking one person at once: one wins, one gets 409."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gpo.db import db
from gpo.staffing.models import Assignment, ShiftRequest
from tests.scenarios import Staffing, at, race


def test_two_schedulers_booking_one_person_for_overlapping_shifts_one_wins(app, client, world, run_jobs, monkeypatch,
                                                                           postgresql_only):
    st = Staffing(client, world, run_jobs, monkeypatch)
    a = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    b = st.requested("2027-01-11T20:00:00Z", "2027-01-11T23:00:00Z", who="b_admin")
    db.session.commit()
    responses = race(app, [
        ("POST", f"/api/v1/staffing/shift-requests/{request['id']}/assign",
         {"json": {"staff_id": st.dana["id"]}, "headers": world.headers[who]})
        for request, who in ((a, "scheduler"), (b, "mso_admin"))])
    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409).get_json()
    assert "booked" in loser["message"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.staff_id == st.dana["id"])) == 1
    statuses = sorted(db.session.scalars(select(ShiftRequest.status)).all())
    assert statuses == ["assigned", "open"]


def test_the_database_refuses_an_overlapping_booking_written_past_the_service(client, world, run_jobs, monkeypatch,
                                                                              postgresql_only):
    st = Staffing(client, world, run_jobs, monkeypatch)
    monday = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    after = st.requested("2027-01-11T22:00:00Z", "2027-01-11T23:00:00Z", who="b_admin")
    clash = st.requested("2027-01-11T21:00:00Z", "2027-01-11T23:00:00Z", who="b_admin")
    st.assign(monday, st.dana)

    def booking(request, starts, ends, status="assigned"):
        return Assignment(shift_request_id=request["id"], staff_id=st.dana["id"], practice_id=world.practice.id,
                          starts_at=at(starts), ends_at=at(ends), status=status, hourly_cost_cents=1, assigned_by="t")

    db.session.add(booking(clash, "2027-01-11T21:00:00Z", "2027-01-11T23:00:00Z", status="released"))
    db.session.commit()  # a released booking holds no time
    db.session.add(booking(after, "2027-01-11T22:00:00Z", "2027-01-11T23:00:00Z"))
    db.session.commit()  # back to back: [start, end) ranges do not overlap
    db.session.add(booking(clash, "2027-01-11T21:59:00Z", "2027-01-11T22:30:00Z"))
    with pytest.raises(IntegrityError, match="ex_staff_assignments_no_double_booking"):
        db.session.commit()
    db.session.rollback()


def test_an_approval_in_flight_when_the_month_is_run_is_billed_not_lost(app, client, world, run_jobs, monkeypatch,
                                                                         postgresql_only):
    """The run locks every timesheet of the month before it looks at their status: an
    approval not yet committed makes it wait, and is then billed."""
    import threading
    import time
    from decimal import Decimal

    from sqlalchemy import text

    from gpo.db import transactional
    from gpo.staffing.cost_runs import cost_run
    from gpo.staffing.models import CostRun, Timesheet

    st = Staffing(client, world, run_jobs, monkeypatch)
    first = st.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", st.dana)
    second = st.booked("2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z", st.dana)
    st.set_now("2027-02-02T12:00:00Z")
    st.timesheet(first, "2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    st.timesheet(second, "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z")
    st.post(f"/api/v1/staffing/assignments/{first['id']}/timesheet/approve", who="practice_admin", expect=200)
    run = CostRun(month="2027-01", month_start=at("2027-01-01T00:00:00Z").date(), timezone="America/Chicago",
                  overhead_cents=0, short_notice_premium_percent=Decimal(25), status="queued", requested_by="t")
    db.session.add(run)
    db.session.commit()
    run_id, second_sheet = run.id, db.session.scalar(select(Timesheet.id).where(Timesheet.assignment_id == second["id"]))

    approval = db.engine.connect()
    approval.begin()
    approval.execute(text("UPDATE timesheets SET status = 'approved', version = version + 1 WHERE id = :id"),
                     {"id": second_sheet})  # the practice's approval, not yet committed
    result = {}

    def run_the_month():
        with app.app_context():
            result.update(transactional(cost_run)(run_id))

    worker = threading.Thread(target=run_the_month)
    worker.start()
    time.sleep(1.0)
    assert worker.is_alive(), "the run must wait for the approval in flight"
    approval.commit()
    approval.close()
    worker.join(timeout=30)
    db.session.expire_all()
    assert result["labor_cents"] == 26000 + 26000  # both 8-hour shifts at $32.50
    assert set(db.session.scalars(select(Timesheet.cost_run_id))) == {run_id}
