"""Use cases of purchasing: cycles, orders (with the physician's approval of clinical
lines), tier progress, the close's results, and the vendor's purchase orders."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Container

from sqlalchemy import and_, func, select

from gpo import audit, features
from gpo.accounts.models import Location, Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts.models import Contract, ContractItem
from gpo.contracts.tiers import achieved_index, price_at
from gpo.db import Paged, db, flush_or_conflict, line_cents_sql, paged, utcnow
from gpo.errors import Conflict, DomainError, Invalid, NotFound
from gpo.etags import require_match
from gpo.jobs import Job, enqueue
from gpo.money import line_cents
from gpo.orders import rules
from gpo.orders.models import (
    OPEN_ORDER_STATUSES,
    Cycle,
    CycleContractResult,
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    ShipmentLine,
)

# --- cycles ------------------------------------------------------------------------


def list_cycles(principal: Principal, status: str | None, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "cycle.read")
    stmt = select(Cycle).order_by(Cycle.opens_at.desc(), Cycle.id.desc())
    if status:
        stmt = stmt.where(Cycle.status == status)
    return paged(stmt, page, page_size)


def get_cycle(principal: Principal, cycle_id: int) -> Cycle:
    return policy.load(principal, Cycle, cycle_id, "cycle.read")


def create_cycle(principal: Principal, data: dict) -> Cycle:
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
    harmless: it returns the same job."""
    cycle = policy.load(principal, Cycle, cycle_id, "cycle.manage", for_update=True)
    if cycle.status == "scheduled":
        raise Conflict(f"cycle {cycle.id} has not opened")
    previous = db.session.get(Job, cycle.close_job_id) if cycle.close_job_id else None
    if previous is None or (previous.status == "failed" and cycle.status != "closed"):
        # (A close whose job failed for good can be asked for again.)
        cycle.close_job_id = enqueue("orders.close_cycle", principal, cycle_id=cycle.id).id
        audit.record(principal, "cycle.close_requested", cycle)
    db.session.flush()
    return cycle


def tick(principal: Principal, now: dt.datetime | None = None) -> dict:
    """What the clock does (run every minute): open the scheduled cycle whose time has
    come, and start closing open cycles whose closes_at has passed."""
    now = now or utcnow()
    opened, closing = [], []
    for cycle_id in db.session.scalars(select(Cycle.id).where(Cycle.status == "open", Cycle.closes_at <= now)):
        request_close(principal, cycle_id)
        closing.append(cycle_id)
    due = db.session.scalars(
        select(Cycle.id).where(Cycle.status == "scheduled", Cycle.opens_at <= now, Cycle.closes_at > now)
        .order_by(Cycle.opens_at)
    ).first()
    if due is not None and db.session.scalar(select(Cycle.id).where(Cycle.status == "open")) is None:
        open_cycle(principal, due)
        opened.append(due)
    return {"opened": opened, "closing": closing}


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


# --- orders ------------------------------------------------------------------------


def _contract_of_products(product_ids: list[int], day: dt.date) -> dict[int, int]:
    """product id -> the contract in effect it is on (at most one, by the overlap rule)."""
    rows = db.session.execute(
        select(ContractItem.product_id, Contract.id).join(Contract)
        .where(ContractItem.product_id.in_(product_ids), Contract.in_effect_on(day))
    ).all()
    return {product_id: contract_id for product_id, contract_id in rows}


def _build_lines(requested: list[dict]) -> list[OrderLine]:
    """Order lines for [{product_id, quantity}], or Invalid naming each bad line."""
    product_ids = [line["product_id"] for line in requested]
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    contracts = _contract_of_products(product_ids, utcnow().date())
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
    return lines


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
    order.status = rules.status_when_submitted(order.has_clinical_lines, order.approved_at is not None)


def place_order(principal: Principal, data: dict) -> Order:
    """A practice (or MSO staff on its behalf) orders into the open cycle."""
    practice = _practice_for(principal, data.get("practice_id"))
    location = _location_of(practice, data["location_id"])
    cycle = _lock_open_cycle()
    order = Order(practice_id=practice.id, location_id=location.id, cycle_id=cycle.id, status="draft",
                  placed_by=principal.label, lines=_build_lines(data["lines"]))
    db.session.add(order)
    if data.get("submit", True):
        _route_submitted(principal, order)
    db.session.flush()
    audit.record(principal, "order.place", order, details={"cycle_id": cycle.id, "status": order.status,
                                                            "lines": len(order.lines)})
    db.session.flush()
    return with_estimate(order)


def _changeable(principal: Principal, order_id: int, action: str) -> Order:
    """The order, locked, while its cycle is open and it is not final (409 otherwise)."""
    order = policy.load(principal, Order, order_id, action)
    _lock_open_cycle(order.cycle_id)
    order = policy.load(principal, Order, order_id, action, for_update=True)
    if order.status not in OPEN_ORDER_STATUSES:
        raise Conflict(f"order {order.id} is {order.status}")
    return order


def edit_order(principal: Principal, order_id: int, data: dict, if_match: Container[str]) -> Order:
    """Replace an order's lines (and ship-to) while its cycle is open. A submitted order
    is routed again: changed clinical lines need a physician's approval again."""
    order = _changeable(principal, order_id, "order.edit")
    require_match(order, if_match)
    practice = db.session.get(Practice, order.practice_id)
    if "location_id" in data:
        order.location_id = _location_of(practice, data["location_id"]).id
    if "lines" in data:
        order.lines = _build_lines(data["lines"])
        order.approved_by_user_id = order.approved_at = None
    if order.status != "draft":
        _route_submitted(principal, order)
    order.updated_at = utcnow()
    audit.record(principal, "order.edit", order, details={"status": order.status, "lines": len(order.lines)})
    db.session.flush()
    return with_estimate(order)


def submit_order(principal: Principal, order_id: int) -> Order:
    order = _changeable(principal, order_id, "order.edit")
    if order.status != "draft":
        raise Conflict(f"order {order.id} is already submitted ({order.status})")
    _route_submitted(principal, order)
    order.updated_at = utcnow()
    audit.record(principal, "order.submit", order, details={"status": order.status})
    db.session.flush()
    return with_estimate(order)


def approve_order(principal: Principal, order_id: int, if_match: Container[str]) -> Order:
    """CPOM: a physician of the order's practice approves its clinical lines, exactly as
    read (If-Match: lines changed since are not approved). No MSO role and no other
    practice may (403 and 404)."""
    order = _changeable(principal, order_id, "order.approve")
    if not if_match:
        raise DomainError("approve the version you reviewed: send If-Match with its ETag", status_code=428)
    require_match(order, if_match)
    order.approved_by_user_id, order.approved_at = principal.user_id, utcnow()
    order.updated_at = utcnow()
    if order.status == "awaiting_approval":
        order.status = "confirmed"
    audit.record(principal, "order.approve", order, details={"status": order.status})
    db.session.flush()
    return with_estimate(order)


def cancel_order(principal: Principal, order_id: int) -> Order:
    order = _changeable(principal, order_id, "order.edit")
    order.status, order.cancelled_at = "cancelled", utcnow()
    order.updated_at = order.cancelled_at
    audit.record(principal, "order.cancel", order)
    db.session.flush()
    return with_estimate(order)


def copy_to_open_cycle(principal: Principal, order_id: int) -> Order:
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
    return with_estimate(copy)


def get_order(principal: Principal, order_id: int) -> Order:
    return with_estimate(policy.load(principal, Order, order_id, "order.read"))


def list_orders(principal: Principal, filters: dict, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "order.read")
    stmt = policy.scope(principal, select(Order), Order.practice_id)
    for field in ("cycle_id", "status", "practice_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Order, field) == filters[field])
    result = paged(stmt.order_by(Order.id.desc()), page, page_size)
    result.items = with_estimates(*result.items) if result.items else []
    return result


# --- estimates and tier progress -----------------------------------------------------


def _volumes(cycle_id: int, contract_ids) -> dict[int, int]:
    """Per contract, the volume of confirmed lines: units, or list cents (spend basis)."""
    rows = db.session.execute(
        select(OrderLine.contract_id, Contract.basis, func.sum(OrderLine.quantity),
               func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)))
        .join(Order, Order.id == OrderLine.order_id).join(Contract, Contract.id == OrderLine.contract_id)
        .where(Order.cycle_id == cycle_id, Order.status == "confirmed", OrderLine.contract_id.in_(list(contract_ids)))
        .group_by(OrderLine.contract_id, Contract.basis)
    ).all()
    return {cid: int(units if basis == "units" else spend) for cid, basis, units, spend in rows}


def with_estimate(order: Order) -> Order:
    """One order with its lines' `estimated_unit_price` (see with_estimates)."""
    with_estimates(order)
    return order


def with_estimates(*orders: Order) -> list[Order]:
    """Give each open order's lines `estimated_unit_price`: the price at the tier its
    contract reaches now in the cycle. Always a list, whatever the number of orders
    (a page of one order is still a page)."""
    pending = [o for o in orders if o.status in OPEN_ORDER_STATUSES]
    by_cycle: dict[int, set[int]] = defaultdict(set)
    for order in pending:
        by_cycle[order.cycle_id].update(line.contract_id for line in order.lines)
    tiers_now: dict[tuple[int, int], object] = {}
    for cycle_id, contract_ids in by_cycle.items():
        volumes = _volumes(cycle_id, contract_ids)
        for contract in db.session.scalars(select(Contract).where(Contract.id.in_(contract_ids))):
            tiers = contract.tier_list
            tiers_now[(cycle_id, contract.id)] = tiers[achieved_index(tiers, volumes.get(contract.id, 0))] if tiers else None
    for order in orders:
        for line in order.lines:
            tier = tiers_now.get((order.cycle_id, line.contract_id))
            line.estimated_unit_price = price_at(tier, line.product_id, line.list_price) if tier else None
    return list(orders)


def tier_progress(principal: Principal, contract_id: int, cycle_id: int | None) -> dict:
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
    volume = _volumes(cycle.id, [contract.id]).get(contract.id, 0)
    index = achieved_index(tiers, volume)
    current = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    savings = 0
    if following is not None:
        # Every confirmed line's cents at this tier minus at the next, rounded per line.
        rows = db.session.execute(
            select(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity, func.count())
            .join(Order).where(Order.cycle_id == cycle.id, Order.status == "confirmed",
                               OrderLine.contract_id == contract.id)
            .group_by(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity)
        ).all()
        for product_id, list_price, quantity, count in rows:
            now_cents = line_cents(price_at(current, product_id, list_price), quantity)
            next_cents = line_cents(price_at(following, product_id, list_price), quantity)
            savings += (now_cents - next_cents) * count
    return {
        "contract_id": contract.id, "cycle_id": cycle.id, "basis": contract.basis, "volume": volume,
        "achieved_tier": current.to_json(), "next_tier": following.to_json() if following else None,
        "volume_to_next_tier": (following.min_volume - volume) if following else None,
        "savings_at_next_tier_cents": savings if following else None,
    }


# --- results -------------------------------------------------------------------------


def cycle_results(principal: Principal, cycle_id: int) -> list[dict]:
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
        out.append({
            "contract_id": contract.id, "title": contract.title, "vendor_id": contract.vendor_id,
            "basis": contract.basis, "volume": result.volume,
            "achieved_tier": {"index": result.achieved_tier_index, "min_volume": result.achieved_min_volume,
                              "discount_percent": result.discount_percent},
            "list_cents": int(list_cents or 0), "paid_cents": int(paid_cents or 0),
            "savings_cents": int(savings_cents or 0),
        })
    return out


# --- the vendor's side -----------------------------------------------------------------


def list_purchase_orders(principal: Principal, cycle_id: int | None, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "purchase_order.read")
    stmt = policy.scope(principal, select(PurchaseOrder), PurchaseOrder.vendor_id)
    if cycle_id is not None:
        stmt = stmt.where(PurchaseOrder.cycle_id == cycle_id)
    return paged(stmt.order_by(PurchaseOrder.id.desc()), page, page_size)


def get_purchase_order(principal: Principal, purchase_order_id: int) -> PurchaseOrder:
    return policy.load(principal, PurchaseOrder, purchase_order_id, "purchase_order.read")


def _pooled_into(po: PurchaseOrder, po_line: PurchaseOrderLine):
    """SQL: the practices' order lines pooled into one purchase-order line (same
    product, ship-to location and final price)."""
    return and_(Order.id == OrderLine.order_id, Order.cycle_id == po.cycle_id,
                Order.status.in_(("priced", "invoiced")), Order.location_id == po_line.location_id,
                OrderLine.product_id == po_line.product_id, OrderLine.contract_id == po.contract_id,
                OrderLine.unit_price == po_line.unit_price)


def _order_lines_of(po: PurchaseOrder, po_line: PurchaseOrderLine, newest_first: bool):
    order_by = Order.id.desc() if newest_first else Order.id.asc()
    return db.session.scalars(
        select(OrderLine).join(Order, _pooled_into(po, po_line))
        .order_by(order_by, OrderLine.id).with_for_update(key_share=True)
    ).all()


def acknowledge(principal: Principal, purchase_order_id: int, lines: list[dict]) -> PurchaseOrder:
    """The vendor accepts all or fewer units of each line. Refused units cancel the
    matching order lines, newest orders first; the achieved tier does not change."""
    po = policy.load(principal, PurchaseOrder, purchase_order_id, "purchase_order.acknowledge", for_update=True)
    by_id = {line.id: line for line in po.lines}
    errors = {}
    for i, item in enumerate(lines):
        po_line = by_id.get(item["line_id"])
        if po_line is None:
            errors[str(i)] = [f"line {item['line_id']} is not a line of purchase order {po.id}"]
        elif po_line.accepted_quantity is not None:
            errors[str(i)] = [f"line {po_line.id} is already acknowledged ({po_line.accepted_quantity} accepted)"]
        elif item["accepted_quantity"] > po_line.quantity:
            errors[str(i)] = [f"line {po_line.id}: {item['accepted_quantity']} accepted but {po_line.quantity} ordered"]
    if len({item["line_id"] for item in lines}) != len(lines):
        errors["lines"] = ["each line at most once per acknowledgement"]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], {"json": {"lines": errors}})
    for item in lines:
        po_line = by_id[item["line_id"]]
        po_line.accepted_quantity = item["accepted_quantity"]
        refused = po_line.quantity - po_line.accepted_quantity
        for order_line in _order_lines_of(po, po_line, newest_first=True):
            keep = order_line.quantity
            if refused > 0:
                cut = min(refused, order_line.quantity)
                keep, refused = order_line.quantity - cut, refused - cut
            order_line.accepted_quantity = keep
            order_line.list_cents = line_cents(order_line.list_price, keep)
            order_line.line_cents = line_cents(order_line.unit_price, keep)
            order_line.savings_cents = order_line.list_cents - order_line.line_cents
        db.session.flush()
        po_line.line_cents = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.line_cents), 0)).join(Order, _pooled_into(po, po_line)))
    audit.record(principal, "purchase_order.acknowledge", po,
                 details={"lines": [{"line_id": i["line_id"], "accepted_quantity": i["accepted_quantity"]} for i in lines]})
    # Other features' steps (billing drops refused units from the draft invoices), in
    # the same transaction: all of it lands, or none.
    for step in features.steps(features.ACKNOWLEDGE):
        step(po.id, [item["line_id"] for item in lines])
    db.session.flush()
    return po


def ship(principal: Principal, purchase_order_id: int, data: dict) -> Shipment:
    """The vendor ships accepted units to a location, with carrier and tracking; the
    practices' order lines are marked shipped, oldest orders first."""
    po = policy.load(principal, PurchaseOrder, purchase_order_id, "purchase_order.ship", for_update=True)
    by_id = {line.id: line for line in po.lines}
    errors = {}
    for i, item in enumerate(data["lines"]):
        po_line = by_id.get(item["line_id"])
        if po_line is None:
            errors[str(i)] = [f"line {item['line_id']} is not a line of purchase order {po.id}"]
        elif item["location_id"] != po_line.location_id:
            errors[str(i)] = [f"line {po_line.id} ships to location {po_line.location_id}, not {item['location_id']}"]
        elif po_line.accepted_quantity is None:
            errors[str(i)] = [f"line {po_line.id} is not acknowledged yet"]
        elif po_line.shipped_quantity + item["quantity"] > po_line.accepted_quantity:
            errors[str(i)] = [f"line {po_line.id}: shipping {item['quantity']} more would exceed the "
                              f"{po_line.accepted_quantity} accepted ({po_line.shipped_quantity} shipped)"]
    if len({item["line_id"] for item in data["lines"]}) != len(data["lines"]):
        errors["lines"] = ["each line at most once per shipment"]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], {"json": {"lines": errors}})
    shipment = Shipment(purchase_order_id=po.id, carrier=data["carrier"], tracking_number=data["tracking_number"],
                        lines=[ShipmentLine(purchase_order_line_id=i["line_id"], quantity=i["quantity"]) for i in data["lines"]])
    db.session.add(shipment)
    for item in data["lines"]:
        po_line = by_id[item["line_id"]]
        po_line.shipped_quantity += item["quantity"]
        remaining = item["quantity"]
        for order_line in _order_lines_of(po, po_line, newest_first=False):
            room = (order_line.accepted_quantity or 0) - order_line.shipped_quantity
            step = min(room, remaining)
            if step > 0:
                order_line.shipped_quantity += step
                remaining -= step
    db.session.flush()
    audit.record(principal, "purchase_order.ship", po, details={
        "shipment_id": shipment.id, "carrier": shipment.carrier, "tracking_number": shipment.tracking_number})
    db.session.flush()
    return shipment
