"""Vendor invoices in a real browser: Acme's admin sends an invoice from the portal's
prefilled form with a price above the contract's (fixing the freight the form refused),
reads that it waits for MSO finance; MSO finance finds it on the console's start page,
reads each line's match and approves it with a reason. axe-core on every page."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.db import db
from gpo.payables.models import VendorInvoice
from tests.browser.conftest import assert_accessible, screenshot
from tests.vendor_invoice_scenarios import Invoicing


def test_the_vendor_invoices_above_contract_and_finance_approves_it_with_a_reason(web, after_close):
    inv = Invoicing(after_close)
    inv.received()
    gloves, lakeside = after_close.gloves.name, inv.world.location.name

    vendor = web.sign_in("vendor_admin@example.test")
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices", exact=True).click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Invoices")
    assert_accessible(vendor, "the portal's invoices")
    vendor.get_by_label("Purchase order", exact=True).select_option(label=f"Purchase order {inv.po.id}")
    vendor.get_by_role("button", name="Send an invoice").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text(f"Send an invoice for purchase order {inv.po.id}")
    expect(vendor.get_by_label(f"Units of {gloves} to {lakeside}")).to_have_value("60")  # what shipped
    price = vendor.get_by_label(f"Unit price of {gloves} to {lakeside} ($)")
    expect(price).to_have_value("17.9910")  # the contract price
    vendor.get_by_label("Your invoice number").fill("ACME-7")
    price.fill("18.2500")
    vendor.get_by_label("Freight ($)").fill("25.015")
    vendor.get_by_role("button", name="Send invoice").click()
    freight = vendor.get_by_label("Freight ($)")
    expect(freight).to_have_attribute("aria-invalid", "true")
    expect(vendor.locator("#f-freight-error")).to_contain_text("at most 2 decimal places")
    assert_accessible(vendor, "the refused invoice form")
    assert web.query(lambda: db.session.scalars(select(VendorInvoice)).all()) == []
    freight.fill("25.01")
    vendor.get_by_role("button", name="Send invoice").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Invoice ACME-7")
    expect(vendor.get_by_text(re.compile(r"Invoice ACME-7 is sent \(\$2,019\.56\)"))).to_be_visible()
    expect(vendor.get_by_text("MSO finance reviews the exception", exact=False)).to_be_visible()
    expect(vendor.get_by_role("row", name=re.compile(lakeside))).to_contain_text("above the contract price")
    assert_accessible(vendor, "the portal's invoice")
    screenshot(vendor, "portal-vendor-invoice-exception", docs=True)

    finance = web.sign_in("mso_finance@example.test")
    finance.get_by_role("link", name="1 vendor invoice with exceptions").click()
    expect(finance.get_by_role("heading", level=1)).to_have_text("Vendor invoices")
    assert_accessible(finance, "the console's vendor invoices")
    finance.get_by_role("link", name="ACME-7").click()
    expect(finance.get_by_role("heading", level=1)).to_have_text("Vendor invoice ACME-7 from Acme")
    expect(finance.get_by_role("row", name=re.compile(lakeside))).to_contain_text("$15.54")  # 1,095.00 - 1,079.46
    assert_accessible(finance, "the console's vendor invoice")
    finance.get_by_label("Why approve it").fill("Acme's price rise was agreed on 14 January")
    finance.get_by_role("button", name="Approve invoice").click()
    assert web.dialogs and web.dialogs[-1].startswith("Approve vendor invoice ACME-7")
    expect(finance.get_by_text("Vendor invoice ACME-7 is approved", exact=False)).to_be_visible()
    expect(finance.get_by_role("button", name="Approve invoice")).to_have_count(0)
    expect(finance.get_by_text("Acme's price rise was agreed on 14 January", exact=False)).to_be_visible()
    assert_accessible(finance, "the approved vendor invoice")
    screenshot(finance, "console-vendor-invoice-approved", docs=True)
    invoice = web.query(lambda: db.session.scalars(select(VendorInvoice)).one())
    assert (invoice.status, invoice.decision_reason, invoice.exception_cents) == (
        "approved", "Acme's price rise was agreed on 14 January", 1554)
    assert invoice.passed_through_at is not None
