"""The clock and the time zone every staffing rule reads: one place, so a test moves
the pool's "now" for every use case at once (`monkeypatch.setattr(clock, "now", ...)`);
use cases call `clock.now()`, never a copy imported by name."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from gpo.db import utcnow


def now() -> dt.datetime:
    """The clock every staffing rule reads (one place, so tests can move it)."""
    return utcnow()


def zone() -> ZoneInfo:
    """The pool's time zone (weekly windows, months)."""
    return ZoneInfo(current_app.config["STAFFING_TIMEZONE"])


def month_of(moment: dt.datetime) -> str:
    """The pool's month ("2027-01") a moment falls in."""
    return f"{moment.astimezone(zone()):%Y-%m}"


def _time_of_day(local: dt.datetime) -> str:
    return f"{local:%I:%M %p}".lstrip("0")


def _day(local: dt.datetime) -> str:
    return f"{local:%a %b} {local.day}"


def shift_words(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A shift as people read it, in the pool's zone with its abbreviation:
    "Mon Dec 7, 9:00 AM–5:00 PM CST"; a shift past midnight names both days
    ("Mon Dec 7, 10:00 PM–Tue Dec 8, 6:00 AM CST"), one across a change of the
    clocks both abbreviations."""
    pool = zone()
    starts, ends = (moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
                    for moment in (starts_at, ends_at))
    local_starts, local_ends = starts.astimezone(pool), ends.astimezone(pool)
    start = f"{_day(local_starts)}, {_time_of_day(local_starts)}"
    if local_starts.tzname() != local_ends.tzname():
        start += f" {local_starts.tzname()}"
    end = _time_of_day(local_ends) if local_starts.date() == local_ends.date() \
        else f"{_day(local_ends)}, {_time_of_day(local_ends)}"
    return f"{start}–{end} {local_ends.tzname()}"
