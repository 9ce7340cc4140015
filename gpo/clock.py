"""The clock: `utcnow()`, which every timestamp and column default of gpo reads
(imported as `gpo.db.utcnow` by most modules)."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

# The demo seeds its past months through the same services as today's data, with the
# clock moved back (gpo.demo.clock.as_of). A context variable, so only the block that
# moved it (and the in-process jobs it runs) sees the shift; zero everywhere else.
_CLOCK_SHIFT: ContextVar[dt.timedelta] = ContextVar("gpo_clock_shift", default=dt.timedelta(0))


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC: every timestamp and column default of gpo reads it."""
    return dt.datetime.now(dt.timezone.utc) + _CLOCK_SHIFT.get()


@contextmanager
def clock_shifted(by: dt.timedelta):
    """`utcnow()` answers `by` later (earlier, when negative) inside the block."""
    token = _CLOCK_SHIFT.set(by)
    try:
        yield
    finally:
        _CLOCK_SHIFT.reset(token)
