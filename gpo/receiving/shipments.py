"""Shipments as their readers see them (API.md "After the close"): MSO staff and the
vendor of the purchase order see every line; a practice sees a shipment that ships to
one of its locations, and only its own locations' lines. Each line says what shipped
and, once received, the good, damaged and missing units and the claim they opened.

A shipment is `to_receive` for its reader while one of the lines it sees has no
receipt yet, else `received`. Reads only; each is a fixed number of queries."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select, true

from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db, paged
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine, Shipment, ShipmentLine
from gpo.receiving.models import Claim, Receipt, ReceiptLine

SHIPMENT_STATUSES = ("to_receive", "received")


def practice_line_ids(practice_id: int):
    """SQL: the ids of the purchase-order lines shipping to the practice's locations."""
    return (select(PurchaseOrderLine.id).join(Location, Location.id == PurchaseOrderLine.location_id)
            .where(Location.practice_id == practice_id))


def _reader_lines(principal: Principal):
    """SQL condition on ShipmentLine: the lines this reader sees (a practice: its own
    locations'; MSO and vendors: all, their tenancy is the purchase order's)."""
    if principal.org_type == "practice":
        return ShipmentLine.purchase_order_line_id.in_(practice_line_ids(principal.organization_id))
    return true()


def shipment_visible(principal: Principal, shipment: Shipment) -> bool:
    """MSO staff; the purchase order's vendor; a practice a line ships to."""
    if principal.is_mso:
        return True
    if principal.org_type == "vendor":
        return db.session.scalar(select(PurchaseOrder.vendor_id).where(
            PurchaseOrder.id == shipment.purchase_order_id)) == principal.organization_id
    if principal.org_type == "practice":
        return db.session.scalar(select(exists().where(
            ShipmentLine.shipment_id == shipment.id, _reader_lines(principal)))) is True
    return False


def _unreceived():
    """SQL: the shipment line has no receipt line yet."""
    return ~exists().where(ReceiptLine.shipment_id == ShipmentLine.shipment_id,
                           ReceiptLine.purchase_order_line_id == ShipmentLine.purchase_order_line_id)


def shipments_query(principal: Principal, status: str | None = None):
    """The shipments the principal sees (optionally `to_receive` or `received` for it)."""
    policy.authorize(principal, "shipment.read")
    mine = and_(ShipmentLine.shipment_id == Shipment.id, _reader_lines(principal))
    stmt = select(Shipment).where(exists().where(mine))
    if principal.org_type == "vendor":
        stmt = stmt.where(Shipment.purchase_order_id.in_(
            select(PurchaseOrder.id).where(PurchaseOrder.vendor_id == principal.organization_id)))
    waiting = exists().where(mine, _unreceived())
    if status == "to_receive":
        stmt = stmt.where(waiting)
    elif status == "received":
        stmt = stmt.where(~waiting)
    return stmt


def list_shipments(principal: Principal, status: str | None, page: int, page_size: int) -> Paged:
    """A page of shipments, newest first, each with its lines as the reader sees them."""
    result = paged(shipments_query(principal, status).order_by(Shipment.id.desc()), page, page_size)
    return Paged(items=views(principal, result.items), total=result.total)


def count_to_receive(principal: Principal) -> int:
    stmt = shipments_query(principal, "to_receive")
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def get_shipment(principal: Principal, shipment_id: int) -> dict:
    shipment = policy.load(principal, Shipment, shipment_id, "shipment.read")
    return views(principal, [shipment])[0]


def views(principal: Principal, shipments: list[Shipment]) -> list[dict]:
    """Each shipment with its vendor, its status for the reader and its lines (product,
    location, shipped; once received: good, damaged, missing, the claim), in five queries."""
    if not shipments:
        return []
    ids = [s.id for s in shipments]
    seen = (set(db.session.scalars(select(ShipmentLine.purchase_order_line_id).where(
        ShipmentLine.shipment_id.in_(ids), _reader_lines(principal))))
        if principal.org_type == "practice" else None)
    line_ids = {item.purchase_order_line_id for s in shipments for item in s.lines}
    po_lines = {row[0].id: row for row in db.session.execute(
        select(PurchaseOrderLine, Product, Location, Organization.name)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .join(Location, Location.id == PurchaseOrderLine.location_id)
        .join(Organization, Organization.id == Location.practice_id)
        .where(PurchaseOrderLine.id.in_(line_ids)))}
    received = {(r.shipment_id, r.purchase_order_line_id): (r, receipt) for r, receipt in db.session.execute(
        select(ReceiptLine, Receipt).join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(ReceiptLine.shipment_id.in_(ids)))}
    claims = {(c.shipment_id, c.purchase_order_line_id): c for c in db.session.scalars(
        select(Claim).where(Claim.shipment_id.in_(ids)))}
    vendors = {po_id: (vendor_id, name) for po_id, vendor_id, name in db.session.execute(
        select(PurchaseOrder.id, PurchaseOrder.vendor_id, Organization.name)
        .join(Organization, Organization.id == PurchaseOrder.vendor_id)
        .where(PurchaseOrder.id.in_({s.purchase_order_id for s in shipments})))}
    out = []
    for shipment in shipments:
        lines = []
        for item in sorted(shipment.lines, key=lambda i: i.purchase_order_line_id):
            if seen is not None and item.purchase_order_line_id not in seen:
                continue
            po_line, product, location, practice_name = po_lines[item.purchase_order_line_id]
            receipt_line, receipt = received.get((shipment.id, po_line.id), (None, None))
            claim = claims.get((shipment.id, po_line.id))
            lines.append({
                "shipment_line_id": po_line.id, "product_id": product.id, "sku": product.sku,
                "product_name": product.name, "location_id": location.id, "location_name": location.name,
                "practice_id": location.practice_id, "practice_name": practice_name,
                "unit_price": po_line.unit_price, "shipped_quantity": item.quantity,
                "received": receipt_line is not None,
                "received_quantity": receipt_line.received_quantity if receipt_line else None,
                "damaged_quantity": receipt_line.damaged_quantity if receipt_line else None,
                "missing_quantity": receipt_line.missing_quantity if receipt_line else None,
                "receipt_id": receipt.id if receipt else None,
                "received_by": receipt.received_by if receipt else None,
                "received_at": receipt.created_at if receipt else None,
                "claim_id": claim.id if claim else None, "claim_status": claim.status if claim else None,
            })
        out.append({
            "id": shipment.id, "purchase_order_id": shipment.purchase_order_id,
            "vendor_id": vendors[shipment.purchase_order_id][0], "vendor_name": vendors[shipment.purchase_order_id][1],
            "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
            "created_at": shipment.created_at,
            "status": "to_receive" if any(not line["received"] for line in lines) else "received",
            "lines": lines,
        })
    return out
