"""When a failed webhook delivery is tried again (DOMAIN.md "Telling people and
systems"): about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after attempts 1 to 7;
after the 8th attempt it has failed for good. A receiver's `Retry-After` (seconds, or
an HTTP date) replaces the schedule's delay for that retry, capped at a day, so a
receiver cannot park a delivery for ever. Pure functions: no Flask, no database."""
from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

RETRY_DELAYS = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
RETRY_AFTER_CAP = dt.timedelta(hours=24)


def retry_after(header: str | None, now: dt.datetime) -> dt.timedelta | None:
    """A `Retry-After` header as a delay from `now`, capped at RETRY_AFTER_CAP; None
    when there is none or it cannot be read (the schedule applies)."""
    if not header:
        return None
    text = header.strip()
    if text.isascii() and text.isdigit():
        delay = dt.timedelta(seconds=int(text[:9]))  # 9 digits: far past the cap, never an overflow
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=dt.timezone.utc)
        delay = max(when - now, dt.timedelta(0))
    return min(delay, RETRY_AFTER_CAP)


def next_attempt_delay(attempts_made: int, retry_after_header: str | None = None,
                       now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long after a failed attempt (the `attempts_made`-th) to try again, or None:
    the schedule is over, the delivery has failed for good."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    asked = retry_after(retry_after_header, now) if now is not None else None
    return asked if asked is not None else RETRY_DELAYS[max(attempts_made, 1) - 1]
