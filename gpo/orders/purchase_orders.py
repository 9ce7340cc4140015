"""Use cases of the vendor's side: its purchase orders, its acknowledgement (all or
fewer units of each line) and its shipments; and the pooled-lines query that ties a
purchase-order line to the practices' order lines it pools."""
from __future__ import annotations

from typing import TypedDict

from sqlalchemy import Select, and_, false, func, select

from gpo import audit, features
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.contracts.models import Contract
from gpo.db import Paged, db, paged
from gpo.errors import Invalid
from gpo.money import line_cents
from gpo.orders.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine, Shipment, ShipmentLine


class ShippedLine(TypedDict):
    """One line of a shipment (what ShipmentLineInSchema loads)."""

    line_id: int
    location_id: int
    quantity: int


class ShipmentInput(TypedDict):
    """A shipment (what ShipmentInSchema loads)."""

    lines: list[ShippedLine]
    carrier: str
    tracking_number: str


def pooled_lines(po: PurchaseOrder, po_line: PurchaseOrderLine) -> Select:
    """The practices' order lines pooled into one purchase-order line: the lines of the
    purchase order's cycle and contract with the same product, ship-to location and
    final unit price, of orders the close priced (or since invoiced). An approved
    substitute's line pools none (its units replace some of the original line's).

    A SELECT of OrderLine joined to its Order, to be ordered, locked or narrowed by the
    caller (for their ids: `.with_only_columns(OrderLine.id)`)."""
    stmt = select(OrderLine).join(Order, and_(
        Order.id == OrderLine.order_id, Order.cycle_id == po.cycle_id,
        Order.status.in_(("priced", "invoiced")), Order.location_id == po_line.location_id,
        OrderLine.product_id == po_line.product_id, OrderLine.contract_id == po.contract_id,
        OrderLine.unit_price == po_line.unit_price))
    return stmt.where(false()) if po_line.substitution_of_id is not None else stmt


def _order_lines_of(po: PurchaseOrder, po_line: PurchaseOrderLine, newest_first: bool) -> list[OrderLine]:
    order_by = Order.id.desc() if newest_first else Order.id.asc()
    return db.session.scalars(
        pooled_lines(po, po_line).order_by(order_by, OrderLine.id).with_for_update(key_share=True)
    ).all()


def cut_units(po: PurchaseOrder, po_line: PurchaseOrderLine, units: int, only_where=None) -> int:
    """Take `units` off the practices' order lines pooled in `po_line`, newest orders
    first (only orders matching `only_where`, say `Order.backorders_allowed`), and keep
    the line's cents the sum of theirs. Returns the units taken (fewer when the matching
    lines hold fewer). The caller runs `follow_cut` once its cuts are done, in the same
    transaction, so the practices' invoices follow."""
    left = units
    for order_line in _order_lines_of(po, po_line, newest_first=True):
        if left <= 0:
            break
        if only_where is not None and not only_where(order_line.order):
            continue
        cut = min(left, order_line.accepted_quantity or 0)
        if cut <= 0:
            continue
        keep = order_line.accepted_quantity - cut
        left -= cut
        order_line.accepted_quantity = keep
        order_line.list_cents = line_cents(order_line.list_price, keep)
        order_line.line_cents = line_cents(order_line.unit_price, keep)
        order_line.savings_cents = order_line.list_cents - order_line.line_cents
    db.session.flush()
    po_line.line_cents = db.session.scalar(
        pooled_lines(po, po_line).with_only_columns(func.coalesce(func.sum(OrderLine.line_cents), 0)))
    return units - left


def follow_cut(po: PurchaseOrder, line_ids: list[int], reason: str) -> None:
    """Other features' steps after order lines lost units (billing drops them from the
    draft invoices, or credits them once issued), in the same transaction: all of it
    lands, or none. `reason` names why, in words ("Refused by Exam gloves 2026")."""
    for step in features.steps(features.ACKNOWLEDGE):
        step(po.id, line_ids, reason)
    db.session.flush()


def list_purchase_orders(principal: Principal, cycle_id: int | None, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "purchase_order.read")
    stmt = policy.scope(principal, select(PurchaseOrder), PurchaseOrder.vendor_id)
    if cycle_id is not None:
        stmt = stmt.where(PurchaseOrder.cycle_id == cycle_id)
    return paged(stmt.order_by(PurchaseOrder.id.desc()), page, page_size)


def get_purchase_order(principal: Principal, purchase_order_id: int) -> PurchaseOrder:
    return policy.load(principal, PurchaseOrder, purchase_order_id, "purchase_order.read")


def acknowledge(principal: Principal, purchase_order_id: int, lines) -> PurchaseOrder:
    """The vendor's acknowledgement, line by line: gpo.orders.acknowledgement."""
    from gpo.orders import acknowledgement  # it cuts units with this module's cut_units

    return acknowledgement.acknowledge(principal, purchase_order_id, lines)


def contract_title(po: PurchaseOrder) -> str:
    return db.session.get(Contract, po.contract_id).title


def ship(principal: Principal, purchase_order_id: int, data: ShipmentInput) -> Shipment:
    """The vendor ships units to deliver (accepted, backordered and not cancelled,
    replacements) to a location, with carrier and tracking; the practices' order lines
    are marked shipped, oldest orders first (an approved substitute's line has none)."""
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
        elif item["quantity"] > po_line.to_ship:
            errors[str(i)] = [f"line {po_line.id}: shipping {item['quantity']} more would exceed the "
                              f"{po_line.deliverable} to deliver ({po_line.shipped_quantity} shipped)"]
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
