"""Double booking is impossible in the database itself (PostgreSQL's exclusion
constraint), and two schedulers booking one person at once: one wins, one gets 409."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gpo.db import db
from gpo.staffing.models import Assignment, ShiftRequest
from tests.api.conftest import world  # noqa: F401  (fixture)
from tests.api.test_staffing import Staffing, at
from tests.integration.test_races import race


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
