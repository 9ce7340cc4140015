"""Receiving in a real browser: Lakeside's buyer finds Acme's shipment under
Receiving, records 58 good and 2 damaged of its 60 gloves (after a refused try above
what shipped), sees the claim open; Acme's admin finds "1 claim to resolve" on the
portal's start page and credits it, confirming; Lakeside's issued invoice gets its
credit note to the cent. axe-core on every page."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.receiving.models import Claim
from tests.browser.conftest import assert_accessible, screenshot


def test_the_buyer_receives_two_damaged_and_the_vendor_credits_the_claim(web, world, after_close):
    after_close.accept_all()
    shipment = after_close.ship(after_close.line(), 60, tracking="1Z999AA10123456784")
    after_close.finalize(after_close.invoice_of(world.practice, kind="purchasing")["id"])

    buyer = web.sign_in("practice_buyer@example.test")
    buyer.get_by_role("navigation", name="Main").get_by_role("link", name="Receiving").click()
    expect(buyer.get_by_role("heading", level=1)).to_have_text("Receiving")
    waiting = buyer.get_by_role("region", name="Waiting to be received", exact=True)
    expect(waiting).to_contain_text("1Z999AA10123456784")
    assert_accessible(buyer, "the storefront's receiving page")
    waiting.get_by_role("link", name=f"Receive shipment {shipment['id']}").click()
    buyer.get_by_label("Good units").fill("59")
    buyer.get_by_label("Damaged units").fill("2")
    buyer.get_by_role("button", name="Record receipt").click()
    good = buyer.get_by_label("Good units")
    expect(good).to_have_attribute("aria-invalid", "true")
    expect(buyer.get_by_role("main")).to_contain_text("59 good and 2 damaged are more than the 60 shipped")
    assert_accessible(buyer, "the refused receipt")
    good.fill("58")
    buyer.get_by_role("button", name="Record receipt").click()
    expect(buyer.get_by_text("Received 1 line: 58 good, 2 damaged.", exact=False)).to_be_visible()
    received = buyer.get_by_role("region", name="Received", exact=True)
    expect(received).to_contain_text("open: waiting for the vendor")
    assert_accessible(buyer, "the received shipment")
    screenshot(buyer, "storefront-shipment-received", docs=True)
    claim = web.query(lambda: db.session.scalars(select(Claim)).one())
    assert (claim.damaged_quantity, claim.missing_quantity) == (2, 0)

    vendor = web.sign_in("vendor_admin@example.test")
    vendor.get_by_role("link", name="1 claim to resolve").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Claims")
    expect(vendor.get_by_role("row", name=f"Claim {claim.id}", exact=False)).to_contain_text("$35.98")
    assert_accessible(vendor, "the portal's claims")
    vendor.get_by_role("button", name=f"Credit the practice for claim {claim.id}").click()
    assert web.dialogs and web.dialogs[-1].startswith("Credit Lakeside for 2 × ")
    expect(vendor.get_by_text(f"Claim {claim.id}: 2 units credited to the practice.", exact=False)).to_be_visible()
    expect(vendor.get_by_role("button", name=f"Credit the practice for claim {claim.id}")).to_have_count(0)
    assert_accessible(vendor, "the credited claim")
    screenshot(vendor, "portal-claim-credited", docs=True)
    # goods line_cents(17.9910, 2) = 3598 and the 2.5% fee comes down from 2699 to 2609
    note = web.query(lambda: db.session.scalars(select(Invoice).where(Invoice.kind == "credit")).one())
    assert note.total_cents == -3688 and note.practice_id == world.practice.id
