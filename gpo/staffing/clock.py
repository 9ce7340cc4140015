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
