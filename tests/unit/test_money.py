"""Dollars as people type them in a form, read as exact cents (gpo.money.parse_dollars):
every console form that takes money parses it there."""
from __future__ import annotations

import pytest

from gpo.money import NotDollars, dollars_typed, parse_dollars


@pytest.mark.parametrize("typed, cents", [
    ("25", 2500), ("25.5", 2550), ("25.05", 2505), ("$1,079.46", 107946), (" 0.01 ", 1), ("$ 12", 1200),
    ("1,234,567.89", 123456789), ("0", 0),
])
def test_parse_dollars_reads_what_people_type_exactly(typed, cents):
    assert parse_dollars(typed) == cents


@pytest.mark.parametrize("typed, why", [
    ("12.345", "at most 2 decimal places"), ("0.001", "at most 2 decimal places"),
    ("1e3", "an amount"), ("-5", "an amount"), ("+5", "an amount"), ("3,2.5", "an amount"), ("1,0", "an amount"),
    ("1.", "an amount"), ("", "an amount"), ("ten", "an amount"), ("NaN", "an amount"), ("Infinity", "an amount"),
    ("\u0663\u0662.\u0665\u0660", "an amount"), ("\uff11\uff10", "an amount"), ("1 000", "an amount"),
])
def test_parse_dollars_refuses_signs_exponents_stray_commas_and_other_digits(typed, why):
    with pytest.raises(NotDollars, match=why):
        parse_dollars(typed)


@pytest.mark.parametrize("cents", [0, 1, 5, 99, 100, 2505, 123456789, 10**15 + 1])
def test_a_money_field_shows_cents_that_parse_back_to_themselves(cents):
    assert parse_dollars(dollars_typed(cents)) == cents
    assert dollars_typed(None) == "" and dollars_typed(-2505) == "-25.05"
