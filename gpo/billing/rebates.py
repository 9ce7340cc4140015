"""Rebates (DOMAIN.md "Billing"): a vendor's rebate on a contract, the MSO's retained
share kept, the rest shared out to the practices by their invoiced spend as credits
for their next invoices (the split itself: `rules.split_rebate`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.inputs import RebateInput
from gpo.billing.models import FINALIZED_STATUSES, Credit, Invoice, InvoiceLine, Rebate, RebateAllocation
from gpo.billing.rules import split_rebate
from gpo.contracts.models import Contract
from gpo.db import db, flush_or_conflict
from gpo.errors import Invalid
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


def record_rebate(principal: Principal, data: RebateInput) -> Rebate:
    """The MSO keeps its retained share; the rest is allocated to practices by their
    invoiced spend on the contract in the period, each share a credit for their next
    invoices."""
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
    split = split_rebate(data["amount_cents"], data["retained_percent"], spend)
    retained, distributable = split.retained_cents, split.distributed_cents
    rebate = Rebate(vendor_id=contract.vendor_id, contract_id=contract.id, period_start=data["period_start"],
                    period_end=data["period_end"], amount_cents=data["amount_cents"],
                    retained_percent=data["retained_percent"], retained_cents=retained,
                    distributed_cents=distributable, notes=data.get("notes", ""), recorded_by=principal.label)
    db.session.add(rebate)
    flush_or_conflict(f"a rebate for contract {contract.id} from {data['period_start']} to {data['period_end']} "
                      "is already recorded")
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
