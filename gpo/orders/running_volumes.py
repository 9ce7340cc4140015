"""Running volumes: what a cycle's confirmed lines on each contract add up to, kept
in the transaction of every change that moves a line in or out of the confirmed
volume, so tier progress, the estimated prices, the shop and the tier dashboard read
a bounded handful of rows (at most RUNNING_VOLUME_SLOTS x tiers per contract),
however many lines the cycle holds. The close still counts from the lines: they are
the truth, and `recount` rebuilds these rows from them.

What moves a line in or out (each in its own unit of work):
- gpo/orders/ordering.py: placing an order (confirmed at once), submitting a draft,
  a physician's approval, an edit of a submitted order (lines replaced, routed
  again), a cancel: each runs inside `ordering._moving_volumes`, which calls `move`;
- the close moves the confirmed orders to `priced` or `missed_cycle` with set-based
  SQL: its step `forget` (added to the close by gpo/orders/__init__.py) drops the
  cycle's rows in the same transaction;
- a contract's tiers agreed while a cycle is open (gpo/contracts accept): the lines
  are priced at other tiers: `reprice` (a TERMS_AGREED step) recounts that contract;
- lines written with SQL (the benchmarks, a repair): `recount`, or
  `flask gpo recount-volumes CYCLE_ID`.
Drafts (the cart, copies, saved lists) and orders awaiting a physician count nothing.

No lock convoy: an order adds to the rows of its own slot (`order id % SLOTS`), with
one INSERT ... ON CONFLICT DO UPDATE (units = units + excluded.units), so concurrent
orders, whose ids differ, update different rows and never wait for each other. Only
the sums over the slots mean anything; a slot holds its orders' lines exactly.
`recount` takes the cycle's row FOR UPDATE, as the close does: it waits for the orders
in flight (they hold the row FOR SHARE) and holds back new ones while it rebuilds.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from sqlalchemy import ColumnElement, and_, delete, func, insert, literal, select, union_all

from gpo.catalog.models import Price
from gpo.contracts.models import Contract, Percent
from gpo.contracts.tiers import Tier, achieved_index, price_at
from gpo.db import db, discounted_price_sql, line_cents_sql, lock_row
from gpo.money import line_cents
from gpo.orders.models import RUNNING_VOLUME_SLOTS as SLOTS
from gpo.orders.models import Cycle, Order, OrderLine, RunningVolume

# While a contract has no agreed tiers its lines are counted at list price alone.
LIST_PRICE = Tier(min_volume=0, discount_percent=Decimal(0))
AMOUNTS = ("units", "list_cents", "tier_cents")
_KEY = ("cycle_id", "contract_id", "slot", "tier_index")


def counted_tiers(tiers: list[Tier]) -> list[Tier]:
    """The tiers a contract's rows price its lines at: its agreed tiers, or list price."""
    return tiers or [LIST_PRICE]


def slot_of(order_id: int) -> int:
    return order_id % SLOTS


# --- what an order counts, and moving the rows by a change ------------------------------


@dataclass(frozen=True)
class CountedLine:
    """What one confirmed line adds: its contract, product, list price and quantity."""

    contract_id: int
    product_id: int
    list_price: Decimal
    quantity: int


def counted_lines(order: Order) -> Counter[CountedLine]:
    """What the order adds to its cycle's running volumes now: its lines while it is
    confirmed, nothing otherwise. Taken before a change, it is what `move` subtracts."""
    if order.status != "confirmed":
        return Counter()
    return Counter(CountedLine(line.contract_id, line.product_id, line.list_price, line.quantity)
                   for line in order.lines)


def move(order: Order, before: Counter[CountedLine], tiers: dict[int, list[Tier]] | None = None) -> None:
    """Add to the order's slot what it counts now less what it counted `before`: one
    statement, none when nothing changed. `tiers`: contract id -> its agreed tiers, for
    the contracts the caller has read already (the others are read here). The order
    has its id (flushed)."""
    now = counted_lines(order)
    added, removed = now - before, before - now
    if not added and not removed:
        return
    contract_ids = {line.contract_id for line in (*added, *removed)}
    known = dict(tiers or {})
    missing = contract_ids - known.keys()
    if missing:
        known.update(tiers_of(missing))
    deltas: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for sign, lines in ((1, added), (-1, removed)):
        for line, count in lines.items():
            _add_line(deltas, sign * count, line, counted_tiers(known[line.contract_id]))
    _upsert(order.cycle_id, slot_of(order.id), deltas)


def _add_line(deltas, times: int, line: CountedLine, tiers: list[Tier]) -> None:
    list_cents = line_cents(line.list_price, line.quantity)
    for index, tier in enumerate(tiers):
        row = deltas[(line.contract_id, index)]
        row[0] += times * line.quantity
        row[1] += times * list_cents
        row[2] += times * line_cents(price_at(tier, line.product_id, line.list_price), line.quantity)


def tiers_of(contract_ids: Iterable[int]) -> dict[int, list[Tier]]:
    """contract id -> its agreed tiers (empty while it has none): one query."""
    rows = db.session.execute(select(Contract.id, Contract.tiers).where(Contract.id.in_(list(contract_ids))))
    return {contract_id: [Tier.from_json(t) for t in tiers or []] for contract_id, tiers in rows}


def _upsert(cycle_id: int, slot: int, deltas: dict[tuple[int, int], list[int]]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE adding the deltas to the slot's rows, in
    (contract, tier) order: two orders sharing a slot lock its rows in the same order."""
    rows = [{"cycle_id": cycle_id, "contract_id": contract_id, "slot": slot, "tier_index": index,
             "units": units, "list_cents": list_cents, "tier_cents": tier_cents}
            for (contract_id, index), (units, list_cents, tier_cents) in sorted(deltas.items())
            if units or list_cents or tier_cents]
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = RunningVolume.__table__
    stmt = upsert(table).values(rows)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=list(_KEY), set_={name: table.c[name] + stmt.excluded[name] for name in AMOUNTS}))


# --- reading them -------------------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    """A contract's confirmed lines in a cycle: their units, their cents at list price,
    and their cents at each tier's prices (`tier_cents[i]`: at tier i)."""

    units: int = 0
    list_cents: int = 0
    tier_cents: tuple[int, ...] = ()

    def of(self, basis: str) -> int:
        """The volume that sets the tier: units, or list cents (spend basis)."""
        return self.units if basis == "units" else self.list_cents

    def cents_at(self, tier_index: int) -> int:
        return self.tier_cents[tier_index] if tier_index < len(self.tier_cents) else 0

    def savings(self, current_index: int, next_index: int) -> int:
        """What the lines would save at tier `next_index` against `current_index`:
        exact cents, each line rounded half-up at each price (rules.savings_at_next_tier)."""
        return self.cents_at(current_index) - self.cents_at(next_index)


NOTHING = Volume()


def volumes(cycle_id: int, contract_ids: Iterable[int]) -> dict[int, Volume]:
    """Per contract, its confirmed lines' Volume in the cycle (a contract without any is
    left out: NOTHING). One query over at most SLOTS x tiers rows per contract."""
    ids = list(contract_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(RunningVolume.contract_id, RunningVolume.tier_index, func.sum(RunningVolume.units),
               func.sum(RunningVolume.list_cents), func.sum(RunningVolume.tier_cents))
        .where(RunningVolume.cycle_id == cycle_id, RunningVolume.contract_id.in_(ids))
        .group_by(RunningVolume.contract_id, RunningVolume.tier_index)
        .order_by(RunningVolume.contract_id, RunningVolume.tier_index)
    ).all()
    sums: dict[int, list] = {}
    for contract_id, _index, units, list_cents, tier_cents in rows:
        totals = sums.setdefault(contract_id, [int(units), int(list_cents), []])
        totals[2].append(int(tier_cents))
    return {cid: Volume(units, list_cents, tuple(cents)) for cid, (units, list_cents, cents) in sums.items()}


@dataclass(frozen=True)
class ContractVolume:
    """A contract's basis and agreed tiers, and its volume in a cycle (units or list
    cents): what an estimated price or the shop's price now needs."""

    contract_id: int
    basis: str
    tiers: list[Tier]
    volume: int

    @property
    def reached_index(self) -> int | None:
        """The index of the tier the volume reaches (None: no agreed tiers)."""
        return achieved_index(self.tiers, self.volume) if self.tiers else None


def contract_volumes(cycle_id: int | None, where: ColumnElement[bool]) -> dict[int, ContractVolume]:
    """The contracts matching `where` (a condition on Contract) with their volume in the
    cycle (0 without one): one query, whatever the number of lines or contracts."""
    stmt = select(Contract.id, Contract.basis, Contract.tiers)
    if cycle_id is not None:
        counted = (select(RunningVolume.contract_id, func.sum(RunningVolume.units).label("units"),
                          func.sum(RunningVolume.list_cents).label("list_cents"))
                   .where(RunningVolume.cycle_id == cycle_id, RunningVolume.tier_index == 0)
                   .group_by(RunningVolume.contract_id).subquery())
        stmt = (stmt.add_columns(counted.c.units, counted.c.list_cents)
                .outerjoin(counted, counted.c.contract_id == Contract.id))
    result = {}
    for contract_id, basis, tiers, *amounts in db.session.execute(stmt.where(where)):
        units, list_cents = (int(a or 0) for a in amounts) if amounts else (0, 0)
        result[contract_id] = ContractVolume(contract_id, basis, [Tier.from_json(t) for t in tiers or []],
                                             units if basis == "units" else list_cents)
    return result


# --- rebuilding them from the lines -------------------------------------------------------


def recount(cycle_id: int, contract_id: int | None = None) -> None:
    """Rebuild the cycle's running volumes (of one contract, or of all) from its
    confirmed lines: set-based SQL, a DELETE and an INSERT ... SELECT pricing every
    line at every tier of its contract as the close would. In the caller's unit of
    work (it does not commit). Takes the cycle's row FOR UPDATE first: orders in
    flight finish, new ones wait, so no delta is lost between the two statements."""
    lock_row(Cycle, cycle_id)
    mine = [RunningVolume.cycle_id == cycle_id]
    confirmed = and_(Order.id == OrderLine.order_id, Order.cycle_id == cycle_id, Order.status == "confirmed")
    if contract_id is not None:
        mine.append(RunningVolume.contract_id == contract_id)
        confirmed = and_(confirmed, OrderLine.contract_id == contract_id)
    db.session.execute(delete(RunningVolume).where(*mine))
    contract_ids = db.session.scalars(
        select(OrderLine.contract_id).join(Order, confirmed).distinct()).all()
    tiers = tiers_of(contract_ids) if contract_ids else {}
    ids = sorted(tiers)
    for start in range(0, len(ids), _CONTRACTS_PER_INSERT):
        _insert_counted(cycle_id, confirmed, {cid: tiers[cid] for cid in ids[start:start + _CONTRACTS_PER_INSERT]})


# Contracts whose tiers one INSERT carries as parameters (SQLite allows 32,766).
_CONTRACTS_PER_INSERT = 100


def _insert_counted(cycle_id: int, confirmed, tiers: dict[int, list[Tier]]) -> None:
    """INSERT ... SELECT: per contract, slot and tier, the lines' units, list cents and
    cents at the tier's prices (its fixed item price, else its discount off list)."""
    steps, fixed = [], []
    for contract_id, agreed in tiers.items():
        for index, tier in enumerate(counted_tiers(agreed)):
            steps.append(select(literal(contract_id).label("contract_id"), literal(index).label("tier_index"),
                                literal(tier.discount_percent, Percent).label("discount_percent")))
            fixed += [select(literal(contract_id).label("contract_id"), literal(index).label("tier_index"),
                             literal(product_id).label("product_id"), literal(price, Price).label("unit_price"))
                      for product_id, price in tier.item_prices.items()]
    tier_rows = union_all(*steps).subquery("tier_rows") if len(steps) > 1 else steps[0].subquery("tier_rows")
    price = discounted_price_sql(OrderLine.list_price, tier_rows.c.discount_percent)
    stmt = select().select_from(OrderLine).join(Order, confirmed).join(
        tier_rows, tier_rows.c.contract_id == OrderLine.contract_id)
    if fixed:
        fixed_rows = union_all(*fixed).subquery("fixed_rows") if len(fixed) > 1 else fixed[0].subquery("fixed_rows")
        stmt = stmt.outerjoin(fixed_rows, and_(fixed_rows.c.contract_id == OrderLine.contract_id,
                                               fixed_rows.c.tier_index == tier_rows.c.tier_index,
                                               fixed_rows.c.product_id == OrderLine.product_id))
        price = func.coalesce(fixed_rows.c.unit_price, price)
    slot = Order.id % SLOTS
    stmt = stmt.add_columns(
        literal(cycle_id), OrderLine.contract_id, slot, tier_rows.c.tier_index, func.sum(OrderLine.quantity),
        func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)),
        func.sum(line_cents_sql(price, OrderLine.quantity)),
    ).group_by(OrderLine.contract_id, slot, tier_rows.c.tier_index)
    db.session.execute(insert(RunningVolume).from_select([*_KEY, *AMOUNTS], stmt))


# --- the close, and tiers agreed while a cycle is open ------------------------------------


def forget(cycle_id: int) -> None:
    """The close's step: its orders are priced or missed the cycle, none is confirmed
    any more, so the cycle's running volumes are dropped (in the close's transaction)."""
    db.session.execute(delete(RunningVolume).where(RunningVolume.cycle_id == cycle_id))


def reprice(contract_id: int) -> None:
    """A TERMS_AGREED step: the contract's tiers changed, so its lines in the cycles
    still counting (open, or closing) are priced again at the new tiers."""
    for cycle_id in db.session.scalars(select(Cycle.id).where(Cycle.status.in_(("open", "closing")))).all():
        recount(cycle_id, contract_id)
