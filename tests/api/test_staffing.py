"""The shared staffing pool over HTTP with hand-computed cents: the pool and its
availability, shift requests, assignment (manual and fair auto-assign, never double
booked), CPOM acceptance, release, timesheets and the monthly cost run."""

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.staffing import cost_runs
from gpo.staffing.models import Assignment, CostRun, ShiftRequest, StaffMember
from tests.helpers import assert_error
from tests.scenarios import Staffing


@pytest.fixture
def st(client, world, run_jobs, monkeypatch):
    return Staffing(client, world, run_jobs, monkeypatch)


# --- the pool ------------------------------------------------------------------------------


def test_schedulers_keep_the_pool_and_practices_never_see_it(st):
    url = f"/api/v1/staffing/staff/{st.dana['id']}"
    got = st.client.get(url, headers=st.world.headers["scheduler"])
    assert got.status_code == 200 and got.get_json()["hourly_cost_cents"] == 3250
    edited = st.client.patch(url, json={"hourly_cost_cents": 3400}, headers={
        **st.world.headers["scheduler"], "If-Match": got.headers["ETag"]})
    assert edited.status_code == 200 and edited.get_json()["hourly_cost_cents"] == 3400
    assert_error(st.client.patch(url, json={"active": False}, headers={
        **st.world.headers["scheduler"], "If-Match": got.headers["ETag"]}), 412)
    windows = st.client.get(f"{url}/availability", headers=st.world.headers["scheduler"]).get_json()
    assert [(w["weekday"], w["start"], w["end"]) for w in windows] == [(d, "08:00", "18:00") for d in range(5)]
    assert_error(st.client.get(url, headers=st.world.headers["practice_admin"]), 404)
    assert_error(st.client.get("/api/v1/staffing/staff", headers=st.world.headers["practice_admin"]), 403)
    assert_error(st.post("/api/v1/staffing/staff", {"name": "X", "role": "it_technician", "hourly_cost_cents": 1},
                         who="mso_finance"), 403)
    for bad in ({"name": "X", "role": "it_technician", "hourly_cost_cents": 0},
                {"name": "X", "role": "IT Tech", "hourly_cost_cents": 100},
                {"name": "", "role": "it_technician", "hourly_cost_cents": 100}):
        assert_error(st.post("/api/v1/staffing/staff", bad), 422)
    for bad in ({"kind": "weekly", "weekday": 7, "start": "08:00", "end": "17:00"},
                {"kind": "weekly", "weekday": 1, "start": "17:00", "end": "08:00"},
                {"kind": "weekly", "weekday": 1, "start": "8am", "end": "17:00"},
                {"kind": "weekly", "weekday": 1},
                {"kind": "unavailable", "starts_at": "2027-01-05T00:00:00Z", "ends_at": "2027-01-04T00:00:00Z"},
                {"kind": "unavailable", "starts_at": "2027-01-05T00:00:00"}):
        assert_error(st.post(f"{url}/availability", bad), 422)
    assert len(st.client.get(f"{url}/availability", headers=st.world.headers["scheduler"]).get_json()) == 5


# --- shift requests ------------------------------------------------------------------------


def test_a_request_less_than_48_hours_ahead_is_short_notice(st):
    ahead = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", notes="cover for leave")
    assert (ahead["status"], ahead["short_notice"], ahead["practice_id"], ahead["assignment"]) == (
        "open", False, st.world.practice.id, None)
    soon = st.requested("2027-01-06T14:59:00Z", "2027-01-06T20:00:00Z")  # 47 h 59 min ahead
    assert soon["short_notice"] is True
    edge = st.requested("2027-01-06T15:00:00Z", "2027-01-06T20:00:00Z")  # exactly 48 h
    assert edge["short_notice"] is False


@pytest.mark.parametrize("starts, ends, role, field", [
    ("2027-01-11T22:00:00Z", "2027-01-11T14:00:00Z", "billing_specialist", "ends_at"),
    ("2027-01-11T14:00:00Z", "2027-01-12T06:01:00Z", "billing_specialist", "ends_at"),  # 16 h 1 min
    ("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", "radiologist", "role"),
    ("2027-01-03T14:00:00Z", "2027-01-03T22:00:00Z", "billing_specialist", "starts_at"),
    ("2027-01-11T14:00:00", "2027-01-11T22:00:00", "billing_specialist", "starts_at"),  # no zone
])
def test_bad_shift_requests_are_refused(st, starts, ends, role, field):
    body = assert_error(st.request(starts, ends, role=role), 422)
    assert field in body["errors"]["json"], body
    assert db.session.scalar(select(func.count(ShiftRequest.id))) == 0


def test_a_request_is_for_ones_own_location_and_seen_by_ones_own_practice(st):
    assert_error(st.request("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", location=st.b_location), 422,
                 contains="not one of your practice's locations")
    assert_error(st.request("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", who="mso_admin"), 403)
    mine = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    theirs = st.requested("2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z", who="b_admin")
    listed = st.client.get("/api/v1/staffing/shift-requests", headers=st.world.headers["practice_buyer"]).get_json()
    assert [r["id"] for r in listed] == [mine["id"]]
    assert_error(st.client.get(f"/api/v1/staffing/shift-requests/{theirs['id']}",
                               headers=st.world.headers["practice_admin"]), 404)
    every = st.client.get("/api/v1/staffing/shift-requests?status=open", headers=st.world.headers["scheduler"]).get_json()
    assert [r["id"] for r in every] == [mine["id"], theirs["id"]]


# --- assignment ----------------------------------------------------------------------------


def test_double_booking_is_refused(st):
    first = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    overlapping = st.requested("2027-01-11T21:00:00Z", "2027-01-11T23:00:00Z", who="b_admin")
    back_to_back = st.requested("2027-01-11T22:00:00Z", "2027-01-11T23:30:00Z", who="b_admin")
    assignment = st.assign(first, st.dana)
    assert (assignment["status"], assignment["staff_name"], assignment["hourly_cost_cents"]) == ("assigned", "Dana Reyes", 3250)
    # local times in the pool's zone, where and no internal ids
    refused = assert_error(st.assign(overlapping, st.dana, expect=None), 409)
    assert refused["message"] == "Dana Reyes is already booked Mon Jan 11, 8:00 AM–4:00 PM CST at Lakeside"
    assert st.assign(back_to_back, st.dana)["status"] == "assigned"  # [start, end): touching is fine
    assert_error(st.assign(first, st.eli, expect=None), 409, contains="only an open request")
    assert db.session.scalar(select(func.count(Assignment.id))) == 2


def test_inactive_unavailable_or_wrong_role_people_are_not_assigned(st):
    request = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    assert_error(st.assign(request, st.mia, expect=None), 422,
                 contains="Mia Chen is a medical assistant; the shift needs a billing specialist")
    st.post(f"/api/v1/staffing/staff/{st.dana['id']}/availability", {
        "kind": "unavailable", "starts_at": "2027-01-11T00:00:00Z", "ends_at": "2027-01-12T00:00:00Z", "note": "leave"},
        expect=201)
    assert_error(st.assign(request, st.dana, expect=None), 422, contains="not available")
    evening = st.requested("2027-01-12T23:00:00Z", "2027-01-13T02:00:00Z")  # 17:00-20:00 local: past 18:00
    assert_error(st.assign(evening, st.eli, expect=None), 422, contains="not available")
    db.session.get(StaffMember, st.eli["id"]).active = False
    db.session.commit()
    assert_error(st.assign(request, st.eli, expect=None), 422, contains="not active")
    assert_error(st.post(f"/api/v1/staffing/shift-requests/{request['id']}/assign", {"staff_id": 99999}), 422)
    assert_error(st.post(f"/api/v1/staffing/shift-requests/{request['id']}/assign", {"staff_id": st.eli["id"]},
                         who="practice_admin"), 403)
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_auto_assign_spreads_hours_and_says_when_nobody_is_free(st):
    monday = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    first = st.post(f"/api/v1/staffing/shift-requests/{monday['id']}/auto-assign", expect=201)
    assert first["staff_id"] == st.dana["id"]  # nobody has hours yet: the lowest id
    tuesday = st.requested("2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z")
    assert st.post(f"/api/v1/staffing/shift-requests/{tuesday['id']}/auto-assign", expect=201)["staff_id"] == st.eli["id"]
    wednesday = st.requested("2027-01-13T14:00:00Z", "2027-01-13T16:00:00Z")
    assert st.post(f"/api/v1/staffing/shift-requests/{wednesday['id']}/auto-assign", expect=201)["staff_id"] == st.dana["id"]
    thursday = st.requested("2027-01-14T14:00:00Z", "2027-01-14T22:00:00Z")  # Dana 10 h, Eli 8 h
    assert st.post(f"/api/v1/staffing/shift-requests/{thursday['id']}/auto-assign", expect=201)["staff_id"] == st.eli["id"]
    # Monday again, overlapping Dana's shift, while Eli is on leave: nobody is free
    st.post(f"/api/v1/staffing/staff/{st.eli['id']}/availability", {
        "kind": "unavailable", "starts_at": "2027-01-11T00:00:00Z", "ends_at": "2027-01-12T00:00:00Z"}, expect=201)
    clash = st.requested("2027-01-11T15:00:00Z", "2027-01-11T18:00:00Z", who="b_admin")
    assert_error(st.post(f"/api/v1/staffing/shift-requests/{clash['id']}/auto-assign"), 409, contains="no billing specialist")


# --- CPOM, release, cancel -----------------------------------------------------------------


def test_clinical_staff_stand_only_once_a_physician_of_the_practice_accepts(st):
    request = st.requested("2027-01-11T14:00:00Z", "2027-01-11T20:00:00Z", role="medical_assistant")
    assignment = st.assign(request, st.mia)
    for who in ("practice_admin", "practice_buyer"):
        assert_error(st.post(f"/api/v1/staffing/assignments/{assignment['id']}/accept", who=who), 403, contains="physician")
    for who in ("mso_admin", "scheduler"):
        assert_error(st.post(f"/api/v1/staffing/assignments/{assignment['id']}/accept", who=who), 403)
    assert_error(st.post(f"/api/v1/staffing/assignments/{assignment['id']}/accept", who="b_admin"), 404)
    assert st.client.get(f"/api/v1/staffing/shift-requests/{request['id']}",
                         headers=st.world.headers["practice_admin"]).get_json()["status"] == "assigned"
    accepted = st.accept(assignment, who="practice_physician")
    assert (accepted["status"], accepted["accepted_by"]) == ("accepted", "practice_physician@example.test")
    assert_error(st.post(f"/api/v1/staffing/assignments/{assignment['id']}/accept", who="practice_physician"), 409)
    # nobody is accepted once the shift has started
    late = st.assign(st.requested("2027-01-05T14:00:00Z", "2027-01-05T20:00:00Z", role="medical_assistant"), st.mia)
    st.set_now("2027-01-05T14:30:00Z")
    assert_error(st.post(f"/api/v1/staffing/assignments/{late['id']}/accept", who="practice_physician"), 409,
                 contains="has started")
    st.set_now("2027-01-04T15:00:00Z")
    # non-clinical staff: anyone of the practice accepts
    other = st.assign(st.requested("2027-01-12T14:00:00Z", "2027-01-12T20:00:00Z"), st.dana)
    assert st.accept(other, who="practice_buyer")["status"] == "accepted"


def test_the_practice_releases_a_person_from_future_shifts(st):
    monday = st.booked("2027-01-11T14:00:00Z", "2027-01-11T20:00:00Z", st.mia, accept_as="practice_physician")
    tuesday = st.booked("2027-01-12T14:00:00Z", "2027-01-12T20:00:00Z", st.mia, accept_as="practice_physician")
    wednesday = st.booked("2027-01-13T14:00:00Z", "2027-01-13T20:00:00Z", st.mia, accept_as="practice_physician")
    assert_error(st.post(f"/api/v1/staffing/assignments/{monday['id']}/release", {}, who="practice_buyer"), 403)
    assert_error(st.post(f"/api/v1/staffing/assignments/{monday['id']}/release", {}, who="scheduler"), 403)
    # clinical personnel are released by a physician (CPOM), and MSO cannot cancel them away
    assert_error(st.post(f"/api/v1/staffing/assignments/{monday['id']}/release", {}, who="practice_admin"), 403,
                 contains="physician")
    assert_error(st.post(f"/api/v1/staffing/shift-requests/{monday['shift_request_id']}/cancel", {}, who="scheduler"),
                 403, contains="physician")
    released = st.post(f"/api/v1/staffing/assignments/{monday['id']}/release", {"reason": "not a fit"},
                       who="practice_physician", expect=200)
    assert [(a["id"], a["status"]) for a in released] == [(monday["id"], "released")]
    request = st.client.get(f"/api/v1/staffing/shift-requests/{monday['shift_request_id']}",
                            headers=st.world.headers["practice_admin"]).get_json()
    assert (request["status"], request["assignment"]["release_reason"]) == ("released", "not a fit")
    # Mia's Monday is free again
    assert st.assign(st.requested("2027-01-11T15:00:00Z", "2027-01-11T19:00:00Z", role="medical_assistant",
                                  who="b_admin"), st.mia)["status"] == "assigned"
    # the rest of her future shifts at once; a shift under way is not released
    st.set_now("2027-01-12T15:00:00Z")
    assert_error(st.post(f"/api/v1/staffing/assignments/{tuesday['id']}/release", {}, who="practice_physician"), 409,
                 contains="has started")
    rest = st.post(f"/api/v1/staffing/assignments/{wednesday['id']}/release", {"all_future": True},
                   who="practice_physician", expect=200)
    assert [a["id"] for a in rest] == [wednesday["id"]]
    db.session.expire_all()
    assert db.session.get(Assignment, tuesday["id"]).status == "accepted"
    assert_error(st.post(f"/api/v1/staffing/assignments/{wednesday['id']}/release", {}, who="practice_physician"), 409)


def test_all_future_releases_every_later_shift_of_the_person_at_the_practice(st):
    days = [st.booked(f"2027-01-{d}T14:00:00Z", f"2027-01-{d}T20:00:00Z", st.dana) for d in (11, 12, 13)]
    elsewhere = st.booked("2027-01-14T14:00:00Z", "2027-01-14T20:00:00Z", st.dana, who="b_admin")
    released = st.post(f"/api/v1/staffing/assignments/{days[1]['id']}/release", {"all_future": True, "reason": "moving"},
                       who="practice_admin", expect=200)
    assert [a["id"] for a in released] == [days[1]["id"], days[0]["id"], days[2]["id"]]
    assert all(a["status"] == "released" and a["release_reason"] == "moving" for a in released)
    db.session.expire_all()
    assert db.session.get(Assignment, elsewhere["id"]).status == "accepted"  # another practice's booking stays


def test_a_cancelled_request_frees_its_person(st):
    request = st.requested("2027-01-11T14:00:00Z", "2027-01-11T20:00:00Z")
    st.assign(request, st.dana)
    cancelled = st.post(f"/api/v1/staffing/shift-requests/{request['id']}/cancel", {"reason": "clinic closed"},
                        who="practice_buyer", expect=200)
    assert (cancelled["status"], cancelled["assignment"]["status"]) == ("cancelled", "cancelled")
    assert_error(st.post(f"/api/v1/staffing/shift-requests/{request['id']}/cancel", {}, who="practice_buyer"), 409)
    again = st.requested("2027-01-11T14:00:00Z", "2027-01-11T20:00:00Z", who="b_admin")
    assert st.assign(again, st.dana)["status"] == "assigned"


# --- timesheets and the cost run -----------------------------------------------------------


def test_timesheets_come_after_the_shift_and_are_approved_once(st):
    booked = st.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", st.dana)
    pending = st.assign(st.requested("2027-01-11T23:00:00Z", "2027-01-11T23:30:00Z"), st.eli)  # never accepted
    url = f"/api/v1/staffing/assignments/{booked['id']}/timesheet"
    assert_error(st.post(url, {"started_at": "2027-01-11T14:05:00Z", "ended_at": "2027-01-11T22:00:00Z"}), 422,
                 contains="once it has happened")
    st.set_now("2027-01-12T09:00:00Z")
    for bad, field in (({"started_at": "2027-01-11T22:00:00Z", "ended_at": "2027-01-11T14:00:00Z"}, "ended_at"),
                       ({"started_at": "2027-01-11T14:00:00Z", "ended_at": "2027-01-12T08:00:00Z"}, "ended_at"),
                       ({"started_at": "2027-01-11T14:00:00Z", "ended_at": "2027-01-11T15:00:00Z",
                         "break_minutes": 60}, "break_minutes"),
                       ({"started_at": "2027-01-11T14:00:00Z", "ended_at": "2027-01-12T10:00:00Z"}, "ended_at")):
        assert field in assert_error(st.post(url, bad), 422)["errors"]["json"]
    assert_error(st.post(url, {"started_at": "2027-01-11T14:05:00Z", "ended_at": "2027-01-11T22:00:00Z"},
                         who="practice_admin"), 403)
    done = st.timesheet(booked, "2027-01-11T14:05:00Z", "2027-01-11T22:00:00Z", 30)
    assert (done["status"], done["timesheet"]["minutes"], done["timesheet"]["status"]) == ("completed", 445, "submitted")
    disputed = st.post(f"{url}/dispute", {"reason": "left at 21:00"}, who="practice_admin", expect=200)
    assert (disputed["timesheet"]["status"], disputed["timesheet"]["dispute_reason"]) == ("disputed", "left at 21:00")
    assert_error(st.post(f"{url}/approve", who="practice_admin"), 409, contains="disputed")
    corrected = st.timesheet(booked, "2027-01-11T14:05:00Z", "2027-01-11T21:00:00Z", 30)
    assert (corrected["timesheet"]["status"], corrected["timesheet"]["minutes"]) == ("submitted", 385)
    assert_error(st.post(f"{url}/approve", who="practice_buyer"), 403)
    assert_error(st.post(f"{url}/approve", who="b_admin"), 404)
    approved = st.post(f"{url}/approve", who="practice_physician", expect=200)
    assert approved["timesheet"]["status"] == "approved"
    assert_error(st.post(f"{url}/approve", who="practice_admin"), 409, contains="already approved")
    assert_error(st.post(f"{url}/dispute", {"reason": "x"}, who="practice_admin"), 409)
    assert_error(st.post(url, {"started_at": "2027-01-11T14:05:00Z", "ended_at": "2027-01-11T22:00:00Z"}), 409)
    # an assignment not accepted has no timesheet
    assert_error(st.post(f"/api/v1/staffing/assignments/{pending['id']}/timesheet",
                         {"started_at": "2027-01-11T23:00:00Z", "ended_at": "2027-01-11T23:30:00Z"}), 409)


def test_the_monthly_cost_run_bills_approved_hours_premium_and_overhead_exactly(st):
    dana = st.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", st.dana)
    eli = st.booked("2027-01-14T14:00:00Z", "2027-01-14T22:00:00Z", st.eli, who="b_admin")
    eli_friday = st.booked("2027-01-15T14:00:00Z", "2027-01-15T22:00:00Z", st.eli, who="b_admin")
    st.set_now("2027-01-12T15:00:00Z")
    mia = st.booked("2027-01-13T14:00:00Z", "2027-01-13T20:00:00Z", st.mia, accept_as="practice_physician")
    assert db.session.get(ShiftRequest, mia["shift_request_id"]).short_notice  # 23 h ahead
    st.set_now("2027-02-02T12:00:00Z")
    st.timesheet(dana, "2027-01-11T14:05:00Z", "2027-01-11T22:00:00Z", 30)  # 445 min
    st.timesheet(mia, "2027-01-13T14:00:00Z", "2027-01-13T20:00:00Z")  # 360 min
    st.timesheet(eli, "2027-01-14T14:00:00Z", "2027-01-14T22:00:00Z", 60)  # 420 min
    st.timesheet(eli_friday, "2027-01-15T14:00:00Z", "2027-01-15T22:00:00Z")
    for assignment, who in ((dana, "practice_admin"), (mia, "practice_physician"), (eli, "b_admin")):
        st.post(f"/api/v1/staffing/assignments/{assignment['id']}/timesheet/approve", who=who, expect=200)
    st.post(f"/api/v1/staffing/assignments/{eli_friday['id']}/timesheet/dispute", {"reason": "no-show"},
            who="b_admin", expect=200)

    assert_error(st.post("/api/v1/staffing/cost-runs", {"month": "2027-02", "overhead_cents": 0}, who="mso_finance"),
                 422, contains="has not ended")
    assert_error(st.post("/api/v1/staffing/cost-runs", {"month": "2026-12", "overhead_cents": 100},
                         who="mso_finance"), 422, contains="no approved hours")
    assert_error(st.post("/api/v1/staffing/cost-runs", {"month": "2027-13", "overhead_cents": 0}, who="mso_finance"), 422)
    assert_error(st.post("/api/v1/staffing/cost-runs", {"month": "2027-01", "overhead_cents": 0}, who="scheduler"), 403)
    db.session.commit()
    run = st.post("/api/v1/staffing/cost-runs", {"month": "2027-01", "overhead_cents": 100000}, who="mso_finance",
                  expect=202)
    assert st.run_jobs(run["job_id"]).status == "finished"
    assert_error(st.post("/api/v1/staffing/cost-runs", {"month": "2027-01", "overhead_cents": 100000},
                         who="mso_finance"), 409, contains="already run")
    got = st.client.get(f"/api/v1/staffing/cost-runs/{run['id']}", headers=st.world.headers["mso_finance"]).get_json()
    # Labor, each timesheet rounded once:
    #   Dana 445 min x $32.50/h = 24,104.17 -> 24,104
    #   Mia 360 min x $28.00/h x 1.25 (short notice) = 21,000
    #   Eli 420 min x $30.00/h = 21,000 (Friday is disputed: not billed)
    # Overhead $1,000 by approved minutes 805 : 420 -> 65,714.29 and 34,285.71: the
    # leftover cent goes to the larger remainder, so 65,714 + 34,286 = 100,000.
    a, b = st.world.practice.id, st.world.other_practice.id
    assert got["status"] == "finished" and got["labor_cents"] == 24104 + 21000 + 21000
    assert [(x["practice_id"], x["approved_minutes"], x["labor_cents"], x["overhead_cents"]) for x in got["allocations"]] == [
        (a, 805, 45104, 65714), (b, 420, 21000, 34286)]
    invoice_a = db.session.get(Invoice, got["allocations"][0]["invoice_id"])
    assert (invoice_a.kind, invoice_a.status, invoice_a.subtotal_cents) == ("staffing", "draft", 45104 + 65714)
    lines = [(line.kind, line.amount_cents) for line in invoice_a.lines]
    assert lines == [("staffing", 24104), ("staffing", 21000), ("overhead", 65714)]
    assert "Dana Reyes (billing_specialist), 7 h 25 min at $32.50/h" in invoice_a.lines[0].description
    assert "short-notice" in invoice_a.lines[1].description
    assert str(invoice_a.lines[0].quantity) == "7.4167"
    invoice_b = db.session.get(Invoice, got["allocations"][1]["invoice_id"])
    assert invoice_b.subtotal_cents == 21000 + 34286
    # running the job again creates nothing; a late approval of January is refused
    from gpo.staffing.cost_runs import cost_run

    cost_run(run["id"])
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.kind == "staffing")) == 2
    st.timesheet(eli_friday, "2027-01-15T14:00:00Z", "2027-01-15T18:00:00Z")
    assert_error(st.post(f"/api/v1/staffing/assignments/{eli_friday['id']}/timesheet/approve", who="b_admin"), 409,
                 contains="already run")
    # the practice reads its invoice; nobody but MSO reads the run
    assert_error(st.client.get(f"/api/v1/staffing/cost-runs/{run['id']}", headers=st.world.headers["practice_admin"]), 404)
    assert st.client.get(f"/api/v1/invoices/{invoice_a.id}", headers=st.world.headers["practice_admin"]).status_code == 200
    assert db.session.scalar(select(func.count(CostRun.id))) == 1


def test_a_failed_cost_run_can_be_asked_again(st):
    booked = st.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", st.dana)
    st.set_now("2027-02-02T12:00:00Z")
    st.timesheet(booked, "2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    st.post(f"/api/v1/staffing/assignments/{booked['id']}/timesheet/approve", who="practice_admin", expect=200)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    st.monkeypatch.setattr(cost_runs, "draft_invoice", broken)
    run = st.post("/api/v1/staffing/cost-runs", {"month": "2027-01", "overhead_cents": 500}, who="mso_finance", expect=202)
    job = st.run_jobs(run["job_id"])
    if st.client.application.config.get("REDIS_URL"):  # a worker process runs the real function
        assert job.status == "finished"
        return
    assert job.status == "failed"
    got = st.client.get(f"/api/v1/staffing/cost-runs/{run['id']}", headers=st.world.headers["mso_finance"]).get_json()
    assert (got["status"], got["allocations"]) == ("failed", [])
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    st.monkeypatch.undo()
    st.set_now("2027-02-02T12:00:00Z")
    again = st.post("/api/v1/staffing/cost-runs", {"month": "2027-01", "overhead_cents": 500}, who="mso_finance", expect=202)
    assert again["id"] == run["id"] and st.run_jobs(again["job_id"]).status == "finished"
    # 480 min x $32.50 = 26,000 + the whole overhead
    got = st.client.get(f"/api/v1/staffing/cost-runs/{run['id']}", headers=st.world.headers["mso_finance"]).get_json()
    assert [(x["labor_cents"], x["overhead_cents"]) for x in got["allocations"]] == [(26000, 500)]
