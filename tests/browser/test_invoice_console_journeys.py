"""The console's invoices and billing runs in a real browser, by role and accessible
name: MSO finance filters the drafts, finalizes two at once, opens one and issues a
credit note (a bad amount refused at its field first); finance starts a billing run
and watches its job finish, and asking for the month again bills nothing twice; the
list at 390 px; procurement sees why invoices are not offered. axe-core on every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from gpo.billing.models import BillingRun, Credit, FeeSchedule, Invoice
from gpo.db import db, utcnow
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import InvoiceFactory

MONTH = f"{utcnow():%Y-%m}"


@pytest.fixture
def drafts(world):
    """Three drafts (Lakeside $175.00 and $250.00, Riverbend $99.99) and an open invoice."""
    made = [InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], description="Membership A"),
            InvoiceFactory(practice_id=world.other_practice.id, amounts=[9999], description="Membership B"),
            InvoiceFactory(practice_id=world.practice.id, amounts=[25000], description="Membership C")]
    InvoiceFactory(practice_id=world.practice.id, amounts=[15000], issued=True)
    db.session.commit()
    return [invoice.id for invoice in made]


def test_finance_filters_drafts_finalizes_two_at_once_and_credits_one(web, world, drafts):
    first, second, third = drafts
    page = web.sign_in(world.users["mso_finance"].email)
    expect(page.get_by_role("link", name="3 draft invoices to finalize")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_label("Status").select_option(label="being prepared (draft)")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table", name=re.compile("matching the filters"))
    expect(table).to_contain_text("3 invoices matching the filters, $524.99 in all")
    page.get_by_label(f"Select draft invoice #{first}, Lakeside").check()
    page.get_by_label(f"Select draft invoice #{second}, Riverbend").check()
    assert_accessible(page, "the console's invoice list")
    screenshot(page, "console-invoices", docs=True)

    page.get_by_role("button", name="Finalize selected").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(
        r"Finalized 2 invoices: INV-\d{4}-\d{6} \(\$175\.00\), INV-\d{4}-\d{6} \(\$99\.99\)\."))
    expect(page.get_by_role("table", name=re.compile("matching the filters"))).to_contain_text(
        "1 invoice matching the filters, $250.00 in all")  # still the drafts: the one left
    statuses = web.query(lambda: [db.session.get(Invoice, i).status for i in drafts])
    assert statuses == ["open", "open", "draft"]
    number = web.query(lambda: db.session.get(Invoice, first).number)

    page.get_by_label("Status").select_option(label="open: awaiting payment")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")
    expect(page.get_by_role("row", name="Total $175.00", exact=True)).to_be_visible()

    amount = page.get_by_label("Amount to credit, in dollars")
    amount.fill("12.345")
    page.get_by_label("Reason for the credit").fill("damaged in transit")
    page.get_by_role("button", name="Issue credit note").click()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description(re.compile("at most 2 decimal places"))
    assert web.query(lambda: db.session.scalar(select(func.count(Credit.id)))) == 0
    assert_accessible(page, "the invoice with a refused credit note")

    amount.fill("12.34")
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Credit note INV-\d{4}-\d{6} issued for \$12\.34"))
    notes = page.get_by_role("table", name="Credit notes correcting this invoice")
    expect(notes).to_contain_text("damaged in transit")
    expect(notes).to_contain_text("-$12.34")
    expect(page.get_by_role("main")).to_contain_text("At most $162.66 is left to credit")
    assert_accessible(page, "the console's invoice page")
    screenshot(page, "console-invoice", docs=True)
    assert web.query(lambda: db.session.scalars(select(Credit.amount_cents)).all()) == [1234]

    page.get_by_role("link", name="Printable view").click()
    expect(page.get_by_role("row", name="Total $175.00", exact=True)).to_be_visible()
    assert_accessible(page, "the printable invoice from the console")
    page.get_by_role("link", name="Back to the invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")


def test_finance_voids_a_draft_and_sees_why_a_purchasing_invoice_is_not_voided(web, world, drafts):
    purchasing = InvoiceFactory(practice_id=world.practice.id, kind="purchasing", amounts=[107946], issued=True)
    db.session.commit()
    page = web.sign_in(world.users["mso_finance"].email)
    page.goto(f"/console/invoices/{drafts[2]}")
    page.get_by_label("Reason for voiding").fill("billed twice")
    page.get_by_role("button", name="Void invoice").click()
    expect(page.get_by_role("main")).to_contain_text("This invoice is void")
    assert_accessible(page, "a void invoice")
    page.goto(f"/console/invoices/{purchasing.id}")
    expect(page.get_by_role("button", name="Void invoice")).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("a purchasing invoice is not voided: correct it with a credit note")
    assert web.query(lambda: db.session.get(Invoice, drafts[2]).status) == "void"


def test_finance_starts_a_billing_run_and_watches_it_finish(web, world):
    db.session.add(FeeSchedule(is_default=True, service_fee_percent=2, monthly_membership_cents=15000, pmpm_cents=2500))
    db.session.commit()
    page = web.sign_in(world.users["mso_finance"].email)
    page.goto("/console/invoices")
    page.get_by_role("link", name="Billing runs").click()
    expect(page.get_by_role("main")).to_contain_text("No billing run yet.")
    assert_accessible(page, "the billing runs")
    page.get_by_label("Kind of run").select_option("membership")
    page.get_by_label("Month").fill(MONTH)
    page.get_by_role("button", name="Start billing run").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Membership run for")
    progress = page.get_by_role("status").filter(has_text="Billing run (job")
    expect(progress).to_contain_text("finished", timeout=30_000)  # reloads itself when the job ends
    result = page.locator("#run-result")  # (the paragraph the result heading introduces)
    expect(page.get_by_role("region", name="Result")).to_contain_text("2 invoices for")
    expect(result).to_contain_text("$325.00 in all")
    expect(result).to_contain_text("Its latest job drafted 2 new invoices.")
    invoices_table = page.get_by_role("table", name=re.compile("membership invoices"))
    expect(invoices_table.get_by_role("row").filter(has_text="Lakeside")).to_contain_text("$175.00")
    expect(invoices_table.get_by_role("row").filter(has_text="Riverbend")).to_contain_text("$150.00")
    assert_accessible(page, "a billing run")
    screenshot(page, "console-billing-run", docs=True)

    page.get_by_role("link", name="All billing runs").click()
    page.get_by_label("Month").fill(MONTH)
    page.get_by_role("button", name="Start billing run").click()
    expect(page.get_by_role("status").filter(has_text="already has its membership run")).to_contain_text(
        "asked again, it drafts only what is missing")
    expect(page.get_by_role("region", name="Result")).to_contain_text("Its latest job drafted nothing new",
                                                                      timeout=30_000)
    assert web.query(lambda: (db.session.scalar(select(func.count(Invoice.id))),
                              db.session.scalar(select(func.count(BillingRun.id))))) == (2, 1)

    page.get_by_role("link", name="Finalize the draft membership invoices").click()
    expect(page.get_by_role("table", name=re.compile("matching the filters"))).to_contain_text(
        "2 invoices matching the filters, $325.00 in all")


def test_the_invoice_list_at_390_px(web, world, drafts):
    page = web.sign_in(world.users["mso_finance"].email, width=390)
    page.goto("/console/invoices?status=draft")
    expect(page.get_by_role("button", name="Finalize selected")).to_be_visible()
    assert_accessible(page, "the console's invoice list at 390 px")
    screenshot(page, "console-invoices-390")


def test_procurement_sees_why_invoices_are_not_offered(web, world, drafts):
    page = web.sign_in(world.users["mso_procurement"].email)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices", exact=True)).to_have_count(0)
    response = page.goto("/console/invoices")
    assert response.status == 403
    expect(page.get_by_role("main")).to_contain_text("Only MSO finance and MSO admins work with invoices")
    assert_accessible(page, "invoices not offered to procurement")
