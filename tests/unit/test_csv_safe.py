"""OWASP CSV injection: every CSV cell that a spreadsheet could run as a formula is
prefixed with a single quote."""
import pytest

from gpo.api import csv_safe


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1+2", "\r=1+2", "\n=1+2", "\tx", "\rx",
                                   "\nx", "  =1+2", " +1", "\u00a0@x", " \t-1"])
def test_formula_like_cells_get_a_quote(value):
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Lakeside", "a=b", "x-1", "", "  ", " Acme", 5, -500, None])
def test_other_cells_are_left_alone(value):
    assert csv_safe(value) == value
