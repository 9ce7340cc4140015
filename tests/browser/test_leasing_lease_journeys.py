"""Leasing in a real browser: MSO finance offers an ultrasound to a practice from the
console's offer form (fixing the field the form refused), the practice's physician
finds the offer in the storefront, reads its terms and schedule, signs it and opens
the commencement invoice. axe-core on every page; the lease page at 390 px wide."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.leasing.models import Lease
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import AssetFactory

COMMENCES = utcnow().date() + dt.timedelta(days=40)


def test_finance_offers_an_ultrasound_and_the_physician_signs_it(web, world):
    asset = AssetFactory(description="Portable ultrasound GE Vscan Air")
    finance = web.sign_in("mso_finance@example.test")
    finance.get_by_role("navigation", name="Main").get_by_role("link", name="Leasing").click()
    expect(finance.get_by_role("heading", level=1)).to_have_text("Leases")
    finance.get_by_role("link", name="Offer a lease").click()
    finance.get_by_label("Asset", exact=True).select_option(
        label=f"Portable ultrasound GE Vscan Air (asset {asset.id}, clinical)")
    finance.get_by_label("Practice", exact=True).select_option(label="Lakeside")
    finance.get_by_label("Term (months, 1 to 120)").fill("60")
    finance.get_by_label("Annual rate (%)").fill("8")
    finance.get_by_label("Down payment ($)").fill("2,500.00")
    finance.get_by_label("Rents paid in advance").fill("1")
    finance.get_by_label("Purchase option at the end ($)").fill("70,000.00")  # above the $62,000 cost
    finance.get_by_label("Commences on").fill(COMMENCES.isoformat())
    finance.get_by_role("button", name="Offer lease").click()
    residual = finance.get_by_label("Purchase option at the end ($)")
    expect(residual).to_have_attribute("aria-invalid", "true")
    expect(finance.locator("#f-residual-error")).to_contain_text("cost")
    assert_accessible(finance, "the refused offer form")
    residual.fill("5,000.00")
    finance.get_by_role("button", name="Offer lease").click()
    expect(finance.get_by_role("heading", level=1)).to_contain_text("Portable ultrasound GE Vscan Air to Lakeside")
    expect(finance.get_by_text(re.compile(r"Lease \d+ is offered to the practice"))).to_be_visible()
    assert_accessible(finance, "the console's lease page")
    screenshot(finance, "console-lease-offered")
    lease = web.query(lambda: db.session.scalars(select(Lease)).one())
    assert (lease.status, lease.down_payment_cents, lease.residual_cents) == ("offered", 250000, 500000)
    rent = f"${lease.rent_cents / 100:,.2f}"

    physician = web.sign_in("practice_physician@example.test")
    physician.get_by_role("navigation", name="Main").get_by_role("link", name="Leasing").click()
    offers = physician.get_by_role("region", name="Offers waiting for your signature")
    expect(offers.get_by_role("row", name=re.compile("Portable ultrasound"))).to_contain_text(rent)
    assert_accessible(physician, "the storefront's leasing page")
    offers.get_by_role("link", name=f"Review lease {lease.id}").click()
    expect(physician.get_by_text(f"The rent is {rent} a month for 60 months", exact=False)).to_be_visible()
    schedule = physician.get_by_role("region", name="Schedule")
    expect(schedule.get_by_role("row")).to_have_count(61)  # the heading and 60 months
    assert_accessible(physician, "the lease waiting for signature")
    physician.get_by_role("button", name="Sign lease").click()
    assert web.dialogs and web.dialogs[-1].startswith(f"Sign lease {lease.id} of Portable ultrasound GE Vscan Air for ")
    expect(physician.get_by_text(f"Lease {lease.id} is signed", exact=False)).to_be_visible()
    expect(physician.get_by_role("button", name="Sign lease")).to_have_count(0)
    due = f"${(250000 + lease.rent_cents) / 100:,.2f}"  # the down payment and the first rent
    invoice_link = physician.get_by_role("link", name=re.compile(r"^INV-\d{4}-\d{6}$"))
    expect(invoice_link).to_be_visible()
    assert_accessible(physician, "the signed lease")
    screenshot(physician, "storefront-lease-signed", docs=True)
    narrow = web.sign_in("practice_physician@example.test", width=390)
    narrow.goto(f"/leasing/leases/{lease.id}")
    assert_accessible(narrow, "the lease page at 390 px")
    # the wide tables scroll in their own region: the page itself is no wider than the screen
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    narrow.goto("/leasing")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390

    invoice_link.click()
    expect(physician.get_by_role("heading", level=1)).to_contain_text("INV-")
    expect(physician.get_by_text(due).first).to_be_visible()
    expect(physician.get_by_text("Down payment: Portable ultrasound GE Vscan Air", exact=False)).to_be_visible()

    def state():
        signed = db.session.get(Lease, lease.id)
        invoice = db.session.get(Invoice, signed.commencement_invoice_id)
        return signed.status, signed.signed_by, invoice.total_cents, invoice.due_on

    assert web.query(state) == ("active", "practice_physician@example.test", 250000 + lease.rent_cents, COMMENCES)
