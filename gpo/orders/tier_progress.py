"""Use case: how far a cycle's confirmed orders take a contract toward its next tier
(and the confirmed volumes that the estimated prices of orders read too)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import func, select

from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.contracts.tiers import achieved_index
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
    tiers = contract.tier_list
    if not tiers:
        raise Conflict(f"contract {contract.id} has no agreed tiers yet")
    volume = confirmed_volumes(cycle.id, [contract.id]).get(contract.id, 0)
    index = achieved_index(tiers, volume)
    current = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    savings = None
    if following is not None:
        lines = db.session.execute(
            select(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity, func.count())
            .join(Order).where(Order.cycle_id == cycle.id, Order.status == "confirmed",
                               OrderLine.contract_id == contract.id)
            .group_by(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity)
        ).all()
        savings = rules.savings_at_next_tier(current, following, lines)
    return TierProgress(
        contract_id=contract.id, cycle_id=cycle.id, basis=contract.basis, volume=volume,
        achieved_tier=current.to_json(), next_tier=following.to_json() if following else None,
        volume_to_next_tier=(following.min_volume - volume) if following else None,
        savings_at_next_tier_cents=savings,
    )
