"""The staffing page without a browser: a shift requested in the practice's own time
(stored in UTC), the person booked for it accepted (clinical staff only by a
physician) or released, timesheets approved or disputed; other roles get 403, other
practices 404, and a refused form changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.staffing.models import Assignment, ShiftRequest, Timesheet
from tests.pages import text_of
from tests.scenarios import Staffing, at

# Tuesday Jan 12 2027, 08:00-16:00 in Chicago (UTC-6): 14:00-22:00 UTC
STARTS, ENDS = "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z"


@pytest.fixture
def st(client, world, run_jobs, monkeypatch):
    return Staffing(client, world, run_jobs, monkeypatch)


def fresh(model, ident):
    db.session.commit()
    row = db.session.get(model, ident)
    db.session.refresh(row)
    return row


def requests() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(ShiftRequest.id)))


def test_a_shift_is_requested_in_the_practices_time_and_stored_in_utc(pages, world, st):
    page = pages.as_("practice_buyer")
    page.get("/staffing")
    response = page.post("/staffing/requests", {
        "location_id": world.location.id, "role": "billing_specialist", "starts_at": "2027-01-12T08:00",
        "ends_at": "2027-01-12T16:00", "notes": "cover for leave"})
    assert response.status_code == 302
    made = db.session.scalars(select(ShiftRequest)).one()
    assert (made.starts_at, made.ends_at) == (at(STARTS), at(ENDS))
    assert made.notes == "cover for leave" and not made.short_notice
    text = text_of(page.get("/staffing").get_data(as_text=True))
    assert "Your request for a billing specialist is sent to MSO scheduling." in text
    assert "Jan 12, 2027, 8:00 AM CST to Jan 12, 2027, 4:00 PM CST" in text
    assert "waiting for scheduling" in text and "nobody booked yet" in text


def test_a_refused_request_shows_the_message_at_the_field_and_stores_nothing(pages, world, st):
    page = pages.as_("practice_admin")
    page.get("/staffing")
    body = {"location_id": world.location.id, "role": "billing_specialist", "starts_at": "2027-01-12T16:00",
            "ends_at": "2027-01-12T08:00"}
    response = page.post("/staffing/requests", body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-ends_at-error">the shift ends before it starts' in html
    assert 'value="2027-01-12T16:00"' in html  # what was typed, in local time
    response = page.post("/staffing/requests", {**body, "location_id": st.b_location.id, "ends_at": "2027-01-12T20:00"})
    assert response.status_code == 422
    assert "is not one of your practice's locations" in text_of(response.get_data(as_text=True))
    response = page.post("/staffing/requests", {**body, "starts_at": "soon"})
    assert response.status_code == 422 and 'id="f-starts_at-error"' in response.get_data(as_text=True)
    # A wall-clock time the practice's zone skips or repeats is asked again, never guessed.
    for starts, ends, words in (("2027-03-14T02:30", "2027-03-14T09:00", "does not exist"),
                                ("2027-11-07T01:30", "2027-11-07T09:00", "happens twice")):
        response = page.post("/staffing/requests", {**body, "starts_at": starts, "ends_at": ends})
        assert response.status_code == 422 and words in text_of(response.get_data(as_text=True))
        assert 'id="f-starts_at-error"' in response.get_data(as_text=True)
    assert requests() == 0


def test_a_booked_person_is_accepted_and_released_from_the_page(pages, world, st):
    request = st.requested(STARTS, ENDS)
    assignment = st.assign(request, st.dana)
    page = pages.as_("practice_buyer")
    text = text_of(page.get("/staffing").get_data(as_text=True))
    assert "Dana Reyes" in text and "a person is booked" in text
    assert page.post(f"/staffing/assignments/{assignment['id']}/accept").status_code == 302
    assert fresh(Assignment, assignment["id"]).status == "accepted"
    # a buyer may see the person but not release them
    assert "A practice admin or physician releases people." in text_of(page.get("/staffing").get_data(as_text=True))
    assert page.post(f"/staffing/assignments/{assignment['id']}/release").status_code == 403
    assert fresh(Assignment, assignment["id"]).status == "accepted"
    admin = pages.as_("practice_admin")
    admin.get("/staffing")
    response = admin.post(f"/staffing/assignments/{assignment['id']}/release", {"reason": "not needed"})
    assert response.status_code == 302
    assert "Dana Reyes is released from 1 shift." in text_of(admin.get("/staffing").get_data(as_text=True))
    released = fresh(Assignment, assignment["id"])
    assert released.status == "released" and released.release_reason == "not needed"


def test_clinical_staff_are_accepted_by_a_physician_only(pages, world, st):
    request = st.requested(STARTS, ENDS, role="medical_assistant")
    assignment = st.assign(request, st.mia)
    admin = pages.as_("practice_admin")
    text = text_of(admin.get("/staffing").get_data(as_text=True))
    assert "Mia Chen is clinical staff: a physician of your practice accepts them (CPOM)." in text
    assert "Accept Mia Chen" not in text
    response = admin.post(f"/staffing/assignments/{assignment['id']}/accept")  # posting anyway
    assert response.status_code == 403
    assert "a physician of the practice accepts them" in text_of(response.get_data(as_text=True))
    assert fresh(Assignment, assignment["id"]).status == "assigned"
    physician = pages.as_("practice_physician")
    assert "Accept Mia Chen" in text_of(physician.get("/staffing").get_data(as_text=True))
    assert physician.post(f"/staffing/assignments/{assignment['id']}/accept").status_code == 302
    accepted = fresh(Assignment, assignment["id"])
    assert accepted.status == "accepted" and accepted.accepted_by == world.users["practice_physician"].email


def test_another_practices_assignment_is_404_and_unchanged(pages, world, st):
    request = st.requested(STARTS, ENDS)
    assignment = st.assign(request, st.dana)
    other = pages.sign_in("b@example.test")
    other.get("/staffing")
    assert "Dana Reyes" not in text_of(other.get("/staffing").get_data(as_text=True))
    for action in ("accept", "release", "timesheet/approve", "timesheet/dispute"):
        response = other.post(f"/staffing/assignments/{assignment['id']}/{action}", {"reason": "x"})
        assert response.status_code == 404, action
    assert fresh(Assignment, assignment["id"]).status == "assigned"


def test_a_timesheet_is_approved_or_disputed_with_a_reason(pages, world, st):
    first = st.booked(STARTS, ENDS, st.dana)
    second = st.booked("2027-01-13T14:00:00Z", "2027-01-13T22:00:00Z", st.dana)
    st.set_now("2027-01-14T09:00:00Z")
    st.timesheet(first, "2027-01-12T14:05:00Z", ENDS, pause=30)
    st.timesheet(second, "2027-01-13T14:00:00Z", "2027-01-13T22:00:00Z")
    buyer = pages.as_("practice_buyer")
    text = text_of(buyer.get("/staffing").get_data(as_text=True))
    assert "Billed time 7 h 25 min" in text and "waiting for your approval" in text
    assert "A practice admin or physician approves or disputes timesheets." in text
    assert buyer.post(f"/staffing/assignments/{first['id']}/timesheet/approve").status_code == 403
    admin = pages.as_("practice_admin")
    admin.get("/staffing")
    assert admin.post(f"/staffing/assignments/{first['id']}/timesheet/approve").status_code == 302
    sheet = db.session.scalars(select(Timesheet).where(Timesheet.assignment_id == first["id"])).one()
    assert fresh(Timesheet, sheet.id).status == "approved"
    # a dispute without a reason is refused at the field and changes nothing
    response = admin.post(f"/staffing/assignments/{second['id']}/timesheet/dispute", {"reason": " "})
    assert response.status_code == 422
    assert f'id="f-reason-{second["id"]}-error"' in response.get_data(as_text=True)
    other_sheet = db.session.scalars(select(Timesheet).where(Timesheet.assignment_id == second["id"])).one()
    assert fresh(Timesheet, other_sheet.id).status == "submitted"
    response = admin.post(f"/staffing/assignments/{second['id']}/timesheet/dispute", {"reason": "left at 21:00"})
    assert response.status_code == 302
    disputed = fresh(Timesheet, other_sheet.id)
    assert disputed.status == "disputed" and disputed.dispute_reason == "left at 21:00"


def test_timesheets_waiting_for_a_decision_come_first(pages, world, st):
    from gpo.auth.services import principal_for_user
    from gpo.staffing.timesheets import timesheets_of

    first = st.booked(STARTS, ENDS, st.dana)
    second = st.booked("2027-01-13T14:00:00Z", "2027-01-13T22:00:00Z", st.dana)
    st.set_now("2027-01-14T09:00:00Z")
    st.timesheet(first, "2027-01-12T14:05:00Z", ENDS, pause=30)
    st.timesheet(second, "2027-01-13T14:00:00Z", "2027-01-13T22:00:00Z")
    admin = pages.as_("practice_admin")
    admin.get("/staffing")
    assert admin.post(f"/staffing/assignments/{second['id']}/timesheet/approve").status_code == 302
    listed = timesheets_of(principal_for_user(world.users["practice_admin"]), 1, 50)
    assert [r.assignment.id for r in listed.items] == [first["id"], second["id"]]  # waiting, then decided
    other = timesheets_of(principal_for_user(world.users["other_practice_admin"]), 1, 50)
    assert other.items == []
