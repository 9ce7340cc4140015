"""Pure staffing rules (DOMAIN.md "Shared staffing pool"): availability, worked minutes,
labor cents, month bounds, the cost run's sums and invoice lines. No database, no clock."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from gpo.money import HUNDRED, allocate, format_dollars, round_half_up

SIXTY = Decimal(60)


@dataclass(frozen=True)
class Window:
    """A weekly window: weekday 0 = Monday, minutes from local midnight (end <= 1440)."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Span:
    starts_at: dt.datetime
    ends_at: dt.datetime

    def overlaps(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at

    def covers(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        return self.starts_at <= starts_at and ends_at <= self.ends_at


def _wall(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """Local wall-clock time `minute` minutes after `day`'s midnight (1440: the next midnight)."""
    if minute == 1440:
        day, minute = day + dt.timedelta(days=1), 0
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)


def within_weekly(windows: list[Window], starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo) -> bool:
    """The shift lies inside one weekly window of the day it starts on (local time)."""
    local = starts_at.astimezone(zone)
    day = local.date()
    return any(w.weekday == day.weekday() and _wall(day, w.start_minute, zone) <= starts_at
               and ends_at <= _wall(day, w.end_minute, zone) for w in windows)


def is_available(windows: list[Window], extra: list[Span], leave: list[Span],
                 starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo) -> bool:
    """Inside a weekly window or a dated `available` exception, and overlapping no
    dated `unavailable` one (leave)."""
    if any(span.overlaps(starts_at, ends_at) for span in leave):
        return False
    return within_weekly(windows, starts_at, ends_at, zone) or any(span.covers(starts_at, ends_at) for span in extra)


def worked_minutes(started_at: dt.datetime, ended_at: dt.datetime, break_minutes: int) -> int:
    """End minus start minus break, in whole minutes (seconds are dropped)."""
    return int((ended_at - started_at).total_seconds() // 60) - break_minutes


def labor_cents(minutes: int, hourly_cost_cents: int, premium_percent: Decimal) -> int:
    """round_half_up(minutes * hourly_cost / 60 * (1 + premium / 100)): one timesheet's
    labor, rounded once."""
    return int(round_half_up(Decimal(minutes) * hourly_cost_cents / SIXTY * (1 + premium_percent / HUNDRED)))


def month_span(month: str, zone: ZoneInfo) -> Span:
    """The month's first instant and the next month's, local midnight to local midnight."""
    year, number = int(month[:4]), int(month[5:7])
    first = dt.date(year, number, 1)
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return Span(dt.datetime.combine(first, dt.time(), tzinfo=zone), dt.datetime.combine(following, dt.time(), tzinfo=zone))


# --- the monthly cost run ----------------------------------------------------------------


@dataclass(frozen=True)
class WorkedShift:
    """One approved, not yet billed timesheet as the cost run reads it."""

    practice_id: int
    staff_id: int
    name: str
    role: str
    hourly_cost_cents: int
    minutes: int
    short_notice: bool


@dataclass
class PersonHours:
    """A person's billed time at one practice, role and hourly cost."""

    name: str
    minutes: int = 0
    cents: int = 0
    short_notice: int = 0  # how many of the shifts were short-notice


@dataclass
class PracticeCost:
    """A practice's month: approved minutes, labor cents, and hours per person."""

    minutes: int = 0
    labor_cents: int = 0
    people: dict[tuple[int, str, int], PersonHours] = field(default_factory=dict)


def practice_costs(shifts: list[WorkedShift], premium_percent: Decimal) -> dict[int, PracticeCost]:
    """Each practice's minutes and labor, each timesheet rounded once (`labor_cents`,
    the premium on short-notice shifts), people kept in the order of `shifts`."""
    costs: dict[int, PracticeCost] = {}
    for shift in shifts:
        cents = labor_cents(shift.minutes, shift.hourly_cost_cents, premium_percent if shift.short_notice else Decimal(0))
        cost = costs.setdefault(shift.practice_id, PracticeCost())
        cost.minutes += shift.minutes
        cost.labor_cents += cents
        person = cost.people.setdefault((shift.staff_id, shift.role, shift.hourly_cost_cents), PersonHours(shift.name))
        person.minutes += shift.minutes
        person.cents += cents
        person.short_notice += shift.short_notice
    return costs


def overhead_shares(overhead_cents: int, costs: dict[int, PracticeCost]) -> list[tuple[int, int]]:
    """(practice id, its share) by practice id: `allocate(overhead, approved minutes per
    practice, practice ids)`, the shares adding up to the overhead exactly."""
    practice_ids = sorted(costs)
    if not practice_ids:
        return []
    shares = allocate(overhead_cents, [costs[p].minutes for p in practice_ids], practice_ids)
    return list(zip(practice_ids, shares, strict=True))


def invoice_lines(cost: PracticeCost, share: int, *, premium_percent: Decimal, month_label: str,
                  overhead_cents: int) -> list[dict]:
    """A practice's staffing invoice lines: one per person, role and hourly cost, then
    its overhead share (when it is not zero)."""
    lines = []
    for (_staff_id, role, hourly), person in cost.people.items():
        hours = Decimal(person.minutes) / SIXTY
        note = f", {person.short_notice} short-notice shift(s) +{premium_percent.normalize()}%" \
            if person.short_notice else ""
        lines.append({"kind": "staffing", "description": f"{person.name} ({role}), {person.minutes // 60} h "
                      f"{person.minutes % 60:02d} min at {format_dollars(hourly)}/h{note}"[:300],
                      "quantity": hours.quantize(Decimal("0.0001")), "unit_price": Decimal(hourly) / HUNDRED,
                      "amount_cents": person.cents})
    if share:
        lines.append({"kind": "overhead", "description": f"Pool overhead, {month_label}: your share by approved hours "
                      f"({cost.minutes} of the pool's minutes) of {format_dollars(overhead_cents)}",
                      "amount_cents": share})
    return lines
