"""The lease math (DOMAIN.md "Equipment and space leasing"): rent, schedule, buyout,
present value and the ASC 842 lessor classification, and a shared suite's monthly
rent and its split. No Flask, no database.

Every figure is worked in exact rational arithmetic (`Fraction`) and rounded half-up
once, to whole cents, at the end: a rent of $487.29 is (C - R v^n) / (a(n-k) + k)
computed exactly, then rounded.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from gpo.money import allocate

MAX_TERM_MONTHS = 120
RESIDUAL_GUARANTEES = ("none", "practice", "third_party")
CLASSIFICATIONS = ("sales_type", "direct_financing", "operating")


@dataclass(frozen=True)
class LeaseTerms:
    """What a lease's figures depend on. `cost_cents` is what the MSO finances before
    the down payment (the asset's cost, or for a renewal what is left of it)."""

    cost_cents: int
    term_months: int  # n
    annual_rate_percent: Decimal  # r; i = r / 1200 a month
    residual_cents: int = 0  # R, the purchase option at the end
    advance_payments: int = 0  # k: rents due at commencement (0 = every rent in arrears)
    down_payment_cents: int = 0  # D
    early_termination_fee_percent: Decimal = Decimal(0)

    @property
    def financed_cents(self) -> int:
        """C = cost - D."""
        return self.cost_cents - self.down_payment_cents

    @property
    def monthly_rate(self) -> Fraction:
        return Fraction(self.annual_rate_percent) / 1200


@dataclass(frozen=True)
class ScheduleRow:
    """Month t of the schedule: the rent due at its end (0 for the last k months, whose
    rents were paid at commencement), the interest the MSO earns, the principal the
    rent repays and the balance after it."""

    month: int
    rent_cents: int
    interest_cents: int
    principal_cents: int
    balance_cents: int


def cents_half_up(value: Fraction) -> int:
    """Exact to whole cents, halves away from zero: `gpo.money.round_half_up` for a Fraction
    (the lease math never leaves exact arithmetic until this one rounding)."""
    if value < 0:
        return -cents_half_up(-value)
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


def check_terms(terms: LeaseTerms) -> dict[str, str]:
    """Every rule the terms break, field -> message, all at once (empty: they are fine)."""
    problems: dict[str, str] = {}
    n, k = terms.term_months, terms.advance_payments
    if not 1 <= n <= MAX_TERM_MONTHS:
        problems["term_months"] = f"the term is 1 to {MAX_TERM_MONTHS} months"
    if k < 0:
        problems["advance_payments"] = "advance payments cannot be negative"
    elif k >= n and "term_months" not in problems:
        problems["advance_payments"] = f"advance payments must be fewer than the term's {n} months"
    if not Decimal(0) <= terms.annual_rate_percent <= Decimal(100):
        problems["annual_rate_percent"] = "the annual rate is 0 to 100 percent"
    if terms.cost_cents <= 0:
        problems["cost_cents"] = "the cost must be more than zero"
    if terms.residual_cents < 0:
        problems["residual_cents"] = "the residual cannot be negative"
    elif terms.residual_cents > terms.cost_cents:
        problems["residual_cents"] = "the residual cannot be more than the asset's cost"
    if terms.down_payment_cents < 0:
        problems["down_payment_cents"] = "the down payment cannot be negative"
    elif terms.down_payment_cents > terms.cost_cents:
        problems["down_payment_cents"] = "the down payment cannot be more than the asset's cost"
    if terms.early_termination_fee_percent < 0 or terms.early_termination_fee_percent > 100:
        problems["early_termination_fee_percent"] = "the early termination fee is 0 to 100 percent"
    if not problems and rent_cents(terms) <= 0:
        # The rounded rent is what is stored (ck_leases_rent): an exact rent under half
        # a cent is no rent at all.
        problems["down_payment_cents"] = (
            "the down payment and the residual leave less than a cent a month to pay in rent")
    elif not problems and min(row.balance_cents for row in schedule(terms)) < 0:
        # The rent's half-cent of rounding grows at the lease's rate: at high rates on a
        # small cost (70% on $1,000, 100% on $10,000, 30% on $100) it outruns the
        # balance, which would go below zero (lease_schedule's CHECK): refused here, a
        # 422 at the quote. Realistic terms never get here.
        # (At 0% it is the rent's rounding alone: $1.00 over 120 months.)
        problems["annual_rate_percent"] = (
            "a rent rounded to the cent cannot repay so small a cost on these terms: shorten the term"
            + (" or lower the rate" if terms.annual_rate_percent else ""))
    return problems


def _annuity(i: Fraction, months: int) -> Fraction:
    """a(m) = (1 - v^m) / i: the present value of 1 at the end of each of m months."""
    if i == 0:
        return Fraction(months)
    return (1 - (1 + i) ** -months) / i


def _exact_rent(terms: LeaseTerms) -> Fraction:
    n, k, i = terms.term_months, terms.advance_payments, terms.monthly_rate
    c, r = Fraction(terms.financed_cents), Fraction(terms.residual_cents)
    if i == 0:
        return (c - r) / n
    return (c - r * (1 + i) ** -n) / (_annuity(i, n - k) + k)


def rent_cents(terms: LeaseTerms) -> int:
    """cents_half_up((C - R v^n) / (a(n - k) + k)); at 0%, cents_half_up((C - R) / n)."""
    return cents_half_up(_exact_rent(terms))


def due_at_signing_cents(terms: LeaseTerms, rent: int) -> int:
    """The commencement invoice: the down payment and the k advance rents."""
    return terms.down_payment_cents + terms.advance_payments * rent


def schedule(terms: LeaseTerms, rent: int | None = None) -> list[ScheduleRow]:
    """Months 1..n. balance_0 = C - k * rent; each month's interest is
    cents_half_up(balance * i), its rent the rent for months 1..n-k and 0 after, and
    the last month's interest takes the rounding residue so balance_n = R exactly.

    With advance rents (k > 0) the balance after the last rent-bearing month n-k is,
    exactly, R v^k; rounded rents can leave it a few cents off, below zero when R is
    0. So month n-k's interest also takes the residue, to cents_half_up(R v^k): the
    balance never goes negative, and months n-k+1..n accrue interest on it to R."""
    n, k, i = terms.term_months, terms.advance_payments, terms.monthly_rate
    rent = rent_cents(terms) if rent is None else rent
    balance = terms.financed_cents - k * rent
    target_after_rents = cents_half_up(Fraction(terms.residual_cents) * (1 + i) ** -k) if k else None
    rows = []
    for t in range(1, n + 1):
        rent_t = rent if t <= n - k else 0
        if t == n:
            interest = terms.residual_cents - balance + rent_t
        elif t == n - k and target_after_rents is not None:
            interest = target_after_rents - balance + rent_t
        else:
            interest = cents_half_up(balance * i)
        balance = balance + interest - rent_t
        rows.append(ScheduleRow(t, rent_t, interest, rent_t - interest, balance))
    return rows


def balance_after(terms: LeaseTerms, rows: list[ScheduleRow], month: int) -> int:
    """The balance once month `month` (0..n) has passed: balance_0 before the first."""
    if month <= 0:
        return terms.financed_cents - terms.advance_payments * (rows[0].rent_cents if rows else 0)
    return rows[min(month, len(rows)) - 1].balance_cents


def buyout_cents(terms: LeaseTerms, rows: list[ScheduleRow], month: int) -> int:
    """The payoff at month t: balance_t plus `early_termination_fee_percent` of it,
    rounded half-up once."""
    balance = balance_after(terms, rows, month)
    return cents_half_up(Fraction(balance) * (1 + Fraction(terms.early_termination_fee_percent) / 100))


# --- present value and classification (ASC 842, lessor) --------------------------------


def present_value(terms: LeaseTerms, rent: int, monthly_rate: Fraction, residual_cents: int = 0) -> Fraction:
    """D, the k advance rents and the n-k rents in arrears, plus `residual_cents` at
    the end of month n, discounted at `monthly_rate`."""
    n, k = terms.term_months, terms.advance_payments
    value = Fraction(terms.down_payment_cents + k * rent) + rent * _annuity(monthly_rate, n - k)
    if residual_cents:
        value += Fraction(residual_cents) * (1 + monthly_rate) ** -n
    return value


def implicit_monthly_rate(terms: LeaseTerms, rent: int, fair_value_cents: int) -> Fraction:
    """The rate implicit in the lease: the monthly rate at which the lease payments and
    the whole residual are worth the asset's fair value (bisection in exact
    arithmetic, to 2^-48). Payments worth no more than the fair value undiscounted
    give 0."""
    total = present_value(terms, rent, Fraction(0), terms.residual_cents)
    if total <= fair_value_cents:
        return Fraction(0)
    low, high = Fraction(0), Fraction(1)
    for _ in range(48):
        mid = (low + high) / 2
        if present_value(terms, rent, mid, terms.residual_cents) > fair_value_cents:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class ClassificationTest:
    name: str
    passed: bool
    explanation: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Classification:
    kind: str  # one of CLASSIFICATIONS
    tests: list[ClassificationTest]
    implicit_rate_percent: Decimal
    present_value_cents: int
    present_value_percent: Decimal  # of fair value
    sale_leaseback_financing: bool  # a sale-leaseback whose leaseback is sales-type: no sale occurs


def _percent(part: Fraction, whole: int) -> Decimal:
    """part / whole as a percent, half-up to two places."""
    return Decimal(cents_half_up(part * 10000 / whole)) / 100


def _term_test(n: int, remaining_life_months: int, economic_life_months: int,
               threshold: Decimal) -> ClassificationTest:
    """The term is at least `threshold` percent of the asset's remaining economic life;
    not applied in the last quarter of that life."""
    if remaining_life_months * 4 <= economic_life_months:
        passed, explanation = False, "the asset is in the last quarter of its economic life: the term test does not apply"
    else:
        percent = _percent(Fraction(n), remaining_life_months)
        passed = percent >= threshold
        explanation = (f"{n} months are {percent}% of the asset's remaining {remaining_life_months} months "
                       f"({'at least' if passed else 'less than'} {threshold}%)")
    percent = _percent(Fraction(n), remaining_life_months) if remaining_life_months > 0 else Decimal(100)
    return ClassificationTest("term", passed, explanation, {
        "term_months": n, "remaining_life_months": remaining_life_months,
        "economic_life_months": economic_life_months, "percent": str(percent), "threshold_percent": str(threshold)})


def _direct_financing_test(terms: LeaseTerms, i: Fraction, pv: Fraction, fair_value_cents: int,
                           residual_guarantee: str, collection_probable: bool,
                           threshold: Decimal) -> ClassificationTest:
    """Not sales-type: direct financing if the present value plus a third party's
    guaranteed residual reaches `threshold` percent of fair value and collection is
    probable."""
    third_party = terms.residual_cents if residual_guarantee == "third_party" else 0
    with_guarantee = pv + (Fraction(third_party) * (1 + i) ** -terms.term_months if third_party else 0)
    percent = _percent(with_guarantee, fair_value_cents)
    return ClassificationTest(
        "direct_financing", percent >= threshold and collection_probable,
        f"with a third party's guaranteed residual the payments are worth {percent}% of the fair value"
        f"{'' if collection_probable else ', but collection is not probable'}",
        {"present_value_cents": cents_half_up(with_guarantee), "percent": str(percent),
         "collection_probable": collection_probable})


def classify(terms: LeaseTerms, rent: int, *, fair_value_cents: int, remaining_life_months: int,
             economic_life_months: int, transfers_ownership: bool = False,
             purchase_option_reasonably_certain: bool = False, specialized: bool = False,
             residual_guarantee: str = "none", collection_probable: bool = True,
             sale_leaseback: bool = False, term_test_percent: Decimal = Decimal(75),
             present_value_test_percent: Decimal = Decimal(90)) -> Classification:
    """Sales-type if any of the five tests passes; otherwise direct financing if the
    present value plus a third party's guaranteed residual reaches the threshold and
    collection is probable; otherwise operating. Each test carries its figures."""
    n = terms.term_months
    i = implicit_monthly_rate(terms, rent, fair_value_cents)
    guaranteed_by_practice = terms.residual_cents if residual_guarantee == "practice" else 0
    pv = present_value(terms, rent, i, guaranteed_by_practice)
    pv_percent = _percent(pv, fair_value_cents)
    rate_percent = Decimal(cents_half_up(i * 1200 * 10000)) / 10000
    tests = [
        ClassificationTest("ownership_transfer", transfers_ownership,
                           "ownership passes to the practice at the end of the term" if transfers_ownership
                           else "the MSO keeps ownership at the end of the term"),
        ClassificationTest("purchase_option", purchase_option_reasonably_certain,
                           "the practice is reasonably certain to buy at the residual"
                           if purchase_option_reasonably_certain
                           else "buying at the residual is not reasonably certain",
                           {"residual_cents": terms.residual_cents}),
        _term_test(n, remaining_life_months, economic_life_months, term_test_percent),
        ClassificationTest("present_value", pv_percent >= present_value_test_percent,
                           f"the lease payments{' and the residual the practice guarantees' if guaranteed_by_practice else ''} "
                           f"are worth {pv_percent}% of the fair value at the implicit rate of {rate_percent}% "
                           f"({'at least' if pv_percent >= present_value_test_percent else 'less than'} "
                           f"{present_value_test_percent}%)",
                           {"present_value_cents": cents_half_up(pv), "fair_value_cents": fair_value_cents,
                            "percent": str(pv_percent), "implicit_rate_percent": str(rate_percent),
                            "threshold_percent": str(present_value_test_percent)}),
        ClassificationTest("specialized", specialized,
                           "the asset is so specialized it has no other use" if specialized
                           else "the asset has other uses at the end of the term"),
    ]
    if any(t.passed for t in tests):
        kind = "sales_type"
    else:
        direct = _direct_financing_test(terms, i, pv, fair_value_cents, residual_guarantee, collection_probable,
                                        present_value_test_percent)
        tests.append(direct)
        kind = "direct_financing" if direct.passed else "operating"
    return Classification(kind, tests, rate_percent, cents_half_up(pv), pv_percent,
                          sale_leaseback and kind == "sales_type")


# --- dates -----------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day
    (Jan 31 + 1 month = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(commences_on: dt.date, term_months: int) -> list[dt.date]:
    """The end of months 1..n, when each month's rent (if any) is due."""
    return [add_months(commences_on, t) for t in range(1, term_months + 1)]


def months_passed(commences_on: dt.date, on: dt.date, term_months: int) -> int:
    """How many of the lease's months have ended on `on` (0..n)."""
    return sum(1 for due in due_dates(commences_on, term_months) if due <= on)


# --- shared space ----------------------------------------------------------------------


def years_elapsed(starts_on: dt.date, on: dt.date) -> int:
    """Whole years from `starts_on` to `on`: anniversaries passed (0 in the first year)."""
    years = on.year - starts_on.year
    if (on.month, on.day) < (starts_on.month, starts_on.day):
        years -= 1
    return max(years, 0)


def space_rent_cents(base_rent_cents: int, escalation_percent: Decimal, starts_on: dt.date,
                     month_start: dt.date) -> int:
    """Month m's rent: cents_half_up(base * (1 + e/100)^years_elapsed), computed from the
    base each year (never compounded from last year's rounded rent)."""
    years = years_elapsed(starts_on, month_start)
    return cents_half_up(Fraction(base_rent_cents) * (1 + Fraction(escalation_percent) / 100) ** years)


def split_space_rent(rent: int, suite_square_feet: int, occupied: dict[int, int], days_in_month: int) -> dict[int, int]:
    """The month's rent split with `allocate` by square-foot-days: `occupied` is each
    practice's square feet times the days it occupied the suite that month; the
    vacancy (key 0) is the rest of the suite's square-foot-days, the MSO's own share."""
    whole = suite_square_feet * days_in_month
    vacant = whole - sum(occupied.values())
    if vacant < 0:
        raise ValueError("the practices occupy more than the suite")
    keys = sorted(occupied) + [0]
    parts = allocate(rent, [occupied[k] for k in keys[:-1]] + [vacant], keys)
    return dict(zip(keys, parts, strict=True))
