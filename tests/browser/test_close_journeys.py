"""Closing a cycle in a real browser, THE JOURNEY of the console and the portal:
procurement closes the open cycle from the console and watches the close job finish
(in-process on SQLite; with TEST_REDIS_URL a real RQ worker finishes it while the page
polls, so the test waits on the page for "finished", never on a clock); the supplier
sees the purchase order in its portal, refuses two units and ships the rest to each
location; finance sees the practice's draft purchasing invoice drop the two refused
units and finalizes it.
Another vendor cannot see the purchase order. axe-core on every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.orders.models import Cycle, PurchaseOrder
from tests.browser.conftest import assert_accessible, screenshot
from tests.scenarios import Billing

CLOSE_TIMEOUT_MS = 90_000  # a worker on a busy CI machine; the page polls every second meanwhile


@pytest.fixture
def billing(client, world, run_jobs):
    """The open cycle: Lakeside orders 60 gloves, Riverbend 50 (110 units: 10% off,
    gloves at $17.9910); fees 2.5% by default."""
    market = Billing(client, world, run_jobs)
    assert market.order([(market.gloves, 60)]).status_code == 201
    assert market.order([(market.gloves, 50)], who="other_practice_admin",
                        location=market.other_location).status_code == 201
    return market


def _facts(billing) -> dict:
    """What the journey names, read once before the browser starts (the test's session
    then holds no transaction while the server writes)."""
    w = billing.world
    return {"cycle": billing.cycle.name, "cycle_id": billing.cycle.id, "contract": billing.contract.title,
            "procurement": w.users["mso_procurement"].email, "vendor": w.users["vendor_admin"].email,
            "other_vendor": w.users["other_vendor_admin"].email, "finance": w.users["mso_finance"].email,
            "lakeside": w.location.name, "riverbend": billing.other_location.name, "practice_id": w.practice.id}


def _goods_on_draft(practice_id: int) -> list[tuple[int, int]]:
    """The practice's draft purchasing invoice: its goods lines as (quantity, cents)."""
    invoice = db.session.scalars(select(Invoice).where(
        Invoice.practice_id == practice_id, Invoice.kind == "purchasing", Invoice.status == "draft")).one()
    return [(int(line.quantity), line.amount_cents) for line in invoice.lines if line.order_line_id is not None]


def test_procurement_closes_the_cycle_and_the_vendor_refuses_two_units_and_ships_the_rest(web, billing):
    facts = _facts(billing)
    web.settle()

    # --- procurement: the calendar, the tier dashboard, the close --------------------------
    page = web.sign_in(facts["procurement"])
    expect(page.get_by_role("link", name=re.compile(f"Cycle {facts['cycle']} closes"))).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchasing cycles")
    expect(page.get_by_role("row", name=re.compile(facts["cycle"]))).to_contain_text("open for orders")
    assert_accessible(page, "the console's cycles")
    screenshot(page, "console-cycles", docs=True)

    page.get_by_role("link", name="Tier dashboard").click()
    row = page.get_by_role("row", name=re.compile(facts["contract"]))
    expect(row).to_contain_text("110 units")
    expect(row).to_contain_text("10% off")
    expect(row).to_contain_text("140 units (56.0% to go)")
    assert_accessible(page, "the tier dashboard")
    screenshot(page, "console-tier-dashboard", docs=True)

    page.get_by_role("navigation", name="Cycles pages").get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name=facts["cycle"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(facts["cycle"])
    assert_accessible(page, "an open cycle")
    web.confirm = False  # asked first; answering Cancel closes nothing
    page.get_by_role("button", name="Close the cycle").click()
    assert web.dialogs[-1].startswith(f"Close {facts['cycle']} now?")
    expect(page.get_by_role("button", name="Close the cycle")).to_be_visible()
    assert web.query(lambda: db.session.get(Cycle, facts["cycle_id"]).status) == "open"
    web.confirm = True
    page.get_by_role("button", name="Close the cycle").click()
    progress = page.get_by_role("status").filter(has_text="Closing the cycle (job")
    expect(progress).to_contain_text("finished", timeout=CLOSE_TIMEOUT_MS)  # live: polled, then the page reloads
    expect(page.locator("[data-status]").first).to_have_text("closed")
    result = page.get_by_role("row", name=re.compile(facts["contract"]))
    expect(result).to_contain_text("110 units")
    expect(result).to_contain_text("tier 1: 10% off")
    expect(result).to_contain_text("$2,198.90")
    expect(result).to_contain_text("$1,979.01")
    expect(result).to_contain_text("$219.89")
    assert_accessible(page, "a closed cycle's results")
    screenshot(page, "console-cycle-results", docs=True)

    page.get_by_role("link", name="Purchase orders of this cycle").click()
    po_row = page.get_by_role("row", name=re.compile(r"PO \d+"))
    expect(po_row).to_contain_text("waiting for the vendor's acknowledgement")
    expect(po_row).to_contain_text("$1,979.01")
    assert_accessible(page, "the console's purchase orders")
    screenshot(page, "console-purchase-orders", docs=True)
    po_id = web.query(lambda: db.session.scalars(select(PurchaseOrder.id)).one())
    page.get_by_role("link", name=f"PO {po_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Purchase order {po_id}")
    assert_accessible(page, "a purchase order in the console")

    # --- the vendor: acknowledge line by line, refusing two units; ship the rest ------------
    vendor = web.sign_in(facts["vendor"])
    vendor.get_by_role("link", name="1 purchase order to acknowledge").click()
    assert_accessible(vendor, "the portal's purchase orders")
    vendor.get_by_role("link", name=f"PO {po_id}").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text(f"Purchase order {po_id}")
    assert_accessible(vendor, "a purchase order to acknowledge")
    screenshot(vendor, "portal-purchase-order", docs=True)
    vendor.get_by_role("group", name=re.compile(f"To {facts['lakeside']}")).get_by_label(
        re.compile("units accepted of 60")).fill("58")
    vendor.get_by_role("button", name="Send acknowledgement").click()
    expect(vendor.get_by_role("status").first).to_contain_text("2 lines acknowledged: 2 units rejected.")
    expect(vendor.get_by_role("row", name=re.compile("58 accepted, 2 rejected"))).to_be_visible()
    for location, units in ((facts["lakeside"], 58), (facts["riverbend"], 50)):
        form = vendor.get_by_role("region", name=f"Ship to {location}", exact=True)
        expect(form.get_by_label(re.compile("units to ship"))).to_have_value(str(units))
        form.get_by_label("Carrier").fill("UPS")
        form.get_by_label("Tracking number").fill(f"1Z999AA1{units:010d}")
        form.get_by_role("button", name=f"Ship to {location}").click()
        expect(vendor.get_by_role("status").first).to_contain_text(
            f"Shipment sent: {units} units with UPS, tracking number 1Z999AA1{units:010d}.")
    expect(vendor.get_by_role("region", name=f"Ship to {facts['lakeside']}", exact=True)).to_have_count(0)
    expect(vendor.locator("[data-status]").first).to_have_text("everything accepted has shipped")
    assert_accessible(vendor, "a shipped purchase order")
    screenshot(vendor, "portal-purchase-order-shipped")

    # --- another vendor cannot see it -------------------------------------------------------
    stranger = web.sign_in(facts["other_vendor"])
    response = stranger.goto(f"/portal/purchase-orders/{po_id}")
    assert response.status == 404
    stranger.goto("/portal/purchase-orders")
    expect(stranger.get_by_role("link", name=f"PO {po_id}")).to_have_count(0)
    assert_accessible(stranger, "another vendor's purchase orders")

    finance_sees_the_draft_drop_the_refused_units_and_finalizes_it(web, facts)


def finance_sees_the_draft_drop_the_refused_units_and_finalizes_it(web, facts) -> None:
    """The journey's end: finance opens Lakeside's draft purchasing invoice in the
    console, sees it hold the 58 units left after the refusal (58 x $17.9910 =
    $1,043.48, Riverbend's untouched) and finalizes it."""
    assert web.query(lambda: _goods_on_draft(facts["practice_id"])) == [(58, 104348)]
    draft_id = web.query(lambda: db.session.scalar(select(Invoice.id).where(
        Invoice.practice_id == facts["practice_id"], Invoice.kind == "purchasing", Invoice.status == "draft")))
    page = web.sign_in(facts["finance"])
    page.goto(f"/console/invoices?status=draft&practice_id={facts['practice_id']}")
    page.get_by_role("link", name=f"Draft #{draft_id}").click()
    lines = page.get_by_role("main")
    expect(lines).to_contain_text("58")
    expect(lines).to_contain_text("$1,043.48")
    assert_accessible(page, "the draft purchasing invoice in the console")
    page.get_by_role("button", name="Finalize invoice").click()
    expect(page.get_by_text(re.compile(r"Invoice INV-\d{4}-\d{6} finalized"))).to_be_visible()
    status = web.query(lambda: db.session.get(Invoice, draft_id).status)
    assert status == "open"
    screenshot(page, "console-invoice-after-close")


def test_the_portals_purchase_order_at_390_px_wide(web, billing):
    billing.close()
    vendor_email = billing.world.users["vendor_admin"].email
    po_id = db.session.scalars(select(PurchaseOrder.id)).one()
    web.settle()
    page = web.sign_in(vendor_email, width=390)
    page.goto("/portal/purchase-orders")
    expect(page.get_by_role("link", name=f"PO {po_id}")).to_be_visible()
    assert_accessible(page, "the portal's purchase orders at 390 px")
    page.get_by_role("link", name=f"PO {po_id}").click()
    expect(page.get_by_role("button", name="Send acknowledgement")).to_be_visible()
    assert_accessible(page, "a purchase order at 390 px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px wide"
    screenshot(page, "portal-purchase-order-390")
