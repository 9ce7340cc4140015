"""The malpractice premium rule with hand-computed cents (DOMAIN.md "Malpractice
insurance group program"):

    annual = base_rate[class][limits] * step[year] * fte
             * (1 - claims_free_percent / 100) * (1 - group_discount_percent / 100)

exact decimals, one half-up rounding at the end."""
import datetime as dt
from decimal import Decimal as D

import pytest

from gpo.insurance import premium as rule
from gpo.insurance.premium import RateTable, Threshold

TABLE = RateTable(
    rates={("1", "1M/3M"): 1_200_000, ("1", "2M/4M"): 1_500_000, ("8", "1M/3M"): 1_234_567, ("8", "2M/4M"): 1_600_000},
    specialty_classes={"family_medicine": "1", "pediatrics": "1", "obgyn": "8"},
    step_factors=(D("0.35"), D("0.60"), D("0.80"), D("0.90"), D("1.00")),
    claims_free_credits=(Threshold(3, D("5")), Threshold(5, D("10"))),
    group_discount_bands=(Threshold(0, D("0")), Threshold(10, D("5")), Threshold(25, D("10")), Threshold(50, D("15"))),
)
YEAR = 365


def quote(specialty="family_medicine", limits="1M/3M", fte="1", year=5, claims_free=0, band="0", days=YEAR):
    return rule.premium(TABLE, specialty=specialty, limits=limits, fte=D(fte), claims_made_year=year,
                        claims_free_years=claims_free, group_discount_percent=D(band), days_covered=days,
                        days_in_period=YEAR)


def test_a_mature_full_time_provider_pays_the_base_rate():
    p = quote()
    assert (p.specialty_class, p.base_rate_cents, p.annual_cents, p.premium_cents) == ("1", 1_200_000, 1_200_000, 1_200_000)
    assert quote(limits="2M/4M").annual_cents == 1_500_000


@pytest.mark.parametrize("year, cents", [
    (1, 420_000),    # 1,200,000 x 0.35
    (2, 720_000),    # x 0.60
    (3, 960_000),    # x 0.80
    (4, 1_080_000),  # x 0.90
    (5, 1_200_000),  # x 1.00
    (6, 1_200_000),  # later years: the last factor
    (30, 1_200_000),
])
def test_each_claims_made_step_year(year, cents):
    assert quote(year=year).annual_cents == cents


def test_part_time_claims_free_and_group_band_multiply():
    # 1,200,000 x 0.60 x 0.5 x (1 - 5/100) x (1 - 5/100) = 360,000 x 0.9025 = 324,900
    p = quote(fte="0.5", year=2, claims_free=4, band="5")
    assert (p.step_factor, p.fte, p.claims_free_percent, p.group_discount_percent) == (D("0.60"), D("0.5"), D("5"), D("5"))
    assert p.annual_cents == 324_900
    # 1,200,000 x 0.90 x 0.5 x 0.90 x 0.90 = 437,400
    assert quote(fte="0.5", year=4, claims_free=5, band="10").annual_cents == 437_400
    assert quote(fte="0.1", year=5).annual_cents == 120_000


def test_rounding_happens_once_at_the_end():
    # 1,234,567 x 0.35 x 0.3 x 0.95 x 0.95 = 116,990.6553375 -> 116,991. Rounding after
    # each step would give 129,630 -> 123,149 -> 116,992: a cent too much.
    p = quote(specialty="obgyn", fte="0.3", year=1, claims_free=3, band="5")
    assert p.annual_exact == D("116990.6553375")
    assert p.annual_cents == 116_991


@pytest.mark.parametrize("years, percent", [(0, "0"), (2, "0"), (3, "5"), (4, "5"), (5, "10"), (40, "10")])
def test_claims_free_credit_is_the_highest_reached(years, percent):
    assert rule.percent_reached(TABLE.claims_free_credits, years) == D(percent)


@pytest.mark.parametrize("providers, percent, following", [
    (0, "0", 10), (9, "0", 10), (10, "5", 25), (24, "5", 25), (25, "10", 50), (49, "10", 50), (50, "15", None), (500, "15", None),
])
def test_group_band_boundaries(providers, percent, following):
    assert rule.percent_reached(TABLE.group_discount_bands, providers) == D(percent)
    nxt = rule.next_threshold(TABLE.group_discount_bands, providers)
    assert (nxt.minimum if nxt else None) == following


def test_band_boundary_changes_the_premium_by_exactly_the_band():
    # 9 providers: no discount; the 10th brings 5% to everyone quoted
    assert quote(band=str(rule.percent_reached(TABLE.group_discount_bands, 9))).annual_cents == 1_200_000
    assert quote(band=str(rule.percent_reached(TABLE.group_discount_bands, 10))).annual_cents == 1_140_000
    assert quote(band=str(rule.percent_reached(TABLE.group_discount_bands, 25))).annual_cents == 1_080_000
    assert quote(band=str(rule.percent_reached(TABLE.group_discount_bands, 50))).annual_cents == 1_020_000


def test_part_period_premium_is_prorated_from_the_exact_annual():
    # 324,900 x 265 / 365 = 235,886.30... -> 235,886
    p = quote(fte="0.5", year=2, claims_free=4, band="5", days=265)
    assert (p.annual_cents, p.premium_cents, p.days_covered) == (324_900, 235_886, 265)
    # from the exact annual, not the rounded one: 116,990.6553375 x 100 / 365 = 32,052.23 -> 32,052
    assert quote(specialty="obgyn", fte="0.3", year=1, claims_free=3, band="5", days=100).premium_cents == 32_052
    assert rule.prorated_cents(D(730), 1, 4) == 183  # 182.5: half-up, not to even
    assert rule.prorated_cents(D(730), 0, 4) == 0
    with pytest.raises(ValueError):
        rule.prorated_cents(D(730), 5, 4)


def test_unknown_specialty_or_limits_and_year_zero_are_refused():
    with pytest.raises(KeyError):
        quote(specialty="neurosurgery")
    with pytest.raises(KeyError):
        quote(limits="5M/10M")
    with pytest.raises(ValueError):
        quote(year=0)


# --- installments -------------------------------------------------------------------------

START, END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)


def test_quarterly_installments_add_up_to_the_premium():
    assert rule.installment_schedule(START, END, 4, START, 324_900) == [
        (dt.date(2027, 1, 1), 81_225), (dt.date(2027, 4, 1), 81_225),
        (dt.date(2027, 7, 1), 81_225), (dt.date(2027, 10, 1), 81_225)]


def test_monthly_installments_put_leftover_cents_on_the_earliest():
    # 100,001 / 12 = 8,333 r 5: the first five get 8,334
    schedule = rule.installment_schedule(START, END, 12, START, 100_001)
    assert [cents for _, cents in schedule] == [8_334] * 5 + [8_333] * 7
    assert sum(cents for _, cents in schedule) == 100_001
    assert [due.month for due, _ in schedule] == list(range(1, 13))
    assert rule.installment_schedule(START, END, 1, START, 100_001) == [(START, 100_001)]


def test_coverage_starting_mid_period_pays_the_installments_left():
    # from May 15, quarterly: the April stretch (due May 15), July and October
    schedule = rule.installment_schedule(START, END, 4, dt.date(2027, 5, 15), 100_000)
    assert schedule == [(dt.date(2027, 5, 15), 33_334), (dt.date(2027, 7, 1), 33_333), (dt.date(2027, 10, 1), 33_333)]
    # on the day an installment falls, that one is the first
    assert rule.installment_schedule(START, END, 4, dt.date(2027, 7, 1), 10)[0] == (dt.date(2027, 7, 1), 5)
    # late in the year, monthly: November's stretch and December
    assert rule.installment_schedule(START, END, 12, dt.date(2027, 11, 20), 1_001) == [
        (dt.date(2027, 11, 20), 501), (dt.date(2027, 12, 1), 500)]
    with pytest.raises(ValueError):
        rule.installment_schedule(START, END, 4, dt.date(2028, 1, 1), 100)


def test_months_clamp_to_the_month_end_and_days_count_both_ends():
    assert rule.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert rule.add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert rule.days_between(START, END) == 365
    assert rule.days_between(dt.date(2027, 12, 31), END) == 1
    assert rule.days_between(dt.date(2028, 1, 1), END) == 0
