"""What the console and the vendor portal read of purchase orders: each with its
vendor, cycle and contract and where it stands (waiting for the vendor's
acknowledgement, accepted units to ship, shipped), filtered by vendor, cycle and that
status; and one purchase order with its lines per ship-to location (product,
acknowledgement, units shipped) and its shipments with carrier and tracking.

Reads only, through `purchase_order.read` and the vendor's tenancy (another vendor's
purchase order answers 404, as in the API). Each read is a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from sqlalchemy import case, func, literal_column, select

from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.db import db
from gpo.orders import line_states
from gpo.orders.models import _DELIVERABLE, Cycle, PurchaseOrder, PurchaseOrderLine, Shipment, Substitution
from gpo.orders.purchase_orders import get_purchase_order


class PurchaseOrderFilters(TypedDict, total=False):
    vendor_id: int
    cycle_id: int
    status: str


def _line_totals():
    """Per purchase order: its lines not acknowledged, units ordered, to deliver
    ("accepted": accepted, backordered not cancelled, replacements), shipped, cents."""
    line = PurchaseOrderLine
    return (
        select(line.purchase_order_id.label("po_id"),
               func.sum(case((line.accepted_quantity.is_(None), 1), else_=0)).label("pending"),
               func.sum(line.quantity).label("units"),
               func.sum(literal_column(_DELIVERABLE)).label("accepted"),
               func.sum(line.shipped_quantity).label("shipped"),
               func.sum(line.line_cents).label("cents"))
        .group_by(line.purchase_order_id).subquery()
    )


def _status(totals):
    """The purchase order's status (one of PO_STATUSES) from its line totals."""
    return case((totals.c.pending > 0, "awaiting_acknowledgement"),
                (totals.c.accepted > totals.c.shipped, "to_ship"), else_="shipped")


@dataclass(frozen=True)
class PurchaseOrderRow:
    po: PurchaseOrder
    status: str
    vendor_name: str
    cycle_name: str
    contract_title: str
    units: int
    accepted: int
    shipped: int
    cents: int


@dataclass
class PurchaseOrdersPage:
    """A page of purchase orders, newest first, and what they can be filtered by."""

    items: list[PurchaseOrderRow]
    total: int
    vendors: list[tuple[int, str]]
    cycles: list[tuple[int, str]]


def purchase_orders_page(principal: Principal, filters: PurchaseOrderFilters, page: int,
                         page_size: int) -> PurchaseOrdersPage:
    policy.authorize(principal, "purchase_order.read")
    totals = _line_totals()
    status = _status(totals)
    vendor = Organization.__table__.alias("vendor")
    stmt = policy.scope(principal, (
        select(PurchaseOrder, status.label("status"), vendor.c.name.label("vendor_name"),
               Cycle.name.label("cycle_name"), Contract.title, totals.c.units, totals.c.accepted,
               totals.c.shipped, totals.c.cents)
        .join(totals, totals.c.po_id == PurchaseOrder.id)
        .join(vendor, vendor.c.id == PurchaseOrder.vendor_id)
        .join(Cycle, Cycle.id == PurchaseOrder.cycle_id)
        .join(Contract, Contract.id == PurchaseOrder.contract_id)
    ), PurchaseOrder.vendor_id)
    if filters.get("vendor_id") is not None:
        stmt = stmt.where(PurchaseOrder.vendor_id == filters["vendor_id"])
    if filters.get("cycle_id") is not None:
        stmt = stmt.where(PurchaseOrder.cycle_id == filters["cycle_id"])
    if filters.get("status"):
        stmt = stmt.where(status == filters["status"])
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    offset = (page - 1) * page_size
    rows = [] if offset >= total else db.session.execute(
        stmt.order_by(PurchaseOrder.id.desc()).limit(page_size).offset(offset)).all()
    items = [PurchaseOrderRow(po=po, status=st, vendor_name=vn, cycle_name=cn, contract_title=ct, units=int(u),
                              accepted=int(a), shipped=int(s), cents=int(c))
             for po, st, vn, cn, ct, u, a, s, c in rows]
    # what the filters offer: the vendors and cycles that have purchase orders (the reader's)
    seen = policy.scope(principal, select(PurchaseOrder.vendor_id, PurchaseOrder.cycle_id), PurchaseOrder.vendor_id)
    seen = seen.distinct().subquery()
    vendors = db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_(select(seen.c.vendor_id))).order_by(Organization.name)).all()
    cycles = db.session.execute(select(Cycle.id, Cycle.name).where(
        Cycle.id.in_(select(seen.c.cycle_id))).order_by(Cycle.opens_at.desc())).all()
    return PurchaseOrdersPage(items=items, total=total, vendors=[tuple(v) for v in vendors],
                              cycles=[tuple(c) for c in cycles])


def waiting_counts(principal: Principal) -> dict[str, int]:
    """How many of the reader's purchase orders stand at each status (one query)."""
    policy.authorize(principal, "purchase_order.read")
    totals = _line_totals()
    status = _status(totals)
    stmt = policy.scope(principal, select(status, func.count()).select_from(PurchaseOrder)
                        .join(totals, totals.c.po_id == PurchaseOrder.id), PurchaseOrder.vendor_id)
    return {st: n for st, n in db.session.execute(stmt.group_by(status)).all()}


# --- one purchase order ------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: PurchaseOrderLine
    product: Product
    substitution: Substitution | None = None  # offered for some of its units
    substitute_product: Product | None = None

    @property
    def state(self) -> str:
        """The line's acknowledgement in words ("50 accepted, 10 backordered (expected ...)")."""
        words = line_states.in_words(self.line, self.substitution.status if self.substitution else None)
        if self.substitute_product is not None and self.substitution.status == "offered":
            words += f": {self.substitute_product.name} at {self.substitution.unit_price:.4f}"
        return words

    @property
    def to_ship(self) -> int:
        return self.line.to_ship


@dataclass(frozen=True)
class ShippedItem:
    product: Product
    location: Location
    quantity: int


@dataclass(frozen=True)
class ShipmentView:
    shipment: Shipment
    items: list[ShippedItem]


@dataclass
class LocationGroup:
    """The lines shipped to one location of a practice, and the shipments that went there."""

    location: Location
    practice_name: str
    lines: list[LineView] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(1 for v in self.lines if v.line.accepted_quantity is None)

    @property
    def pending_lines(self) -> list[LineView]:
        return [v for v in self.lines if v.line.accepted_quantity is None]

    @property
    def to_ship(self) -> int:
        return sum(v.to_ship for v in self.lines)

    @property
    def shipped(self) -> int:
        return sum(v.line.shipped_quantity for v in self.lines)

    @property
    def status(self) -> str:
        """awaiting_acknowledgement, to_ship or shipped (as PO_STATUSES), for this location."""
        if self.pending:
            return "awaiting_acknowledgement"
        return "to_ship" if self.to_ship else "shipped"


@dataclass
class PurchaseOrderView:
    po: PurchaseOrder
    vendor_name: str
    cycle: Cycle
    contract: Contract
    locations: list[LocationGroup]
    shipments: list[ShipmentView]
    # what the acknowledgement may offer as a substitute: the vendor's active products
    substitutes: list[Product] = field(default_factory=list)

    @property
    def lines(self) -> list[LineView]:
        return [v for group in self.locations for v in group.lines]

    @property
    def pending_lines(self) -> list[LineView]:
        return [v for v in self.lines if v.line.accepted_quantity is None]

    @property
    def status(self) -> str:
        if self.pending_lines:
            return "awaiting_acknowledgement"
        return "to_ship" if any(v.to_ship for v in self.lines) else "shipped"

    @property
    def cents(self) -> int:
        return sum(v.line.line_cents for v in self.lines)

    @property
    def substitute_options(self) -> list[tuple[int, str]]:
        return [(p.id, f"{p.name} ({p.sku})") for p in self.substitutes]


def purchase_order_detail(principal: Principal, purchase_order_id: int) -> PurchaseOrderView:
    """The purchase order (404 for another vendor's) with its lines per ship-to
    location and its shipments."""
    po = get_purchase_order(principal, purchase_order_id)
    offers = {s.original_line_id: s for s in db.session.scalars(
        select(Substitution).where(Substitution.purchase_order_id == po.id))}
    product_ids = {line.product_id for line in po.lines} | {s.product_id for s in offers.values()}
    location_ids = {line.location_id for line in po.lines}
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    places = {loc.id: (loc, name) for loc, name in db.session.execute(
        select(Location, Organization.name).join(Organization, Organization.id == Location.practice_id)
        .where(Location.id.in_(location_ids)))}
    groups: dict[int, LocationGroup] = {}
    for location_id, (location, practice_name) in sorted(places.items(), key=lambda kv: (kv[1][1], kv[1][0].name)):
        groups[location_id] = LocationGroup(location=location, practice_name=practice_name)
    for line in po.lines:
        offer = offers.get(line.id)
        groups[line.location_id].lines.append(LineView(
            line=line, product=products[line.product_id], substitution=offer,
            substitute_product=products[offer.product_id] if offer else None))
    lines_by_id = {line.id: line for line in po.lines}
    shipments = []
    for shipment in db.session.scalars(select(Shipment).where(Shipment.purchase_order_id == po.id).order_by(Shipment.id)):
        items = []
        for item in shipment.lines:
            line = lines_by_id[item.purchase_order_line_id]
            items.append(ShippedItem(product=products[line.product_id], location=places[line.location_id][0],
                                     quantity=item.quantity))
            group = groups[line.location_id]
            if shipment not in group.shipments:
                group.shipments.append(shipment)
        shipments.append(ShipmentView(shipment=shipment, items=items))
    vendor_name = db.session.get(Organization, po.vendor_id).name
    substitutes = list(db.session.scalars(select(Product).where(
        Product.vendor_id == po.vendor_id, Product.active.is_(True)).order_by(Product.name, Product.id))) \
        if any(line.accepted_quantity is None for line in po.lines) else []
    return PurchaseOrderView(po=po, vendor_name=vendor_name, cycle=db.session.get(Cycle, po.cycle_id),
                             contract=db.session.get(Contract, po.contract_id), locations=list(groups.values()),
                             shipments=shipments, substitutes=substitutes)
