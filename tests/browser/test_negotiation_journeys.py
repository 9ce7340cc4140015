"""Negotiating a contract in a real browser. THE JOURNEY: MSO procurement opens the
vendor's counter-proposal from the console's start page, counters with tiers that
break a rule, sees the rule's message at the field, fixes it (and the safe-harbor
disclosure its fee needs), sends it; the vendor signs in to the portal and accepts;
the contract is in effect, on the page and in the database. Also: a new contract's
form, and a role that may read the thread but not act, at 390 px wide. axe-core on
every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gpo.contracts.models import Contract, Proposal
from gpo.db import db
from tests.browser.conftest import assert_accessible, screenshot
from tests.web.contract_pages import DISCLOSURE_MESSAGE, TODAY, Negotiation


@pytest.fixture
def deal(world):
    Negotiation.made = 0
    return Negotiation(world)


def test_procurement_counters_with_a_broken_rule_fixes_it_and_the_vendor_accepts(web, world, deal):
    page = web.sign_in(world.users["mso_procurement"].email)
    page.get_by_role("link", name="1 proposal from vendors to answer").click()  # the one contract, straight
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam gloves 2027")
    page.get_by_role("navigation").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
    row = page.get_by_role("row").filter(has_text="Exam gloves 2027")
    expect(row).to_contain_text("being negotiated")
    expect(row).to_contain_text("you: proposal 2 to answer")
    assert_accessible(page, "the console's contract list")
    screenshot(page, "console-contracts", docs=True)

    row.get_by_role("link", name="Exam gloves 2027").click()
    thread = page.get_by_role("region", name="Proposals side by side")
    expect(thread).to_contain_text("from 120 units: 7.5% off")
    expect(thread).to_contain_text("tier from 100 removed (was 8% off)")
    expect(thread).to_contain_text("admin fee 2% → 2.5%")
    assert_accessible(page, "the contract's thread")
    screenshot(page, "console-contract-thread", docs=True)

    # the counter: 110 units for 7.5%, but 7% from 250 (lower than the tier below)
    page.get_by_label("Tier 2 minimum volume").fill("110")
    page.get_by_label("Tier 3 discount %").fill("7")
    page.get_by_label("Tier 3 fixed item prices").fill("")
    page.get_by_label("Admin fee %").fill("3.5")
    page.get_by_role("button", name="Check proposal").click()
    expect(page.get_by_role("alert")).to_contain_text("This proposal breaks 2 rules")
    discount = page.get_by_label("Tier 3 discount %")
    expect(discount).to_have_attribute("aria-invalid", "true")
    expect(discount).to_have_accessible_description("discount_percent must not be lower than the tier below (7.5)")
    expect(discount).to_have_value("7")
    disclosure = page.get_by_label("Safe-harbor disclosure (required above 3%)")
    expect(disclosure).to_have_attribute("aria-invalid", "true")
    expect(disclosure).to_have_accessible_description(re.compile(re.escape(DISCLOSURE_MESSAGE)))
    assert_accessible(page, "the thread with a checked proposal's broken rules")
    assert web.query(lambda: db.session.query(Proposal).filter_by(contract_id=deal.contract_id).count()) == 2

    page.get_by_label("Tier 3 discount %").fill("12")
    disclosure.fill("the fee is 3.5% of purchase price, at most $20,000 a year")
    page.get_by_role("button", name="Check proposal").click()
    expect(page.get_by_role("status").filter(has_text="breaks no rule")).to_be_visible()
    page.get_by_role("button", name="Send counter-proposal").click()
    expect(page.get_by_role("status").filter(has_text="Counter-proposal 3 is sent.")).to_be_visible()
    expect(page.get_by_text("the vendor to answer proposal 3")).to_be_visible()
    expect(page.get_by_role("button", name="Accept proposal 3")).to_have_count(0)

    vendor = web.sign_in(world.users["vendor_admin"].email)
    vendor.get_by_role("link", name="1 proposal to answer").click()  # the one contract, straight
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Exam gloves 2027")
    vendor.get_by_role("navigation").get_by_role("link", name="Proposals").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Proposals")
    expect(vendor.get_by_role("row").filter(has_text="Exam gloves 2027")).to_contain_text("you: proposal 3 to answer")
    assert_accessible(vendor, "the portal's proposals")
    screenshot(vendor, "portal-proposals", docs=True)
    vendor.get_by_role("link", name="Exam gloves 2027").click()
    expect(vendor.get_by_role("region", name="Proposals side by side")).to_contain_text("from 250 units: 12% off")
    assert_accessible(vendor, "the portal's thread")
    vendor.get_by_role("button", name="Accept proposal 3").click()
    expect(vendor.get_by_role("status").filter(has_text="Proposal 3 is accepted")).to_be_visible()
    expect(vendor.locator("#terms-in-effect")).to_contain_text("Agreed from proposal 3")
    expect(vendor.get_by_text("in effect", exact=True).first).to_be_visible()
    assert_accessible(vendor, "the portal's thread after accepting")

    contract = web.query(lambda: db.session.get(Contract, deal.contract_id))
    assert contract.status_on(TODAY) == "active" and contract.accepted_proposal_number == 3
    assert str(contract.admin_fee_percent.normalize()) == "3.5"
    assert [t["discount_percent"] for t in contract.tiers] == ["0", "7.5", "12"]

    page.goto(f"/console/contracts/{deal.contract_id}")
    expect(page.locator("#terms-in-effect")).to_contain_text("Admin fee 3.5%")
    expect(page.get_by_role("link", name=re.compile("proposals? from vendors to answer"))).to_have_count(0)


def test_procurement_opens_a_new_contract_in_the_browser(web, world, deal):
    page = web.sign_in(world.users["mso_procurement"].email)
    page.goto("/console/contracts")
    page.get_by_role("link", name="New contract").click()
    page.get_by_label("Vendor", exact=True).select_option(label="Acme")
    page.get_by_role("button", name="Show the vendor's products").click()
    assert_accessible(page, "the new contract form")
    page.get_by_label("Title").fill("Masks 2027")
    page.get_by_label("Starts on").fill(str(TODAY))
    page.get_by_label("Ends on").fill(str(TODAY.replace(year=TODAY.year + 1)))
    page.get_by_role("checkbox", name=re.compile("MSK · Masks")).check()
    page.get_by_label("Tier 2 minimum volume").fill("500")
    page.get_by_label("Tier 2 discount %").fill("-1")
    page.get_by_role("button", name="Open contract").click()
    expect(page.get_by_label("Tier 2 discount %")).to_have_accessible_description(
        "discount_percent must be at least 0 and less than 100 "
        "discount_percent must not be lower than the tier below (0)")
    assert_accessible(page, "the new contract form refused")
    page.get_by_label("Tier 2 discount %").fill("6")
    page.get_by_role("button", name="Open contract").click()
    expect(page.get_by_role("status").filter(has_text="is open")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Masks 2027")


def test_finance_reads_the_thread_at_390px_and_sees_why_it_cannot_act(web, world, deal):
    page = web.sign_in(world.users["mso_finance"].email, width=390)
    page.goto(f"/console/contracts/{deal.contract_id}")
    expect(page.get_by_text("your role may read this thread but not counter, accept or reject").first).to_be_visible()
    expect(page.get_by_role("button", name="Accept proposal 2")).to_have_count(0)
    expect(page.get_by_role("button", name="Check proposal")).to_have_count(0)
    assert_accessible(page, "the thread for finance at 390 px")
    screenshot(page, "console-contract-thread-390")
    page.goto("/console/contracts")
    expect(page.get_by_text("your role may read contracts but not open one")).to_be_visible()
    assert_accessible(page, "the contract list for finance at 390 px")
