"""The three-way match's arithmetic and the pass-through splits (gpo/payables/rules.py),
hand-computed."""
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from gpo.payables import rules


def test_a_price_above_contract_is_an_exception_worth_the_difference_of_whole_lines():
    # 50 x 17.9921 = 899.605 -> 89,961 (half up); 50 x 17.9910 = 899.55 -> 89,955
    m = rules.price_match(D("17.9910"), D("17.9921"), 50, 0)
    assert (m.line_cents, m.contract_cents, m.difference_cents, m.result) == (89961, 89955, 6, "exception")
    # 3 x 0.3335 = 1.0005 -> 100 cents; 3 x 0.3333 = 0.9999 -> 100: no difference once rounded
    m = rules.price_match(D("0.3333"), D("0.3335"), 3, 0)
    assert (m.difference_cents, m.result) == (0, "match")


def test_the_tolerance_is_inclusive_and_below_is_favourable():
    assert rules.price_match(D("17.9910"), D("17.9921"), 50, 6).result == "match"
    assert rules.price_match(D("17.9910"), D("17.9921"), 50, 5).result == "exception"
    m = rules.price_match(D("17.9910"), D("17.9000"), 60, 0)  # 1,074.00 against 1,079.46
    assert (m.difference_cents, m.result) == (-546, "below")
    assert rules.price_match(D("17.9910"), D("17.9000"), 60, 1000).result == "below"


def test_quantity_match():
    assert rules.quantity_match(60, 60, 0) == rules.QuantityMatch("matched", 0)
    assert rules.quantity_match(60, 40, 20) == rules.QuantityMatch("pending_receipt", 20)
    assert rules.quantity_match(60, 40, 15) == rules.QuantityMatch("exception", 5)
    assert rules.quantity_match(60, 0, 0) == rules.QuantityMatch("exception", 60)


def test_what_may_still_arrive():
    assert rules.may_still_arrive(shipped=60, receipted=0, deliverable=60) == 60
    assert rules.may_still_arrive(shipped=60, receipted=60, deliverable=60) == 0  # damaged or missing never arrive
    assert rules.may_still_arrive(shipped=40, receipted=40, deliverable=60) == 20  # still to ship
    assert rules.may_still_arrive(shipped=60, receipted=60, deliverable=65) == 5  # a replacement promised


def test_invoice_status():
    assert rules.invoice_status(["match", "below"], ["matched", "matched"]) == "approved"
    assert rules.invoice_status(["match"], ["pending_receipt"]) == "pending_receipt"
    assert rules.invoice_status(["exception", "match"], ["matched", "pending_receipt"]) == "exception"
    assert rules.invoice_status(["match"], ["exception"]) == "exception"


def test_the_issues_freight_over_three_practices():
    # 2,501 x 10,000 / 60,001 = 416.81; x 20,000 = 833.64; x 30,001 = 1,250.52: floors 416 + 833 + 1,250 =
    # 2,499, the 2 cents left to the largest remainders (49,584 and 39,167 of 60,001, then 31,251)
    assert rules.freight_split(2501, {3: 10000, 7: 20000, 9: 30001}) == {3: 417, 7: 834, 9: 1250}


def test_freight_over_goods_worth_nothing_is_split_evenly():
    assert rules.freight_split(101, {4: 0, 5: 0}) == {4: 51, 5: 50}
    assert rules.freight_split(0, {4: 10}) == {4: 0}


def test_a_favourable_difference_is_split_by_units():
    # -546 over 40 and 20 units: -364 and -182 exactly; -100 over 1, 1, 1: -34, -33, -33
    assert rules.split_by_quantity(-546, {11: 40, 12: 20}) == {11: -364, 12: -182}
    assert rules.split_by_quantity(-100, {1: 1, 2: 1, 3: 1}) == {1: -34, 2: -33, 3: -33}
    assert rules.split_by_quantity(-5, {1: 0}) == {}


@given(st.integers(0, 10**9), st.dictionaries(st.integers(1, 10**6), st.integers(0, 10**9), min_size=1, max_size=20))
def test_the_freight_parts_always_add_up(freight, goods):
    assert sum(rules.freight_split(freight, goods).values()) == freight
