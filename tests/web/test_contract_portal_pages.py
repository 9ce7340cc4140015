"""The portal's proposal pages without a browser: a vendor's contracts with the
proposal waiting for it first, the thread with the same tier editor and "Check
proposal" as the console, counter, accept and reject; another vendor's contract is
not found; MSO and practice users get 404 on portal pages."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gpo.auth.services import principal_for_user
from gpo.contracts import services
from gpo.contracts.models import Contract
from gpo.db import db, transactional
from tests.factories import ProductFactory
from tests.pages import Statements, same_count, text_of
from tests.web.contract_pages import (
    DISCLOSURE_MESSAGE,
    TODAY,
    Negotiation,
    editor,
    error_at,
    proposals_of,
)


def mso_offer(world, vendor, title="IT refresh 2027", sku="LAP"):
    """MSO procurement's opening proposal to `vendor`, waiting for the vendor."""
    laptop = ProductFactory(vendor_id=vendor.id, sku=sku, name="Laptop 14", list_price=D("1249.00"))
    procurement = principal_for_user(world.users["mso_procurement"])
    contract_id = transactional(services.create_contract)(procurement, {  # an edge: it emits an event
        "vendor_id": vendor.id, "title": title, "category": "it", "basis": "units",
        "starts_on": TODAY, "ends_on": TODAY + dt.timedelta(days=364), "items": [laptop.id],
        "proposal": {"admin_fee_percent": D("1.5"), "notes": "opening offer", "tiers": [
            {"min_volume": 0, "discount_percent": D("0")}, {"min_volume": 20, "discount_percent": D("4")}]},
    })["id"]
    db.session.commit()
    return contract_id, laptop


@pytest.fixture
def offer(world):
    Negotiation.made = 0
    return mso_offer(world, world.vendor)


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_vendor_sees_its_contracts_with_the_proposal_waiting_first(pages, offer, world):
    contract_id, _ = offer
    Negotiation(world)  # Acme's own counter, waiting for the MSO
    mso_offer(world, world.other_vendor, title="Bolt's deal", sku="BOLT")
    page = pages.as_("vendor_admin")
    response = page.get("/portal/proposals")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert "IT refresh 2027" in text and "Exam gloves 2027" in text and "Bolt's deal" not in text
    assert text.index("IT refresh 2027") < text.index("Exam gloves 2027")
    assert "you: proposal 1 to answer" in text and "the MSO (proposal 2)" in text
    assert "being negotiated" in text
    assert "No contracts match" in text_of(_html(page.get("/portal/proposals?status=active")))


def test_the_thread_shows_the_mso_offer_with_exact_figures(pages, offer):
    contract_id, laptop = offer
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get(f"/portal/proposals/{contract_id}")))
    assert "the MSO (mso_procurement@example.test)" in text
    assert "from 20 units: 4% off" in text and "Admin fee 1.5%" in text and "$1,249.00" in text
    assert "you: proposal 1 to answer" in text
    assert "Accept proposal 1" in text and "Reject proposal 1" in text and "Check proposal" in text
    assert "Terminate" not in text


def test_another_vendors_contract_is_404_and_nothing_is_written(pages, offer, world):
    contract_id, _ = offer
    page = pages.as_("other_vendor_admin")
    assert "IT refresh 2027" not in text_of(_html(page.get("/portal/proposals")))
    assert page.get(f"/portal/proposals/{contract_id}").status_code == 404
    assert page.post(f"/portal/proposals/{contract_id}/check", editor(("0", "0", ""))).status_code == 404
    assert page.post(f"/portal/proposals/{contract_id}/counter", editor(("0", "0", ""))).status_code == 404
    assert page.post(f"/portal/proposals/{contract_id}/1/accept").status_code == 404
    assert page.post(f"/portal/proposals/{contract_id}/1/reject").status_code == 404
    assert proposals_of(contract_id) == [(1, "open")]


def test_mso_and_practice_users_get_404_on_portal_pages(pages, offer):
    contract_id, _ = offer
    for who in ("mso_procurement", "practice_admin"):
        page = pages.as_(who)
        assert page.get("/portal/proposals").status_code == 404
        assert page.get(f"/portal/proposals/{contract_id}").status_code == 404
        assert page.post(f"/portal/proposals/{contract_id}/1/accept").status_code == 404
    assert proposals_of(contract_id) == [(1, "open")]


def test_check_shows_every_rule_at_its_field_and_the_counter_is_refused_the_same(pages, offer):
    contract_id, laptop = offer
    page = pages.as_("vendor_admin")
    draft = editor(("0", "3", ""), ("20", "2", f"{laptop.id} = 1300.00"), fee="3.25")
    checked = page.post(f"/portal/proposals/{contract_id}/check", draft)
    html = _html(checked)
    assert checked.status_code == 422 and "This proposal breaks 3 rules" in text_of(html)
    assert error_at(html, "f-tiers-1-discount_percent") == "discount_percent must not be lower than the tier below (3)"
    assert error_at(html, "f-tiers-1-item_prices") == (  # in the same pass as the out-of-order discount
        f"item_prices: product {laptop.id} at 1300.00 is above its price at the tier below (1211.5300)")
    assert error_at(html, "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE
    sent = page.post(f"/portal/proposals/{contract_id}/counter", draft)
    assert sent.status_code == 422
    assert error_at(_html(sent), "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE
    assert proposals_of(contract_id) == [(1, "open")]


def test_the_vendor_counters_and_cannot_answer_its_own_proposal(pages, offer):
    contract_id, laptop = offer
    page = pages.as_("vendor_admin")
    draft = editor(("0", "0", ""), ("30", "4", f"{laptop.id} = 1190.00"), fee="1.5", notes="from 30 units")
    assert page.post(f"/portal/proposals/{contract_id}/check", draft).status_code == 200
    sent = page.post(f"/portal/proposals/{contract_id}/counter", draft)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/portal/proposals/{contract_id}")
    text = text_of(_html(page.get(f"/portal/proposals/{contract_id}")))
    assert "Counter-proposal 2 is sent." in text and "the MSO to answer proposal 2" in text
    assert f"from 30 units: 4% off; product {laptop.id} at $1,190.00" in text
    assert "Proposal 2 is your side's own: only the MSO may accept or reject it." in text
    own = page.post(f"/portal/proposals/{contract_id}/2/accept")
    assert own.status_code == 403
    assert proposals_of(contract_id) == [(1, "superseded"), (2, "open")]


def test_the_vendor_accepts_and_the_contract_is_in_effect(pages, offer):
    contract_id, _ = offer
    page = pages.as_("vendor_admin")
    assert page.post(f"/portal/proposals/{contract_id}/1/accept").status_code == 302
    text = text_of(_html(page.get(f"/portal/proposals/{contract_id}")))
    assert "Proposal 1 is accepted" in text and "in effect" in text and "Agreed from proposal 1" in text
    db.session.expire_all()
    assert db.session.get(Contract, contract_id).status_on(TODAY) == "active"


def test_the_vendor_rejects(pages, offer):
    contract_id, _ = offer
    page = pages.as_("vendor_admin")
    assert page.post(f"/portal/proposals/{contract_id}/1/reject").status_code == 302
    assert "Proposal 1 is rejected." in text_of(_html(page.get(f"/portal/proposals/{contract_id}")))
    assert proposals_of(contract_id) == [(1, "rejected")]


def test_the_start_page_says_how_many_proposals_wait(pages, offer, world):
    contract_id, _ = offer
    html = _html(pages.as_("vendor_admin").get("/portal"))
    assert "1 proposal to answer" in text_of(html)
    assert f'href="/portal/proposals/{contract_id}"' in html  # the one contract, straight away
    assert "to answer" not in text_of(_html(pages.as_("other_vendor_admin").get("/portal")))
    mso_offer(world, world.vendor, title="Second", sku="LAP2")
    html = _html(pages.as_("vendor_admin").get("/portal"))
    assert "2 proposals to answer" in text_of(html)
    assert 'href="/portal/proposals"' in html and f'href="/portal/proposals/{contract_id}"' not in html


def test_the_portal_shows_the_category_in_words_and_the_editor_its_own_item(pages, offer):
    contract_id, laptop = offer
    page = pages.as_("vendor_admin")
    assert "<td>IT</td>" in _html(page.get("/portal/proposals"))
    html = _html(page.get(f"/portal/proposals/{contract_id}"))
    assert "<dd>IT</dd>" in html
    assert f'placeholder="{laptop.id} = 1124.10"' in html
    assert f"{laptop.id} — LAP — Laptop 14 — $1,249.00" in text_of(html)


def test_the_portal_list_sends_as_many_statements_for_more_contracts(pages, offer, world):
    page = pages.as_("vendor_admin")

    def grow():
        for n in range(3):
            mso_offer(world, world.vendor, title=f"More {n}", sku=f"MORE-{n}")

    same_count(Statements(page), "/portal/proposals", grow)
