"""Use case: how far a cycle's confirmed orders take a contract toward its next tier
(and the confirmed volumes that the estimated prices of orders read too); the
console's tier dashboard (every contract in the open cycle, closest to its next tier
first) and the start page's count of contracts near their next tier."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from sqlalchemy import func, select

from gpo.accounts.models import Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.contracts.services import today
from gpo.contracts.tiers import Tier, achieved_index
from gpo.db import db, line_cents_sql
from gpo.errors import Conflict, NotFound
from gpo.orders import rules
from gpo.orders.models import Cycle, Order, OrderLine


@dataclass(frozen=True)
class TierProgress:
    """How far a cycle's confirmed orders take a contract (TierProgressSchema); the
    tiers are as the contract states them (`Tier.to_json()`); the `next_tier` fields
    are None once the top tier is reached."""

    contract_id: int
    cycle_id: int
    basis: str
    volume: int
    achieved_tier: dict
    next_tier: dict | None
    volume_to_next_tier: int | None
    savings_at_next_tier_cents: int | None


def confirmed_volumes(cycle_id: int, contract_ids: Iterable[int]) -> dict[int, int]:
    """Per contract, the volume of the cycle's confirmed lines: units, or list cents
    (spend basis). A contract without confirmed lines is left out (volume 0)."""
    rows = db.session.execute(
        select(OrderLine.contract_id, Contract.basis, func.sum(OrderLine.quantity),
               func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)))
        .join(Order, Order.id == OrderLine.order_id).join(Contract, Contract.id == OrderLine.contract_id)
        .where(Order.cycle_id == cycle_id, Order.status == "confirmed", OrderLine.contract_id.in_(list(contract_ids)))
        .group_by(OrderLine.contract_id, Contract.basis)
    ).all()
    return {cid: int(units if basis == "units" else spend) for cid, basis, units, spend in rows}


def tier_progress(principal: Principal, contract_id: int, cycle_id: int | None) -> TierProgress:
    """How far the cycle's confirmed orders take a contract: its volume, the tier it
    reaches, the next tier, the volume still needed and what everyone would save then."""
    contract = policy.load(principal, Contract, contract_id, "contract.read")
    if cycle_id is None:
        cycle = db.session.scalars(select(Cycle).where(Cycle.status == "open")).first()
        if cycle is None:
            raise NotFound("no cycle is open: name cycle_id")
    else:
        cycle = policy.load(principal, Cycle, cycle_id, "cycle.read")
    if not contract.tier_list:
        raise Conflict(f"contract {contract.id} has no agreed tiers yet")
    volume = confirmed_volumes(cycle.id, [contract.id]).get(contract.id, 0)
    lines = db.session.execute(
        select(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity, func.count())
        .join(Order).where(Order.cycle_id == cycle.id, Order.status == "confirmed",
                           OrderLine.contract_id == contract.id)
        .group_by(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity)
    ).all()
    return progress_of(contract, cycle.id, volume, lines)


def progress_of(contract: Contract, cycle_id: int, volume: int, lines) -> TierProgress:
    """A contract's progress from its confirmed `volume` in the cycle and its confirmed
    `lines` as (product id, list price, quantity, how many such lines); the contract
    has agreed tiers."""
    tiers = contract.tier_list
    index = achieved_index(tiers, volume)
    current = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    savings = rules.savings_at_next_tier(current, following, lines) if following is not None else None
    return TierProgress(
        contract_id=contract.id, cycle_id=cycle_id, basis=contract.basis, volume=volume,
        achieved_tier=current.to_json(), next_tier=following.to_json() if following else None,
        volume_to_next_tier=(following.min_volume - volume) if following else None,
        savings_at_next_tier_cents=savings,
    )


# --- the tier dashboard: every contract in the open cycle -------------------------------


@dataclass(frozen=True)
class DashboardRow:
    """One contract on the tier dashboard: its vendor's name, its progress, and the
    share of the next tier's threshold still missing (0.08: 8% to go; None at the top)."""

    contract: Contract
    vendor_name: str
    progress: TierProgress

    @property
    def share_to_next(self) -> Decimal | None:
        p = self.progress
        if p.next_tier is None:
            return None
        return Decimal(p.volume_to_next_tier) / Decimal(p.next_tier["min_volume"])

    @property
    def percent_to_next(self) -> Decimal | None:
        """The share still missing as a percent, one decimal place (8.3)."""
        share = self.share_to_next
        return None if share is None else (share * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class TierDashboard:
    """The open cycle (None when none is) and its contracts, closest to their next tier first."""

    cycle: Cycle | None
    rows: list[DashboardRow]


def _closeness(row: DashboardRow):
    share = row.share_to_next
    return (share is None, share if share is not None else 0, row.contract.id)


def tier_dashboard(principal: Principal) -> TierDashboard:
    """Every contract in effect today with agreed tiers, with its progress in the open
    cycle, sorted by how close each is to its next tier (closest first; contracts at
    their top tier last). A fixed number of queries for any number of contracts."""
    policy.authorize(principal, "contract.read")
    policy.authorize(principal, "cycle.read")
    cycle = db.session.scalars(select(Cycle).where(Cycle.status == "open")).first()
    if cycle is None:
        return TierDashboard(cycle=None, rows=[])
    stmt = (select(Contract, Organization.name).join(Organization, Organization.id == Contract.vendor_id)
            .where(Contract.in_effect_on(today()), Contract.tiers.is_not(None)).order_by(Contract.id))
    if not principal.is_mso:
        stmt = stmt.where(Contract.vendor_id == principal.organization_id)
    contracts = [(c, name) for c, name in db.session.execute(stmt) if c.tier_list]
    ids = [c.id for c, _ in contracts]
    volumes = confirmed_volumes(cycle.id, ids) if ids else {}
    lines: dict[int, list] = {}
    if ids:
        for contract_id, *line in db.session.execute(
            select(OrderLine.contract_id, OrderLine.product_id, OrderLine.list_price, OrderLine.quantity, func.count())
            .join(Order).where(Order.cycle_id == cycle.id, Order.status == "confirmed", OrderLine.contract_id.in_(ids))
            .group_by(OrderLine.contract_id, OrderLine.product_id, OrderLine.list_price, OrderLine.quantity)
        ):
            lines.setdefault(contract_id, []).append(tuple(line))
    rows = [DashboardRow(contract=c, vendor_name=name,
                         progress=progress_of(c, cycle.id, volumes.get(c.id, 0), lines.get(c.id, [])))
            for c, name in contracts]
    return TierDashboard(cycle=cycle, rows=sorted(rows, key=_closeness))


def contracts_near_next_tier(cycle_id: int, within: Decimal = Decimal("0.10")) -> int:
    """How many contracts in effect are within `within` (a share of the next tier's
    threshold) of their next tier in the cycle: one query (the start page asks)."""
    volume = (
        select(OrderLine.contract_id.label("contract_id"), func.sum(OrderLine.quantity).label("units"),
               func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)).label("spend"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.cycle_id == cycle_id, Order.status == "confirmed")
        .group_by(OrderLine.contract_id).subquery()
    )
    rows = db.session.execute(
        select(Contract.tiers, Contract.basis, volume.c.units, volume.c.spend)
        .outerjoin(volume, volume.c.contract_id == Contract.id)
        .where(Contract.in_effect_on(today()), Contract.tiers.is_not(None))
    ).all()
    near = 0
    for tiers_json, basis, units, spend in rows:
        tiers = [Tier.from_json(t) for t in tiers_json or []]
        amount = int((units if basis == "units" else spend) or 0)
        if not tiers:
            continue
        index = achieved_index(tiers, amount)
        if index + 1 < len(tiers):
            threshold = tiers[index + 1].min_volume
            if Decimal(threshold - amount) <= within * threshold:
                near += 1
    return near
