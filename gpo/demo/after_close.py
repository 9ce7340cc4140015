"""The demo after the close (DOMAIN.md "After the close"), on the last cycle's supplies
purchase order that gpo/demo/purchasing.py acknowledged (a backorder of Lakeside's
gauze, a substitute for Northside's exam table waiting for its physician) and shipped:
Lakeside receives its shipment with 2 damaged boxes (a claim for Acme), Riverbend its
own in full; Acme invoices Riverbend's lines at the contract price with freight
(matched and approved; the freight goes to Riverbend) and Lakeside's with the gauze
above the contract price (an exception waiting for MSO finance). The history's
receipts, invoices and settlements are in gpo/demo/settlements.py. Idempotent: a
receipt or an invoice (by its number) that exists is left as it is."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Location, Organization, Practice, Vendor
from gpo.billing.models import Invoice
from gpo.catalog.models import Product
from gpo.db import db, utcnow
from gpo.demo.common import principal_of
from gpo.demo.purchasing import LAST_CYCLE, SUBSTITUTE_SKU
from gpo.demo.settlements import seed_settlements
from gpo.money import format_dollars
from gpo.orders.models import Cycle, Order, OrderLine, PurchaseOrder, Shipment, Substitution
from gpo.payables import invoices as vendor_invoices
from gpo.payables.models import VendorInvoice
from gpo.receiving import receipts
from gpo.receiving.models import Claim, Receipt

ACME = "Acme Medical Supply"
ACME_ADMIN = "admin@acme.example"
DAMAGED_GLOVES = 2  # boxes of Lakeside's medium gloves that arrive crushed
RIVERBEND_FREIGHT_CENTS = 1850
LAKESIDE_FREIGHT_CENTS = 2400


def seed_after_close() -> list[str]:
    lines = ["After the close (Demo: last cycle's supplies purchase order, and the history's settlements):"]
    past = db.session.scalars(select(Cycle).where(Cycle.name == LAST_CYCLE)).first()
    acme = db.session.scalars(select(Vendor).where(Organization.name == ACME)).first()
    po = _supplies_po(past, acme) if past is not None and acme is not None else None
    if po is None:
        return lines + [" nothing: Demo: last cycle or its supplies purchase order is missing"]
    practices = {p.name: p for p in db.session.scalars(select(Practice))}
    lakeside, riverbend = practices.get("Lakeside Family Medicine"), practices.get("Riverbend Pediatrics")
    lines += _backorders_and_substitutes(po)
    if lakeside is not None:
        _receive(po, lakeside, "buyer@lakeside.example", damaged=DAMAGED_GLOVES)
    if riverbend is not None:
        _receive(po, riverbend, "buyer@riverbend.example", damaged=0)
    claims = db.session.scalars(select(Claim).where(Claim.purchase_order_id == po.id).order_by(Claim.id)).all()
    for claim in claims:
        lines.append(f" claim {claim.id}: {claim.damaged_quantity} damaged, {claim.missing_quantity} missing on "
                     f"purchase order {po.id}, {claim.status} ({ACME_ADMIN} replaces or credits it at /portal/claims; "
                     f"{db.session.get(Organization, claim.practice_id).name} sees it at /receiving)")
    waiting = [s for s in db.session.scalars(select(Shipment).where(Shipment.purchase_order_id == po.id))
               if db.session.scalar(select(Receipt.id).where(Receipt.shipment_id == s.id)) is None]
    po_lines = {line.id: line for line in po.lines}
    names = _location_names(line.location_id for line in po.lines)
    for shipment in waiting:
        to = names[po_lines[shipment.lines[0].purchase_order_line_id].location_id]
        lines.append(f" shipment {shipment.id} ({shipment.carrier} {shipment.tracking_number}) to {to} waits to be "
                     "received: its buyer at /receiving")
    if riverbend is not None:
        _invoice(acme, po, riverbend, RIVERBEND_FREIGHT_CENTS, above_contract=set())
    if lakeside is not None:
        gauze = db.session.scalar(select(Product.id).where(Product.vendor_id == acme.id, Product.sku == "GAU-4X4"))
        _invoice(acme, po, lakeside, LAKESIDE_FREIGHT_CENTS, above_contract={gauze})
    for invoice in db.session.scalars(select(VendorInvoice).where(VendorInvoice.purchase_order_id == po.id)
                                      .order_by(VendorInvoice.id)):
        lines.append(_invoice_line(invoice))
    return lines + seed_settlements()


def _supplies_po(past: Cycle, acme: Vendor) -> PurchaseOrder | None:
    """The cycle's Acme purchase order that shipped (the supplies one; furniture waits)."""
    return db.session.scalars(select(PurchaseOrder).join(Shipment, Shipment.purchase_order_id == PurchaseOrder.id)
                              .where(PurchaseOrder.cycle_id == past.id, PurchaseOrder.vendor_id == acme.id)
                              .order_by(PurchaseOrder.id)).first()


def _location_names(ids) -> dict[int, str]:
    rows = db.session.execute(select(Location.id, Organization.name).join(Practice, Practice.id == Location.practice_id)
                              .where(Location.id.in_(set(ids)))).all()
    return dict(rows)


def _backorders_and_substitutes(po: PurchaseOrder) -> list[str]:
    out = []
    names = _location_names(line.location_id for line in po.lines)
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_({line.product_id for line in po.lines})))}
    for line in po.lines:
        if line.open_backorder:
            order_id = db.session.scalar(select(Order.id).join(OrderLine, OrderLine.order_id == Order.id).where(
                Order.cycle_id == po.cycle_id, Order.location_id == line.location_id,
                OrderLine.product_id == line.product_id).order_by(Order.id))
            out.append(f" backorder: {line.open_backorder} x {products[line.product_id].sku} for "
                       f"{names[line.location_id]}, expected to ship on {line.expected_ship_on} (GET /api/v1/backorders;"
                       f" its buyer sees it at /orders/{order_id}, {ACME_ADMIN} at /portal/purchase-orders/{po.id})")
    for substitution in db.session.scalars(select(Substitution).where(Substitution.purchase_order_id == po.id)):
        product = db.session.get(Product, substitution.product_id)
        who = "a physician of the practice (dr.patel@northside.example)" if substitution.clinical else "the practice"
        out.append(f" substitution {substitution.id}: {substitution.quantity} x {product.sku} {product.name} at "
                   f"{substitution.unit_price:.2f} for {names[substitution.location_id]}, {substitution.status}"
                   + (f", waiting for {who} at /substitutions" if substitution.status == "offered" else ""))
    if not any(s.startswith(" substitution") for s in out):
        out.append(f" no substitution: Acme's catalog has no {SUBSTITUTE_SKU} (a database seeded before it)")
    return out


def _receive(po: PurchaseOrder, practice: Practice, email: str, damaged: int) -> None:
    """The practice receives the purchase order's shipments to its locations, once:
    every unit good, but `damaged` boxes of its largest line."""
    for shipment in db.session.scalars(select(Shipment).where(Shipment.purchase_order_id == po.id)
                                       .order_by(Shipment.id)):
        po_lines = {line.id: line for line in po.lines}
        mine = [item for item in shipment.lines
                if db.session.get(Location, po_lines[item.purchase_order_line_id].location_id).practice_id == practice.id]
        received = db.session.scalar(select(Receipt.id).where(Receipt.shipment_id == shipment.id,
                                                              Receipt.practice_id == practice.id))
        if not mine or received is not None:
            continue
        largest = max(mine, key=lambda item: (item.quantity, -item.purchase_order_line_id))
        receipts.receive(principal_of(email), shipment.id, [
            {"shipment_line_id": item.purchase_order_line_id,
             "received_quantity": item.quantity - (damaged if item is largest else 0),
             "damaged_quantity": damaged if item is largest else 0} for item in mine])


def invoice_number(po: PurchaseOrder, location_id: int) -> str:
    return f"ACME-{po.id:05d}-{location_id:03d}"


def _invoice(acme: Vendor, po: PurchaseOrder, practice: Practice, freight_cents: int, above_contract: set[int]) -> None:
    """Acme invoices the good units the practice received on the purchase order, at the
    contract price (list price for the products in `above_contract`), with freight;
    once (by the invoice's number)."""
    db.session.refresh(po)
    locations = {loc.id for loc in db.session.scalars(select(Location).where(Location.practice_id == practice.id))}
    received = [line for line in po.lines if line.location_id in locations and line.received_quantity]
    if not received:
        return
    number = invoice_number(po, min(line.location_id for line in received))
    if db.session.scalar(select(VendorInvoice.id).where(VendorInvoice.vendor_id == acme.id,
                                                        VendorInvoice.number == number)) is not None:
        return
    prices = {p.id: p.list_price for p in db.session.scalars(select(Product).where(Product.id.in_(above_contract)))}
    vendor_invoices.submit(principal_of(ACME_ADMIN), acme.id, {
        "number": number, "purchase_order_id": po.id, "issued_on": utcnow().date(), "freight_cents": freight_cents,
        "tax": [], "lines": [{"po_line_id": line.id, "quantity": line.received_quantity,
                              "unit_price": prices.get(line.product_id, Decimal(line.unit_price))}
                             for line in received]})


def _invoice_line(invoice: VendorInvoice) -> str:
    text = (f" vendor invoice {invoice.number} (id {invoice.id}): {format_dollars(invoice.total_cents)} "
            f"({format_dollars(invoice.freight_cents)} freight), {invoice.status}")
    if invoice.status == "exception":
        text += (f", {format_dollars(invoice.exception_cents)} above the contract price: "
                 f"finance@summit-mso.example approves or disputes it at /console/vendor-invoices/{invoice.id}")
    elif invoice.status == "approved":
        passed = db.session.scalars(select(Invoice).where(Invoice.source_key.like(f"vendor-invoice:{invoice.id}:%"))
                                    .order_by(Invoice.id)).all()
        text += ", matched" + "".join(
            f"; its freight is on {db.session.get(Organization, doc.practice_id).name}'s {doc.kind} invoice {doc.id}"
            f" ({doc.status}{': finance finalizes it at /console/invoices?status=draft' if doc.status == 'draft' else ''})"
            for doc in passed)
    return text + f" ({ACME_ADMIN}: /portal/invoices/{invoice.id})"
