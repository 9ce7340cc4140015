"""The demo's time machine: `as_of(moment)` runs use cases as if it were `moment`, so
the demo's history (cycles closed in past months, their invoices issued then) goes
through the same services as today's data instead of rows written by hand."""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from gpo.db import utcnow as _REAL_UTCNOW  # the real clock, kept while patched


@contextmanager
def as_of(moment: dt.datetime) -> Iterator[None]:
    """Every `gpo` module's `utcnow` (imported by name from gpo.db) answers `moment`
    (moving on with the real clock) until the block ends. Jobs run in-process see it
    too; an RQ worker (another process) does not: `settle_closed_at` then dates the
    close as it would have been."""
    offset = moment - _REAL_UTCNOW()

    def shifted() -> dt.datetime:
        return _REAL_UTCNOW() + offset

    patched = [module for name, module in list(sys.modules.items())
               if (name == "gpo" or name.startswith("gpo.")) and getattr(module, "utcnow", None) is _REAL_UTCNOW]
    for module in patched:
        module.utcnow = shifted
    try:
        yield
    finally:
        for module in patched:
            module.utcnow = _REAL_UTCNOW
