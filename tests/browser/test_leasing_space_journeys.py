"""Shared space in a real browser: MSO finance creates a suite (fixing the rent the
form refused), adds two practices' occupancies, is refused an overlapping one and a third
practice's that does not fit,
and reads January 2027's split with the vacancy as the MSO's share; the practice sees
its own share in the storefront and no other practice. axe-core on every page."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.db import db
from gpo.leasing.models import Occupancy, Space
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import PracticeFactory


def test_finance_creates_a_suite_adds_two_occupancies_and_reads_the_split(web, world):
    PracticeFactory(name="Hillcrest")
    page = web.sign_in("mso_finance@example.test")
    page.goto("/console/leasing/spaces")
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared spaces")
    page.get_by_label("Suite name").fill("Suite 200")
    page.get_by_label("Address").fill("1 Medical Plaza")
    page.get_by_label("Square feet").fill("2500")
    page.get_by_label("Base rent a month (dollars)").fill("10,000.005")
    page.get_by_label("Escalation a year (percent)").fill("3")
    page.get_by_label("Starts on").fill("2025-01-01")
    page.get_by_role("button", name="Create shared space").click()
    rent = page.get_by_label("Base rent a month (dollars)")
    expect(rent).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("at most 2 decimal places (whole cents)")).to_be_visible()
    assert_accessible(page, "the refused suite form")
    rent.fill("$10,000.00")
    page.get_by_role("button", name="Create shared space").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suite 200")
    expect(page.get_by_role("status").filter(has_text="is created")).to_contain_text(
        "Suite 200 is created: 2,500 sq ft at $10,000.00 a month.")

    add = page.locator("section", has=page.get_by_role("heading", name="Add occupancy"))
    for practice, feet in (("Lakeside", "1200"), ("Riverbend", "800")):
        add.get_by_label("Practice").select_option(label=practice)
        add.get_by_label("Square feet").fill(feet)
        add.get_by_label("From").fill("2025-01-01")
        add.get_by_role("button", name="Add occupancy").click()
        expect(page.get_by_role("status").filter(has_text="occupies")).to_contain_text(
            f"{practice} occupies {int(feet):,} sq ft from Jan 1, 2025.")
    # 500 sq ft are left: 600 more is refused at the square feet, with the numbers
    add.get_by_label("Practice").select_option(label="Lakeside")
    add.get_by_label("Square feet").fill("600")
    add.get_by_label("From").fill("2027-01-01")
    add.get_by_role("button", name="Add occupancy").click()
    expect(add.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    expect(add).to_contain_text("never overlap")
    add.get_by_label("Practice").select_option(label="Hillcrest")
    add.get_by_role("button", name="Add occupancy").click()
    expect(add.get_by_label("Square feet")).to_have_attribute("aria-invalid", "true")
    expect(add).to_contain_text("at most 500 sq ft are free on Jan 1, 2027")
    assert_accessible(page, "the refused occupancy")

    page.get_by_label("Month").fill("2027-01")
    page.get_by_role("button", name="Show month").click()
    expect(page.get_by_role("heading", name="The split of January 2027")).to_be_visible()
    split = page.get_by_role("region", name="Split")
    expect(split.get_by_role("row", name=re.compile("Lakeside"))).to_contain_text("$5,092.32")
    expect(split.get_by_role("row", name=re.compile("Riverbend"))).to_contain_text("$3,394.88")
    vacancy = split.get_by_role("row", name=re.compile("Vacant: the MSO's share"))
    expect(vacancy).to_contain_text("500")
    expect(vacancy).to_contain_text("$2,121.80")
    expect(split.get_by_role("row", name=re.compile("Billed to the practices"))).to_contain_text("$8,487.20")
    occupancies = page.get_by_role("region", name="Occupancies")
    expect(occupancies.get_by_role("row")).to_have_count(3)
    assert_accessible(page, "the suite and its split")
    screenshot(page, "console-leasing-space", docs=True)

    def state():
        space = db.session.scalars(select(Space)).one()
        return space.base_rent_cents, sorted(db.session.scalars(select(Occupancy.square_feet)).all())

    assert web.query(state) == (1000000, [800, 1200])

    practice = web.sign_in("practice_admin@example.test")
    practice.goto("/leasing/spaces")
    expect(practice.get_by_role("heading", level=1)).to_have_text("Your shared space")
    main = practice.get_by_role("main")
    expect(main).to_contain_text("1,200 sq ft for 31 of 31 days")
    expect(main).not_to_contain_text("Riverbend")
    assert "Riverbend" not in practice.content()
    assert_accessible(practice, "the practice's shared space")
    screenshot(practice, "storefront-leasing-spaces")
