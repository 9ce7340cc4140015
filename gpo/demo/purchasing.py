"""The demo's purchasing: four months of history (gpo/demo/history.py), a past cycle
closed, its supplies purchase order acknowledged (a refusal, a backorder, a substitute
offered) and shipped and its furniture purchase order waiting for Acme's
acknowledgement, and an open cycle with orders in progress (a cart, clinical lines
waiting for physicians, a contract within 10% of its next tier)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from gpo.accounts.models import Location, Practice
from gpo.catalog.models import Product
from gpo.db import db, utcnow
from gpo.demo.common import principal_of, wait_until_done
from gpo.demo.history import seed_history
from gpo.etags import etag_for
from gpo.orders import cart, cycles, ordering, purchase_orders
from gpo.orders.models import Cycle, PurchaseOrder, PurchaseOrderLine

LAST_CYCLE = "Demo: last cycle"
THIS_CYCLE = "Demo: this cycle"


@dataclass
class _Shop:
    """What the demo's buyers order from: product ids by SKU, and each practice's
    location id by the practice's name."""

    products: dict[str, int]
    locations: dict[str, int]

    @classmethod
    def load(cls) -> _Shop:
        products = {p.sku: p.id for p in db.session.scalars(select(Product))}
        locations = {p.name: db.session.scalars(select(Location).where(Location.practice_id == p.id)).first().id
                     for p in db.session.scalars(select(Practice))}
        return cls(products=products, locations=locations)

    def order(self, email: str, practice: str, items: list[tuple[str, int]], submit: bool = True):
        """The buyer's order of (sku, quantity) `items` for their practice's location."""
        return ordering.place_order(principal_of(email), {
            "location_id": self.locations[practice], "submit": submit,
            "lines": [{"product_id": self.products[sku], "quantity": qty} for sku, qty in items]})

    def add_to_cart(self, email: str, practice: str, items: list[tuple[str, int]]):
        """The buyer puts (sku, quantity) `items` in their location's cart."""
        return cart.add_to_cart(principal_of(email), self.locations[practice],
                                [{"product_id": self.products[sku], "quantity": qty} for sku, qty in items])


def seed_purchasing() -> list[str]:
    """A past cycle closed with orders from the three practices (a clinical exam table
    approved by a physician, one order that missed the cycle waiting for approval), its
    purchase order acknowledged with a refusal and shipped; and an open cycle with
    orders in progress so tier progress shows what more volume would unlock."""
    lines = ["Purchasing:"]
    now = utcnow()
    procurement = principal_of("procurement@summit-mso.example")
    shop = _Shop.load()
    lines += seed_history(shop)

    past = db.session.scalars(select(Cycle).where(Cycle.name == LAST_CYCLE)).first()
    if past is None:
        past = _close_last_cycle(procurement, shop, now)
        _acknowledge_and_ship(past, shop.products)
    lines.append(f" {past.name}: cycle {past.id}, closed (GET /api/v1/cycles/{past.id}/results, /api/v1/purchase-orders)")
    waiting = db.session.scalars(select(PurchaseOrderLine.purchase_order_id).join(PurchaseOrder).where(
        PurchaseOrder.cycle_id == past.id, PurchaseOrderLine.accepted_quantity.is_(None))).first()
    if waiting is not None:
        lines.append(f" purchase order {waiting} waits for Acme's acknowledgement (admin@acme.example: /portal/purchase-orders)")

    current = db.session.scalars(select(Cycle).where(Cycle.name == THIS_CYCLE)).first()
    if current is None:
        current = _open_this_cycle(procurement, shop, now)
    # `make demo` closes the open cycle for its own, then opens "Demo: this cycle (reopened ...)" in its place.
    current = db.session.scalars(select(Cycle).where(Cycle.status == "open")).first() or current
    lines.append(f" {current.name}: cycle {current.id}, {current.status} (GET /api/v1/contracts/1/tier-progress)")
    return lines


def _close_last_cycle(procurement, shop: _Shop, now: dt.datetime) -> Cycle:
    """The last cycle, opened two hours ago, its orders placed, then closed (the close
    is a job: wait for it)."""
    past = cycles.create_cycle(procurement, {"name": LAST_CYCLE, "opens_at": now - dt.timedelta(hours=2),
                                             "closes_at": now + dt.timedelta(hours=1)})
    cycles.open_cycle(procurement, past.id)
    shop.order("buyer@lakeside.example", "Lakeside Family Medicine", [("GLV-NIT-M", 40), ("GAU-4X4", 20)])
    shop.order("buyer@riverbend.example", "Riverbend Pediatrics", [("GLV-NIT-M", 30), ("GLV-NIT-L", 25)])
    table = shop.order("buyer@northside.example", "Northside Orthopedics", [("TBL-EXAM-626", 1), ("GLV-NIT-L", 30)])
    # furniture: its purchase order waits for Acme to acknowledge it in the portal
    shop.order("buyer@lakeside.example", "Lakeside Family Medicine", [("STOOL-PNEU", 3)])
    ordering.approve_order(principal_of("dr.patel@northside.example"), table.id, {etag_for(table)})
    shop.order("buyer@lakeside.example", "Lakeside Family Medicine", [("SYR-3ML", 10)])  # never approved: misses
    cycles.request_close(procurement, past.id)
    wait_until_done(f"the close of cycle {past.id}", select(Cycle.status).where(Cycle.id == past.id), ("closed",))
    return past


BACKORDERED_GAUZE = 6  # of Lakeside's 20 sleeves of gauze, expected to ship in a week
SUBSTITUTE_SKU = "TBL-EXAM-204"  # offered for Northside's power exam table (clinical: dr.patel decides)


def _acknowledge_and_ship(past: Cycle, products: dict[str, int]) -> None:
    """Acme acknowledges the cycle's supplies purchase order (the one with large
    gloves): 5 boxes of large gloves refused on its last such line, 6 of Lakeside's
    sleeves of gauze backordered to ship in a week, and Northside's power exam table
    offered as the manual exam table 204 (a substitute waiting for Northside's
    physician); it ships what it accepted, one shipment per location. (Its furniture
    purchase order waits for the portal.)"""
    acme = principal_of("admin@acme.example")
    po = db.session.scalars(select(PurchaseOrder).join(PurchaseOrderLine).where(
        PurchaseOrder.cycle_id == past.id, PurchaseOrderLine.product_id == products["GLV-NIT-L"])).first()
    gloves_l = [line for line in po.lines if line.product_id == products["GLV-NIT-L"]]
    substitute = db.session.get(Product, products[SUBSTITUTE_SKU]) if SUBSTITUTE_SKU in products else None
    acknowledgement = []
    for line in po.lines:
        item = {"line_id": line.id, "accepted_quantity": line.quantity - (5 if line is gloves_l[-1] else 0)}
        if line.product_id == products["GAU-4X4"] and line.quantity > BACKORDERED_GAUZE:
            item.update(accepted_quantity=line.quantity - BACKORDERED_GAUZE, backordered_quantity=BACKORDERED_GAUZE,
                        expected_ship_on=utcnow().date() + dt.timedelta(days=7))
        elif line.product_id == products["TBL-EXAM-626"] and substitute is not None:
            item.update(accepted_quantity=0, substitute={
                "product_id": substitute.id, "quantity": line.quantity,
                "unit_price": min(substitute.list_price, line.unit_price)})
        acknowledgement.append(item)
    purchase_orders.acknowledge(acme, po.id, acknowledgement)
    db.session.refresh(po)
    for location_id in sorted({line.location_id for line in po.lines if line.accepted_quantity}):
        purchase_orders.ship(acme, po.id, {
            "carrier": "UPS", "tracking_number": f"1Z999AA1{past.id:04d}{po.id:04d}{location_id:04d}",
            "lines": [{"line_id": line.id, "location_id": line.location_id, "quantity": line.accepted_quantity}
                      for line in po.lines if line.location_id == location_id and line.accepted_quantity]})


def _open_this_cycle(procurement, shop: _Shop, now: dt.datetime) -> Cycle:
    """This cycle, open for two weeks, with orders in progress: each contract in effect
    a little short of its next tier (supplies 110 of 120 units: within 10%, furniture 7
    of 10, IT support 28 of 40 hours), two clinical orders waiting for a physician of
    their practice, and Lakeside's cart."""
    current = cycles.create_cycle(procurement, {"name": THIS_CYCLE, "opens_at": now,
                                                "closes_at": now + dt.timedelta(days=14)})
    cycles.open_cycle(procurement, current.id)
    shop.order("buyer@lakeside.example", "Lakeside Family Medicine",
               [("GLV-NIT-M", 50), ("GAU-4X4", 10), ("STOOL-PNEU", 4), ("SUP-HELP-HR", 12)])
    shop.order("buyer@riverbend.example", "Riverbend Pediatrics", [("GLV-NIT-L", 50), ("SCALE-DIG", 2)])
    shop.order("buyer@northside.example", "Northside Orthopedics", [("OTO-WALL", 2)])  # clinical: awaits dr.patel
    shop.order("buyer@northside.example", "Northside Orthopedics", [("SUP-HELP-HR", 16), ("STOOL-PNEU", 1)])
    shop.order("buyer@lakeside.example", "Lakeside Family Medicine", [("SYR-3ML", 20)])  # clinical: awaits dr.ortiz
    shop.add_to_cart("buyer@lakeside.example", "Lakeside Family Medicine", [("GLV-NIT-L", 10), ("SCALE-DIG", 1)])
    return current
