"""The console's contract pages without a browser: the list (status in words, filters,
who each contract waits on), a new contract, and a contract's negotiation thread
(each proposal's terms side by side and what changed), the tier editor's "Check
proposal" (every rule at its field, with the API's own messages, nothing written),
counter, accept, reject and terminate; who may act and why not; tenancy."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from gpo.auth.services import principal_for_user
from gpo.contracts import services
from gpo.contracts.models import Contract
from gpo.db import db, transactional
from tests.factories import UserFactory
from tests.pages import Statements, same_count, text_of
from tests.web.contract_pages import (
    DISCLOSURE_MESSAGE,
    TODAY,
    Negotiation,
    contract_count,
    editor,
    error_at,
    proposals_of,
)


@pytest.fixture
def deal(world):
    Negotiation.made = 0
    return Negotiation(world)


def _html(response) -> str:
    return response.get_data(as_text=True)



# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_status_in_words_and_who_it_waits_for(pages, deal):
    page = pages.as_("mso_procurement")
    response = page.get("/console/contracts")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert "Exam gloves 2027" in text and "Acme" in text and "being negotiated" in text
    assert "you: proposal 2 to answer" in text
    assert f'href="{deal.path}"' in _html(response)
    assert "New contract" in text


def test_the_list_filters_by_vendor_status_and_text(pages, deal, world):
    page = pages.as_("mso_finance")
    assert "Exam gloves 2027" in text_of(_html(page.get(f"/console/contracts?vendor_id={world.vendor.id}")))
    assert "No contracts match" in text_of(_html(page.get(f"/console/contracts?vendor_id={world.other_vendor.id}")))
    assert "Exam gloves 2027" in text_of(_html(page.get("/console/contracts?status=negotiating&q=gloves")))
    assert "No contracts match" in text_of(_html(page.get("/console/contracts?status=active")))
    assert "No contracts match" in text_of(_html(page.get("/console/contracts?q=furniture")))
    refused = page.get("/console/contracts?status=signed")
    assert refused.status_code == 422 and error_at(_html(refused), "f-status") == "Must be one of: " + \
        "negotiating, accepted, active, expired, terminated."


def test_finance_sees_why_it_cannot_open_a_contract_and_posting_is_403(pages, deal, world):
    page = pages.as_("mso_finance")
    text = text_of(_html(page.get("/console/contracts")))
    assert "Only MSO procurement or an MSO admin negotiates contracts: your role may read contracts but not open one." in text
    assert "Only MSO procurement or an MSO admin" in text_of(_html(page.get("/console/contracts/new")))
    before = contract_count()
    response = page.post("/console/contracts", {"vendor_id": world.vendor.id, "title": "X", "category": "supplies",
                                                "basis": "units", "starts_on": str(TODAY), "ends_on": str(TODAY),
                                                "items": [deal.gloves.id], **editor(("0", "0", ""))})
    assert response.status_code == 403
    assert contract_count() == before


def test_practices_and_vendors_get_404_on_console_pages(pages, deal):
    for who in ("practice_admin", "vendor_admin"):
        page = pages.as_(who)
        assert page.get("/console/contracts").status_code == 404
        assert page.get(deal.path).status_code == 404
        assert page.post(f"{deal.path}/counter", editor(("0", "0", ""))).status_code == 404
    assert len(proposals_of(deal.contract_id)) == 2


def test_the_list_sends_as_many_statements_for_more_contracts(pages, deal, world):
    page = pages.as_("mso_procurement")

    def grow():
        for _ in range(4):
            Negotiation(world)

    same_count(Statements(page), "/console/contracts", grow)


# --- a new contract ----------------------------------------------------------------------


def test_procurement_opens_a_contract_with_its_first_proposal(pages, deal, world):
    page = pages.as_("mso_procurement")
    form = page.get(f"/console/contracts/new?vendor_id={world.vendor.id}")
    assert "GLV · Nitrile gloves · $19.99" in text_of(_html(form))
    response = page.post("/console/contracts", {
        "vendor_id": str(world.vendor.id), "title": "Masks 2027", "category": "supplies", "basis": "units",
        "starts_on": str(TODAY), "ends_on": str(TODAY + dt.timedelta(days=30)), "items": [str(deal.masks.id)],
        **editor(("0", "0", ""), ("500", "6", ""), fee="2")})
    assert response.status_code == 302, text_of(_html(response))[:800]
    contract = db.session.scalars(select(Contract).where(Contract.title == "Masks 2027")).one()
    assert response.headers["Location"].endswith(f"/console/contracts/{contract.id}")
    assert proposals_of(contract.id) == [(1, "open")]
    text = text_of(_html(page.get(f"/console/contracts/{contract.id}")))
    assert "the vendor to answer proposal 1" in text and "from 500 units: 6% off" in text


def test_a_new_contract_breaking_rules_shows_each_at_its_field_and_writes_nothing(pages, deal, world):
    page = pages.as_("mso_procurement")
    before = contract_count()
    response = page.post("/console/contracts", {
        "vendor_id": str(world.vendor.id), "title": "Bad", "category": "supplies", "basis": "units",
        "starts_on": str(TODAY), "ends_on": str(TODAY + dt.timedelta(days=30)), "items": [str(deal.masks.id)],
        **editor(("10", "0", ""), ("5", "6", ""), fee="4")})
    html = _html(response)
    assert response.status_code == 422
    assert error_at(html, "f-tiers-0-min_volume") == "the first tier must be the base tier, at min_volume 0"
    assert error_at(html, "f-tiers-1-min_volume") == "min_volume must be greater than the tier below (10)"
    assert error_at(html, "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE
    assert contract_count() == before


# --- the thread ----------------------------------------------------------------------------


def test_the_thread_shows_each_proposal_side_by_side_with_what_changed(pages, deal):
    page = pages.as_("mso_procurement")
    response = page.get(deal.path)
    text = text_of(_html(response))
    assert response.status_code == 200
    assert "Proposal 1 Proposal 2" in text
    assert "the MSO (mso_procurement@example.test)" in text and "the vendor (vendor_admin@example.test)" in text
    assert "superseded by a later proposal" in text and "open: waiting for an answer" in text
    assert "from 100 units: 8% off" in text and "from 120 units: 7.5% off" in text
    assert f"from 250 units: 12.5% off; product {deal.masks.id} at $3.50" in text
    assert "Admin fee 2% 2.5%" in text
    assert "opening offer" in text and "we can do 7.5% from 120" in text
    for change in ("tier from 100 removed (was 8% off)", "tier from 120 added: 7.5% off",
                   f"tier from 250: product {deal.masks.id}'s fixed price none → 3.5", "admin fee 2% → 2.5%"):
        assert change in text
    assert "No terms are agreed yet" in text
    assert "GLV Nitrile gloves $19.99" in text and "MSK Masks $4.05" in text
    assert "Accept proposal 2" in text and "Reject proposal 2" in text and "Check proposal" in text


def test_check_proposal_reports_every_rule_at_its_field_and_writes_nothing(pages, deal):
    page = pages.as_("mso_procurement")
    page.get(deal.path)
    response = page.post(f"{deal.path}/check", editor(
        ("5", "2", ""), ("5", "1", f"{deal.gloves.id} = 25.00"), ("300", "120", "999 = 1.00"), fee="4.5"))
    html = _html(response)
    assert response.status_code == 422
    assert "This proposal breaks 7 rules" in text_of(html)
    assert error_at(html, "f-tiers-0-min_volume") == "the first tier must be the base tier, at min_volume 0"
    assert error_at(html, "f-tiers-1-min_volume") == "min_volume must be greater than the tier below (5)"
    assert error_at(html, "f-tiers-1-discount_percent") == "discount_percent must not be lower than the tier below (2)"
    assert error_at(html, "f-tiers-1-item_prices") == (  # checked though the discounts are out of order
        f"item_prices: product {deal.gloves.id} at 25.00 is above its price at the tier below (19.5902)")
    assert error_at(html, "f-tiers-2-discount_percent") == "discount_percent must be at least 0 and less than 100"
    assert error_at(html, "f-tiers-2-item_prices") == "item_prices: product 999 is not an item of this contract"
    assert error_at(html, "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE
    assert 'value="4.5"' in html  # shown again as typed
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]


def test_check_and_the_api_answer_with_the_same_messages(pages, deal, client, world):
    """The API's counter refuses the same draft with the same messages (rules.check_proposal)."""
    body = {"admin_fee_percent": "4.5", "tiers": [{"min_volume": 0, "discount_percent": "5"},
                                                 {"min_volume": 100, "discount_percent": "3"}]}
    api = client.post(f"/api/v1/contracts/{deal.contract_id}/proposals", json=body,
                      headers={**world.headers["mso_procurement"], "Idempotency-Key": "same-messages"})
    assert api.status_code == 422
    expected = api.get_json()["errors"]["json"]
    page = pages.as_("mso_procurement")
    html = _html(page.post(f"{deal.path}/check", editor(("0", "5", ""), ("100", "3", ""), fee="4.5")))
    assert error_at(html, "f-tiers-1-discount_percent") == expected["tiers"]["1"][0]
    assert error_at(html, "f-admin_fee_disclosure") == expected["admin_fee_disclosure"][0]


def test_the_draft_breaking_three_rules_shows_all_three_at_once(pages, deal):
    """Tier 3 below tier 2's discount, a 4% fee without a disclosure and a fixed price
    above the tier below's price: one check names all three (rules.check_proposal)."""
    page = pages.as_("mso_procurement")
    response = page.post(f"{deal.path}/check", editor(
        ("0", "0", ""), ("100", "8", ""), ("250", "6", f"{deal.gloves.id} = 19.00"), fee="4"))
    html = _html(response)
    assert response.status_code == 422
    assert "This proposal breaks 3 rules" in text_of(html)
    assert error_at(html, "f-tiers-2-discount_percent") == "discount_percent must not be lower than the tier below (8)"
    assert error_at(html, "f-tiers-2-item_prices") == (
        f"item_prices: product {deal.gloves.id} at 19.00 is above its price at the tier below (18.3908)")
    assert error_at(html, "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE


def test_the_editor_example_and_item_list_use_the_contracts_own_items(pages, deal):
    html = _html(pages.as_("mso_procurement").get(deal.path))
    assert "103 = 3100.00" not in html
    assert f'placeholder="{deal.gloves.id} = 17.99"' in html
    text = text_of(html)
    assert f"{deal.gloves.id} — {deal.gloves.sku} — Nitrile gloves — $19.99" in text
    assert f"{deal.masks.id} — {deal.masks.sku} — Masks — $4.05" in text
    assert 'aria-describedby="editor-items"' in html


def test_categories_read_in_words(pages, deal):
    page = pages.as_("mso_procurement")
    for path in ("/console/contracts", deal.path):
        html = _html(page.get(path))
        assert "<td>Supplies</td>" in html or "<dd>Supplies</dd>" in html


def test_a_price_above_the_tier_below_is_shown_at_the_fixed_prices(pages, deal):
    page = pages.as_("mso_procurement")
    html = _html(page.post(f"{deal.path}/check", editor(
        ("0", "0", f"{deal.masks.id} = 3.00"), ("100", "5", ""), fee="2")))
    assert error_at(html, "f-tiers-1-item_prices") == (
        f"product {deal.masks.id} would cost 3.8475 here, above its fixed price at the tier below (3.00): "
        "fix its price at this tier too")


def test_bad_input_is_refused_with_the_schemas_messages_at_the_field(pages, deal):
    page = pages.as_("mso_procurement")
    html = _html(page.post(f"{deal.path}/check", editor(("zero", "ten", "103 costs 5"), fee="")))
    assert error_at(html, "f-tiers-0-item_prices") == (
        f"write each fixed price as product id = unit price, separated by commas ({deal.gloves.id} = 17.99)")
    response = page.post(f"{deal.path}/check", editor(("zero", "ten", ""), fee=""))
    html = _html(response)
    assert response.status_code == 422
    assert error_at(html, "f-tiers-0-min_volume") == "Not a valid integer."
    assert error_at(html, "f-tiers-0-discount_percent") == 'Not a valid decimal: send it as a string of digits, "12.5".'
    assert error_at(html, "f-admin_fee_percent") == "Missing data for required field."
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]


def test_a_clean_draft_checks_and_is_sent_as_a_counter_proposal(pages, deal):
    page = pages.as_("mso_procurement")
    draft = editor(("0", "0", ""), ("110", "7.5", ""), ("250", "12.5", f"{deal.masks.id} = 3.40"), fee="2.25",
                   notes="meet you at 110")
    checked = page.post(f"{deal.path}/check", draft)
    assert checked.status_code == 200 and "This proposal breaks no rule" in text_of(_html(checked))
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]
    sent = page.post(f"{deal.path}/counter", draft)
    assert sent.status_code == 302
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "superseded"), (3, "open")]
    text = text_of(_html(page.get(deal.path)))
    assert "Counter-proposal 3 is sent." in text
    assert "tier from 110 added: 7.5% off" in text and "tier from 120 removed (was 7.5% off)" in text
    assert f"product {deal.masks.id}'s fixed price 3.5 → 3.40" in text and "admin fee 2.5% → 2.25%" in text
    assert "the vendor to answer proposal 3" in text
    assert "Proposal 3 is your side's own: only the vendor may accept or reject it." in text


def test_a_fee_above_3_percent_with_a_disclosure_is_sent(pages, deal):
    page = pages.as_("mso_procurement")
    sent = page.post(f"{deal.path}/counter", editor(("0", "0", ""), ("120", "7.5", ""), fee="4",
                                                   disclosure="the fee is 4% of purchase price, at most $25,000 a year"))
    assert sent.status_code == 302
    assert "at most $25,000 a year" in text_of(_html(page.get(deal.path)))


def test_a_counter_breaking_a_rule_is_refused_at_the_field_and_writes_nothing(pages, deal):
    page = pages.as_("mso_admin")
    response = page.post(f"{deal.path}/counter", editor(("0", "0", ""), ("120", "7.5", ""), fee="3.5"))
    assert response.status_code == 422
    assert error_at(_html(response), "f-admin_fee_disclosure") == DISCLOSURE_MESSAGE
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]


def test_procurement_accepts_the_vendors_proposal_and_it_is_in_effect(pages, deal):
    page = pages.as_("mso_procurement")
    response = page.post(f"{deal.path}/proposals/2/accept")
    assert response.status_code == 302
    text = text_of(_html(page.get(deal.path)))
    assert "Proposal 2 is accepted" in text and "in effect" in text
    assert "Agreed from proposal 2" in text and "Admin fee 2.5%" in text
    db.session.expire_all()
    assert db.session.get(Contract, deal.contract_id).status_on(TODAY) == "active"


def test_reject_and_a_second_answer_is_refused_with_409(pages, deal):
    page = pages.as_("mso_procurement")
    assert page.post(f"{deal.path}/proposals/2/reject").status_code == 302
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "rejected")]
    again = page.post(f"{deal.path}/proposals/2/accept")
    assert again.status_code == 409 and "proposal 2 is rejected" in text_of(_html(again))
    assert "No proposal is open" in text_of(_html(again))


def test_finance_reads_the_thread_but_sees_why_it_cannot_act_and_posting_is_403(pages, deal, world):
    scheduler = UserFactory(organization_id=world.mso.id, roles=["mso_scheduler"], email="scheduler@example.test")
    db.session.commit()
    for page in (pages.as_("mso_finance"), pages.sign_in(scheduler.email)):
        html = _html(page.get(deal.path))
        text = text_of(html)
        assert "Proposal 1 Proposal 2" in text
        assert ("Only MSO procurement or an MSO admin negotiates contracts: your role may read this thread but "
                "not counter, accept or reject.") in text
        assert "Only MSO procurement or an MSO admin may terminate a contract." in text
        assert "Accept proposal 2" not in text and "Check proposal" not in text
        draft = editor(("0", "0", ""), ("120", "8", ""))
        assert page.post(f"{deal.path}/check", draft).status_code == 403
        assert page.post(f"{deal.path}/counter", draft).status_code == 403
        assert page.post(f"{deal.path}/proposals/2/accept").status_code == 403
        assert page.post(f"{deal.path}/proposals/2/reject").status_code == 403
        assert page.post(f"{deal.path}/terminate", {"reason": "not needed"}).status_code == 403
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]
    assert db.session.get(Contract, deal.contract_id).terminated_on is None


def test_terminate_needs_a_reason_and_then_ends_the_contract(pages, deal):
    page = pages.as_("mso_procurement")
    refused = page.post(f"{deal.path}/terminate", {"reason": ""})
    assert refused.status_code == 422
    assert error_at(_html(refused), "f-reason") == "Missing data for required field."
    db.session.expire_all()
    assert db.session.get(Contract, deal.contract_id).terminated_on is None
    done = page.post(f"{deal.path}/terminate", {"reason": "vendor missed delivery dates"})
    assert done.status_code == 302
    text = text_of(_html(page.get(deal.path)))
    assert "terminated early" in text and "vendor missed delivery dates" in text
    assert "no more proposals" in text
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "superseded")]


def test_a_missing_contract_is_404(pages, deal):
    page = pages.as_("mso_procurement")
    assert page.get("/console/contracts/999999").status_code == 404
    assert page.post("/console/contracts/999999/check", editor(("0", "0", ""))).status_code == 404


def test_the_start_page_says_how_many_vendor_proposals_wait(pages, deal, world):
    text = text_of(_html(pages.as_("mso_procurement").get("/console")))
    assert "1 proposal from vendors to answer" in text
    assert "proposals from vendors to answer" not in text_of(_html(pages.as_("mso_finance").get("/console")))
    Negotiation(world)
    assert "2 proposals from vendors to answer" in text_of(_html(pages.as_("mso_admin").get("/console")))


def test_one_waiting_proposal_links_straight_to_its_contract_and_more_to_the_list(pages, deal, world):
    page = pages.as_("mso_procurement")
    assert f'href="{deal.path}"' in _html(page.get("/console"))
    Negotiation(world)
    html = _html(page.get("/console"))
    assert 'href="/console/contracts"' in html and f'href="{deal.path}"' not in html


def test_the_thread_sends_as_many_statements_with_moreproposals_of(pages, deal, world):
    page = pages.as_("mso_procurement")
    vendor = principal_for_user(world.users["vendor_admin"])
    procurement = principal_for_user(world.users["mso_procurement"])

    def grow():
        for n in range(3):
            transactional(services.counter)(procurement, deal.contract_id, {"admin_fee_percent": D("2"), "tiers": [
                {"min_volume": 0, "discount_percent": D("0")}, {"min_volume": 100 + n, "discount_percent": D("5")}]})
            transactional(services.counter)(vendor, deal.contract_id, {"admin_fee_percent": D("2"), "tiers": [
                {"min_volume": 0, "discount_percent": D("0")}, {"min_volume": 150 + n, "discount_percent": D("5")}]})

    same_count(Statements(page), deal.path, grow)


RULES = [  # the tiers (min volume, discount, fixed prices), fee, disclosure -> the input, the message
    ([("0", "0", ""), ("-5", "1", "")], "2", "", "f-tiers-1-min_volume",
     "min_volume must not be negative min_volume must be greater than the tier below (0)"),
    ([("0", "0", ""), ("100", "1.00001", "")], "2", "", "f-tiers-1-discount_percent",
     "discount_percent has at most 4 decimal places"),
    ([("0", "0", "{gloves} = 0")], "2", "", "f-tiers-0-item_prices",
     "item_prices: product {gloves}: the price must be > 0 with at most 4 decimals"),
    ([("0", "0", "{gloves} = 21.00")], "2", "", "f-tiers-0-item_prices",
     "item_prices: product {gloves} at 21.00 is above its price at its list price (19.9900)"),
    ([("0", "0", "")], "100", "", "f-admin_fee_percent", "must be at least 0 and less than 100"),
    ([("0", "0", "")], "2.00001", "", "f-admin_fee_percent", "has at most 4 decimal places"),
    ([("0", "0", "")], "3.01", "see the notes", "f-admin_fee_disclosure", DISCLOSURE_MESSAGE),
]


@pytest.mark.parametrize(("tiers", "fee", "disclosure", "field", "message"), RULES)
def test_every_rule_is_shown_at_its_field(pages, deal, tiers, fee, disclosure, field, message):
    page = pages.as_("mso_procurement")
    ids = {"gloves": deal.gloves.id}
    rows = [(v, d, p.format(**ids)) for v, d, p in tiers]
    response = page.post(f"{deal.path}/check", editor(*rows, fee=fee, disclosure=disclosure))
    assert response.status_code == 422
    assert error_at(_html(response), field) == message.format(**ids)
    count = 2 if "negative" in message else 1
    assert f"This proposal breaks {count} rule{'s' if count > 1 else ''}:" in text_of(_html(response))
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]


def test_no_tier_at_all_is_refused_at_the_tiers(pages, deal):
    page = pages.as_("mso_procurement")
    response = page.post(f"{deal.path}/check", editor(fee="2"))
    assert response.status_code == 422
    assert 'id="f-tiers-error">Length must be between 1 and 20.</p>' in _html(response)
