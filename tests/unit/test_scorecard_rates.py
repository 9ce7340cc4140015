"""The scorecard's rates: one decimal place, rounded half up from the exact fraction."""
from decimal import Decimal

import pytest

from gpo.payables.scorecard import rate_percent


@pytest.mark.parametrize("numerator, denominator, expected", [
    (2, 3, "66.7"), (1, 8, "12.5"), (1, 16, "6.3"), (86, 110, "78.2"), (16, 110, "14.5"), (1, 1, "100.0"),
    (0, 5, "0.0"), (1, 2000, "0.1"), (1, 2001, "0.0"), (3, 40, "7.5"),
])
def test_rates_round_half_up_from_the_exact_fraction(numerator, denominator, expected):
    assert rate_percent(numerator, denominator) == Decimal(expected)
    assert str(rate_percent(numerator, denominator)) == expected


def test_nothing_counted_is_no_rate():
    assert rate_percent(0, 0) is None
