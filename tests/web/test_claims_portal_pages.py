"""The vendor portal's Claims page without a browser: the supplier's claims with their
worth, "Ship a replacement" and "Credit the practice" (each confirmed), the start
page's "1 claim to resolve"; a claim resolved twice is said on the page; another
vendor's claim is 404 on every form and other faces have no such page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.orders.models import PurchaseOrderLine
from gpo.receiving.models import Claim
from tests.pages import text_of


@pytest.fixture
def claim(after_close) -> Claim:
    ac = after_close
    ac.accept_all()
    shipment = ac.ship(ac.line(), 60)
    response = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": ac.line().id, "received_quantity": 58, "damaged_quantity": 2}]}, who="practice_buyer")
    assert response.status_code == 201
    return db.session.get(Claim, response.get_json()["lines"][0]["claim_id"])


def _html(response) -> str:
    return response.get_data(as_text=True)


def _status(claim) -> str:
    db.session.expire_all()
    return db.session.get(Claim, claim.id).status


def test_the_supplier_sees_its_claim_and_the_start_page_says_it_waits(pages, claim):
    page = pages.as_("vendor_admin")
    home = _html(page.get("/portal"))
    assert "1 claim to resolve" in text_of(home) and 'href="/portal/claims?status=open"' in home
    response = page.get("/portal/claims")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200 and 'href="/portal/claims"' in html
    assert f"Claim {claim.id}" in text and "Lakeside" in text and "$35.98" in text  # 2 × $17.9910
    assert "Ship a replacement" in text and "Credit the practice" in text and "data-confirm=" in html
    assert "No claim matches." in text_of(_html(page.get("/portal/claims?status=credited")))
    refused = page.get("/portal/claims?status=lost")
    assert refused.status_code == 422 and 'id="f-status-error"' in _html(refused)


def test_crediting_from_the_portal_drops_the_units_from_the_practices_draft(pages, claim, world):
    page = pages.as_("vendor_admin")
    page.get("/portal/claims")
    response = page.post(f"/portal/claims/{claim.id}/credit")
    assert response.status_code == 302, text_of(_html(response))[:500]
    text = text_of(_html(page.get(response.headers["Location"])))
    assert f"Claim {claim.id}: 2 units credited to the practice." in text and "credited by the vendor" in text
    assert _status(claim) == "credited"
    draft = db.session.scalars(select(Invoice).where(Invoice.practice_id == world.practice.id)).one()
    assert draft.subtotal_cents == 104348 + 2609  # 58 × $17.9910 and its 2.5% fee
    assert "1 claim to resolve" not in text_of(_html(page.get("/portal")))
    again = page.post(f"/portal/claims/{claim.id}/replace")
    assert again.status_code == 409 and "resolved already" in text_of(_html(again))
    assert db.session.get(PurchaseOrderLine, claim.purchase_order_line_id).replacement_quantity == 0


def test_replacing_from_the_portal_lets_the_line_ship_the_units_again(pages, claim):
    page = pages.as_("vendor_admin")
    page.get("/portal/claims")
    response = page.post(f"/portal/claims/{claim.id}/replace")
    assert response.status_code == 302
    assert f"Claim {claim.id}: 2 units to ship again" in text_of(_html(page.get(response.headers["Location"])))
    db.session.expire_all()
    assert db.session.get(PurchaseOrderLine, claim.purchase_order_line_id).replacement_quantity == 2


def test_another_vendors_claim_is_not_found_and_nothing_changes(pages, claim):
    page = pages.as_("other_vendor_admin")
    assert f"Claim {claim.id}" not in text_of(_html(page.get("/portal/claims")))
    assert page.post(f"/portal/claims/{claim.id}/credit").status_code == 404
    assert page.post(f"/portal/claims/{claim.id}/replace").status_code == 404
    assert _status(claim) == "open"


@pytest.mark.parametrize("who", ["mso_admin", "practice_admin"])
def test_other_faces_have_no_claims_portal(pages, claim, who):
    page = pages.as_(who)
    assert page.get("/portal/claims").status_code == 404
    assert page.post(f"/portal/claims/{claim.id}/credit").status_code == 404
    assert _status(claim) == "open"
