"""The console's staffing board and the portal's staff page in a real browser: the
scheduler assigns a person, is refused a double booking with the reason at the field,
and auto-assigns (also at 390 px wide, the week scrolling in its own region); records
a timesheet; the pool and cost-run pages; a staffing vendor's own people. axe-core on
every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gpo.db import db
from gpo.staffing.models import Assignment, StaffMember, Timesheet
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import UserFactory, VendorFactory
from tests.scenarios import Staffing

STARTS, ENDS = "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z"  # Tue Jan 12, 8:00 AM-4:00 PM in Chicago


def bookings():
    return {(a.shift_request_id, a.staff_id) for a in db.session.scalars(select(Assignment))}


@pytest.mark.parametrize("width", [1280, 390])
def test_the_scheduler_assigns_is_refused_a_double_booking_and_auto_assigns(web, world, client, run_jobs,
                                                                             monkeypatch, width):
    st = Staffing(client, world, run_jobs, monkeypatch)
    lakeside = st.requested(STARTS, ENDS, notes="month-end claims")
    st.assign(lakeside, st.dana)  # Dana is booked on Tuesday 8-4
    overlapping = st.requested("2027-01-12T16:00:00Z", "2027-01-12T20:00:00Z", notes="appeals")  # Tue 10-2
    wednesday = st.requested("2027-01-13T14:00:00Z", "2027-01-13T18:00:00Z", notes="front desk")  # Wed 8-12
    page = web.sign_in("scheduler@example.test", width=width)
    expect(page.get_by_role("link", name="2 shift requests to assign")).to_be_visible()
    # the start page opens the week of the earliest waiting request (next week's Tuesday)
    expect(page.get_by_role("link", name="2 shift requests to assign")).to_have_attribute(
        "href", re.compile(r"week=2027-01-11#waiting-heading$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staffing").click()
    expect(page.get_by_role("heading", name="Week of Jan 4, 2027")).to_be_visible()
    assert_accessible(page, "the staffing week")
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", name="Week of Jan 11, 2027")).to_be_visible()
    week = page.get_by_role("region", name=re.compile("Week of Jan 11, 2027, one row per staff member"))
    expect(week.get_by_role("row", name=re.compile("Dana Reyes"))).to_contain_text("8:00 AM–4:00 PM")
    if width == 390:  # the week scrolls sideways in its own region, the page does not
        assert week.evaluate("el => el.scrollWidth > el.clientWidth")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
        week.focus()
        page.keyboard.press("ArrowRight")

    # Assign: Eli takes Wednesday's request
    wed = page.get_by_role("region", name="Lakeside: Billing specialist, Jan 13, 2027")
    wed.get_by_label("Person").select_option(label="Eli Park")
    wed.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Eli Park is booked for the shift")
    assert web.query(bookings) == {(lakeside["id"], st.dana["id"]), (wednesday["id"], st.eli["id"])}

    # Dana is already booked on Tuesday: refused, with the reason at the field, nothing written
    tue = page.get_by_role("region", name="Lakeside: Billing specialist, Jan 12, 2027")
    expect(tue).to_contain_text("appeals")
    tue.get_by_label("Person").select_option(label="Dana Reyes (booked then)")
    tue.get_by_role("button", name="Assign", exact=True).click()
    tue = page.get_by_role("region", name="Lakeside: Billing specialist, Jan 12, 2027")
    person = tue.get_by_label("Person")
    expect(person).to_have_attribute("aria-invalid", "true")
    expect(person).to_have_accessible_description(
        re.compile("Dana Reyes is already booked Tue Jan 12, 8:00 AM–4:00 PM CST at Lakeside"))
    assert_accessible(page, "the staffing week with a refused booking")
    if width == 1280:
        screenshot(page, "console-staffing-week", docs=True)
    else:
        screenshot(page, "console-staffing-week-390")
    assert web.query(bookings) == {(lakeside["id"], st.dana["id"]), (wednesday["id"], st.eli["id"])}

    # Auto-assign books the one who is free (Eli: Wednesday's shift does not overlap)
    tue.get_by_role("button", name="Auto-assign").click()
    expect(page.get_by_role("status")).to_contain_text("Eli Park is booked for the shift")
    expect(page.get_by_role("heading", name="Shift requests waiting for a person (0)")).to_be_visible()
    assert web.query(bookings) == {(lakeside["id"], st.dana["id"]), (wednesday["id"], st.eli["id"]),
                                   (overlapping["id"], st.eli["id"])}
    row = page.get_by_role("region", name=re.compile("one row per staff member")).get_by_role(
        "row", name=re.compile("Eli Park"))
    expect(row).to_contain_text("10:00 AM–2:00 PM")


def test_the_scheduler_records_a_timesheet(web, world, client, run_jobs, monkeypatch):
    st = Staffing(client, world, run_jobs, monkeypatch)
    shift = st.booked(STARTS, ENDS, st.dana)
    st.booked("2027-01-12T15:00:00Z", "2027-01-12T19:00:00Z", st.eli)
    st.set_now("2027-01-13T09:00:00Z")
    page = web.sign_in("scheduler@example.test")
    page.get_by_role("link", name="2 timesheets to record").click()
    expect(page.get_by_role("heading", name="To record (2)")).to_be_visible()
    assert_accessible(page, "the timesheets page")
    sheet = page.get_by_role("region", name="Dana Reyes at Lakeside, Jan 12, 2027")
    expect(sheet.get_by_label("Started")).to_have_value("2027-01-12T08:00")
    sheet.get_by_label("Ended").fill("2027-01-12T07:00")
    sheet.get_by_role("button", name="Record the timesheet of Dana Reyes").click()
    ended = page.get_by_role("region", name="Dana Reyes at Lakeside, Jan 12, 2027").get_by_label("Ended")
    expect(ended).to_have_accessible_description("the shift ends before it starts")
    assert_accessible(page, "the timesheets page with a refused timesheet")
    assert web.query(lambda: db.session.scalars(select(Timesheet)).all()) == []
    ended.fill("2027-01-12T16:15")
    page.get_by_role("region", name="Dana Reyes at Lakeside, Jan 12, 2027").get_by_label("Break (minutes)").fill("30")
    page.get_by_role("button", name="Record the timesheet of Dana Reyes").click()
    expect(page.get_by_role("status")).to_contain_text("The timesheet of Dana Reyes is recorded (7 h 45 min)")
    recorded = page.get_by_role("region", name="Recorded timesheets")
    expect(recorded).to_contain_text("waiting for the practice's approval")
    assert_accessible(page, "the timesheets page after recording")
    screenshot(page, "console-staffing-timesheets", docs=True)
    assert web.query(lambda: db.session.scalars(select(Timesheet.minutes)).all()) == [465]
    assert shift["id"]


def test_the_pool_and_cost_run_pages(web, world, client, run_jobs, monkeypatch):
    st = Staffing(client, world, run_jobs, monkeypatch)
    shift = st.booked(STARTS, ENDS, st.dana)
    st.set_now("2027-02-02T09:00:00Z")
    st.timesheet(shift, STARTS, ENDS, pause=30)
    st.post(f"/api/v1/staffing/assignments/{shift['id']}/timesheet/approve", who="practice_admin", expect=200)
    page = web.sign_in("scheduler@example.test")
    page.goto("/console/staffing")
    page.get_by_role("navigation", name="Staffing pages").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff pool")).to_be_visible()
    assert_accessible(page, "the staff pool")
    screenshot(page, "console-staffing-staff")
    page.get_by_label("Name").fill("Ana Ruiz")
    page.get_by_label("Role").select_option(label="Front-desk float")
    page.get_by_label("Hourly cost (dollars)").fill("28.5")
    page.get_by_role("button", name="Add the staff member").click()
    expect(page.get_by_role("heading", name="Ana Ruiz", exact=True)).to_be_visible()
    assert_accessible(page, "a staff member's page")
    page.get_by_label("Weekday").select_option(label="Saturday")
    page.get_by_label("From", exact=True).first.fill("09:00")
    page.get_by_label("Until", exact=True).first.fill("13:00")
    page.get_by_role("button", name="Add availability").click()
    expect(page.get_by_role("region", name="Availability of Ana Ruiz")).to_contain_text("Saturdays, 9:00 AM–1:00 PM")
    screenshot(page, "console-staffing-person")
    assert web.query(lambda: db.session.scalars(select(StaffMember.hourly_cost_cents).where(
        StaffMember.name == "Ana Ruiz")).one()) == 2850
    page.get_by_role("link", name="Cost runs").click()
    expect(page.get_by_text("Only MSO finance (or an MSO admin) runs a month's staffing costs.")).to_be_visible()
    assert_accessible(page, "the cost runs page (scheduling)")

    finance = web.sign_in(world.users["mso_finance"].email)
    finance.goto("/console/staffing/cost-runs")
    finance.get_by_label("Month", exact=True).fill("2027-01")
    finance.get_by_label("Overhead to share (dollars)").fill("100")
    finance.get_by_role("button", name="Start the cost run").click()
    expect(finance.get_by_role("region", name="Cost run Jan 2027 per practice")).to_contain_text("$343.75",
                                                                                                  timeout=20_000)
    run = finance.get_by_role("region", name="Jan 2027", exact=True)
    expect(run).to_contain_text("finished")
    expect(run).to_contain_text("Labor$243.75")
    assert_accessible(finance, "the cost runs page with a finished run")
    screenshot(finance, "console-staffing-cost-runs")


def test_a_staffing_vendor_sees_its_people(web, world, client, run_jobs, monkeypatch):
    st = Staffing(client, world, run_jobs, monkeypatch)
    agency = VendorFactory(name="StaffRight", kind="staffing")
    UserFactory(organization_id=agency.id, roles=["vendor_admin"], email="admin@staffright.test")
    for person in (st.eli, st.mia):
        db.session.get(StaffMember, person["id"]).vendor_id = agency.id
    db.session.commit()
    st.booked(STARTS, ENDS, st.eli)
    page = web.sign_in("admin@staffright.test")
    page.get_by_role("link", name="Staff", exact=True).first.click()
    expect(page.get_by_role("heading", name="Your staff in the pool")).to_be_visible()
    expect(page.get_by_role("region", name="Eli Park", exact=True)).to_contain_text("accepted by the practice")
    expect(page.get_by_role("region", name="Mia Chen", exact=True)).to_contain_text("No upcoming shift.")
    expect(page.get_by_text("Dana Reyes")).to_have_count(0)
    assert_accessible(page, "the portal's staff page")
    screenshot(page, "portal-staff", docs=True)
    page.get_by_role("link", name="Eli Park").click()
    expect(page.get_by_role("heading", name="Eli Park", exact=True)).to_be_visible()
    assert_accessible(page, "a person on the portal")
