"""gpo.demo.clock.as_of: the services read the moment given while the block runs, and
today's clock again after it (even when the block fails)."""
import datetime as dt

import pytest

from gpo.billing import invoices
from gpo.db import utcnow
from gpo.demo.clock import as_of
from gpo.orders import ordering


def test_as_of_moves_the_clock_the_services_read_and_puts_it_back(app):
    moment = dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.timezone.utc)
    with as_of(moment):
        assert abs(ordering.utcnow() - moment) < dt.timedelta(seconds=5)
        assert invoices.today() == moment.date()
    assert abs(ordering.utcnow() - utcnow()) < dt.timedelta(seconds=5)
    with pytest.raises(RuntimeError), as_of(moment):
        raise RuntimeError("the block fails")
    assert invoices.today() == utcnow().date()
