"""A program's terms checked whole (gpo/insurance/rules.py): every wrong field named,
with every message, in the order the fields are checked; valid terms: no problem."""
import datetime as dt
from decimal import Decimal as D

import pytest

from gpo.errors import Invalid
from gpo.insurance.rules import program_problems, validate_program

START = dt.date(2027, 1, 1)


def terms(**changes):
    body = {
        "period_start": START, "period_end": dt.date(2027, 12, 31), "limits_options": ["1M/3M", "2M/4M"],
        "specialty_classes": {"family_medicine": "1", "obgyn": "8"},
        "rates": [{"specialty_class": c, "limits": limits, "annual_rate_cents": 1}
                  for c in ("1", "8") for limits in ("1M/3M", "2M/4M")],
        "step_factors": [D("0.35"), D("1.00")],
        "claims_free_credits": [{"min_years": 3, "percent": D(5)}],
        "group_discount_bands": [{"min_providers": 0, "percent": D(0)}, {"min_providers": 10, "percent": D(5)}],
        "installment_options": [1, 4, 12],
    }
    body.update(changes)
    return body


def test_valid_terms_have_no_problem():
    assert program_problems(terms()) == {}
    validate_program(terms())
    # a leap year's 366 days are one policy period
    assert program_problems(terms(period_start=dt.date(2028, 1, 1), period_end=dt.date(2028, 12, 31))) == {}


def test_the_period_runs_forward_for_at_most_366_days():
    assert program_problems(terms(period_end=START - dt.timedelta(days=1))) == {"period_end": ["before period_start"]}
    assert program_problems(terms(period_end=START + dt.timedelta(days=366))) == {
        "period_end": ["a policy period is at most 366 days"]}


def test_every_class_has_one_rate_for_every_limit_option():
    rates = [{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1},
             {"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 2},
             {"specialty_class": "9", "limits": "5M", "annual_rate_cents": 3}]
    assert program_problems(terms(rates=rates, limits_options=["1M/3M", "1M/3M"])) == {
        "limits_options": ["each limit option once"],
        "rates": ["rates[1]: a second rate for class '1' at '1M/3M'",
                  "rates[2]: limits '5M' is not one of limits_options",
                  "rates[2]: class '9' is no specialty's class",
                  "class '8' has no rate for limits '1M/3M'", "class '8' has no rate for limits '1M/3M'"],
    }


def test_factors_credits_bands_and_installments():
    problems = program_problems(terms(
        step_factors=[D("0.5"), D("0"), D("1.5")],
        claims_free_credits=[{"min_years": 5, "percent": D(10)}, {"min_years": 3, "percent": D(5)}],
        group_discount_bands=[{"min_providers": 1, "percent": D(100)}],
        installment_options=[4, 4]))
    assert problems == {
        "step_factors": ["each factor must be above 0 and at most 1",
                         "factors must never decrease from one claims-made year to the next"],
        "claims_free_credits": ["min_years must strictly increase", "percent must never decrease as the minimum rises"],
        "group_discount_bands": ["the first must have min_providers 0", "percent must be at least 0 and below 100"],
        "installment_options": ["each option once"],
    }
    assert list(problems) == ["step_factors", "claims_free_credits", "group_discount_bands", "installment_options"]


def test_validate_program_raises_422_naming_every_field():
    with pytest.raises(Invalid) as refused:
        validate_program(terms(period_end=START, installment_options=[1, 1]))
    assert refused.value.message == "the program's terms are not valid"
    assert refused.value.errors == {"json": {"installment_options": ["each option once"]}}
