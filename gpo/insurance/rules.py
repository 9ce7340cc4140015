"""A program's terms are validated whole before anything is stored: every class has a
rate for every limit option, factors and percents are in range, bands increase. And
the stored terms turn back into the RateTable the premium rule reads."""
from __future__ import annotations

from decimal import Decimal

from gpo.errors import Invalid
from gpo.insurance.premium import RateTable, Threshold

MAX_PERIOD_DAYS = 366  # a policy year (a leap year's included)
INSTALLMENT_CHOICES = (1, 2, 3, 4, 6, 12)  # equal stretches of a year, in whole months


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


def validate_program(data: dict) -> None:
    """Invalid (422) naming every field that is wrong."""
    errors: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if data["period_end"] < data["period_start"]:
        problem("period_end", "before period_start")
    elif (data["period_end"] - data["period_start"]).days + 1 > MAX_PERIOD_DAYS:
        problem("period_end", f"a policy period is at most {MAX_PERIOD_DAYS} days")

    limits = data["limits_options"]
    if len(set(limits)) != len(limits):
        problem("limits_options", "each limit option once")
    classes = set(data["specialty_classes"].values())

    seen: set[tuple[str, str]] = set()
    for i, rate in enumerate(data["rates"]):
        key = (rate["specialty_class"], rate["limits"])
        if rate["limits"] not in limits:
            problem("rates", f"rates[{i}]: limits {rate['limits']!r} is not one of limits_options")
        if rate["specialty_class"] not in classes:
            problem("rates", f"rates[{i}]: class {rate['specialty_class']!r} is no specialty's class")
        if key in seen:
            problem("rates", f"rates[{i}]: a second rate for class {key[0]!r} at {key[1]!r}")
        seen.add(key)
    for specialty_class in sorted(classes):
        for option in limits:
            if (specialty_class, option) not in seen:
                problem("rates", f"class {specialty_class!r} has no rate for limits {option!r}")

    steps = data["step_factors"]
    if any(not Decimal(0) < f <= Decimal(1) for f in steps):
        problem("step_factors", "each factor must be above 0 and at most 1")
    if any(b < a for a, b in zip(steps, steps[1:], strict=False)):
        problem("step_factors", "factors must never decrease from one claims-made year to the next")

    for field, key, first in (("claims_free_credits", "min_years", None),
                              ("group_discount_bands", "min_providers", 0)):
        messages: list[str] = []
        _ascending(data[field], key, messages, first=first)
        for message in messages:
            problem(field, message)
    if data["claims_free_credits"] and data["claims_free_credits"][0]["min_years"] < 1:
        problem("claims_free_credits", "min_years starts at 1")

    options = data["installment_options"]
    if len(set(options)) != len(options):
        problem("installment_options", "each option once")
    if errors:
        raise Invalid("the program's terms are not valid", {"json": errors})


def terms_json(data: dict) -> dict:
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
