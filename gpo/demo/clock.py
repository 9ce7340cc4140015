"""The demo's time machine: `as_of(moment)` runs use cases as if it were `moment`, so
the demo's history (cycles closed in past months, their invoices issued then) goes
through the same services as today's data instead of rows written by hand."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from gpo.db import clock_shifted


@contextmanager
def as_of(moment: dt.datetime) -> Iterator[None]:
    """`gpo.db.utcnow()` (every service's clock and every column default) answers
    `moment`, moving on with the real clock, until the block ends. Jobs run in-process
    see it too; an RQ worker (another process) does not: `settle_closed_at` then dates
    the close as it would have been."""
    with clock_shifted(moment - dt.datetime.now(dt.timezone.utc)):  # from the real clock, even when nested
        yield
