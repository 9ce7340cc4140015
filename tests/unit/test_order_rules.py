"""The pure rules of ordering (gpo/orders/rules.py): no database."""
from decimal import Decimal as D

import pytest

from gpo.contracts.tiers import Tier
from gpo.orders import rules

BASE, TEN_OFF = Tier(0, D("0")), Tier(100, D("10"))


@pytest.mark.parametrize("quantity, errors", [
    (10, []),
    (15, []),
    (5, ["the minimum order quantity is 10"]),
    (12, ["quantity must be a multiple of 5"]),
    (7, ["the minimum order quantity is 10", "quantity must be a multiple of 5"]),
    (0, ["quantity must be at least 1"]),
])
def test_quantity_errors(quantity, errors):
    assert rules.quantity_errors(quantity, min_order_quantity=10, order_multiple=5) == errors


@pytest.mark.parametrize("clinical, approved, status", [
    (False, False, "confirmed"), (True, False, "awaiting_approval"), (True, True, "confirmed")])
def test_clinical_lines_wait_for_a_physician(clinical, approved, status):
    assert rules.status_when_submitted(clinical, approved) == status


def test_savings_at_the_next_tier_round_each_line_half_up():
    # gloves 19.99 -> 17.9910: 60 x: 119940 -> 107946; 28 x: 55972 -> 50374.8 -> 50375; masks 4.05 -> 3.645: 4050 -> 3645
    lines = [(1, D("19.99"), 60, 1), (1, D("19.99"), 28, 1), (2, D("4.05"), 10, 1)]
    assert rules.savings_at_next_tier(BASE, TEN_OFF, lines) == (119940 - 107946) + (55972 - 50375) + (4050 - 3645)


def test_savings_count_identical_lines_and_fixed_item_prices():
    fixed = Tier(100, D("10"), item_prices={3: D("2950.0000")})
    # three identical lines of 2 gloves: 3998 -> 3598.2 -> 3598 each; one table: 340000 -> 295000
    lines = [(1, D("19.99"), 2, 3), (3, D("3400.00"), 1, 1)]
    assert rules.savings_at_next_tier(BASE, fixed, lines) == 3 * (3998 - 3598) + (340000 - 295000)
    assert rules.savings_at_next_tier(BASE, fixed, []) == 0
