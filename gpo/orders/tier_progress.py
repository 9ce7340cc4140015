"""Use case: how far a cycle's confirmed orders take a contract toward its next tier;
the console's tier dashboard (every contract in the open cycle, closest to its next
tier first) and the start page's count of contracts near their next tier. All read
the running volumes (gpo/orders/running_volumes.py): a few rows per contract however
many lines the cycle holds."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import lazyload

from gpo.accounts.models import Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.contracts.services import today
from gpo.contracts.tiers import achieved_index
from gpo.db import db
from gpo.errors import Conflict, NotFound
from gpo.orders import running_volumes
from gpo.orders.models import Cycle
from gpo.orders.running_volumes import NOTHING, Volume


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


def tier_progress(principal: Principal, contract_id: int, cycle_id: int | None) -> TierProgress:
    """How far the cycle's confirmed orders take a contract: its volume, the tier it
    reaches, the next tier, the volume still needed and what everyone would save then."""
    contract = _contract(principal, contract_id)
    if cycle_id is None:
        cycle = db.session.scalars(select(Cycle).where(Cycle.status == "open")).first()
        if cycle is None:
            raise NotFound("no cycle is open: name cycle_id")
    else:
        cycle = policy.load(principal, Cycle, cycle_id, "cycle.read")
    if not contract.tier_list:
        raise Conflict(f"contract {contract.id} has no agreed tiers yet")
    volume = running_volumes.volumes(cycle.id, [contract.id]).get(contract.id, NOTHING)
    return progress_of(contract, cycle.id, volume)


def _contract(principal: Principal, contract_id: int) -> Contract:
    """The contract for `contract.read` (404 outside the principal's view, 403 by role,
    as policy.load), without loading its items: progress reads only its tiers."""
    contract = db.session.scalars(
        select(Contract).options(lazyload(Contract.items)).where(Contract.id == contract_id)).one_or_none()
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    policy.authorize(principal, "contract.read", contract)
    return contract


def progress_of(contract: Contract, cycle_id: int, counted: Volume) -> TierProgress:
    """A contract's progress from what its confirmed lines count in the cycle (their
    running volume); the contract has agreed tiers. The savings at the next tier are
    the lines' cents at the tier reached less at the next, each line rounded half-up
    at each price (as rules.savings_at_next_tier computes them from the lines)."""
    tiers = contract.tier_list
    volume = counted.of(contract.basis)
    index = achieved_index(tiers, volume)
    current = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    savings = counted.savings(index, index + 1) if following is not None else None
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
            .where(Contract.in_effect_on(today()), Contract.tiers.is_not(None)).order_by(Contract.id)
            .options(lazyload(Contract.items)))  # the dashboard shows their tiers, not their items
    if not principal.is_mso:
        stmt = stmt.where(Contract.vendor_id == principal.organization_id)
    contracts = [(c, name) for c, name in db.session.execute(stmt) if c.tier_list]
    volumes = running_volumes.volumes(cycle.id, [c.id for c, _ in contracts])
    rows = [DashboardRow(contract=c, vendor_name=name, progress=progress_of(c, cycle.id, volumes.get(c.id, NOTHING)))
            for c, name in contracts]
    return TierDashboard(cycle=cycle, rows=sorted(rows, key=_closeness))


def contracts_near_next_tier(cycle_id: int, within: Decimal = Decimal("0.10")) -> int:
    """How many contracts in effect are within `within` (a share of the next tier's
    threshold) of their next tier in the cycle: one query (the start page asks)."""
    contracts = running_volumes.contract_volumes(
        cycle_id, and_(Contract.in_effect_on(today()), Contract.tiers.is_not(None)))
    near = 0
    for contract in contracts.values():
        index = contract.reached_index
        if index is not None and index + 1 < len(contract.tiers):
            threshold = contract.tiers[index + 1].min_volume
            if Decimal(threshold - contract.volume) <= within * threshold:
                near += 1
    return near
