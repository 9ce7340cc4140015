"""What a practice reads of its orders on the storefront: each order with its lines'
products, its ship-to location and cycle, and (after the close) the shipments the
vendors sent to that location with carrier and tracking number; and the orders whose
clinical lines wait for a physician of the practice (CPOM).

Reads only: they go through the same tenancy and role checks as `ordering`'s
(`order.read`), so another practice's order answers 404."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from gpo.accounts.models import Location
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db
from gpo.etags import etag_for
from gpo.orders import backorders, substitutions
from gpo.orders.models import (
    OPEN_ORDER_STATUSES,
    Cycle,
    Order,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    ShipmentLine,
)
from gpo.orders.ordering import OrderFilters, OrderResult, list_orders, order_result


@dataclass(frozen=True)
class ShippedItem:
    product: Product
    quantity: int


@dataclass(frozen=True)
class ShipmentView:
    """A shipment to the order's location: carrier, tracking number, what it carried."""

    shipment: Shipment
    items: list[ShippedItem]


@dataclass(frozen=True)
class OrderView:
    """An order as the storefront shows it (`result` as the API answers it)."""

    result: OrderResult
    location: Location
    cycle: Cycle
    products: dict[int, Product]
    etag: str
    shipments: list[ShipmentView] = field(default_factory=list)
    # after the close: its location's backordered lines and substitutes offered (their
    # purchase-order lines pool this order's units with others' of the location)
    backorders: list = field(default_factory=list)
    substitutions: list = field(default_factory=list)

    @property
    def order(self) -> Order:
        return self.result.order

    @property
    def is_open(self) -> bool:
        """Still changeable in its cycle (estimated prices, cancel)."""
        return self.result.order.status in OPEN_ORDER_STATUSES

    @property
    def list_cents(self) -> int | None:
        return _total(line.list_cents for line in self.result.lines)

    @property
    def line_cents(self) -> int | None:
        return _total(line.line_cents for line in self.result.lines)

    @property
    def savings_cents(self) -> int | None:
        return _total(line.savings_cents for line in self.result.lines)


def _total(values) -> int | None:
    values = list(values)
    return None if not values or any(v is None for v in values) else sum(values)


@dataclass
class OrdersPage:
    """A page of the practice's orders, and the cycles they can be filtered by."""

    items: list[OrderView]
    total: int
    cycles: list[Cycle]


def _views(results: list[OrderResult]) -> list[OrderView]:
    orders = [r.order for r in results]
    product_ids = {line.product_id for o in orders for line in o.lines}
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))} \
        if product_ids else {}
    locations = {loc.id: loc for loc in db.session.scalars(
        select(Location).where(Location.id.in_({o.location_id for o in orders})))} if orders else {}
    cycles = {c.id: c for c in db.session.scalars(
        select(Cycle).where(Cycle.id.in_({o.cycle_id for o in orders})))} if orders else {}
    return [OrderView(result=r, location=locations[r.order.location_id], cycle=cycles[r.order.cycle_id],
                      products=products, etag=etag_for(r.order)) for r in results]


def orders_page(principal: Principal, filters: OrderFilters, page: int, page_size: int) -> OrdersPage:
    """The practice's orders, newest first, filtered by cycle and status."""
    result = list_orders(principal, filters, page, page_size)
    cycle_ids = policy.scope(principal, select(Order.cycle_id), Order.practice_id).distinct()
    cycles = db.session.scalars(select(Cycle).where(Cycle.id.in_(cycle_ids)).order_by(Cycle.opens_at.desc())).all()
    return OrdersPage(items=_views(result.items), total=result.total, cycles=list(cycles))


def order_detail(principal: Principal, order_id: int) -> OrderView:
    """One order with its products and the shipments to its location (404 outside the
    practice)."""
    order = policy.load(principal, Order, order_id, "order.read")
    view = _views([order_result(order)])[0]
    view.shipments.extend(_shipments_of(order, view.products))
    line_ids = _po_lines_of(order)
    view.backorders.extend(backorders.backorders_of_order(principal, line_ids))
    view.substitutions.extend(substitutions.of_lines(principal, line_ids))
    return view


def _po_lines_of(order: Order) -> list[int]:
    """The purchase-order lines that pool this order's lines (its location's, of its
    cycle, contracts and products)."""
    if order.status not in ("priced", "invoiced") or not order.lines:
        return []
    return list(db.session.scalars(
        select(PurchaseOrderLine.id).join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.cycle_id == order.cycle_id,
               PurchaseOrder.contract_id.in_({line.contract_id for line in order.lines}),
               PurchaseOrderLine.location_id == order.location_id, PurchaseOrderLine.substitution_of_id.is_(None),
               PurchaseOrderLine.product_id.in_({line.product_id for line in order.lines}))))


def _shipments_of(order: Order, products: dict[int, Product]) -> list[ShipmentView]:
    """Shipments of the order's cycle to its location, of its lines' products and
    contracts (several orders of one location in one cycle share them: the vendor
    ships the pooled purchase order)."""
    if order.status not in ("priced", "invoiced") or not order.lines:
        return []
    rows = db.session.execute(
        select(Shipment, ShipmentLine.quantity, PurchaseOrderLine.product_id)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ShipmentLine.purchase_order_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == Shipment.purchase_order_id)
        .where(PurchaseOrder.cycle_id == order.cycle_id,
               PurchaseOrder.contract_id.in_({line.contract_id for line in order.lines}),
               PurchaseOrderLine.location_id == order.location_id,
               PurchaseOrderLine.product_id.in_({line.product_id for line in order.lines}))
        .order_by(Shipment.id, PurchaseOrderLine.product_id)
    ).all()
    views: dict[int, ShipmentView] = {}
    for shipment, quantity, product_id in rows:
        view = views.setdefault(shipment.id, ShipmentView(shipment=shipment, items=[]))
        view.items.append(ShippedItem(product=products[product_id], quantity=quantity))
    return list(views.values())


def awaiting_approval(principal: Principal, page: int, page_size: int) -> Paged:
    """The practice's orders whose clinical lines wait for a physician, newest first."""
    result = list_orders(principal, {"status": "awaiting_approval"}, page, page_size)
    return Paged(items=_views(result.items), total=result.total)
