"""A substitute in a real browser: the supplier acknowledges in its portal, accepting
55 of Lakeside's 60 gloves and offering 5 sterile gloves (clinical) at $15.00 instead;
Lakeside's buyer reads on the storefront's Substitutions page that it waits for a
physician; the physician approves it, and the draft purchasing invoice swaps the goods
(55 × $17.9910 = $989.51 and 5 × $15.00 = $75.00). axe-core on every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db
from gpo.orders.models import Substitution
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import ProductFactory


@pytest.fixture
def facts(after_close):
    sterile = ProductFactory(vendor_id=after_close.world.vendor.id, sku="STR", name="Sterile gloves", clinical=True)
    db.session.commit()
    w = after_close.world
    return {"po_id": after_close.po.id, "vendor": w.users["vendor_admin"].email,
            "buyer": w.users["practice_buyer"].email, "physician": w.users["practice_physician"].email,
            "lakeside": w.location.name, "sterile": f"{sterile.name} ({sterile.sku})", "practice_id": w.practice.id}


def _goods(practice_id):
    invoice = db.session.scalars(select(Invoice).where(Invoice.practice_id == practice_id,
                                                       Invoice.kind == "purchasing")).one()
    return sorted((line.amount_cents, line.substitution_id is not None) for line in
                  db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id,
                                                               InvoiceLine.kind == "product")))


def test_the_vendor_offers_a_substitute_and_the_physician_approves_it(web, facts):
    web.settle()
    vendor = web.sign_in(facts["vendor"])
    vendor.goto(f"/portal/purchase-orders/{facts['po_id']}")
    lakeside = vendor.get_by_role("group", name=re.compile(f"To {facts['lakeside']}"))
    lakeside.get_by_label(re.compile("units accepted of 60")).fill("55")
    lakeside.get_by_label(re.compile("substitute product")).select_option(label=facts["sterile"])
    lakeside.get_by_label(re.compile("substitute units")).fill("5")
    lakeside.get_by_label(re.compile("substitute unit price")).fill("15.0000")
    assert_accessible(vendor, "the acknowledgement with a substitute")
    vendor.get_by_role("button", name="Send acknowledgement").click()
    expect(vendor.get_by_role("status").first).to_contain_text("5 units offered as a substitute")
    expect(vendor.get_by_role("row", name=re.compile("5 offered as a substitute"))).to_be_visible()
    screenshot(vendor, "portal-purchase-order-substitute", docs=True)

    buyer = web.sign_in(facts["buyer"])
    buyer.get_by_role("navigation", name="Main").get_by_role("link", name="Substitutions").click()
    expect(buyer.get_by_role("heading", level=1)).to_have_text("Substitutions")
    offer = buyer.get_by_role("row", name=re.compile("Sterile gloves"))
    expect(offer).to_contain_text("A physician of the practice approves or declines")
    expect(offer.get_by_role("button")).to_have_count(0)
    assert_accessible(buyer, "a substitute waiting for a physician")

    physician = web.sign_in(facts["physician"])
    physician.goto("/substitutions")
    physician.get_by_role("button", name="Approve substitute Sterile gloves").click()
    expect(physician.get_by_role("status").first).to_contain_text("Substitute approved: 5 × Sterile gloves")
    expect(physician.get_by_role("row", name=re.compile("Sterile gloves"))).to_contain_text("approved")
    assert_accessible(physician, "the substitutions page after approving")
    screenshot(physician, "storefront-substitutions", docs=True)
    assert web.query(lambda: db.session.scalars(select(Substitution.status)).one()) == "approved"
    assert web.query(lambda: _goods(facts["practice_id"])) == [(7500, True), (98951, False)]
