"""The malpractice premium as a pure rule (DOMAIN.md "Malpractice insurance group program").

    annual = base_rate[class][limits] * step[year] * fte
             * (1 - claims_free_percent / 100) * (1 - group_discount_percent / 100)

in exact decimals, rounded half-up to cents once, at the very end. Coverage shorter
than the policy period (a provider added after binding, or starting later) pays
`round_half_up(annual * days_covered / days_in_period)`, again from the exact annual
figure, so there is still one rounding. No database, no clock: everything comes in as
arguments, which is what makes the hand-computed unit tests possible.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from gpo.money import HUNDRED, allocate, round_half_up

ONE = Decimal(1)


@dataclass(frozen=True)
class Threshold:
    """A claims-free credit (`minimum` = claims-free years) or a group discount band
    (`minimum` = providers enrolled): the highest one reached applies."""

    minimum: int
    percent: Decimal


@dataclass(frozen=True)
class RateTable:
    """A program's rating terms, already validated (gpo/insurance/rules.py)."""

    rates: dict[tuple[str, str], int]  # (specialty class, limits) -> annual rate in cents
    specialty_classes: dict[str, str]  # provider specialty -> class
    step_factors: tuple[Decimal, ...]  # claims-made year 1, 2, ...; the last for every later year
    claims_free_credits: tuple[Threshold, ...]  # ascending by minimum
    group_discount_bands: tuple[Threshold, ...]  # ascending by minimum, the first at 0


@dataclass(frozen=True)
class Premium:
    """One provider's premium with every factor that made it, for the quote."""

    specialty_class: str
    base_rate_cents: int
    step_factor: Decimal
    fte: Decimal
    claims_free_percent: Decimal
    group_discount_percent: Decimal
    annual_exact: Decimal  # before rounding: pro-rating starts from this
    annual_cents: int
    days_covered: int
    days_in_period: int
    premium_cents: int  # what the provider's coverage costs: annual, or pro-rata


def step_factor(steps: tuple[Decimal, ...], claims_made_year: int) -> Decimal:
    """The factor for the year; the last factor for every later year."""
    if claims_made_year < 1:
        raise ValueError("the claims-made year starts at 1")
    return steps[min(claims_made_year, len(steps)) - 1]


def reached(thresholds: tuple[Threshold, ...], value: int) -> Threshold | None:
    """The highest threshold whose minimum `value` reaches (None: none reached)."""
    best = None
    for threshold in thresholds:
        if threshold.minimum <= value:
            best = threshold
    return best


def next_threshold(thresholds: tuple[Threshold, ...], value: int) -> Threshold | None:
    """The first threshold above what `value` reaches (None: the top one is reached)."""
    return next((t for t in thresholds if t.minimum > value), None)


def percent_reached(thresholds: tuple[Threshold, ...], value: int) -> Decimal:
    threshold = reached(thresholds, value)
    return threshold.percent if threshold is not None else Decimal(0)


def annual_exact(table: RateTable, specialty_class: str, limits: str, fte: Decimal, claims_made_year: int,
                 claims_free_years: int, group_discount_percent: Decimal) -> Decimal:
    """The unrounded annual premium in cents."""
    base = Decimal(table.rates[(specialty_class, limits)])
    return (base * step_factor(table.step_factors, claims_made_year) * fte
            * (ONE - percent_reached(table.claims_free_credits, claims_free_years) / HUNDRED)
            * (ONE - group_discount_percent / HUNDRED))


def premium(table: RateTable, *, specialty: str, limits: str, fte: Decimal, claims_made_year: int,
            claims_free_years: int, group_discount_percent: Decimal, days_covered: int,
            days_in_period: int) -> Premium:
    """A provider's premium for `days_covered` of the period's `days_in_period`.
    KeyError when the specialty has no class or the limits no rate (rules.py refuses
    both before this is called)."""
    specialty_class = table.specialty_classes[specialty]
    exact = annual_exact(table, specialty_class, limits, fte, claims_made_year, claims_free_years,
                         group_discount_percent)
    return Premium(
        specialty_class=specialty_class,
        base_rate_cents=table.rates[(specialty_class, limits)],
        step_factor=step_factor(table.step_factors, claims_made_year),
        fte=fte,
        claims_free_percent=percent_reached(table.claims_free_credits, claims_free_years),
        group_discount_percent=group_discount_percent,
        annual_exact=exact,
        annual_cents=int(round_half_up(exact)),
        days_covered=days_covered,
        days_in_period=days_in_period,
        premium_cents=prorated_cents(exact, days_covered, days_in_period),
    )


def prorated_cents(annual: Decimal, days: int, days_in_period: int) -> int:
    """round_half_up(annual * days / days_in_period): a part-period premium, or the
    credit for the unused days of a cancelled one."""
    if not 0 <= days <= days_in_period:
        raise ValueError("days must lie within the period")
    return int(round_half_up(annual * days / days_in_period))


# --- the period and its installments ------------------------------------------------------


def days_between(first: dt.date, last: dt.date) -> int:
    """Days from `first` to `last`, both included (0 when `last` is before `first`)."""
    return max((last - first).days + 1, 0)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def installment_dates(period_start: dt.date, period_end: dt.date, installments: int) -> list[dt.date]:
    """When each of `installments` equal payments falls: every 12/n months from the
    period's start (1: at the start; 4: quarterly; 12: monthly), within the period."""
    step = 12 // installments
    dates = [add_months(period_start, i * step) for i in range(installments)]
    return [d for d in dates if d <= period_end]


def installment_schedule(period_start: dt.date, period_end: dt.date, installments: int,
                         effective_on: dt.date, premium_cents: int) -> list[tuple[dt.date, int]]:
    """(due date, cents) of each installment for coverage starting `effective_on`.

    Coverage from the period's start pays all `installments`. Coverage starting later
    pays the installments whose stretch has not ended by then, the first of them due
    on the day coverage starts. The split is `allocate(premium, [1]*n, index)`: the
    parts add up to the premium exactly (a leftover cent goes to the earliest)."""
    dates = installment_dates(period_start, period_end, installments)
    ends = dates[1:] + [period_end + dt.timedelta(days=1)]
    # strict=False: with no dates (a period ending before it starts) `ends` still holds one
    # date, and the ValueError below, not zip's, is the answer.
    due = [max(d, effective_on) for d, end in zip(dates, ends, strict=False) if end > effective_on]
    if not due:
        raise ValueError("coverage starts after the period ends")
    parts = allocate(premium_cents, [1] * len(due), list(range(len(due))))
    return list(zip(due, parts, strict=True))
