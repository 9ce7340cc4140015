"""Billing's pure rules: the rebate split, month bounds, membership lines."""
from decimal import Decimal

from gpo.billing.rules import membership_lines, month_bounds, split_rebate


def test_a_rebate_keeps_the_retained_share_and_splits_the_rest_by_spend_to_the_cent():
    split = split_rebate(100001, Decimal("20"), {7: 10000, 3: 20000, 5: 10000})
    assert (split.retained_cents, split.distributed_cents) == (20000, 80001)
    # 2:1:1 of 80001 is 40000.5, 20000.25, 20000.25: the cent left over goes to the largest remainder
    assert split.shares == [(3, 40001), (5, 20000), (7, 20000)]
    assert sum(share for _, share in split.shares) == split.distributed_cents


def test_the_retained_share_rounds_half_up_and_ties_go_to_the_smallest_practice():
    split = split_rebate(1001, Decimal("12.5"), {9: 1, 4: 1})
    assert (split.retained_cents, split.distributed_cents) == (125, 876)  # 125.125 -> 125
    assert split.shares == [(4, 438), (9, 438)]
    odd = split_rebate(3, Decimal("0"), {9: 1, 4: 1})
    assert odd.shares == [(4, 2), (9, 1)]


def test_month_bounds_know_february_in_a_leap_year():
    assert [d.isoformat() for d in month_bounds("2028-02")] == ["2028-02-01", "2028-02-29"]
    assert [d.isoformat() for d in month_bounds("2026-12")] == ["2026-12-01", "2026-12-31"]


def test_membership_lines_bill_the_flat_fee_and_pmpm_only_when_they_bill_something():
    assert membership_lines(15000, 2500, 3, "December 2026") == [
        {"kind": "membership", "description": "Membership, December 2026", "quantity": 1, "amount_cents": 15000},
        {"kind": "pmpm", "description": "3 providers x $25.00 per member, December 2026", "quantity": 3,
         "amount_cents": 7500}]
    assert membership_lines(0, 2500, 0, "December 2026") == []
    assert [line["kind"] for line in membership_lines(10000, 2500, 0, "x")] == ["membership"]


def test_an_invoice_is_payable_when_open_not_a_credit_and_something_is_left():
    from gpo.billing.rules import payable

    assert payable("open", "purchasing", 1)
    assert not payable("open", "purchasing", 0)  # credits covered it
    assert not payable("open", "credit", 500)
    assert not payable("draft", "purchasing", 500) and not payable("paid", "membership", 500)
