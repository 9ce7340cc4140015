"""The console's staffing board without a browser: the week per person (availability,
bookings, previous and next weeks), the requests waiting with Assign and Auto-assign
(a person who cannot be booked: the service's reason at the field, a 4xx, nothing
written), the pool (create, edit under If-Match, availability), timesheets to record,
cost runs in dollars, what waits for the scheduler; MSO roles read, scheduling acts,
other faces get 404; and the week sends as many statements for a big pool as a small."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.staffing.models import Assignment, Availability, CostRun, StaffMember, Timesheet
from tests.pages import Statements, same_count, text_of
from tests.scenarios import Staffing

# Tuesday Jan 12 2027, 08:00-16:00 in Chicago (UTC-6): 14:00-22:00 UTC; the clock is Mon Jan 4
STARTS, ENDS = "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z"
WEEK = "/console/staffing?week=2027-01-11"


@pytest.fixture
def st(client, world, run_jobs, monkeypatch):
    return Staffing(client, world, run_jobs, monkeypatch)


@pytest.fixture
def scheduler(pages, st):
    return pages.sign_in("scheduler@example.test")


def html(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)))


def field_error(response, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', html(response))
    assert match, f"no error at {field_id}: {text_of(html(response))[:800]}"
    return match.group(1)


# --- the week ------------------------------------------------------------------------------


def test_the_week_shows_each_person_with_availability_bookings_and_the_waiting_requests(scheduler, world, st):
    booked = st.requested(STARTS, ENDS)
    st.assign(booked, st.dana)
    waiting = st.requested("2027-01-12T16:00:00Z", "2027-01-12T20:00:00Z", notes="front desk backlog")
    response = scheduler.get(WEEK)
    assert response.status_code == 200
    text = text_of(html(response))
    assert "Week of Jan 11, 2027" in text
    assert "Dana Reyes" in text and "Eli Park" in text and "Mia Chen" in text
    assert "Tue Jan 12, 2027" in text and "8:00 AM–6:00 PM" in text and "off" in text  # weekends off
    assert (f"8:00 AM–4:00 PM Lakeside, {world.location.name} (waiting for the practice's acceptance)") in text
    assert "Shift requests waiting for a person (1)" in text
    assert "Lakeside: Billing specialist, Jan 12, 2027" in text and "front desk backlog" in text
    assert "Jan 12, 2027, 10:00 AM CST to 2:00 PM" in text
    section = html(response).split(f'id="request-{waiting["id"]}"')[1]
    assert ">Assign</button>" in section and ">Auto-assign</button>" in section
    assert '<option value="%d">Eli Park</option>' % st.eli["id"] in section
    assert "Mia Chen</option>" not in section  # not of the role
    assert 'href="/console/staffing?week=2027-01-04"' in html(response)
    assert 'href="/console/staffing?week=2027-01-18"' in html(response)
    assert 'role="region" aria-label="Week of Jan 11, 2027, one row per staff member" tabindex="0"' in html(response)
    # any day of a week shows its Monday's week; the default is this week (the clock's)
    assert "Week of Jan 11, 2027" in text_of(html(scheduler.get("/console/staffing?week=2027-01-14")))
    assert "Week of Jan 4, 2027" in text_of(html(scheduler.get("/console/staffing")))


def test_a_week_that_is_not_a_date_is_refused_at_the_field(scheduler, st):
    response = scheduler.get("/console/staffing?week=next")
    assert response.status_code == 422
    assert field_error(response, "f-week") == "Not a valid date."


def test_assign_books_the_chosen_person(scheduler, st):
    request = st.requested(STARTS, ENDS)
    scheduler.get(WEEK)
    response = scheduler.post(f"/console/staffing/requests/{request['id']}/assign",
                              {"staff_id": st.eli["id"], "week": "2027-01-11"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/staffing?week=2027-01-11")
    booked = db.session.scalars(select(Assignment)).one()
    assert booked.staff_id == st.eli["id"] and booked.assigned_by == "scheduler@example.test"
    text = text_of(html(scheduler.get(WEEK)))
    assert "Eli Park is booked for the shift; the practice is asked to accept them." in text
    assert "Shift requests waiting for a person (0)" in text


@pytest.mark.parametrize("who, setup, words, status", [
    ("dana", "double", "Dana Reyes is already booked Tue Jan 12, 8:00 AM–4:00 PM CST at Lakeside", 409),
    ("mia", None, "Mia Chen is a medical assistant; the shift needs a billing specialist", 422),
    ("eli", "saturday", "Eli Park is not available Sat Jan 16, 9:00 AM–1:00 PM CST", 422),
    ("eli", "inactive", "Eli Park is not active", 422),
])
def test_a_person_who_cannot_be_booked_is_refused_with_the_reason_at_the_field(scheduler, st, who, setup, words,
                                                                                status):
    if setup == "double":
        st.assign(st.requested(STARTS, ENDS), st.dana)
    if setup == "inactive":
        db.session.get(StaffMember, st.eli["id"]).active = False
        db.session.commit()
    starts, ends = ("2027-01-16T15:00:00Z", "2027-01-16T19:00:00Z") if setup == "saturday" else (STARTS, ENDS)
    request = st.requested(starts, ends)
    before = count(Assignment)
    scheduler.get(WEEK)
    response = scheduler.post(f"/console/staffing/requests/{request['id']}/assign",
                              {"staff_id": getattr(st, who)["id"], "week": "2027-01-11"})
    assert response.status_code == status
    assert words in field_error(response, f"f-staff_id-{request['id']}")
    assert f'aria-describedby="f-staff_id-{request["id"]}-error"' in html(response)
    assert count(Assignment) == before


def test_auto_assign_books_the_free_person_and_says_why_when_nobody_is(scheduler, st):
    st.assign(st.requested(STARTS, ENDS), st.dana)
    request = st.requested("2027-01-12T16:00:00Z", "2027-01-12T20:00:00Z")
    scheduler.get(WEEK)
    response = scheduler.post(f"/console/staffing/requests/{request['id']}/auto-assign", {"week": "2027-01-11"})
    assert response.status_code == 302
    booked = db.session.scalars(select(Assignment).where(Assignment.shift_request_id == request["id"])).one()
    assert booked.staff_id == st.eli["id"]
    third = st.requested("2027-01-12T17:00:00Z", "2027-01-12T19:00:00Z")
    response = scheduler.post(f"/console/staffing/requests/{third['id']}/auto-assign", {"week": "2027-01-11"})
    assert response.status_code == 409
    assert ("no billing specialist is available and free Tue Jan 12, 11:00 AM–1:00 PM CST (2 in the pool)"
            in field_error(response, f"f-staff_id-{third['id']}"))
    assert count(Assignment) == 2


def test_the_waiting_requests_link_their_week_and_mark_who_is_booked_or_unavailable_then(scheduler, st):
    st.assign(st.requested(STARTS, ENDS), st.dana)
    tuesday = st.requested("2027-01-12T16:00:00Z", "2027-01-12T20:00:00Z")  # Tue 10-2: Dana is booked
    saturday = st.requested("2027-01-16T15:00:00Z", "2027-01-16T19:00:00Z")  # Sat: nobody works
    st.staff("Omar Haddad", "it_technician", 4500)
    fix = st.requested(STARTS, ENDS, role="it_technician")
    page = html(scheduler.get("/console/staffing"))  # this week (Jan 4): the requests are next week's

    def section(request):
        return page.split(f'id="request-{request["id"]}"')[1].split("</section>")[0]

    assert f'<option value="{st.dana["id"]}">Dana Reyes (booked then)</option>' in section(tuesday)
    assert f'<option value="{st.eli["id"]}">Eli Park</option>' in section(tuesday)
    assert f'<option value="{st.dana["id"]}">Dana Reyes (unavailable then)</option>' in section(saturday)
    assert f'<option value="{st.eli["id"]}">Eli Park (unavailable then)</option>' in section(saturday)
    assert f'href="/console/staffing?week=2027-01-11#request-{tuesday["id"]}"' in section(tuesday)
    assert "See the week of Jan 11, 2027 on the board" in text_of(section(tuesday))
    assert "the available, free IT technician with the fewest hours" in text_of(section(fix))
    # on the request's own week the board above is that week
    assert "(this week, on the board above)" in text_of(html(scheduler.get(WEEK)))


def test_other_mso_roles_read_the_week_but_may_not_assign(pages, st):
    request = st.requested(STARTS, ENDS)
    page = pages.as_("mso_procurement")
    response = page.get(WEEK)
    assert response.status_code == 200
    text = text_of(html(response))
    assert "Only MSO scheduling (a scheduler or an MSO admin) assigns people to shifts." in text
    assert ">Assign</button>" not in html(response) and ">Auto-assign</button>" not in html(response)
    for action, body in (("assign", {"staff_id": st.dana["id"]}), ("auto-assign", {})):
        refused = page.post(f"/console/staffing/requests/{request['id']}/{action}", body)
        assert refused.status_code == 403, action
    assert count(Assignment) == 0
    # an MSO admin may
    admin = pages.as_("mso_admin")
    admin.get(WEEK)
    assert admin.post(f"/console/staffing/requests/{request['id']}/auto-assign").status_code == 302


@pytest.mark.parametrize("who", ["practice_admin", "vendor_admin"])
def test_another_faces_users_get_404_on_every_staffing_console_page(pages, st, who):
    request = st.requested(STARTS, ENDS)
    page = pages.as_(who)
    for path in ("/console/staffing", "/console/staffing/staff", f"/console/staffing/staff/{st.dana['id']}",
                 "/console/staffing/timesheets", "/console/staffing/cost-runs"):
        assert page.get(path).status_code == 404, path
    page.get("/login")
    assert page.post(f"/console/staffing/requests/{request['id']}/assign",
                     {"staff_id": st.dana["id"]}).status_code == 404
    assert count(Assignment) == 0


def test_the_week_sends_as_many_statements_for_a_bigger_pool(scheduler, st):
    first = st.requested(STARTS, ENDS)
    st.assign(first, st.dana)

    def grow():
        for index in range(3):
            person = st.staff(f"Extra {index}", "billing_specialist", 3100 + index)
            request = st.requested(f"2027-01-1{3 + index}T15:00:00Z", f"2027-01-1{3 + index}T19:00:00Z")
            st.assign(request, person)
        st.requested("2027-01-14T20:00:00Z", "2027-01-14T23:00:00Z")
        st.requested("2027-01-15T20:00:00Z", "2027-01-15T23:00:00Z", role="medical_assistant")
        db.session.add(Availability(staff_id=st.eli["id"], kind="unavailable", starts_at=st_at("2027-01-13T00:00:00Z"),
                                    ends_at=st_at("2027-01-14T00:00:00Z"), note="leave"))

    same_count(Statements(scheduler), WEEK, grow)


def st_at(text):
    from tests.scenarios import at

    return at(text)


# --- the pool ----------------------------------------------------------------------------------


def test_a_staff_member_is_added_in_dollars_and_refused_at_the_field(scheduler, st):
    from tests.factories import VendorFactory

    supplier = VendorFactory(name="Acme Supplies", kind="supplier")
    agency = VendorFactory(name="StaffRight", kind="staffing")
    db.session.commit()
    page = scheduler
    page.get("/console/staffing/staff")
    before = count(StaffMember)
    body = {"name": "Ana Ruiz", "role": "front_desk_float", "hourly_cost": "32.505", "active": "true",
            "clinical": "false"}
    response = page.post("/console/staffing/staff", body)
    assert response.status_code == 422
    assert field_error(response, "f-hourly_cost") == "at most 2 decimal places (whole cents)"
    assert 'value="32.505"' in html(response)
    response = page.post("/console/staffing/staff", {**body, "hourly_cost": "0"})
    assert response.status_code == 422 and field_error(response, "f-hourly_cost")
    response = page.post("/console/staffing/staff", {**body, "hourly_cost": "32.50", "vendor_id": supplier.id})
    assert response.status_code == 422
    assert field_error(response, "f-vendor_id") == "Acme Supplies is a supplier vendor, not a staffing vendor"
    assert count(StaffMember) == before
    response = page.post("/console/staffing/staff", {**body, "hourly_cost": "$1,032.50", "vendor_id": agency.id})
    assert response.status_code == 302
    made = db.session.scalars(select(StaffMember).where(StaffMember.name == "Ana Ruiz")).one()
    assert (made.hourly_cost_cents, made.vendor_id, made.active, made.clinical) == (103250, agency.id, True, False)
    text = text_of(html(page.get("/console/staffing/staff")))
    assert "Ana Ruiz Front-desk float $1,032.50 StaffRight active" in text


def test_a_staff_member_is_edited_under_if_match_and_a_stale_form_is_refused(scheduler, st):
    page = scheduler
    path = f"/console/staffing/staff/{st.eli['id']}"
    form = html(page.get(path))
    etag = re.search(r'name="etag" value="([^"]+)"', form).group(1)
    assert 'value="30.00"' in form
    body = {"name": "Eli Park", "role": "billing_specialist", "hourly_cost": "31.25", "active": "true",
            "clinical": "false", "etag": etag}
    assert page.post(path, body).status_code == 302
    assert db.session.get(StaffMember, st.eli["id"]).hourly_cost_cents == 3125
    response = page.post(path, {**body, "hourly_cost": "40.00"})  # the old ETag
    assert response.status_code == 412
    assert "the object changed since you read it" in text_of(html(response))
    db.session.expire_all()
    assert db.session.get(StaffMember, st.eli["id"]).hourly_cost_cents == 3125


def test_availability_is_added_and_removed_and_a_bad_window_is_refused_at_the_field(scheduler, st):
    page = scheduler
    path = f"/console/staffing/staff/{st.eli['id']}"
    page.get(path)
    before = count(Availability)
    response = page.post(f"{path}/availability", {"kind": "weekly", "weekday": "5", "start": "12:00", "end": "09:00"})
    assert response.status_code == 422 and field_error(response, "f-end") == "the window ends before it starts"
    response = page.post(f"{path}/availability", {"kind": "weekly", "weekday": "5", "start": "9 am", "end": "12:00"})
    assert response.status_code == 422 and field_error(response, "f-start") == "a time as HH:MM, 00:00 to 24:00"
    response = page.post(f"{path}/availability", {"kind": "unavailable", "starts_at": "2027-01-20T00:00"})
    assert response.status_code == 422 and field_error(response, "f-ends_at") == "required"
    assert count(Availability) == before
    assert page.post(f"{path}/availability", {"kind": "weekly", "weekday": "5", "start": "09:00",
                                              "end": "13:00"}).status_code == 302
    assert page.post(f"{path}/availability", {"kind": "unavailable", "starts_at": "2027-01-20T00:00",
                                              "ends_at": "2027-01-23T00:00", "note": "vacation"}).status_code == 302
    leave = db.session.scalars(select(Availability).where(Availability.kind == "unavailable")).one()
    assert leave.starts_at.isoformat() == "2027-01-20T06:00:00+00:00"  # Chicago midnight
    text = text_of(html(page.get(path)))
    assert "Saturdays, 9:00 AM–1:00 PM" in text and "unavailable (leave)" in text and "vacation" in text
    assert "Unavailable: vacation" in text_of(html(page.get("/console/staffing?week=2027-01-18")))
    assert page.post(f"{path}/availability/{leave.id}/delete").status_code == 302
    assert count(Availability) == before + 1


def test_other_mso_roles_see_the_pool_but_may_not_change_it(pages, st):
    page = pages.as_("mso_finance")
    text = text_of(html(page.get("/console/staffing/staff")))
    assert "Dana Reyes" in text and "$32.50" in text
    assert "Only MSO scheduling (a scheduler or an MSO admin) adds and edits staff members." in text
    person = text_of(html(page.get(f"/console/staffing/staff/{st.dana['id']}")))
    assert "Only MSO scheduling (a scheduler or an MSO admin) edits staff members" in person
    window = db.session.scalars(select(Availability).where(Availability.staff_id == st.dana["id"])).first()
    before = (count(StaffMember), count(Availability))
    for path, body in (("/console/staffing/staff", {"name": "X", "role": "it_technician", "hourly_cost": "40"}),
                       (f"/console/staffing/staff/{st.dana['id']}", {"name": "X"}),
                       (f"/console/staffing/staff/{st.dana['id']}/availability",
                        {"kind": "weekly", "weekday": "5", "start": "09:00", "end": "12:00"}),
                       (f"/console/staffing/staff/{st.dana['id']}/availability/{window.id}/delete", {})):
        assert page.post(path, body).status_code == 403, path
    assert (count(StaffMember), count(Availability)) == before
    assert db.session.get(StaffMember, st.dana["id"]).name == "Dana Reyes"
    assert page.get("/console/staffing/staff/999999").status_code == 404


# --- timesheets ----------------------------------------------------------------------------------


def test_timesheets_to_record_are_recorded_and_refused_at_the_field(scheduler, st):
    shift = st.booked(STARTS, ENDS, st.dana)
    st.booked("2027-01-13T14:00:00Z", "2027-01-13T22:00:00Z", st.eli)  # not yet worked on the 12th
    st.set_now("2027-01-12T23:00:00Z")
    page = scheduler
    response = page.get("/console/staffing/timesheets")
    text = text_of(html(response))
    assert "To record (1)" in text and "Dana Reyes at Lakeside, Jan 12, 2027" in text
    assert f'id="f-started_at-{shift["id"]}" name="started_at" type="datetime-local" value="2027-01-12T08:00"' \
        in html(response)
    path = f"/console/staffing/assignments/{shift['id']}/timesheet"
    response = page.post(path, {"started_at": "2027-01-12T16:00", "ended_at": "2027-01-12T08:00", "break_minutes": "0"})
    assert response.status_code == 422
    assert field_error(response, f"f-ended_at-{shift['id']}") == "the shift ends before it starts"
    response = page.post(path, {"started_at": "2027-01-12T08:05", "ended_at": "2027-01-12T16:00", "break_minutes": "x"})
    assert response.status_code == 422 and field_error(response, f"f-break_minutes-{shift['id']}")
    assert count(Timesheet) == 0
    response = page.post(path, {"started_at": "2027-01-12T08:05", "ended_at": "2027-01-12T16:00",
                                "break_minutes": "30"})
    assert response.status_code == 302
    sheet = db.session.scalars(select(Timesheet)).one()
    assert (sheet.minutes, sheet.started_at.isoformat()) == (445, "2027-01-12T14:05:00+00:00")
    text = text_of(html(page.get("/console/staffing/timesheets")))
    assert "The timesheet of Dana Reyes is recorded (7 h 25 min)" in text
    assert "To record (0)" in text and "7 h 25 min waiting for the practice's approval" in text


def test_a_disputed_timesheet_is_to_record_again_and_others_may_not_record(pages, scheduler, st):
    shift = st.booked(STARTS, ENDS, st.dana)
    st.set_now("2027-01-13T09:00:00Z")
    st.timesheet(shift, STARTS, ENDS)
    st.post(f"/api/v1/staffing/assignments/{shift['id']}/timesheet/dispute", {"reason": "left at 3 pm"},
            who="practice_admin", expect=200)
    text = text_of(html(scheduler.get("/console/staffing/timesheets")))
    assert "To record (1)" in text and "left at 3 pm" in text and "disputed: record it again" in text
    page = pages.as_("mso_procurement")
    text = text_of(html(page.get("/console/staffing/timesheets")))
    assert "Only MSO scheduling (a scheduler or an MSO admin) records timesheets." in text
    response = page.post(f"/console/staffing/assignments/{shift['id']}/timesheet",
                         {"started_at": "2027-01-12T08:00", "ended_at": "2027-01-12T15:00"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalars(select(Timesheet)).one().status == "disputed"


# --- cost runs -------------------------------------------------------------------------------------


def test_finance_runs_a_month_and_sees_it_in_dollars(pages, st):
    shift = st.booked(STARTS, ENDS, st.dana)
    st.set_now("2027-02-02T09:00:00Z")
    st.timesheet(shift, STARTS, ENDS, pause=30)  # 450 minutes at $32.50 = $243.75
    st.post(f"/api/v1/staffing/assignments/{shift['id']}/timesheet/approve", who="practice_admin", expect=200)
    page = pages.as_("mso_finance")
    page.get("/console/staffing/cost-runs")
    response = page.post("/console/staffing/cost-runs", {"month": "2027-01", "overhead": "10.005"})
    assert response.status_code == 422
    assert field_error(response, "f-overhead") == "at most 2 decimal places (whole cents)"
    response = page.post("/console/staffing/cost-runs", {"month": "2027-02", "overhead": "100"})
    assert response.status_code == 422 and "2027-02 has not ended yet" in field_error(response, "f-month")
    assert count(CostRun) == 0
    assert page.post("/console/staffing/cost-runs", {"month": "2027-01", "overhead": "100.00"}).status_code == 302
    run = db.session.scalars(select(CostRun)).one()
    st.run_jobs(run.job_id)
    text = text_of(html(page.get("/console/staffing/cost-runs")))
    assert "Jan 2027" in text and "Labor $243.75" in text and "Overhead $100.00" in text
    assert "Lakeside 7 h 30 min $243.75 $100.00 $343.75 draft invoice #" in text
    response = page.post("/console/staffing/cost-runs", {"month": "2027-01", "overhead": "100.00"})
    assert response.status_code == 409 and "were already run" in text_of(html(response))
    assert count(CostRun) == 1


def test_scheduling_reads_cost_runs_without_starting_one_and_procurement_neither(pages, scheduler, st):
    st.set_now("2027-02-02T09:00:00Z")
    text = text_of(html(scheduler.get("/console/staffing/cost-runs")))
    assert "Only MSO finance (or an MSO admin) runs a month's staffing costs." in text
    assert "No month has been run yet." in text
    assert scheduler.post("/console/staffing/cost-runs", {"month": "2027-01", "overhead": "0"}).status_code == 403
    page = pages.as_("mso_procurement")
    text = text_of(html(page.get("/console/staffing/cost-runs")))
    assert "Cost runs are for MSO finance and scheduling." in text
    assert page.post("/console/staffing/cost-runs", {"month": "2027-01", "overhead": "0"}).status_code == 403
    assert count(CostRun) == 0


# --- waiting -----------------------------------------------------------------------------------------


def test_the_schedulers_start_page_says_what_waits(pages, scheduler, st):
    shift = st.booked(STARTS, ENDS, st.dana)
    st.requested("2027-01-13T14:00:00Z", "2027-01-13T18:00:00Z")
    st.requested("2027-01-14T14:00:00Z", "2027-01-14T18:00:00Z")
    st.set_now("2027-01-12T23:00:00Z")
    text = text_of(html(scheduler.get("/console")))
    assert "2 shift requests to assign" in text and "1 timesheet to record" in text
    assert 'href="/console/staffing/timesheets"' in html(scheduler.get("/console"))
    assert "shift request" not in text_of(html(pages.as_("mso_finance").get("/console")))
    st.timesheet(shift, STARTS, ENDS)
    assert "timesheet to record" not in text_of(html(scheduler.get("/console")))


def test_the_start_page_opens_the_week_of_the_earliest_waiting_request(scheduler, st):
    st.requested("2027-01-19T14:00:00Z", "2027-01-19T18:00:00Z")
    st.requested(STARTS, ENDS)  # the clock is Mon Jan 4: both are weeks ahead, the earliest on Jan 12
    body = html(scheduler.get("/console"))
    assert "2 shift requests to assign" in text_of(body)
    assert 'href="/console/staffing?week=2027-01-11#waiting-heading"' in body


@pytest.mark.parametrize("typed", ["1e3", "3,2.5", "\u0663\u0662.\u0665\u0660", "-32.50"])
def test_an_hourly_cost_not_typed_as_dollars_is_refused_at_the_field(scheduler, typed):
    page = scheduler
    page.get("/console/staffing/staff")
    before = count(StaffMember)
    body = {"name": "Ana Ruiz", "role": "front_desk_float", "hourly_cost": typed, "active": "true", "clinical": "false"}
    response = page.post("/console/staffing/staff", body)
    assert response.status_code == 422
    assert field_error(response, "f-hourly_cost") == "an amount in dollars and cents, like 1,250.00"
    assert count(StaffMember) == before
