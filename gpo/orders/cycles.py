"""Use cases of the purchasing calendar: schedule, open and close cycles, the clock
that does it on time, and a closed cycle's results per contract."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import TypedDict

from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.models import Location, User
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.db import Paged, db, flush_or_conflict, paged, utcnow
from gpo.errors import Conflict, Invalid
from gpo.notifications import outbox
from gpo.notifications.models import OutboxEvent
from gpo.orders.close import CLOSE
from gpo.orders.models import Cycle, CycleContractResult, Order, OrderLine


class CycleInput(TypedDict):
    """A cycle to schedule (what CycleCreateSchema loads)."""

    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class TickResult(TypedDict):
    """What one tick of the clock did: the cycles it opened and those it started closing."""

    opened: list[int]
    closing: list[int]


@dataclass(frozen=True)
class AchievedTier:
    """The tier the close decided for a contract (AchievedTierSchema)."""

    index: int  # 0 for the base tier
    min_volume: int
    discount_percent: Decimal


@dataclass(frozen=True)
class CycleResult:
    """One contract's outcome in a closed cycle (CycleResultSchema): the volume and
    tier the close decided, and the list, paid and savings cents of the lines the
    reader may see."""

    contract_id: int
    title: str
    vendor_id: int
    basis: str
    volume: int
    achieved_tier: AchievedTier
    list_cents: int
    paid_cents: int
    savings_cents: int


def list_cycles(principal: Principal, status: str | None, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "cycle.read")
    stmt = select(Cycle).order_by(Cycle.opens_at.desc(), Cycle.id.desc())
    if status:
        stmt = stmt.where(Cycle.status == status)
    return paged(stmt, page, page_size)


def get_cycle(principal: Principal, cycle_id: int) -> Cycle:
    return policy.load(principal, Cycle, cycle_id, "cycle.read")


def create_cycle(principal: Principal, data: CycleInput) -> Cycle:
    policy.authorize(principal, "cycle.manage")
    if data["closes_at"] <= data["opens_at"]:
        raise Invalid("closes_at must be after opens_at", {"json": {"closes_at": ["must be after opens_at"]}})
    cycle = Cycle(name=data["name"], opens_at=data["opens_at"], closes_at=data["closes_at"], status="scheduled")
    db.session.add(cycle)
    flush_or_conflict(f"a cycle named {data['name']!r} already exists")
    audit.record(principal, "cycle.create", cycle, details={"name": cycle.name})
    db.session.flush()
    return cycle


def open_cycle(principal: Principal, cycle_id: int) -> Cycle:
    """Open a scheduled cycle now. At most one cycle is open (a unique index decides)."""
    cycle = policy.load(principal, Cycle, cycle_id, "cycle.manage", for_update=True)
    if cycle.status != "scheduled":
        raise Conflict(f"cycle {cycle.id} is {cycle.status}: only a scheduled cycle can open")
    cycle.status = "open"
    if cycle.opens_at > utcnow():
        cycle.opens_at = utcnow()
    flush_or_conflict("another cycle is open: close it first")
    audit.record(principal, "cycle.open", cycle)
    db.session.flush()
    return cycle


def request_close(principal: Principal, cycle_id: int) -> Cycle:
    """Start the close (a background job). Asking again while it runs, or after, is
    harmless: it returns the same job; a close whose job failed for good can be asked
    for again (gpo/orders/close.py `CLOSE`)."""
    cycle = policy.load(principal, Cycle, cycle_id, "cycle.manage", for_update=True)
    if cycle.status == "scheduled":
        raise Conflict(f"cycle {cycle.id} has not opened")
    if cycle.close_job_id is None or CLOSE.may_run_again(cycle):
        CLOSE.start(principal, cycle)
        audit.record(principal, "cycle.close_requested", cycle)
    db.session.flush()
    return cycle


def tick(principal: Principal, now: dt.datetime | None = None) -> TickResult:
    """What the clock does (run every minute), in one unit of work: start closing the
    open cycles whose closes_at has passed, then open the scheduled cycle whose time has
    come. (`flask gpo tick` runs the two as two use cases, so that in the embedded mode
    the close has run before the next cycle may open.)"""
    closing = close_due_cycles(principal, now)
    return {"opened": open_due_cycle(principal, now), "closing": closing}


def close_due_cycles(principal: Principal, now: dt.datetime | None = None) -> list[int]:
    """Start closing every open cycle whose closes_at has passed."""
    now = now or utcnow()
    closing = list(db.session.scalars(select(Cycle.id).where(Cycle.status == "open", Cycle.closes_at <= now)))
    for cycle_id in closing:
        request_close(principal, cycle_id)
    return closing


def open_due_cycle(principal: Principal, now: dt.datetime | None = None) -> list[int]:
    """Open the scheduled cycle whose time has come, when no cycle is open."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Cycle.id).where(Cycle.status == "scheduled", Cycle.opens_at <= now, Cycle.closes_at > now)
        .order_by(Cycle.opens_at)
    ).first()
    if due is None or db.session.scalar(select(Cycle.id).where(Cycle.status == "open")) is not None:
        return []
    open_cycle(principal, due)
    return [due]


CLOSING_SOON = dt.timedelta(hours=24)


def tell_closing_soon(now: dt.datetime | None = None) -> int:
    """The notification scan (`flask gpo tick`, in its own unit of work): for each draft
    order with lines still unsubmitted in an open cycle closing within 24 hours,
    cycle.closing_soon once (its dedupe key; the orders already told are skipped with
    one indexed look-up). `user_id`: the practice's user who placed the draft, if
    known (else the mail goes to its buyers and admins). Returns how many it emitted."""
    now = now or utcnow()
    drafts = db.session.execute(
        select(Order.id, Order.practice_id, Order.placed_by, Cycle.id, Cycle.name, Cycle.closes_at, Location.name)
        .join(Cycle, Cycle.id == Order.cycle_id).join(Location, Location.id == Order.location_id)
        .where(Cycle.status == "open", Cycle.closes_at > now, Cycle.closes_at <= now + CLOSING_SOON,
               Order.status == "draft", select(OrderLine.id).where(OrderLine.order_id == Order.id).exists())
        .order_by(Order.id)).all()
    keys = {row[0]: f"cycle.closing_soon:order:{row[0]}" for row in drafts}
    told = set(db.session.scalars(select(OutboxEvent.dedupe_key).where(
        OutboxEvent.dedupe_key.in_(keys.values())))) if keys else set()
    users = {(email, org): user_id for email, org, user_id in db.session.execute(
        select(User.email, User.organization_id, User.id).where(
            User.email.in_({row[2] for row in drafts}), User.active.is_(True)))} if drafts else {}
    emitted = 0
    for order_id, practice_id, placed_by, cycle_id, cycle_name, closes_at, location in drafts:
        if keys[order_id] in told:
            continue
        event = outbox.emit(
            "cycle.closing_soon", SimpleNamespace(id=order_id), subject_type="order", practice_id=practice_id,
            dedupe_key=keys[order_id],
            summary=(f"Your draft order {order_id} for {location} is not submitted: {cycle_name} closes "
                     f"{closes_at:%Y-%m-%d %H:%M} UTC, and an order not submitted by then misses the cycle"),
            data={"order_id": order_id, "cycle_id": cycle_id, "closes_at": closes_at.isoformat(),
                  "user_id": users.get((placed_by, practice_id))})  # MSO staff placing it: the practice's people
        emitted += event is not None
    return emitted


def cycle_results(principal: Principal, cycle_id: int) -> list[CycleResult]:
    """Per contract: volume, achieved tier, list, paid and savings cents. MSO staff see
    all; a practice its own lines' part; a vendor its own contracts."""
    cycle = policy.load(principal, Cycle, cycle_id, "cycle.read")
    if cycle.status != "closed":
        raise Conflict(f"cycle {cycle.id} is {cycle.status}: results come with the close")
    totals = (
        select(OrderLine.contract_id, func.sum(OrderLine.list_cents), func.sum(OrderLine.line_cents),
               func.sum(OrderLine.savings_cents))
        .join(Order).where(Order.cycle_id == cycle.id, Order.status.in_(("priced", "invoiced")))
        .group_by(OrderLine.contract_id)
    )
    results = select(CycleContractResult, Contract).join(Contract).where(CycleContractResult.cycle_id == cycle.id)
    if principal.org_type == "practice":
        totals = totals.where(Order.practice_id == principal.organization_id)
    elif principal.org_type == "vendor":
        results = results.where(Contract.vendor_id == principal.organization_id)
    sums = {cid: (lc, pc, sc) for cid, lc, pc, sc in db.session.execute(totals)}
    out = []
    for result, contract in db.session.execute(results.order_by(Contract.id)):
        list_cents, paid_cents, savings_cents = sums.get(contract.id, (0, 0, 0))
        if principal.org_type == "practice" and contract.id not in sums:
            continue
        out.append(CycleResult(
            contract_id=contract.id, title=contract.title, vendor_id=contract.vendor_id,
            basis=contract.basis, volume=result.volume,
            achieved_tier=AchievedTier(index=result.achieved_tier_index, min_volume=result.achieved_min_volume,
                                       discount_percent=result.discount_percent),
            list_cents=int(list_cents or 0), paid_cents=int(paid_cents or 0),
            savings_cents=int(savings_cents or 0),
        ))
    return out
