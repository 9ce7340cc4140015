"""Rebates (DOMAIN.md "Billing"): a vendor's rebate on a contract, the MSO's retained
share kept, the rest shared out to the practices by their invoiced spend as credits
for their next invoices (the split itself: `rules.split_rebate`). `preview_rebate`
shows the very allocation `record_rebate` would record, through the same `_allocation`,
writing nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.models import Organization, Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.inputs import RebateInput
from gpo.billing.models import FINALIZED_STATUSES, Credit, Invoice, InvoiceLine, Rebate, RebateAllocation
from gpo.billing.rules import RebateSplit, split_rebate
from gpo.contracts.models import Contract
from gpo.db import Paged, db, flush_or_conflict
from gpo.errors import Conflict, Invalid
from gpo.money import format_dollars


def invoiced_spend(contract_id: int, start: dt.date, end: dt.date) -> dict[int, int]:
    """Each practice's invoiced spend on a contract in a period: the paid cents of its
    issued purchasing invoices' lines on that contract (less credit notes for refused
    units), by the invoice's issue date."""
    rows = db.session.execute(
        select(Invoice.practice_id, func.sum(InvoiceLine.amount_cents))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.contract_id == contract_id, InvoiceLine.kind.in_(("product", "adjustment")),
               Invoice.kind.in_(("purchasing", "credit")), Invoice.status.in_(FINALIZED_STATUSES),
               Invoice.issued_on >= start, Invoice.issued_on <= end)
        .group_by(Invoice.practice_id)
    ).all()
    return {practice_id: int(cents) for practice_id, cents in rows if cents and cents > 0}


@dataclass(frozen=True)
class Allocation:
    """What a rebate would record: its contract, each practice's invoiced spend, the split."""

    contract: Contract
    spend: dict[int, int]
    split: RebateSplit


def _duplicate_message(data: RebateInput) -> str:
    return (f"a rebate for contract {data['contract_id']} from {data['period_start']} to {data['period_end']} "
            "is already recorded")


def _allocation(principal: Principal, data: RebateInput) -> Allocation:
    """The checks and the split that recording a rebate makes, in one place: the
    preview and the recording share them, so what is previewed is what is recorded."""
    policy.authorize(principal, "rebate.create")
    contract = db.session.get(Contract, data["contract_id"])
    if contract is None or contract.vendor_id != data["vendor_id"]:
        raise Invalid(f"contract {data['contract_id']} is not a contract of vendor {data['vendor_id']}",
                      {"json": {"contract_id": ["not a contract of this vendor"]}})
    if data["period_end"] < data["period_start"]:
        raise Invalid("the period ends before it starts", {"json": {"period_end": ["before period_start"]}})
    spend = invoiced_spend(contract.id, data["period_start"], data["period_end"])
    if not spend:
        raise Invalid(f"no practice has invoiced spend on contract {contract.id} between "
                      f"{data['period_start']} and {data['period_end']}: nothing to share the rebate by",
                      {"json": {"period_start": ["no invoiced spend in this period"]}})
    return Allocation(contract, spend, split_rebate(data["amount_cents"], data["retained_percent"], spend))


def preview_rebate(principal: Principal, data: RebateInput) -> dict:
    """What `record_rebate(principal, data)` would record, without recording it: the
    retained and distributed cents and each practice's spend and share (the shares add
    up to the distributed cents exactly). Refused exactly as recording would be,
    including a rebate already recorded for the contract and period (409)."""
    allocation = _allocation(principal, data)
    contract, split = allocation.contract, allocation.split
    if db.session.scalar(select(Rebate.id).where(
            Rebate.contract_id == contract.id, Rebate.period_start == data["period_start"],
            Rebate.period_end == data["period_end"])) is not None:
        raise Conflict(_duplicate_message(data))
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_([contract.vendor_id, *allocation.spend]))).all())
    return {
        "vendor_id": contract.vendor_id, "vendor_name": names[contract.vendor_id], "contract_id": contract.id,
        "contract_title": contract.title, "period_start": data["period_start"], "period_end": data["period_end"],
        "amount_cents": data["amount_cents"], "retained_percent": data["retained_percent"],
        "retained_cents": split.retained_cents, "distributed_cents": split.distributed_cents,
        "spend_cents": sum(allocation.spend.values()),
        "allocations": [{"practice_id": practice_id, "practice_name": names[practice_id],
                         "spend_cents": allocation.spend[practice_id], "amount_cents": share}
                        for practice_id, share in split.shares],
    }


def record_rebate(principal: Principal, data: RebateInput,
                  previewed: list[tuple[int, int]] | None = None) -> Rebate:
    """The MSO keeps its retained share; the rest is allocated to practices by their
    invoiced spend on the contract in the period, each share a credit for their next
    invoices. `previewed` (the console's confirmation: each practice's share as
    previewed) must still be the allocation, else nothing is recorded (409)."""
    allocation = _allocation(principal, data)
    contract, spend, split = allocation.contract, allocation.spend, allocation.split
    if previewed is not None and sorted(previewed) != split.shares:
        raise Conflict("the allocation changed since it was previewed (an invoice was issued or corrected): "
                       "preview it again before recording")
    retained, distributable = split.retained_cents, split.distributed_cents
    rebate = Rebate(vendor_id=contract.vendor_id, contract_id=contract.id, period_start=data["period_start"],
                    period_end=data["period_end"], amount_cents=data["amount_cents"],
                    retained_percent=data["retained_percent"], retained_cents=retained,
                    distributed_cents=distributable, notes=data.get("notes", ""), recorded_by=principal.label)
    db.session.add(rebate)
    flush_or_conflict(_duplicate_message(data))
    period = f"{data['period_start']}..{data['period_end']}"
    for practice_id, share in split.shares:
        credit = None
        if share > 0:
            credit = Credit(practice_id=practice_id, source="rebate", rebate_id=rebate.id, amount_cents=share,
                            remaining_cents=share,
                            description=f"Rebate on {contract.title}, {period}: your share of {format_dollars(distributable)}")
            db.session.add(credit)
            db.session.flush()
        db.session.add(RebateAllocation(rebate_id=rebate.id, practice_id=practice_id, spend_cents=spend[practice_id],
                                        amount_cents=share, credit_id=credit.id if credit else None))
    audit.record(principal, "rebate.create", rebate, details={
        "amount_cents": rebate.amount_cents, "retained_cents": retained, "distributed_cents": distributable,
        "practices": len(split.shares)})
    db.session.flush()
    db.session.refresh(rebate)
    return rebate


def get_rebate(principal: Principal, rebate_id: int) -> Rebate:
    return policy.load(principal, Rebate, rebate_id, "rebate.read")


# --- the console's reads ---------------------------------------------------------------


def _credit_status(credited: int, remaining: int) -> str:
    """A rebate's credits in one word: "unused", "partly_used" or "used"."""
    if remaining >= credited:
        return "unused"
    return "used" if remaining == 0 else "partly_used"


def list_rebates(principal: Principal, page: int, page_size: int) -> Paged:
    """Rebates, newest first, each with its vendor, contract and how much of the credits
    it gave the practices have been used on invoices (one query, and one count)."""
    policy.authorize(principal, "rebate.read")
    total = db.session.scalar(select(func.count(Rebate.id)))
    credits = (select(Credit.rebate_id, func.sum(Credit.amount_cents).label("credited"),
                      func.sum(Credit.remaining_cents).label("remaining"), func.count(Credit.id).label("practices"))
               .where(Credit.rebate_id.is_not(None)).group_by(Credit.rebate_id).subquery())
    rows = db.session.execute(
        select(Rebate, Organization.name, Contract.title, func.coalesce(credits.c.credited, 0),
               func.coalesce(credits.c.remaining, 0), func.coalesce(credits.c.practices, 0))
        .join(Organization, Organization.id == Rebate.vendor_id).join(Contract, Contract.id == Rebate.contract_id)
        .outerjoin(credits, credits.c.rebate_id == Rebate.id)
        .order_by(Rebate.created_at.desc(), Rebate.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all() if (page - 1) * page_size < total else []
    return Paged([{"rebate": rebate, "vendor_name": vendor, "contract_title": title, "credited_cents": int(credited),
                   "remaining_cents": int(remaining), "practices": int(practices),
                   "status": _credit_status(int(credited), int(remaining))}
                  for rebate, vendor, title, credited, remaining, practices in rows], total)


def rebate_detail(principal: Principal, rebate_id: int) -> dict:
    """A rebate with its vendor and contract, and per practice its spend, its share and
    the credit that share became (how much is left, and the invoices that used it)."""
    rebate = get_rebate(principal, rebate_id)
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_([rebate.vendor_id, *(a.practice_id for a in rebate.allocations)]))).all())
    credits = {c.id: c for c in db.session.scalars(select(Credit).where(Credit.rebate_id == rebate.id))}
    numbers = dict(db.session.execute(select(Invoice.id, Invoice.number).where(
        Invoice.id.in_({a.invoice_id for c in credits.values() for a in c.applications}))).all())
    allocations = []
    for a in rebate.allocations:
        credit = credits.get(a.credit_id)
        allocations.append({
            "practice_id": a.practice_id, "practice_name": names[a.practice_id], "spend_cents": a.spend_cents,
            "amount_cents": a.amount_cents, "credit": credit,
            "used_on": [(numbers.get(x.invoice_id), x.amount_cents) for x in credit.applications
                        if x.reversed_at is None] if credit else []})
    contract_title = db.session.scalar(select(Contract.title).where(Contract.id == rebate.contract_id))
    return {"rebate": rebate, "vendor_name": names[rebate.vendor_id], "contract_title": contract_title,
            "allocations": allocations, "spend_cents": sum(a.spend_cents for a in rebate.allocations),
            "credited_cents": sum(c.amount_cents for c in credits.values()),
            "remaining_cents": sum(c.remaining_cents for c in credits.values())}


def rebate_choices(principal: Principal) -> dict:
    """What the console's rebate form offers: the vendors, and the contracts with agreed
    terms (each with its vendor), by name."""
    policy.authorize(principal, "rebate.read")
    vendors = db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name, Vendor.id)).all()
    contracts = db.session.execute(
        select(Contract.id, Contract.title, Contract.vendor_id, Organization.name, Contract.starts_on, Contract.ends_on)
        .join(Organization, Organization.id == Contract.vendor_id).where(Contract.accepted_at.is_not(None))
        .order_by(Organization.name, Contract.title, Contract.id)).all()
    return {"vendors": [(v, name) for v, name in vendors],
            "contracts": [{"id": c, "title": t, "vendor_id": v, "vendor_name": n, "starts_on": s, "ends_on": e}
                          for c, t, v, n, s, e in contracts]}

