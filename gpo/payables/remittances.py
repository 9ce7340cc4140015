"""Admin fees a vendor remits (DOMAIN.md "After the close", Settlement): on contracts
whose fee is not netted from settlements, the vendor pays the fee to the MSO itself and
MSO finance records each payment against the contract and the cycle it covers. The
admin-fee disclosure counts them as fees received."""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.db import Paged, db, flush_unless_duplicate, paged, utcnow
from gpo.errors import Conflict, Invalid
from gpo.orders.models import Cycle, PurchaseOrder
from gpo.payables.models import AdminFeeRemittance


class NewRemittance(TypedDict):
    """POST /admin-fee-remittances (RemittanceInSchema)."""

    vendor_id: int
    contract_id: int
    cycle_id: int
    amount_cents: int
    received_on: dt.date
    reference: str


class RemittanceFilters(TypedDict, total=False):
    vendor_id: int
    contract_id: int
    cycle_id: int


def _checked(data: NewRemittance) -> None:
    """Every reason the remittance cannot be recorded, each at its field (422)."""
    errors: dict[str, list[str]] = {}
    vendor = db.session.get(Vendor, data["vendor_id"])
    contract = db.session.get(Contract, data["contract_id"])
    cycle = db.session.get(Cycle, data["cycle_id"])
    if vendor is None:
        errors["vendor_id"] = [f"vendor {data['vendor_id']} does not exist"]
    if contract is None or (vendor is not None and contract.vendor_id != vendor.id):
        errors["contract_id"] = [f"contract {data['contract_id']} is not a contract of vendor {data['vendor_id']}"]
    elif contract.admin_fee_settlement == "netted":
        errors["contract_id"] = [f"contract {contract.id}'s admin fee is netted from its settlements: "
                                 "the vendor does not remit it"]
    if cycle is None or cycle.status != "closed":
        errors["cycle_id"] = [f"cycle {data['cycle_id']} is not a closed cycle"]
    elif contract is not None and "contract_id" not in errors and db.session.scalar(select(PurchaseOrder.id).where(
            PurchaseOrder.cycle_id == cycle.id, PurchaseOrder.contract_id == contract.id)) is None:
        errors["cycle_id"] = [f"cycle {cycle.id} made no purchase order on contract {contract.id}: no fee is owed"]
    if data["received_on"] > utcnow().date():
        errors["received_on"] = [f"a remittance is recorded once received: {data['received_on']} is after today"]
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(first, {"json": errors})


def record_remittance(principal: Principal, data: NewRemittance) -> AdminFeeRemittance:
    """Record an admin fee a vendor remitted (MSO finance); a vendor's payment reference
    is recorded once (409)."""
    policy.authorize(principal, "admin_fee_remittance.create")
    _checked(data)
    remittance = AdminFeeRemittance(vendor_id=data["vendor_id"], contract_id=data["contract_id"],
                                    cycle_id=data["cycle_id"], amount_cents=data["amount_cents"],
                                    received_on=data["received_on"], reference=data["reference"].strip(),
                                    recorded_by=principal.label)
    if not flush_unless_duplicate(remittance):
        raise Conflict(f"the vendor's remittance {remittance.reference} is already recorded",
                       {"json": {"reference": ["already recorded for this vendor"]}})
    audit.record(principal, "admin_fee_remittance.create", remittance, details={
        "contract_id": remittance.contract_id, "cycle_id": remittance.cycle_id,
        "amount_cents": remittance.amount_cents, "reference": remittance.reference})
    return remittance


def list_remittances(principal: Principal, filters: RemittanceFilters, page: int, page_size: int) -> Paged:
    """Newest received first (MSO finance: every vendor's; a vendor admin: its own)."""
    policy.authorize(principal, "admin_fee_remittance.read")
    stmt = policy.scope(principal, select(AdminFeeRemittance), AdminFeeRemittance.vendor_id)
    for name in ("vendor_id", "contract_id", "cycle_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(AdminFeeRemittance, name) == filters[name])
    return paged(stmt.order_by(AdminFeeRemittance.received_on.desc(), AdminFeeRemittance.id.desc()), page, page_size)


def views(remittances) -> list[dict]:
    """Remittances with their vendor's, contract's and cycle's names."""
    remittances = list(remittances)
    names = dict(db.session.execute(select(Vendor.id, Vendor.name).where(
        Vendor.id.in_({r.vendor_id for r in remittances}))).all())
    titles = dict(db.session.execute(select(Contract.id, Contract.title).where(
        Contract.id.in_({r.contract_id for r in remittances}))).all())
    cycles = dict(db.session.execute(select(Cycle.id, Cycle.name).where(
        Cycle.id.in_({r.cycle_id for r in remittances}))).all())
    return [{"id": r.id, "vendor_id": r.vendor_id, "vendor_name": names.get(r.vendor_id, ""),
             "contract_id": r.contract_id, "contract_title": titles.get(r.contract_id, ""), "cycle_id": r.cycle_id,
             "cycle_name": cycles.get(r.cycle_id, ""), "amount_cents": r.amount_cents, "received_on": r.received_on,
             "reference": r.reference, "recorded_by": r.recorded_by, "created_at": r.created_at}
            for r in remittances]


def remittance_choices() -> dict:
    """The record form's choices: remitted contracts with their vendor, closed cycles."""
    contracts = db.session.execute(select(Contract.id, Contract.title, Vendor.name)
                                   .join(Vendor, Vendor.id == Contract.vendor_id)
                                   .where(Contract.admin_fee_settlement == "remitted",
                                          Contract.accepted_proposal_number.is_not(None))
                                   .order_by(Vendor.name, Contract.title)).all()
    cycles = db.session.execute(select(Cycle.id, Cycle.name).where(Cycle.status == "closed")
                                .order_by(Cycle.closed_at.desc()).limit(24)).all()
    return {"contracts": [(c.id, f"{c.name}: {c.title}") for c in contracts],
            "cycles": [(c.id, c.name) for c in cycles]}
