"""Rules of a contract's terms other than tiers (pure functions)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# 42 CFR 1001.952(j): the vendor's administrative fee is fixed in writing; above 3% of
# the purchase price the contract must state the amount or the maximum.
SAFE_HARBOR_PERCENT = Decimal("3")


def admin_fee_errors(percent: Decimal, disclosure: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not percent.is_finite() or percent < 0 or percent >= 100:
        errors["admin_fee_percent"] = ["must be at least 0 and less than 100"]
    elif percent.as_tuple().exponent < -4:
        errors["admin_fee_percent"] = ["has at most 4 decimal places"]
    elif percent > SAFE_HARBOR_PERCENT:
        text = (disclosure or "").strip()
        if len(text) < 10 or not re.search(r"\d", text):
            errors["admin_fee_disclosure"] = [
                "an admin fee above 3% needs admin_fee_disclosure stating, in writing, the fee's amount "
                "or maximum (for example 'the fee is 4% of purchase price, at most $25,000 a year')"
            ]
    return errors


def term_errors(starts_on: dt.date, ends_on: dt.date) -> dict[str, list[str]]:
    if ends_on < starts_on:
        return {"ends_on": ["ends_on must not be before starts_on"]}
    return {}
