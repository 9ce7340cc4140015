"""Tier rules: validation, the achieved tier, and prices (exact to the 4th decimal)."""
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from gpo.contracts.tiers import Tier, achieved_tier, price_at, validate
from gpo.money import line_cents, percent_of_cents, round_half_up, unit_price_at_discount

PRICES = {101: D("19.99"), 102: D("3400.0000"), 103: D("0.3333")}
GOOD = [Tier(0, D("0")), Tier(250, D("8.5"), {102: D("3100.0000")}), Tier(500, D("12"))]


def test_the_domain_examples_round_half_up_once():
    assert unit_price_at_discount(D("19.99"), D("12.5")) == D("17.4913")  # 17.49125
    assert unit_price_at_discount(D("19.99"), D("0")) == D("19.9900")
    assert line_cents(D("17.4913"), 3) == 5247  # 52.4739 -> 5247 cents
    assert line_cents(D("0.0050"), 1) == 1  # half a cent rounds up
    assert line_cents(D("0.0049"), 1) == 0
    assert percent_of_cents(10050, D("2.5")) == 251  # 251.25
    assert percent_of_cents(10, D("5")) == 1  # 0.5 rounds up
    assert round_half_up(D("2.5")) == 3 and round_half_up(D("-2.5")) == -3


def test_a_valid_tier_list_has_no_errors():
    assert validate(GOOD, PRICES) == {}


def test_the_achieved_tier_at_and_around_each_threshold():
    assert achieved_tier(GOOD, 0).min_volume == 0
    assert achieved_tier(GOOD, 249).min_volume == 0  # missed by one unit
    assert achieved_tier(GOOD, 250).min_volume == 250  # reached exactly
    assert achieved_tier(GOOD, 499).min_volume == 250
    assert achieved_tier(GOOD, 10**9).min_volume == 500


def test_item_prices_override_the_discount_at_their_tier_only():
    assert price_at(GOOD[1], 102, PRICES[102]) == D("3100.0000")
    assert price_at(GOOD[1], 101, PRICES[101]) == D("18.2909")  # 19.99 * 0.915 = 18.29085
    assert price_at(GOOD[2], 102, PRICES[102]) == D("2992.0000")  # 12% off list, below 3100
    assert price_at(GOOD[2], 103, PRICES[103]) == D("0.2933")  # 0.293304


def test_each_broken_rule_is_named():
    cases = [
        ([], "base tier"),
        ([Tier(10, D("0"))], "base tier"),
        ([Tier(0, D("0")), Tier(0, D("5"))], "greater than the tier below"),
        ([Tier(0, D("0")), Tier(300, D("5")), Tier(200, D("8"))], "greater than the tier below"),
        ([Tier(0, D("5")), Tier(100, D("4"))], "not be lower"),
        ([Tier(0, D("0")), Tier(100, D("100"))], "less than 100"),
        ([Tier(0, D("-1"))], "at least 0"),
        ([Tier(0, D("0")), Tier(-5, D("1"))], "negative"),
        ([Tier(0, D("0")), Tier(100, D("1.12345"))], "decimal places"),
        ([Tier(0, D("0")), Tier(100, D("5"), {999: D("1.00")})], "not an item"),
        ([Tier(0, D("0")), Tier(100, D("5")), Tier(200, D("5"), {101: D("19.50")})], "above its price at the tier below"),
        ([Tier(0, D("0"), {101: D("25.00")})], "above its price at its list price"),
        ([Tier(0, D("0")), Tier(100, D("5"), {102: D("1000")}), Tier(200, D("10"))], "fix its price at this tier"),
    ]
    for tiers, message in cases:
        errors = validate(tiers, PRICES)
        assert message in str(errors), (tiers, errors)


prices = st.decimals(min_value=D("0.01"), max_value=D("99999"), places=4)
discounts = st.lists(st.decimals(min_value=D("0"), max_value=D("99.99"), places=2), min_size=1, max_size=6)


@given(list_price=prices, steps=discounts, volume_a=st.integers(0, 10_000), volume_b=st.integers(0, 10_000),
       fixed=st.booleans())
def test_a_higher_volume_never_gives_a_higher_unit_price(list_price, steps, volume_a, volume_b, fixed):
    tiers = []
    for i, step in enumerate(sorted(steps)):
        tiers.append(Tier(i * 100, step))
    if fixed and len(tiers) > 1:  # a fixed price at tier 1 that its tiers above must honour
        price = price_at(tiers[1], 1, list_price)
        tiers[1] = Tier(100, tiers[1].discount_percent, {1: price})
    if validate(tiers, {1: list_price}):
        return  # only valid tier lists carry the guarantee
    low, high = sorted((volume_a, volume_b))
    assert price_at(achieved_tier(tiers, high), 1, list_price) <= price_at(achieved_tier(tiers, low), 1, list_price)


@given(st.decimals(min_value=D("0.0001"), max_value=D("99999"), places=4), st.integers(1, 100_000))
def test_line_cents_is_one_rounding_of_the_exact_amount(unit_price, quantity):
    exact = unit_price * quantity * 100
    cents = line_cents(unit_price, quantity)
    assert abs(D(cents) - exact) <= D("0.5")
    assert isinstance(cents, int)
