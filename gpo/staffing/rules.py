"""Pure staffing rules (DOMAIN.md "Shared staffing pool"): availability, worked minutes,
labor cents, month bounds. No database, no clock."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from gpo.money import HUNDRED, round_half_up

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
