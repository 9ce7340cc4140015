"""rules.check_proposal: every rule a proposal's terms break at once, named as the API
names them; and rules.proposal_changes: what a proposal changed from the one before."""
from __future__ import annotations

from decimal import Decimal as D

from gpo.contracts.rules import check_proposal, proposal_changes
from gpo.contracts.tiers import Tier

PRICES = {101: D("19.99"), 102: D("4.05")}
DISCLOSURE = ("an admin fee above 3% needs admin_fee_disclosure stating, in writing, the fee's amount or maximum "
              "(for example 'the fee is 4% of purchase price, at most $25,000 a year')")


def test_several_violations_are_reported_together():
    tiers = [Tier(5, D("2")), Tier(5, D("1")), Tier(300, D("120"), {999: D("1.00")})]
    assert check_proposal(tiers, D("4.5"), None, PRICES) == {
        "tiers": {
            "0": ["the first tier must be the base tier, at min_volume 0"],
            "1": ["min_volume must be greater than the tier below (5)",
                  "discount_percent must not be lower than the tier below (2)"],
            "2": ["discount_percent must be at least 0 and less than 100",
                  "item_prices: product 999 is not an item of this contract"],
        },
        "admin_fee_disclosure": [DISCLOSURE],
    }


def test_a_price_rule_and_the_fee_rule_together():
    tiers = [Tier(0, D("0"), {102: D("3.00")}), Tier(100, D("5"))]
    assert check_proposal(tiers, D("100"), None, PRICES) == {
        "tiers": {"1": ["product 102 would cost 3.8475 here, above its fixed price at the tier below (3.00): "
                        "fix its price at this tier too"]},
        "admin_fee_percent": ["must be at least 0 and less than 100"],
    }


def test_good_terms_break_nothing_and_a_stated_fee_above_3_percent_is_allowed():
    tiers = [Tier(0, D("0")), Tier(100, D("8"), {102: D("3.50")})]
    assert check_proposal(tiers, D("2"), None, PRICES) == {}
    assert check_proposal(tiers, D("4"), "4% of purchase price, at most $25,000 a year", PRICES) == {}
    assert check_proposal(tiers, D("4"), "see notes", PRICES) == {"admin_fee_disclosure": [DISCLOSURE]}


def test_changes_name_tiers_added_removed_and_changed_and_the_fee():
    before = {"admin_fee_percent": D("2.0000"), "admin_fee_disclosure": None, "tiers": [
        {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
        {"min_volume": 100, "discount_percent": "8", "item_prices": {}},
        {"min_volume": 250, "discount_percent": "12.5", "item_prices": {"102": "3.5000"}}]}
    after = {"admin_fee_percent": D("2.5"), "admin_fee_disclosure": None, "tiers": [
        {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
        {"min_volume": 120, "discount_percent": "7.5", "item_prices": {}},
        {"min_volume": 250, "discount_percent": "12", "item_prices": {"102": "3.4"}}]}
    assert proposal_changes(None, after) == []
    assert proposal_changes(before, after) == [
        "tier from 100 removed (was 8% off)",
        "tier from 120 added: 7.5% off",
        "tier from 250: discount 12.5% → 12%",
        "tier from 250: product 102's fixed price 3.5000 → 3.4",
        "admin fee 2% → 2.5%",
    ]
    assert proposal_changes(before, before) == []


def test_every_rule_of_a_draft_at_once_even_the_fixed_price_behind_out_of_order_discounts():
    """The console user's draft: tier 3 at 6% (below tier 2's 8%), a 4% fee without a
    disclosure, and a fixed price above the item's price at the tier below: all three
    in one pass (the fixed price is compared with what tier 2 gives as written)."""
    laptop = {9: D("1249.0000")}
    tiers = [Tier(0, D("0")), Tier(100, D("8")), Tier(250, D("6"), {9: D("1300.00")})]
    assert check_proposal(tiers, D("4"), None, laptop) == {
        "tiers": {"2": ["discount_percent must not be lower than the tier below (8)",
                        "item_prices: product 9 at 1300.00 is above its price at the tier below (1149.0800)"]},
        "admin_fee_disclosure": [DISCLOSURE],
    }
