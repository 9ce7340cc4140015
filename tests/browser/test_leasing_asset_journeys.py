"""Leasing's assets in a real browser: MSO finance records a practice's X-ray unit bought
for a sale-leaseback (fixing the field the form refused), reads where it came from,
and compares two sets of terms side by side (the HP 12C figures beside a 60-month
lease), opening one full schedule. By role and accessible name; axe-core on every
page; the comparison at 390 px wide too."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.billing.models import Credit
from gpo.db import db
from gpo.leasing.models import Asset
from tests.browser.conftest import assert_accessible, screenshot


def test_finance_records_a_sale_leaseback_and_compares_two_terms_side_by_side(web, world):
    lakeside = world.practice.id
    page = web.sign_in("mso_finance@example.test")
    page.goto("/console/leasing/assets")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assets")
    expect(page.get_by_role("navigation", name="Leasing").get_by_role("link", name="Assets")).to_have_attribute(
        "aria-current", "page")
    new = page.get_by_role("region", name="New asset")
    new.get_by_label("Description").fill("Digital X-ray unit")
    new.get_by_role("checkbox", name=re.compile("^Clinical")).check()
    new.get_by_label("Serial number (optional)").fill("DRX-20417")
    new.get_by_label("Cost ($)").fill("22,000.005")
    new.get_by_label("Fair value ($)").fill("22,000")
    new.get_by_label("Economic life (months)").fill("96")
    new.get_by_label("Bought from a practice (sale-leaseback)").select_option(label="Lakeside")
    new.get_by_role("button", name="Record asset").click()
    cost = page.get_by_role("region", name="New asset").get_by_label("Cost ($)")
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(cost).to_have_accessible_description(re.compile("at most 2 decimal places"))
    assert_accessible(page, "the asset form refused")
    cost.fill("22,000.00")
    page.get_by_role("button", name="Record asset").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Digital X-ray unit")
    asset, credit = web.query(lambda: (db.session.scalars(select(Asset)).one(), db.session.scalars(select(Credit)).one()))
    assert (asset.cost_cents, credit.amount_cents, credit.practice_id) == (2200000, 2200000, lakeside)
    expect(page.get_by_role("status")).to_contain_text(
        f"bought from Lakeside for $22,000.00, credited to the practice (credit #{credit.id}")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Bought from Lakeside on")
    expect(history).to_contain_text("It has not been leased yet.")
    assert_accessible(page, "the asset's page")

    page.get_by_role("link", name="Quote a lease").click()
    expect(page.get_by_label("Asset")).to_have_value(str(asset.id))
    page.get_by_label("Practice").select_option(label="Lakeside")
    a = page.get_by_role("group", name="Terms A")
    a.get_by_label("Term (months)").fill("48")
    a.get_by_label("Annual rate (%)").fill("15")
    a.get_by_label("Rents in advance").fill("4")
    a.get_by_label("Residual, the purchase option ($)").fill("6,600")
    b = page.get_by_role("group", name="Terms B")
    expect(b.get_by_label("Term (months)")).to_have_value("60")
    expect(page.get_by_role("group", name="Terms C").get_by_label("Term (months)")).to_have_value("")
    page.get_by_role("button", name="Compare").click()

    comparison = page.get_by_role("region", name="Comparison")
    expect(comparison.get_by_role("columnheader")).to_have_text(["Figure", "Terms A", "Terms B"])
    rent = comparison.get_by_role("row", name=re.compile("^Rent a month"))
    expect(rent.get_by_role("cell")).to_have_text(["$487.29", re.compile(r"^\$\d")])
    expect(comparison.get_by_role("row", name=re.compile("^Due at signing"))).to_contain_text("$1,949.16")
    expect(comparison.get_by_role("row", name=re.compile("^Present value and fair value"))).to_contain_text("of the fair value")
    expect(comparison.get_by_role("row", name=re.compile("^Classification"))).to_be_visible()
    assert_accessible(page, "two terms side by side")
    screenshot(page, "console-lease-quote", docs=True)

    page.get_by_text("Full schedule, terms a (48 months)").click()
    schedule = page.get_by_role("region", name="Schedule, terms a")
    expect(schedule.get_by_role("row")).to_have_count(49)
    expect(schedule.get_by_role("row", name=re.compile("^48 "))).to_contain_text("$6,600.00")
    assert_accessible(page, "a full schedule open")

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("region", name="Comparison")).to_be_visible()
    assert_accessible(page, "the comparison at 390 px")
