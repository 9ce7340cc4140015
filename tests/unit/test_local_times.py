"""Wall-clock times in a practice's zone to UTC (gpo.web.filters.local_to_utc)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gpo.web.filters import NoSuchLocalTime, local_to_utc

NEW_YORK = ZoneInfo("America/New_York")


def test_an_ordinary_time_converts():
    assert local_to_utc(dt.datetime(2027, 1, 12, 8, 0), NEW_YORK) == dt.datetime(2027, 1, 12, 13, 0, tzinfo=dt.timezone.utc)
    assert local_to_utc(dt.datetime(2027, 7, 12, 8, 0), NEW_YORK) == dt.datetime(2027, 7, 12, 12, 0, tzinfo=dt.timezone.utc)


def test_a_time_skipped_when_clocks_go_forward_is_refused():
    with pytest.raises(NoSuchLocalTime, match="does not exist"):
        local_to_utc(dt.datetime(2027, 3, 14, 2, 30), NEW_YORK)


def test_a_time_repeated_when_clocks_go_back_is_refused():
    with pytest.raises(NoSuchLocalTime, match="happens twice"):
        local_to_utc(dt.datetime(2027, 11, 7, 1, 30), NEW_YORK)
