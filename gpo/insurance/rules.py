"""A program's terms are validated whole before anything is stored: every class has a
rate for every limit option, factors and percents are in range, bands increase. And
the stored terms turn back into the RateTable the premium rule reads."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from gpo.errors import Invalid
from gpo.insurance.premium import RateTable, Threshold

MAX_PERIOD_DAYS = 366  # a policy year (a leap year's included)
INSTALLMENT_CHOICES = (1, 2, 3, 4, 6, 12)  # equal stretches of a year, in whole months

Problems = dict[str, list[str]]  # field -> what is wrong with it


class RateTerms(TypedDict):
    specialty_class: str
    limits: str
    annual_rate_cents: int


class ClaimsFreeCredit(TypedDict):
    min_years: int
    percent: Decimal


class GroupBand(TypedDict):
    min_providers: int
    percent: Decimal


class ProgramTerms(TypedDict):
    """A program's terms as ProgramCreateSchema loads them."""

    period_start: dt.date
    period_end: dt.date
    limits_options: list[str]
    specialty_classes: dict[str, str]  # provider specialty -> rating class
    rates: list[RateTerms]
    step_factors: list[Decimal]
    claims_free_credits: list[ClaimsFreeCredit]
    group_discount_bands: list[GroupBand]
    installment_options: list[int]


def _ascending(rows: list[dict], key: str, errors: list[str], *, first: int | None = None) -> None:
    minimums = [row[key] for row in rows]
    if first is not None and (not minimums or minimums[0] != first):
        errors.append(f"the first must have {key} {first}")
    if any(b <= a for a, b in zip(minimums, minimums[1:], strict=False)):
        errors.append(f"{key} must strictly increase")
    percents = [row["percent"] for row in rows]
    if any(not Decimal(0) <= p < Decimal(100) for p in percents):
        errors.append("percent must be at least 0 and below 100")
    if any(b < a for a, b in zip(percents, percents[1:], strict=False)):
        errors.append("percent must never decrease as the minimum rises")


def _period_problems(terms: ProgramTerms) -> Problems:
    if terms["period_end"] < terms["period_start"]:
        return {"period_end": ["before period_start"]}
    if (terms["period_end"] - terms["period_start"]).days + 1 > MAX_PERIOD_DAYS:
        return {"period_end": [f"a policy period is at most {MAX_PERIOD_DAYS} days"]}
    return {}


def _rate_problems(terms: ProgramTerms) -> Problems:
    """Each limit option once; one rate per class and limit option, for every class of
    a specialty and every option, and none for another."""
    problems: Problems = {}
    limits = terms["limits_options"]
    if len(set(limits)) != len(limits):
        problems.setdefault("limits_options", []).append("each limit option once")
    classes = set(terms["specialty_classes"].values())
    rates = problems.setdefault("rates", [])
    seen: set[tuple[str, str]] = set()
    for i, rate in enumerate(terms["rates"]):
        key = (rate["specialty_class"], rate["limits"])
        if rate["limits"] not in limits:
            rates.append(f"rates[{i}]: limits {rate['limits']!r} is not one of limits_options")
        if rate["specialty_class"] not in classes:
            rates.append(f"rates[{i}]: class {rate['specialty_class']!r} is no specialty's class")
        if key in seen:
            rates.append(f"rates[{i}]: a second rate for class {key[0]!r} at {key[1]!r}")
        seen.add(key)
    rates.extend(f"class {specialty_class!r} has no rate for limits {option!r}"
                 for specialty_class in sorted(classes) for option in limits if (specialty_class, option) not in seen)
    return {field: messages for field, messages in problems.items() if messages}


def _factor_and_band_problems(terms: ProgramTerms) -> Problems:
    """Step factors in (0, 1] never decreasing; credits and bands strictly increasing
    (credits from 1 year, bands from 0 providers); installment options once each."""
    problems: Problems = {}
    steps = terms["step_factors"]
    if any(not Decimal(0) < f <= Decimal(1) for f in steps):
        problems.setdefault("step_factors", []).append("each factor must be above 0 and at most 1")
    if any(b < a for a, b in zip(steps, steps[1:], strict=False)):
        problems.setdefault("step_factors", []).append(
            "factors must never decrease from one claims-made year to the next")
    for field, key, first in (("claims_free_credits", "min_years", None),
                              ("group_discount_bands", "min_providers", 0)):
        messages: list[str] = []
        _ascending(terms[field], key, messages, first=first)
        if messages:
            problems[field] = messages
    if terms["claims_free_credits"] and terms["claims_free_credits"][0]["min_years"] < 1:
        problems.setdefault("claims_free_credits", []).append("min_years starts at 1")
    options = terms["installment_options"]
    if len(set(options)) != len(options):
        problems.setdefault("installment_options", []).append("each option once")
    return problems


def program_problems(terms: ProgramTerms) -> Problems:
    """Every field of the terms that is wrong, with what is wrong with it (empty: valid),
    in the order the fields are checked."""
    problems: Problems = {}
    for found in (_period_problems(terms), _rate_problems(terms), _factor_and_band_problems(terms)):
        for field, messages in found.items():
            problems.setdefault(field, []).extend(messages)
    return problems


def validate_program(terms: ProgramTerms) -> None:
    """Invalid (422) naming every field that is wrong."""
    problems = program_problems(terms)
    if problems:
        raise Invalid("the program's terms are not valid", {"json": problems})


def terms_json(data: ProgramTerms) -> dict:
    """The validated terms as stored (decimals as strings, exactly as given)."""
    return {
        "limits_options": list(data["limits_options"]),
        "specialty_classes": dict(data["specialty_classes"]),
        "rates": [{"specialty_class": r["specialty_class"], "limits": r["limits"],
                   "annual_rate_cents": r["annual_rate_cents"]} for r in data["rates"]],
        "step_factors": [str(f) for f in data["step_factors"]],
        "claims_free_credits": [{"min_years": c["min_years"], "percent": str(c["percent"])}
                                for c in data["claims_free_credits"]],
        "group_discount_bands": [{"min_providers": b["min_providers"], "percent": str(b["percent"])}
                                 for b in data["group_discount_bands"]],
        "installment_options": sorted(data["installment_options"]),
    }


def rate_table(program) -> RateTable:
    """The premium rule's view of a stored program."""
    return RateTable(
        rates={(r["specialty_class"], r["limits"]): int(r["annual_rate_cents"]) for r in program.rates},
        specialty_classes=dict(program.specialty_classes),
        step_factors=tuple(Decimal(f) for f in program.step_factors),
        claims_free_credits=tuple(Threshold(c["min_years"], Decimal(c["percent"])) for c in program.claims_free_credits),
        group_discount_bands=tuple(Threshold(b["min_providers"], Decimal(b["percent"]))
                                   for b in program.group_discount_bands),
    )
