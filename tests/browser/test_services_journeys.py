"""The storefront's services in a real browser: enrolling a provider in the group
malpractice program after a live quote, requesting a shift and approving its
timesheet (also at 390 px wide), and adding a provider whose NPI is refused at the
field before a good one is added."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from gpo.accounts.models import Provider
from gpo.db import db
from gpo.insurance.models import Enrollment
from gpo.staffing.models import ShiftRequest, Timesheet
from tests.browser.conftest import assert_accessible, screenshot
from tests.scenarios import Insurance, Staffing, at


def test_a_practice_admin_enrolls_a_provider_after_a_live_quote(web, world, client, run_jobs):
    ins = Insurance(client, world, run_jobs)
    program = ins.program()
    provider_id = world.provider.id
    page = web.sign_in(world.users["practice_admin"].email)
    page.goto("/insurance")
    expect(page.get_by_role("heading", name="Malpractice insurance")).to_be_visible()
    expect(page.get_by_text("0 providers enrolled across the group")).to_be_visible()
    assert_accessible(page, "the insurance page")
    page.get_by_role("link", name=re.compile("Your enrollments and quotes")).click()
    page.get_by_label("Provider", exact=True).select_option(str(provider_id))
    page.get_by_label("Limits", exact=True).select_option("1M/3M")
    page.get_by_label("FTE (0.1 to 1.0)", exact=True).fill("0.5")
    page.get_by_label("Claims-made year", exact=True).fill("2")
    page.get_by_label("Claims-free years", exact=True).fill("4")
    page.get_by_label("Installments", exact=True).select_option("4")
    page.get_by_role("button", name="Get quote").click()
    breakdown = page.get_by_role("table", name=re.compile("Premium breakdown"))
    expect(breakdown).to_contain_text("$12,000.00")
    expect(breakdown).to_contain_text("$3,420.00")
    expect(page.get_by_role("table", name="4 installments")).to_contain_text("$855.00")
    assert web.query(lambda: db.session.scalar(select(func.count(Enrollment.id)))) == 0  # a quote stores nothing
    assert_accessible(page, "the program page with a quote")
    screenshot(page, "insurance", docs=True)
    page.get_by_role("button", name="Enroll", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("is enrolled: 1M/3M, premium $3,420.00")
    expect(page.get_by_role("region", name="Your practice's enrollments")).to_contain_text("$855.00 due")
    assert_accessible(page, "the program page after enrolling")
    assert web.query(lambda: db.session.scalars(select(Enrollment.premium_cents)).all()) == [None]  # a quote until bound
    assert web.query(lambda: db.session.scalar(select(func.count(Enrollment.id)))) == 1
    assert program["id"]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_shift_is_requested_accepted_and_its_timesheet_approved(web, world, client, run_jobs, monkeypatch, width):
    st = Staffing(client, world, run_jobs, monkeypatch)
    dana = st.dana
    page = web.sign_in(world.users["practice_admin"].email, width=width)
    page.goto("/staffing")
    assert_accessible(page, "the staffing page")
    page.get_by_label("Location", exact=True).select_option(label=world.location.name)
    page.get_by_label("Role", exact=True).select_option(label="Billing specialist")
    page.get_by_label("Starts", exact=True).fill("2027-01-12T08:00")
    page.get_by_label("Ends", exact=True).fill("2027-01-12T16:00")
    page.get_by_label("Notes for scheduling (optional)", exact=True).fill("cover for leave")
    page.get_by_role("button", name="Request the shift").click()
    expect(page.get_by_role("status")).to_contain_text("is sent to MSO scheduling")
    expect(page.get_by_role("region", name="Your shift requests")).to_contain_text("Jan 12, 2027, 8:00 AM CST")
    request_id, starts = web.query(lambda: db.session.execute(select(ShiftRequest.id, ShiftRequest.starts_at)).one())
    assert starts == at("2027-01-12T14:00:00Z")
    assignment = st.assign({"id": request_id}, dana)  # MSO scheduling books Dana
    web.settle()
    page.reload()
    page.get_by_role("button", name="Accept Dana Reyes").click()
    expect(page.get_by_role("status")).to_contain_text("Dana Reyes is accepted for the shift.")
    st.set_now("2027-01-14T09:00:00Z")  # after the shift, scheduling records what was worked
    st.timesheet(assignment, "2027-01-12T14:05:00Z", "2027-01-12T22:00:00Z", pause=30)
    web.settle()
    page.reload()
    expect(page.get_by_text("7 h 25 min")).to_be_visible()
    assert_accessible(page, "the staffing page with a timesheet")
    if width == 1280:
        screenshot(page, "staffing", docs=True)
    else:
        screenshot(page, "staffing-390")
    page.get_by_role("button", name="Approve the timesheet of Dana Reyes").click()
    expect(page.get_by_role("status")).to_contain_text("The timesheet of Dana Reyes is approved.")
    assert web.query(lambda: db.session.scalars(select(Timesheet.status)).all()) == ["approved"]


def test_a_bad_npi_is_shown_at_the_field_then_a_good_one_is_added(web, world):
    page = web.sign_in(world.users["practice_admin"].email)
    page.goto("/staffing")
    page.get_by_role("link", name="Practice").click()  # the nav link practice admins have
    expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    assert_accessible(page, "the practice page")
    page.get_by_label("First name", exact=True).fill("Rosa")
    page.get_by_label("Last name", exact=True).fill("Diaz")
    page.get_by_label("NPI", exact=True).fill("1234567890")
    page.get_by_label("Specialty", exact=True).fill("pediatrics")
    page.get_by_label("With the practice from", exact=True).fill("2026-02-01")
    page.get_by_role("button", name="Add the provider").click()
    npi = page.get_by_label("NPI", exact=True)
    expect(npi).to_have_attribute("aria-invalid", "true")
    expect(npi).to_have_accessible_description(re.compile("not a valid NPI"))
    expect(page.get_by_label("First name", exact=True)).to_have_value("Rosa")
    assert_accessible(page, "the practice page with a refused provider")
    assert web.query(lambda: db.session.scalar(select(func.count(Provider.id)).where(Provider.npi == "1234567890"))) == 0
    npi.fill("1234567893")
    page.get_by_role("button", name="Add the provider").click()
    expect(page.get_by_role("status")).to_contain_text("Rosa Diaz (NPI 1234567893) is added.")
    expect(page.get_by_role("region", name="The practice's providers")).to_contain_text("1234567893")
    screenshot(page, "practice", docs=True)
    assert web.query(lambda: db.session.scalar(select(func.count(Provider.id)).where(
        Provider.npi == "1234567893", Provider.practice_id == world.practice.id))) == 1


def tab_to(page, target, presses: int = 60) -> None:
    """Press Tab until `target` has the focus (the keyboard alone, no clicks)."""
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_a_location_is_added_with_the_keyboard_alone(web, world):
    page = web.sign_in(world.users["practice_admin"].email)
    page.goto("/practice")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Location name", exact=True))
    for text in ("North clinic", "9 Oak Ave"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # address line 2 stays empty
    for text in ("Madison", "WI", "53704"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add the location")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Location North clinic is added.")
    expect(page.get_by_role("region", name="The practice's locations")).to_contain_text("9 Oak Ave, Madison, WI 53704")
    assert_accessible(page, "the practice page after adding a location")
