"""The lease math (gpo/leasing/rules.py, DOMAIN.md "Equipment and space leasing"):
rents, schedules and buyouts in exact cents, ASC 842 classification with its figures,
the lease's dates, a shared suite's escalated rent and its split, and properties of
the schedule over realistic terms. Each figure says where it comes from."""
import datetime as dt
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpo.leasing.rules import (
    LeaseTerms,
    add_months,
    balance_after,
    buyout_cents,
    cents_half_up,
    check_terms,
    classify,
    due_at_signing_cents,
    due_dates,
    implicit_monthly_rate,
    months_passed,
    present_value,
    rent_cents,
    schedule,
    space_rent_cents,
    split_space_rent,
    years_elapsed,
)

# HP 12C Owner's Handbook, "Leasing" (advance payments with a residual): a $22,000
# copier, 48 months, 4 payments in advance, $6,600 purchase option, 15% -> $487.29.
COPIER = LeaseTerms(2200000, 48, D(15), residual_cents=660000, advance_payments=4)


def test_the_hp_12c_copier_lease_rents_at_487_29():
    assert rent_cents(COPIER) == 48729  # exactly 48729.38...: rounded half-up, once
    assert due_at_signing_cents(COPIER, 48729) == 194916  # 4 x 487.29, no down payment


def test_the_copier_schedule_starts_after_the_advance_rents_and_ends_at_the_purchase_option():
    rows = schedule(COPIER)
    assert len(rows) == 48
    # balance_0 = 2,200,000 - 4 x 48,729 = 2,005,084
    assert balance_after(COPIER, rows, 0) == 2005084
    # month 1: 2,005,084 x 1.25% = 25,063.55 -> 25,064; 2,005,084 + 25,064 - 48,729 = 1,981,419
    # month 2: 1,981,419 x 1.25% = 24,767.74 -> 24,768; 1,981,419 + 24,768 - 48,729 = 1,957,458
    assert [(r.month, r.rent_cents, r.interest_cents, r.principal_cents, r.balance_cents) for r in rows[:2]] == [
        (1, 48729, 25064, 23665, 1981419), (2, 48729, 24768, 23961, 1957458)]
    # month 44 = n - k, the last rent: it lands on round(660,000 / 1.0125^4) = round(628,005.6) = 628,006
    assert rows[43] == type(rows[43])(44, 48729, 8325, 40404, 628006)
    # month 45, the first without rent: 628,006 x 1.25% = 7,850.08 -> 7,850
    assert (rows[44].rent_cents, rows[44].interest_cents, rows[44].balance_cents) == (0, 7850, 635856)
    assert all(r.rent_cents == 0 for r in rows[44:]) and all(r.rent_cents == 48729 for r in rows[:44])
    # month 48: the last interest takes the residue so the balance is the purchase option exactly
    assert (rows[47].interest_cents, rows[47].balance_cents) == (8148, 660000)


def test_the_copier_bought_out_at_month_12():
    rows = schedule(COPIER)
    assert balance_after(COPIER, rows, 12) == 1700738
    assert buyout_cents(COPIER, rows, 12) == 1700738  # no fee: the balance
    with_fee = LeaseTerms(2200000, 48, D(15), 660000, 4, early_termination_fee_percent=D(2))
    assert buyout_cents(with_fee, rows, 12) == 1734753  # 1,700,738 x 1.02 = 1,734,752.76 -> 1,734,753
    assert buyout_cents(COPIER, rows, 48) == 660000 and buyout_cents(COPIER, rows, 99) == 660000


SMALL = LeaseTerms(75000, 12, D(10), advance_payments=3)  # $750, 12 payments, 3 in advance, 10%, no residual


def test_a_small_lease_with_three_advance_rents():
    # 75,000 / (a(9) + 3) at i = 10%/12, a(9) = (1 - 1.008333^-9) / 0.008333 = 8.6363: 6,445.42 -> 6,445
    assert rent_cents(SMALL) == 6445
    rows = schedule(SMALL)
    assert balance_after(SMALL, rows, 0) == 75000 - 3 * 6445 == 55665
    # month 1: 55,665 / 120 = 463.875 -> 464
    assert (rows[0].interest_cents, rows[0].balance_cents) == (464, 49684)
    # month 9 = n - k takes the residue to round(0 x v^3) = 0: no balance below zero, none after
    assert (rows[8].rent_cents, rows[8].balance_cents) == (6445, 0)
    assert [(r.rent_cents, r.interest_cents, r.balance_cents) for r in rows[9:]] == [(0, 0, 0)] * 3
    assert min(r.balance_cents for r in rows) == 0


def test_a_zero_rate_lease_is_the_cost_less_the_residual_over_the_term():
    free = LeaseTerms(100000, 7, D(0))
    assert rent_cents(free) == 14286  # 100,000 / 7 = 14,285.71 -> 14,286
    rows = schedule(free)
    assert [r.interest_cents for r in rows] == [0] * 6 + [2]  # 7 x 14,286 = 100,002: month 7 takes the 2 cents
    assert rows[-1].balance_cents == 0
    with_residual = LeaseTerms(100000, 7, D(0), residual_cents=20000, advance_payments=2)
    assert rent_cents(with_residual) == 11429  # 80,000 / 7 = 11,428.57 -> 11,429 (k does not matter at 0%)
    rows = schedule(with_residual)
    # month 5 = n - k lands on R (v = 1): 100,000 - 7 x 11,429 = -3, so 3 cents of residue
    assert (rows[4].interest_cents, rows[4].balance_cents) == (3, 20000)
    assert [r.balance_cents for r in rows[4:]] == [20000] * 3


def test_one_advance_payment_is_the_arrears_rent_discounted_one_month():
    # $10,000, 36 months, 12%: 1% a month, the textbook $332.14 (10,000 x 0.01 / (1 - 1.01^-36) = 332.1431)
    arrears = LeaseTerms(1000000, 36, D(12))
    due = LeaseTerms(1000000, 36, D(12), advance_payments=1)
    assert rent_cents(arrears) == 33214
    # annuity due: 33,214.31 / 1.01 = 32,885.46 -> 32,885
    assert rent_cents(due) == 32885
    assert abs(F(rent_cents(due)) - F(rent_cents(arrears)) / F(101, 100)) <= 1
    assert schedule(arrears)[0].interest_cents == 10000  # 1% of the whole 1,000,000: nothing paid up front


def test_a_down_payment_reduces_what_is_financed():
    down = LeaseTerms(1000000, 36, D(12), down_payment_cents=250000)
    assert down.financed_cents == 750000
    assert rent_cents(down) == 24911  # 3/4 of 33,214.31 = 24,910.73 -> 24,911
    two_ahead = LeaseTerms(1000000, 36, D(12), advance_payments=2, down_payment_cents=250000)
    rent = rent_cents(two_ahead)
    assert rent == 24428  # 750,000 / (a(34) + 2) = 750,000 / 30.7024 = 24,428.1
    assert due_at_signing_cents(two_ahead, rent) == 250000 + 2 * 24428 == 298856
    assert balance_after(two_ahead, schedule(two_ahead), 0) == 750000 - 2 * 24428


# --- classification ----------------------------------------------------------------------

# A 96-month lease, $1,000 a month in advance, on a $62,000 asset with an unguaranteed
# $20,000 residual: the rate that makes the payments plus the residual worth $62,000 is
# about 15.219% (worked example: PV of 96 payments due at 15.219%/12 = $56,035, 90.4%).
EXAMPLE = LeaseTerms(6200000, 96, D("15.219"), residual_cents=2000000, advance_payments=1)
LIFE = {"fair_value_cents": 6200000, "remaining_life_months": 200, "economic_life_months": 240}


def _tests(result):
    return {t.name: t for t in result.tests}


def test_the_96_month_lease_is_sales_type_on_its_present_value():
    assert rent_cents(EXAMPLE) == 100001  # 15.219% is the rate rounded: the rent comes out a cent over
    result = classify(EXAMPLE, 100000, **LIFE)
    assert result.kind == "sales_type" and result.sale_leaseback_financing is False
    assert result.implicit_rate_percent == D("15.2188")  # at exactly $1,000 the rate is a hair under 15.219
    assert result.present_value_cents == 5603517  # $56,035.17
    assert result.present_value_percent == D("90.38")  # 56,035.17 / 62,000
    tests = _tests(result)
    assert [t.name for t in result.tests] == [
        "ownership_transfer", "purchase_option", "term", "present_value", "specialized"]
    assert [t.name for t in result.tests if t.passed] == ["present_value"]
    assert tests["present_value"].figures == {
        "present_value_cents": 5603517, "fair_value_cents": 6200000, "percent": "90.38",
        "implicit_rate_percent": "15.2188", "threshold_percent": "90"}
    assert tests["term"].figures["percent"] == "48"  # 96 / 200
    assert "less than 75%" in tests["term"].explanation
    assert tests["purchase_option"].figures == {"residual_cents": 2000000}


def test_a_lower_rent_is_operating_and_a_third_party_guarantee_makes_it_direct_financing():
    operating = classify(EXAMPLE, 95000, **LIFE)
    # $950 a month: the implicit rate falls to 13.9534% and the payments are worth 89.37% (< 90%)
    assert operating.kind == "operating"
    assert (operating.implicit_rate_percent, operating.present_value_percent) == (D("13.9534"), D("89.37"))
    assert not any(t.passed for t in operating.tests)
    assert _tests(operating)["direct_financing"].figures["percent"] == "89.37"
    # a third party guarantees the residual: payments + the whole residual at the implicit
    # rate are the fair value by that rate's definition, 100%
    direct = classify(EXAMPLE, 95000, residual_guarantee="third_party", **LIFE)
    assert direct.kind == "direct_financing"
    assert direct.present_value_percent == D("89.37")  # the sales-type test alone still fails
    assert _tests(direct)["direct_financing"].figures == {
        "present_value_cents": 6200000, "percent": "100", "collection_probable": True}
    not_collectible = classify(EXAMPLE, 95000, residual_guarantee="third_party", collection_probable=False, **LIFE)
    assert not_collectible.kind == "operating"
    assert "collection is not probable" in _tests(not_collectible)["direct_financing"].explanation
    # guaranteed by the practice, the residual is a lease payment: sales-type
    assert classify(EXAMPLE, 95000, residual_guarantee="practice", **LIFE).kind == "sales_type"


def test_the_term_test_at_75_percent_of_the_remaining_life():
    at = classify(EXAMPLE, 95000, fair_value_cents=6200000, remaining_life_months=128, economic_life_months=240)
    assert at.kind == "sales_type" and _tests(at)["term"].figures["percent"] == "75"  # 96 / 128
    below = classify(EXAMPLE, 95000, fair_value_cents=6200000, remaining_life_months=129, economic_life_months=240)
    assert below.kind == "operating" and _tests(below)["term"].figures["percent"] == "74.42"  # 96 / 129
    # remaining 128 of 600 months is its last quarter: the term test is not applied
    old = classify(EXAMPLE, 95000, fair_value_cents=6200000, remaining_life_months=128, economic_life_months=600)
    assert old.kind == "operating" and not _tests(old)["term"].passed
    assert "does not apply" in _tests(old)["term"].explanation


@pytest.mark.parametrize("flag", ["transfers_ownership", "purchase_option_reasonably_certain", "specialized"])
def test_each_other_test_alone_makes_it_sales_type(flag):
    result = classify(EXAMPLE, 95000, **LIFE, **{flag: True})
    assert result.kind == "sales_type"
    assert len([t for t in result.tests if t.passed]) == 1


def test_a_sales_type_leaseback_is_a_financing():
    assert classify(EXAMPLE, 100000, sale_leaseback=True, **LIFE).sale_leaseback_financing is True
    assert classify(EXAMPLE, 95000, sale_leaseback=True, **LIFE).sale_leaseback_financing is False  # operating


def test_the_implicit_rate_is_the_leases_rate_when_cost_is_fair_value():
    rate = implicit_monthly_rate(COPIER, rent_cents(COPIER), 2200000) * 12
    # the rent was rounded down 0.38 of a cent, so the rate is 14.9997%: 0.1500 to 4 places
    assert round(float(rate), 4) == 0.15 and abs(rate - F(15, 100)) < F(1, 100000)
    # a small lease's rounding shows more: 6,445 for 6,445.42 over 9 arrears rents is 9.9788%
    small = implicit_monthly_rate(SMALL, 6445, 75000) * 1200
    assert F(99787, 10000) < small < F(99789, 10000)
    assert implicit_monthly_rate(SMALL, 6000, 75000) == 0  # payments worth less than the value undiscounted


# --- the terms checked -------------------------------------------------------------------


def test_check_terms_names_every_fault_at_once():
    assert check_terms(COPIER) == {}
    assert set(check_terms(LeaseTerms(100000, 0, D(5)))) == {"term_months"}
    assert set(check_terms(LeaseTerms(100000, 121, D(5)))) == {"term_months"}
    assert set(check_terms(LeaseTerms(100000, 120, D(5)))) == set()
    assert set(check_terms(LeaseTerms(100000, 12, D(5), advance_payments=12))) == {"advance_payments"}
    assert check_terms(LeaseTerms(100000, 12, D(5), advance_payments=11)) == {}
    assert set(check_terms(LeaseTerms(100000, 12, D("-0.001")))) == {"annual_rate_percent"}
    assert set(check_terms(LeaseTerms(100000, 12, D("100.001")))) == {"annual_rate_percent"}
    assert set(check_terms(LeaseTerms(100000, 12, D(5), residual_cents=100001))) == {"residual_cents"}
    assert set(check_terms(LeaseTerms(100000, 12, D(5), down_payment_cents=100001))) == {"down_payment_cents"}
    everything = check_terms(LeaseTerms(100000, 121, D(-1), residual_cents=100001, advance_payments=-1,
                                        down_payment_cents=100001, early_termination_fee_percent=D(101)))
    assert set(everything) == {"term_months", "advance_payments", "annual_rate_percent", "residual_cents",
                               "down_payment_cents", "early_termination_fee_percent"}
    assert everything["term_months"] == "the term is 1 to 120 months"
    # a down payment and residual that leave nothing to rent
    assert set(check_terms(LeaseTerms(100000, 12, D(0), residual_cents=50000, down_payment_cents=50000))) == {
        "down_payment_cents"}


def test_a_rent_that_rounds_to_zero_is_refused():
    # the exact rent is a fraction of a cent (more than 0) but the stored rent is rounded
    # (ck_leases_rent: rent_cents > 0)
    message = "the down payment and the residual leave less than a cent a month to pay in rent"
    almost_all_down = LeaseTerms(6200000, 48, D(15), down_payment_cents=6199999)
    assert rent_cents(almost_all_down) == 0
    assert check_terms(almost_all_down) == {"down_payment_cents": message}
    a_cent = LeaseTerms(1, 48, D(15))
    assert rent_cents(a_cent) == 0
    assert check_terms(a_cent) == {"down_payment_cents": message}


# --- dates ------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_the_months_last():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)  # leap year
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2027, 12, 15), 1) == dt.date(2028, 1, 15)
    assert add_months(dt.date(2027, 1, 31), 120) == dt.date(2037, 1, 31)


def test_due_dates_count_from_commencement_not_from_the_last_due_date():
    # Feb 28 then Mar 31 (not Mar 28): each month from the commencement day
    assert due_dates(dt.date(2027, 1, 31), 3) == [dt.date(2027, 2, 28), dt.date(2027, 3, 31), dt.date(2027, 4, 30)]


def test_months_passed():
    start = dt.date(2027, 1, 31)
    assert months_passed(start, start, 12) == 0
    assert months_passed(start, dt.date(2027, 2, 27), 12) == 0
    assert months_passed(start, dt.date(2027, 2, 28), 12) == 1  # the due day itself has passed
    assert months_passed(start, dt.date(2027, 3, 30), 12) == 1
    assert months_passed(start, dt.date(2027, 3, 31), 12) == 2
    assert months_passed(start, dt.date(2030, 1, 1), 12) == 12  # never more than the term


# --- shared space -----------------------------------------------------------------------


def test_years_elapsed_around_anniversaries():
    start = dt.date(2025, 3, 1)
    assert years_elapsed(start, dt.date(2026, 2, 28)) == 0
    assert years_elapsed(start, dt.date(2026, 3, 1)) == 1
    assert years_elapsed(start, dt.date(2027, 3, 1)) == 2
    assert years_elapsed(start, dt.date(2025, 1, 1)) == 0  # before the start
    leap = dt.date(2024, 2, 29)
    assert years_elapsed(leap, dt.date(2025, 2, 28)) == 0 and years_elapsed(leap, dt.date(2025, 3, 1)) == 1


def test_the_escalated_rent_is_computed_from_the_base():
    start = dt.date(2025, 3, 1)
    assert space_rent_cents(1000000, D(3), start, dt.date(2027, 2, 1)) == 1030000  # second year: x 1.03
    assert space_rent_cents(1000000, D(3), start, dt.date(2027, 3, 1)) == 1060900  # third: 1,000,000 x 1.03^2
    # 100,009 x 1.0609 = 106,099.55 -> 106,100; compounding the rounded 103,009 (x 1.03 = 106,099.27)
    # would give 106,099
    assert space_rent_cents(100009, D(3), start, dt.date(2027, 3, 1)) == 106100


def test_a_suite_split_by_square_feet_with_the_vacancy_to_the_mso():
    # 2,500 sq ft, 1,200 + 800 let, 500 vacant, the whole 30-day month: 48% / 32% / 20% of 1,060,900
    assert split_space_rent(1060900, 2500, {1: 1200 * 30, 2: 800 * 30}, 30) == {1: 509232, 2: 339488, 0: 212180}


def test_a_partial_month_is_split_by_square_foot_days():
    # practice 2 moves in for 16 of the 30 days: 12,800 of 75,000 square-foot-days
    # 1: 1,060,900 x 36,000 / 75,000 = 509,232 exactly
    # 2: 1,060,900 x 12,800 / 75,000 = 181,060.27 -> floor 181,060 (remainder .27)
    # 0: 1,060,900 x 26,200 / 75,000 = 370,607.73 -> floor 370,607 (remainder .73): the cent left over
    parts = split_space_rent(1060900, 2500, {1: 1200 * 30, 2: 800 * 16}, 30)
    assert parts == {1: 509232, 2: 181060, 0: 370608}
    assert sum(parts.values()) == 1060900
    with pytest.raises(ValueError):
        split_space_rent(1060900, 2500, {1: 2000 * 30, 2: 800 * 30}, 30)


# --- properties over realistic terms ------------------------------------------------------


@st.composite
def lease_terms(draw):
    cost = draw(st.integers(100000, 500000000))  # $1,000 to $5,000,000
    n = draw(st.integers(1, 120))
    return LeaseTerms(
        cost, n, D(draw(st.integers(0, 30000))) / 1000,  # 0 to 30%, up to 3 decimals
        residual_cents=draw(st.integers(0, cost // 2)), advance_payments=draw(st.integers(0, n - 1)),
        down_payment_cents=draw(st.integers(0, cost // 3)))


@settings(max_examples=300, deadline=None)
@given(lease_terms())
def test_the_schedule_over_realistic_terms(terms):
    assert check_terms(terms) == {}
    n, k, i = terms.term_months, terms.advance_payments, terms.monthly_rate
    rent = rent_cents(terms)
    rows = schedule(terms, rent)
    assert [r.month for r in rows] == list(range(1, n + 1))
    assert all(r.balance_cents >= 0 for r in rows)
    assert rows[-1].balance_cents == terms.residual_cents
    assert [r.rent_cents for r in rows] == [rent] * (n - k) + [0] * k
    assert all(r.principal_cents == r.rent_cents - r.interest_cents for r in rows)
    # Every month's interest is cents_half_up(balance * i) but the two that take a residue:
    # month n (to R) and, with advance rents, month n - k (to round(R v^k)).
    before = terms.financed_cents - k * rent
    for row in rows:
        if row.month != n and not (k and row.month == n - k):
            assert row.interest_cents == cents_half_up(before * i)
        before = row.balance_cents
    # The rents' present value: the k advance rents, the n - k in arrears and R v^n make C
    # exactly at the exact rent; the rounded rent is off by at most half a cent on each of
    # the a(n-k) + k payment-equivalents (at most n), so the sum by at most half of that.
    worth = present_value(terms, rent, i, terms.residual_cents) - terms.down_payment_cents
    per_cent_of_rent = present_value(terms, 1, i) - terms.down_payment_cents  # a(n-k) + k
    assert abs(worth - terms.financed_cents) <= per_cent_of_rent / 2 <= F(n, 2)
    # What the rows really add up to, exactly: balance_0 - (all principal) = balance_n = R,
    # and the rent months alone repay balance_0 down to what month n - k lands on
    # (round(R v^k); R itself when k = 0).
    balance_0 = terms.financed_cents - k * rent
    assert balance_0 == balance_after(terms, rows, 0)
    assert sum(r.principal_cents for r in rows) + terms.residual_cents == balance_0
    assert sum(r.principal_cents for r in rows[:n - k]) + rows[n - k - 1].balance_cents == balance_0
    if k:
        landing = F(terms.residual_cents) * (1 + i) ** -k
        assert abs(rows[n - k - 1].balance_cents - landing) <= F(1, 2)


@settings(max_examples=200, deadline=None)
@given(lease_terms(), st.integers(0, 30000))
def test_a_higher_rate_never_lowers_the_rent(terms, other):
    other_rate = D(other) / 1000
    low, high = sorted([terms.annual_rate_percent, other_rate])
    at = lambda rate: rent_cents(LeaseTerms(terms.cost_cents, terms.term_months, rate, terms.residual_cents,  # noqa: E731
                                            terms.advance_payments, terms.down_payment_cents))
    assert at(low) <= at(high)


@settings(max_examples=100, deadline=None)
@given(lease_terms(), st.integers(0, 120), st.integers(0, 10000))
def test_a_buyout_is_the_balance_plus_its_fee(terms, month, fee_hundredths):
    fee = D(fee_hundredths) / 100
    rows = schedule(terms)
    with_fee = LeaseTerms(terms.cost_cents, terms.term_months, terms.annual_rate_percent, terms.residual_cents,
                          terms.advance_payments, terms.down_payment_cents, fee)
    balance = balance_after(terms, rows, month)
    exact = F(balance) * (1 + F(fee) / 100)
    assert abs(buyout_cents(with_fee, rows, month) - exact) <= F(1, 2)


def test_terms_whose_rounding_would_drive_the_balance_below_zero_are_refused():
    # $1,000 over 120 months at 100% with 7 in advance: v^113 is 1/8,400, so the rent's
    # rounding (a fraction of a cent) grows to hundreds of dollars and month 105 would
    # owe a negative balance; lease_schedule refuses a negative balance, so check_terms does
    assert check_terms(LeaseTerms(100000, 120, D(100), advance_payments=7)) == {
        "annual_rate_percent": "a rent rounded to the cent cannot repay so small a cost on these terms: "
                               "shorten the term or lower the rate"}
    # at 0% the rounding alone: $1.00 over 120 months is 1 cent a month, 120 cents for 100
    assert check_terms(LeaseTerms(100, 120, D(0))) == {
        "annual_rate_percent": "a rent rounded to the cent cannot repay so small a cost on these terms: shorten the term"}
    assert set(check_terms(LeaseTerms(10000, 120, D(30), advance_payments=38))) == {"annual_rate_percent"}  # $100
    assert check_terms(LeaseTerms(100000, 120, D(60), advance_payments=7)) == {}


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 500000000), st.integers(1, 120), st.integers(0, 100000), st.data())
def test_terms_check_terms_accepts_never_go_below_zero(cost, n, rate_thousandths, data):
    # beyond the realistic ranges: any cost, any rate the terms allow (lease_schedule's CHECK)
    terms = LeaseTerms(cost, n, D(rate_thousandths) / 1000, residual_cents=data.draw(st.integers(0, cost)),
                       advance_payments=data.draw(st.integers(0, n - 1)),
                       down_payment_cents=data.draw(st.integers(0, cost)))
    if check_terms(terms) == {}:
        assert rent_cents(terms) > 0
        rows = schedule(terms)
        assert min(r.balance_cents for r in rows) >= 0 and rows[-1].balance_cents == terms.residual_cents
