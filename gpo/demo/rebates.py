"""The demo's rebates and fees for the console's "Rebates & fees" pages: Bolt's rebate
on managed IT support for the last full quarter, previewed then recorded (as finance
does in the console) and shared out as credits; Northside Orthopedics' negotiated
PMPM; and where the vendor statements and the admin-fee disclosure, filled by the
purchasing history, are seen. Idempotent: what exists is left as it is."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Organization, Practice
from gpo.billing import invoices, rebates
from gpo.billing.models import FeeSchedule, Rebate
from gpo.contracts.models import Contract
from gpo.db import db, utcnow
from gpo.demo.common import principal_of
from gpo.errors import DomainError
from gpo.money import format_dollars

IT_CONTRACT = "Managed IT support"
OVERRIDE_PRACTICE = "Northside Orthopedics"
OVERRIDE = {"pmpm_cents": 2000}  # $20.00 per provider instead of the default


def last_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter before the one `today` is in."""
    this_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_start - dt.timedelta(days=1)
    return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def seed_rebates() -> list[str]:
    finance = principal_of("finance@summit-mso.example")
    lines = ["Rebates and fees (the console's Rebates & fees, as finance@summit-mso.example):"]
    lines.append(_it_rebate(finance))
    lines.append(_override(finance))
    lines.append(" vendor statements: /console/statements (MSO), /portal/statements (admin@acme.example, "
                 "admin@bolt.example); the admin-fee disclosure: /console/disclosure")
    return lines


def _it_rebate(finance) -> str:
    contract = db.session.scalars(select(Contract).where(Contract.title == IT_CONTRACT)).first()
    if contract is None:
        return f" no IT rebate: the contract {IT_CONTRACT!r} is missing"
    rebate = db.session.scalars(select(Rebate).where(Rebate.contract_id == contract.id).order_by(Rebate.id)).first()
    start, end = (rebate.period_start, rebate.period_end) if rebate else last_quarter(utcnow().date())
    if rebate is None:  # once: a later run (even in a later quarter) leaves it as it is
        data = {"vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": start,
                "period_end": end, "amount_cents": 75050, "retained_percent": Decimal("15"),
                "notes": "Bolt's quarterly rebate on managed IT support hours"}
        try:
            preview = rebates.preview_rebate(finance, data)
        except DomainError as exc:  # no invoiced spend (a database without the demo's history)
            return f" no IT rebate for {start}..{end}: {exc.message}"
        rebate = rebates.record_rebate(finance, data, previewed=[(a["practice_id"], a["amount_cents"])
                                                                 for a in preview["allocations"]])
    return (f" rebate {rebate.id}: Bolt, {IT_CONTRACT}, {start}..{end}, {format_dollars(rebate.amount_cents)}, "
            f"{format_dollars(rebate.distributed_cents)} credited to {len(rebate.allocations)} practices "
            f"(/console/rebates/{rebate.id})")


def _override(finance) -> str:
    practice = db.session.scalars(select(Practice).where(Organization.name == OVERRIDE_PRACTICE)).first()
    if practice is None:
        return f" no fee override: {OVERRIDE_PRACTICE} is missing"
    own = db.session.scalars(select(FeeSchedule).where(FeeSchedule.practice_id == practice.id)).first()
    if own is None:
        invoices.put_fee_schedule(finance, practice.id, OVERRIDE)
    return (f" {OVERRIDE_PRACTICE}: its own PMPM of {format_dollars(OVERRIDE['pmpm_cents'])} "
            "(/console/fee-schedules)")
