"""The demo's purchasing history: a cycle closed in each of the last months, its
orders priced, its purchase orders acknowledged and shipped, and its invoices issued
then, so the savings a practice sees (list value against what it paid, month by month)
have several months to show. Each step runs through the services at the moment it
would have happened (`gpo.demo.clock.as_of`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gpo.accounts.models import Vendor
from gpo.billing import invoices
from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.demo.clock import as_of
from gpo.demo.common import principal_of, wait_until_done
from gpo.etags import etag_for
from gpo.orders import cycles, ordering, purchase_orders
from gpo.orders.models import Cycle, PurchaseOrder

HISTORY_PREFIX = "Demo: history "
MONTHS_BACK = (4, 3, 2, 1)
# The volume on the supplies contract grows over the months (its tiers start at 120 and
# 250 units): 140, 191, 260 and 167 units.
GLOVE_SCALE = {4: 1.0, 3: 1.4, 2: 2.0, 1: 1.2}
CARRIERS = {"Acme Medical Supply": "UPS", "Bolt IT Solutions": "FedEx"}


def history_cycles() -> list[Cycle]:
    """The demo's history cycles, oldest first."""
    return list(db.session.scalars(select(Cycle).where(Cycle.name.like(HISTORY_PREFIX + "%"))
                                   .order_by(Cycle.opens_at)))


def seed_history(shop) -> list[str]:
    """A closed cycle in each of the last four months, once (on a database without it;
    only one cycle may be open, so not while one is)."""
    found = history_cycles()
    if not found:
        if db.session.scalar(select(Cycle.id).where(Cycle.status.in_(("open", "closing")))) is not None:
            return [" no purchasing history: a cycle is open (the history is seeded into a new database)"]
        today = utcnow().date()
        for back in MONTHS_BACK:
            found.append(_month_cycle(shop, _month_start(today, back), back))
    months = ", ".join(f"{c.opens_at:%b %Y}" for c in found)
    return [f" purchasing history: {len(found)} cycles closed ({months}), invoices issued "
            "(GET /api/v1/reports/savings?from=&to= as admin@lakeside.example)"]


def _month_start(today: dt.date, back: int) -> dt.date:
    month = today.year * 12 + today.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def _month_cycle(shop, first: dt.date, back: int) -> Cycle:
    """The month's cycle: open a week from the 3rd, orders placed on the day it opens,
    closed, shipped the day after, invoices issued two days after."""
    procurement = principal_of("procurement@summit-mso.example")
    opens_at = dt.datetime.combine(first + dt.timedelta(days=2), dt.time(14), dt.timezone.utc)
    closes_at = opens_at + dt.timedelta(days=7)
    s = GLOVE_SCALE[back]
    with as_of(opens_at + dt.timedelta(hours=1)):
        cycle = cycles.create_cycle(procurement, {"name": f"{HISTORY_PREFIX}{first:%B %Y}", "opens_at": opens_at,
                                                  "closes_at": closes_at})
        cycles.open_cycle(procurement, cycle.id)
        shop.order("buyer@lakeside.example", "Lakeside Family Medicine",
                   [("GLV-NIT-M", round(40 * s)), ("GAU-4X4", 20), ("STOOL-PNEU", 2), ("SUP-HELP-HR", 8)])
        shop.order("buyer@riverbend.example", "Riverbend Pediatrics",
                   [("GLV-NIT-M", round(30 * s)), ("GLV-NIT-L", round(20 * s)), ("SCALE-DIG", 1)])
        shop.order("buyer@northside.example", "Northside Orthopedics",
                   [("GLV-NIT-L", round(30 * s)), ("STOOL-PNEU", 3 + back), ("SUP-HELP-HR", 12 + 4 * back)])
        if back == 2:  # a clinical line, approved by Lakeside's physician
            syringes = shop.order("buyer@lakeside.example", "Lakeside Family Medicine", [("SYR-3ML", 10)])
            ordering.approve_order(principal_of("dr.ortiz@lakeside.example"), syringes.id, {etag_for(syringes)})
    with as_of(closes_at + dt.timedelta(minutes=1)):
        cycles.request_close(procurement, cycle.id)
        wait_until_done(f"the close of cycle {cycle.id}", select(Cycle.status).where(Cycle.id == cycle.id),
                        ("closed",))
    db.session.refresh(cycle)
    if cycle.closed_at > closes_at + dt.timedelta(days=1):
        # An RQ worker (another process) closed it on today's clock: date the close when it happened.
        cycle.closed_at = closes_at + dt.timedelta(minutes=1)
    with as_of(closes_at + dt.timedelta(days=1)):
        _ship_everything(cycle, back)
    with as_of(closes_at + dt.timedelta(days=2)):
        finance = principal_of("finance@summit-mso.example")
        for invoice_id in db.session.scalars(select(Invoice.id).where(Invoice.cycle_id == cycle.id,
                                                                      Invoice.status == "draft")).all():
            invoices.finalize(finance, invoice_id)
    db.session.flush()
    return cycle


def _ship_everything(cycle: Cycle, back: int) -> None:
    """Each vendor accepts and ships every unit of its purchase orders, with tracking."""
    names = {v.id: v.name for v in db.session.scalars(select(Vendor))}
    for po in db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.cycle_id == cycle.id)
                                 .order_by(PurchaseOrder.id)).all():
        carrier = CARRIERS[names[po.vendor_id]]
        vendor = principal_of("admin@acme.example" if carrier == "UPS" else "admin@bolt.example")
        purchase_orders.acknowledge(vendor, po.id, [{"line_id": line.id, "accepted_quantity": line.quantity}
                                                    for line in po.lines])
        db.session.refresh(po)
        for location_id in sorted({line.location_id for line in po.lines}):
            purchase_orders.ship(vendor, po.id, {
                "carrier": carrier,
                "tracking_number": f"{'1Z999AA1' if carrier == 'UPS' else '7489'}"
                                   f"{cycle.id:04d}{po.id:04d}{location_id:04d}",
                "lines": [{"line_id": line.id, "location_id": line.location_id, "quantity": line.accepted_quantity}
                          for line in po.lines if line.location_id == location_id]})
