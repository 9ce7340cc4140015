"""Rules of a contract's terms other than tiers (pure functions)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from gpo.contracts import tiers as tier_rules

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


def check_proposal(tiers: list, admin_fee_percent: Decimal, admin_fee_disclosure: str | None,
                   list_prices: dict[int, Decimal]) -> dict:
    """Every rule a proposal's terms break, named as the API names them (its 422's
    `errors.json`): {"tiers": {"1": ["min_volume must be greater ..."]},
    "admin_fee_disclosure": ["an admin fee above 3% needs ..."]}; empty if it breaks
    none. `tiers` are `gpo.contracts.tiers.Tier`s; `list_prices` maps each of the
    contract's items to its list price. The API's counter and the console's "Check
    proposal" both ask this, so their messages are the same."""
    errors: dict = {}
    tier_errors = tier_rules.validate(tiers, list_prices)
    if tier_errors:
        errors["tiers"] = tier_errors
    errors.update(admin_fee_errors(admin_fee_percent, admin_fee_disclosure))
    return errors


def _pct(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return f"{text}%"


# How the admin fee is paid, in words (the editor's select, the thread, the changes).
SETTLEMENT_WORDS = {"remitted": "remitted by the vendor", "netted": "netted from our payments"}


def proposal_changes(previous: dict | None, current: dict) -> list[str]:
    """What a proposal changed from the one before it, in words: tiers added, removed
    or changed (matched by min_volume), the admin fee and its disclosure. Proposals are
    dicts with `tiers` (as stored: min_volume, discount_percent, item_prices),
    `admin_fee_percent`, `admin_fee_disclosure` and `admin_fee_settlement`; the first proposal changes nothing."""
    if previous is None:
        return []
    changes: list[str] = []
    before = {int(t["min_volume"]): t for t in previous["tiers"]}
    after = {int(t["min_volume"]): t for t in current["tiers"]}
    for volume in sorted(set(before) | set(after)):
        old, new = before.get(volume), after.get(volume)
        if old is None:
            changes.append(f"tier from {volume:,} added: {_pct(new['discount_percent'])} off")
        elif new is None:
            changes.append(f"tier from {volume:,} removed (was {_pct(old['discount_percent'])} off)")
        else:
            if Decimal(str(old["discount_percent"])) != Decimal(str(new["discount_percent"])):
                changes.append(f"tier from {volume:,}: discount {_pct(old['discount_percent'])} → "
                               f"{_pct(new['discount_percent'])}")
            old_prices = {str(k): Decimal(str(v)) for k, v in (old.get("item_prices") or {}).items()}
            new_prices = {str(k): Decimal(str(v)) for k, v in (new.get("item_prices") or {}).items()}
            for product in sorted(set(old_prices) | set(new_prices), key=int):
                was, now = old_prices.get(product), new_prices.get(product)
                if was != now:
                    changes.append(f"tier from {volume:,}: product {product}'s fixed price "
                                   f"{'none' if was is None else was} → {'none' if now is None else now}")
    old_fee, new_fee = Decimal(str(previous["admin_fee_percent"])), Decimal(str(current["admin_fee_percent"]))
    if old_fee != new_fee:
        changes.append(f"admin fee {_pct(old_fee)} → {_pct(new_fee)}")
    if (previous.get("admin_fee_disclosure") or "") != (current.get("admin_fee_disclosure") or ""):
        changes.append("admin-fee disclosure changed")
    old_way, new_way = previous.get("admin_fee_settlement") or "remitted", current.get("admin_fee_settlement") or "remitted"
    if old_way != new_way:
        changes.append(f"admin fee {SETTLEMENT_WORDS[old_way]} → {SETTLEMENT_WORDS[new_way]}")
    return changes
