"""Billing's pure rules (no Flask, no database): how a rebate is shared, a month's
bounds, a practice's membership lines. Unit-tested in tests/unit/test_billing_rules.py."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from gpo.billing.inputs import InvoiceLineInput
from gpo.money import allocate, format_dollars, percent_of_cents


@dataclass(frozen=True)
class RebateSplit:
    """A rebate shared out: the MSO's retained cents, the rest distributed, and each
    practice's share (practice ids ascending; a share may be 0)."""

    retained_cents: int
    distributed_cents: int
    shares: list[tuple[int, int]]


def payable(status: str, kind: str, total_cents: int) -> bool:
    """Whether a practice can pay an invoice now: issued (open), not a credit note, and
    something left to pay after its credits."""
    return status == "open" and kind != "credit" and total_cents > 0


def past_due(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """Whether an issued invoice is late: still open after its due date."""
    return status == "open" and due_on is not None and due_on < today


def split_rebate(amount_cents: int, retained_percent: Decimal, spend: dict[int, int]) -> RebateSplit:
    """The MSO keeps `retained_percent` of the rebate; the rest is allocated to the
    practices in proportion to their spend (`money.allocate`: largest remainders, the
    shares add up to the distributed cents exactly)."""
    retained = percent_of_cents(amount_cents, retained_percent)
    distributable = amount_cents - retained
    practice_ids = sorted(spend)
    shares = allocate(distributable, [spend[p] for p in practice_ids], practice_ids)
    return RebateSplit(retained, distributable, list(zip(practice_ids, shares, strict=True)))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a month given as "YYYY-MM"."""
    year, number = int(month[:4]), int(month[5:7])
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def membership_lines(monthly_membership_cents: int, pmpm_cents: int, providers: int, label: str) -> list[InvoiceLineInput]:
    """A practice's membership invoice lines for a month: the flat fee, and PMPM times
    the providers active in the month (each line only when it bills something)."""
    lines: list[InvoiceLineInput] = []
    if monthly_membership_cents:
        lines.append({"kind": "membership", "description": f"Membership, {label}",
                      "quantity": 1, "amount_cents": monthly_membership_cents})
    if pmpm_cents and providers:
        pmpm = format_dollars(pmpm_cents)
        lines.append({"kind": "pmpm", "description": f"{providers} providers x {pmpm} per member, {label}",
                      "quantity": providers, "amount_cents": pmpm_cents * providers})
    return lines
