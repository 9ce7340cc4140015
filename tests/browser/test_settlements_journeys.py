"""Paying a vendor in a real browser, by role and accessible name. THE JOURNEY: MSO
finance runs a settlement through yesterday and is told at the date that nothing
approved is left by then; runs it through today; opens Acme's settlement, reads the
remittance advice (invoices 182,050 cents, 2.5% netted 2,699 + 1,799, payable 177,552),
and marks it sent with the bank reference. Then Acme's admin sees it sent in the
portal and downloads the advice as CSV, whose rows add up to the payable. axe-core on
every page."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gpo.payables.models import VendorSettlement
from tests.browser.conftest import assert_accessible, screenshot
from tests.settling import TODAY, nets_its_fee, shipped_and_received, vendor_invoice


@pytest.fixture
def invoiced(after_close):
    shipped_and_received(after_close)
    nets_its_fee(after_close, "2.5")
    world = after_close.world
    vendor_invoice(after_close, "INV-1", [(after_close.line(world.location), 60)], freight_cents=1250,
                   tax={world.location.id: 890})
    vendor_invoice(after_close, "INV-2", [(after_close.line(after_close.other_location), 40)])
    return after_close


def test_finance_runs_a_settlement_and_marks_it_sent_and_the_vendor_downloads_its_advice(web, world, invoiced):
    page = web.sign_in(world.users["mso_finance"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settlements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settlements")
    expect(page.get_by_role("main")).to_contain_text("No settlement yet.")
    assert_accessible(page, "the empty settlements list")

    run = page.get_by_role("form", name="Run a settlement")
    yesterday = TODAY - dt.timedelta(days=1)
    run.get_by_label("Invoices issued through").fill(str(yesterday))
    run.get_by_role("button", name="Run settlement").click()
    through = page.get_by_role("form", name="Run a settlement").get_by_label("Invoices issued through")
    expect(through).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(f"nothing approved to settle through {yesterday}").first).to_be_visible()
    assert_accessible(page, "the refused run")

    through.fill(str(TODAY))
    page.get_by_role("form", name="Run a settlement").get_by_role("button", name="Run settlement").click()
    expect(page.get_by_role("status").filter(has_text="has started")).to_be_visible()
    table = page.get_by_role("region", name="Settlements")
    row = table.get_by_role("row", name=re.compile("Settlement #"))
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("$1,775.52")
    row.get_by_role("link", name=re.compile("Settlement #")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme")
    expect(page.get_by_role("region", name="Invoices paid").get_by_role("row", name=re.compile("INV-1"))).to_contain_text(
        "$1,100.86")
    netted = page.get_by_role("region", name="Admin fees netted")
    expect(netted.get_by_role("row", name=re.compile("INV-1"))).to_contain_text("−$26.99")
    expect(netted.get_by_role("row", name=re.compile("INV-2"))).to_contain_text("−$17.99")
    expect(page.locator("#payable")).to_have_text("$1,775.52")
    assert_accessible(page, "the settlement and its remittance advice")
    screenshot(page, "console-settlement", docs=True)

    send = page.get_by_role("form", name="Mark sent")
    send.get_by_label("Bank reference").fill("ACH-20270203-0001")
    send.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_role("status").filter(has_text="is sent")).to_contain_text(
        "is sent: $1,775.52 (bank reference ACH-20270203-0001)")
    expect(page.get_by_role("form", name="Mark sent")).to_have_count(0)
    settlement = web.query(lambda: invoiced_settlement())
    assert (settlement.status, settlement.bank_reference, settlement.payable_cents) == ("sent", "ACH-20270203-0001",
                                                                                        177552)

    vendor = web.sign_in(world.users["vendor_admin"].email)
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Settlements").click()
    row = vendor.get_by_role("region", name="Settlements").get_by_role("row", name=re.compile("Settlement #"))
    expect(row).to_contain_text("sent to the bank")
    expect(row).to_contain_text("ACH-20270203-0001")
    assert_accessible(vendor, "the vendor's settlements")
    row.get_by_role("link", name=re.compile("Settlement #")).click()
    expect(vendor.get_by_role("heading", name="Remittance advice")).to_be_visible()
    assert_accessible(vendor, "the vendor's remittance advice")
    with vendor.expect_download() as download:
        vendor.get_by_role("link", name="Download the remittance advice as CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [(r["line"], r["amount_cents"]) for r in rows] == [
        ("invoice", "110086"), ("invoice", "71964"), ("admin_fee_netted", "-2699"), ("admin_fee_netted", "-1799"),
        ("payable", "177552")]


def invoiced_settlement():
    from gpo.db import db

    return db.session.scalars(select(VendorSettlement)).one()
