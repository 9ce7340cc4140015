"""Use cases of ordering: a practice (or MSO staff on its behalf) places, edits,
submits, cancels and copies orders in the open cycle; a physician of the practice
approves clinical lines (CPOM). Every answer shows each open order's lines at the
price of the tier their contract reaches now (`OrderResult`)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Container, NotRequired, TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Location, Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts.models import Contract, ContractItem
from gpo.contracts.tiers import Tier, price_at
from gpo.db import Paged, db, paged, utcnow
from gpo.errors import Conflict, DomainError, Invalid
from gpo.etags import require_match
from gpo.notifications import outbox
from gpo.orders import rules, running_volumes
from gpo.orders.models import OPEN_ORDER_STATUSES, Cycle, Order, OrderLine


class OrderLineInput(TypedDict):
    product_id: int
    quantity: int


class OrderInput(TypedDict):
    """An order to place (what OrderCreateSchema loads)."""

    practice_id: NotRequired[int]  # MSO staff ordering on a practice's behalf
    location_id: int
    lines: list[OrderLineInput]
    submit: NotRequired[bool]  # the schema loads True by default; False keeps a draft
    substitutions_allowed: NotRequired[bool]  # the vendor may offer a substitute (default true)
    backorders_allowed: NotRequired[bool]  # the vendor may backorder units (default true)


class OrderChanges(TypedDict, total=False):
    """An edit of an order (what OrderUpdateSchema loads): the keys given change."""

    location_id: int
    lines: list[OrderLineInput]
    substitutions_allowed: bool
    backorders_allowed: bool


class OrderFilters(TypedDict, total=False):
    """The filters of a list of orders (what OrderQuerySchema loads)."""

    cycle_id: int
    practice_id: int
    status: str


@dataclass(frozen=True)
class OrderLineResult:
    """An order line as answered (OrderLineSchema): the line's own values, read through,
    and `estimated_unit_price`, its unit price at the tier its contract now reaches in
    the cycle, estimated for the contracts of the open orders answered (None otherwise,
    or while the contract has no tiers)."""

    line: OrderLine
    estimated_unit_price: Decimal | None

    def __getattr__(self, name: str):  # only for what the result does not hold itself
        if name == "line":
            raise AttributeError(name)
        return getattr(self.line, name)


@dataclass(frozen=True)
class OrderResult:
    """An order as answered (OrderSchema): the order's own values (and so its ETag),
    read through, with its lines' results."""

    order: Order
    lines: list[OrderLineResult]

    def __getattr__(self, name: str):  # only for what the result does not hold itself
        if name == "order":
            raise AttributeError(name)
        return getattr(self.order, name)


def _lock_open_cycle(cycle_id: int | None = None) -> Cycle:
    """The open cycle, share-locked for the rest of the transaction.

    Orders take this lock (FOR SHARE: they do not block each other); the close takes
    the row for update to move it to `closing`, so it waits for orders in flight, and
    an order arriving after that sees `closing` and is refused: none is lost."""
    stmt = select(Cycle).where(Cycle.status == "open")
    if cycle_id is not None:
        stmt = select(Cycle).where(Cycle.id == cycle_id)
    cycle = db.session.scalars(stmt.with_for_update(read=True)).first()
    if cycle is None:
        raise Conflict("no purchasing cycle is open for orders")
    if cycle.status != "open":
        raise Conflict(f"cycle {cycle.id} is {cycle.status}: its orders can no longer change")
    if cycle.closes_at <= utcnow():
        raise Conflict(f"cycle {cycle.id} closed for orders at {cycle.closes_at.isoformat()}")
    return cycle


def _contract_of_products(product_ids: list[int], day: dt.date) -> dict[int, int]:
    """product id -> the contract in effect it is on (at most one, by the overlap rule)."""
    rows = db.session.execute(
        select(ContractItem.product_id, Contract.id).join(Contract)
        .where(ContractItem.product_id.in_(product_ids), Contract.in_effect_on(day))
    ).all()
    return {product_id: contract_id for product_id, contract_id in rows}


def _products_on_contract(product_ids: list[int], day: dt.date) -> tuple[dict[int, Product], dict[int, int],
                                                                           dict[int, list[Tier]]]:
    """The products, product id -> the contract in effect it is on, and those contracts'
    agreed tiers: one query for any number of lines."""
    on_contract = (select(ContractItem.product_id, Contract.id.label("contract_id"), Contract.tiers)
                   .join(Contract).where(ContractItem.product_id.in_(product_ids), Contract.in_effect_on(day))
                   .subquery())
    rows = db.session.execute(
        select(Product, on_contract.c.contract_id, on_contract.c.tiers)
        .outerjoin(on_contract, on_contract.c.product_id == Product.id).where(Product.id.in_(product_ids)))
    products, contracts, tiers = {}, {}, {}
    for product, contract_id, tier_json in rows:
        products[product.id] = product
        if contract_id is not None:
            contracts[product.id] = contract_id
            tiers[contract_id] = [Tier.from_json(t) for t in tier_json or []]
    return products, contracts, tiers


def _build_lines(requested: list[OrderLineInput]) -> list[OrderLine]:
    """Order lines for [{product_id, quantity}], or Invalid naming each bad line."""
    return _lines_and_tiers(requested)[0]


def _lines_and_tiers(requested: list[OrderLineInput]) -> tuple[list[OrderLine], dict[int, list[Tier]]]:
    """Order lines for [{product_id, quantity}] (or Invalid naming each bad line), and
    the agreed tiers of their contracts (for the running volumes)."""
    product_ids = [line["product_id"] for line in requested]
    products, contracts, tiers = _products_on_contract(product_ids, utcnow().date())
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    lines = []
    for i, line in enumerate(requested):
        product = products.get(line["product_id"])
        problems = []
        if product is None or not product.active:
            problems.append(f"product {line['product_id']} is not in the active catalog")
        elif product.id not in contracts:
            problems.append(f"product {product.id} is not on a contract in effect")
        else:
            problems += rules.quantity_errors(line["quantity"], product.min_order_quantity, product.order_multiple)
        if line["product_id"] in seen:
            problems.append(f"product {line['product_id']} is on another line of this order")
        seen.add(line["product_id"])
        if problems:
            errors[str(i)] = problems
            continue
        lines.append(OrderLine(
            product_id=product.id, contract_id=contracts[product.id], quantity=line["quantity"],
            list_price=product.list_price, clinical=product.clinical,
        ))
    if errors:
        first = next(iter(errors.items()))
        raise Invalid(f"line {first[0]}: {first[1][0]}", {"json": {"lines": errors}})
    return lines, tiers


def _practice_for(principal: Principal, practice_id: int | None) -> Practice:
    """The practice an order is for: the caller's own, or any (MSO ordering on behalf)."""
    if practice_id is None:
        if principal.org_type != "practice":
            raise Invalid("MSO staff ordering on a practice's behalf must name practice_id",
                          {"json": {"practice_id": ["required for MSO staff"]}})
        practice_id = principal.organization_id
    practice = policy.load(principal, Practice, practice_id, "order.place")
    if practice.status != "active":
        raise Conflict(f"practice {practice.id} is {practice.status}: it cannot order")
    return practice


def _location_of(practice: Practice, location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or location.practice_id != practice.id:
        raise Invalid(f"location {location_id} is not a ship-to location of practice {practice.id}",
                      {"json": {"location_id": ["not one of the practice's locations"]}})
    return location


def _is_physician_of(principal: Principal, practice_id: int) -> bool:
    return principal.organization_id == practice_id and "practice_physician" in principal.roles


def _route_submitted(principal: Principal, order: Order) -> None:
    """Submitted: confirmed at once, or awaiting a physician for its clinical lines.
    An order placed (or last edited) by a physician of the practice carries the approval."""
    now = utcnow()
    order.submitted_at = order.submitted_at or now
    if order.has_clinical_lines and _is_physician_of(principal, order.practice_id):
        order.approved_by_user_id, order.approved_at = principal.user_id, now
    before, order.status = order.status, rules.status_when_submitted(order.has_clinical_lines, order.approved_at is not None)
    if order.status == "awaiting_approval" and before != "awaiting_approval":
        _tell_physicians(order)


def _tell_physicians(order: Order) -> None:
    """order.awaiting_physician: the practice's physicians are told the order's clinical
    lines wait for one of them (once each time it starts waiting, not at every edit)."""
    db.session.flush()  # a new order's id
    clinical = sum(1 for line in order.lines if line.clinical)
    location = db.session.get(Location, order.location_id).name
    outbox.emit(
        "order.awaiting_physician", order, practice_id=order.practice_id,
        summary=(f"Order {order.id} for {location} waits for a physician's approval: {clinical} clinical "
                 f"line{'' if clinical == 1 else 's'}"),
        data={"order_id": order.id, "cycle_id": order.cycle_id, "clinical_line_count": clinical})


@contextmanager
def _moving_volumes(order: Order):
    """Whatever the block changes in the order (its status, its lines), the running
    volumes of its cycle move by the difference in what it counts, in this unit of work."""
    before = running_volumes.counted_lines(order)
    yield
    db.session.flush()
    running_volumes.move(order, before)


def place_order(principal: Principal, data: OrderInput) -> OrderResult:
    """A practice (or MSO staff on its behalf) orders into the open cycle."""
    practice = _practice_for(principal, data.get("practice_id"))
    location = _location_of(practice, data["location_id"])
    cycle = _lock_open_cycle()
    lines, tiers = _lines_and_tiers(data["lines"])
    order = Order(practice_id=practice.id, location_id=location.id, cycle_id=cycle.id, status="draft",
                  placed_by=principal.label, lines=lines,
                  substitutions_allowed=data.get("substitutions_allowed", True),
                  backorders_allowed=data.get("backorders_allowed", True))
    db.session.add(order)
    if data.get("submit", True):
        _route_submitted(principal, order)
    db.session.flush()
    running_volumes.move(order, Counter(), tiers)
    audit.record(principal, "order.place", order, details={"cycle_id": cycle.id, "status": order.status,
                                                            "lines": len(order.lines)})
    db.session.flush()
    return order_result(order)


def _changeable(principal: Principal, order_id: int, action: str) -> Order:
    """The order, locked, while its cycle is open and it is not final (409 otherwise)."""
    order = policy.load(principal, Order, order_id, action)
    _lock_open_cycle(order.cycle_id)
    order = policy.load(principal, Order, order_id, action, for_update=True)
    if order.status not in OPEN_ORDER_STATUSES:
        raise Conflict(f"order {order.id} is {order.status}")
    return order


def edit_order(principal: Principal, order_id: int, data: OrderChanges, if_match: Container[str]) -> OrderResult:
    """Replace an order's lines (and ship-to) while its cycle is open. A submitted order
    is routed again: changed clinical lines need a physician's approval again."""
    order = _changeable(principal, order_id, "order.edit")
    require_match(order, if_match)
    practice = db.session.get(Practice, order.practice_id)
    with _moving_volumes(order):
        if "location_id" in data:
            order.location_id = _location_of(practice, data["location_id"]).id
        if "lines" in data:
            order.lines = _build_lines(data["lines"])
            order.approved_by_user_id = order.approved_at = None
        for flag in ("substitutions_allowed", "backorders_allowed"):
            if flag in data:
                setattr(order, flag, data[flag])
        if order.status != "draft":
            _route_submitted(principal, order)
        order.updated_at = utcnow()
    audit.record(principal, "order.edit", order, details={"status": order.status, "lines": len(order.lines)})
    db.session.flush()
    return order_result(order)


def submit_order(principal: Principal, order_id: int, if_match: Container[str] | None = None,
                 choices: dict[str, bool] | None = None) -> OrderResult:
    """Submit a draft. With `if_match` (the storefront's cart sends the ETag it showed),
    a draft changed since is refused (412) rather than submitted unseen. `choices`:
    the checkout's substitutions_allowed / backorders_allowed."""
    order = _changeable(principal, order_id, "order.edit")
    if if_match is not None:
        require_match(order, if_match)
    if order.status != "draft":
        raise Conflict(f"order {order.id} is already submitted ({order.status})")
    for flag in ("substitutions_allowed", "backorders_allowed"):
        if choices and flag in choices:
            setattr(order, flag, bool(choices[flag]))
    with _moving_volumes(order):
        _route_submitted(principal, order)
        order.updated_at = utcnow()
    audit.record(principal, "order.submit", order, details={"status": order.status})
    db.session.flush()
    return order_result(order)


def approve_order(principal: Principal, order_id: int, if_match: Container[str]) -> OrderResult:
    """CPOM: a physician of the order's practice approves its clinical lines, exactly as
    read (If-Match: lines changed since are not approved). No MSO role and no other
    practice may (403 and 404)."""
    order = _changeable(principal, order_id, "order.approve")
    if not if_match:
        raise DomainError("approve the version you reviewed: send If-Match with its ETag", status_code=428)
    require_match(order, if_match)
    with _moving_volumes(order):
        order.approved_by_user_id, order.approved_at = principal.user_id, utcnow()
        order.updated_at = utcnow()
        if order.status == "awaiting_approval":
            order.status = "confirmed"
    audit.record(principal, "order.approve", order, details={"status": order.status})
    db.session.flush()
    return order_result(order)


def cancel_order(principal: Principal, order_id: int) -> OrderResult:
    order = _changeable(principal, order_id, "order.edit")
    with _moving_volumes(order):
        order.status, order.cancelled_at = "cancelled", utcnow()
        order.updated_at = order.cancelled_at
    audit.record(principal, "order.cancel", order)
    db.session.flush()
    return order_result(order)


def copy_to_open_cycle(principal: Principal, order_id: int) -> OrderResult:
    """Copy an order (typically one that missed its cycle) into the open cycle as a draft."""
    source = policy.load(principal, Order, order_id, "order.edit")
    practice = _practice_for(principal, source.practice_id)
    cycle = _lock_open_cycle()
    if source.cycle_id == cycle.id and source.status in OPEN_ORDER_STATUSES:
        raise Conflict(f"order {source.id} is already in the open cycle")
    copy = Order(practice_id=practice.id, location_id=source.location_id, cycle_id=cycle.id, status="draft",
                 placed_by=principal.label, copied_from_order_id=source.id,
                 lines=_build_lines([{"product_id": line.product_id, "quantity": line.quantity} for line in source.lines]))
    db.session.add(copy)
    db.session.flush()
    audit.record(principal, "order.copy", copy, details={"from_order_id": source.id, "cycle_id": cycle.id})
    db.session.flush()
    return order_result(copy)


def get_order(principal: Principal, order_id: int) -> OrderResult:
    return order_result(policy.load(principal, Order, order_id, "order.read"))


def list_orders(principal: Principal, filters: OrderFilters, page: int, page_size: int) -> Paged:
    """A page of `OrderResult`s, newest first (a practice's users: their own)."""
    policy.authorize(principal, "order.read")
    stmt = policy.scope(principal, select(Order), Order.practice_id)
    for field in ("cycle_id", "status", "practice_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Order, field) == filters[field])
    result = paged(stmt.order_by(Order.id.desc()), page, page_size)
    result.items = order_results(result.items)
    return result


# --- estimated prices ----------------------------------------------------------------


def order_result(order: Order) -> OrderResult:
    """One order as answered, with its lines' estimated prices (see order_results)."""
    return order_results([order])[0]


def order_results(orders: list[Order]) -> list[OrderResult]:
    """The orders as answered: each open order's lines with `estimated_unit_price`, the
    price at the tier its contract reaches now in the cycle (one query per cycle: the
    contracts' tiers and their running volumes, whatever the number of lines)."""
    pending = [o for o in orders if o.status in OPEN_ORDER_STATUSES]
    by_cycle: dict[int, set[int]] = defaultdict(set)
    for order in pending:
        by_cycle[order.cycle_id].update(line.contract_id for line in order.lines)
    tiers_now: dict[tuple[int, int], Tier | None] = {}
    for cycle_id, contract_ids in by_cycle.items():
        if not contract_ids:
            continue
        for contract in running_volumes.contract_volumes(cycle_id, Contract.id.in_(contract_ids)).values():
            index = contract.reached_index
            tiers_now[(cycle_id, contract.contract_id)] = None if index is None else contract.tiers[index]

    def estimate(order: Order, line: OrderLine) -> Decimal | None:
        tier = tiers_now.get((order.cycle_id, line.contract_id))
        return price_at(tier, line.product_id, line.list_price) if tier else None

    return [OrderResult(order, [OrderLineResult(line, estimate(order, line)) for line in order.lines])
            for order in orders]
