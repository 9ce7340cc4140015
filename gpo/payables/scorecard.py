"""The vendor scorecard (DOMAIN.md "After the close"): per vendor, over the purchase
orders of the cycles closed in a period, how it filled what was ordered, backordered and
shipped backorders by the date it gave, and invoiced at the contract price.

Percentages are Decimal strings with one decimal place, rounded half up from the exact
fraction of the two whole counts sent beside each (so a reader can recompute it); null
when there is nothing to count."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.reports import check_period, closed_between
from gpo.db import db
from gpo.errors import NotFound
from gpo.orders.models import Cycle, PurchaseOrder, PurchaseOrderLine, Shipment, ShipmentLine
from gpo.payables.models import COUNTED_STATUSES, VendorInvoice, VendorInvoiceLine

ONE_PLACE = Decimal("0.1")


def rate_percent(numerator: int, denominator: int) -> Decimal | None:
    """100 * numerator / denominator to one decimal place, half up, from the exact
    fraction (2/3 -> 66.7, 1/8 -> 12.5); None for nothing counted."""
    if denominator == 0:
        return None
    exact = Fraction(100 * numerator, denominator)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _vendor_of(principal: Principal, vendor_id: int | None) -> int | None:
    """The vendor asked about: a vendor only its own (another's is not found), MSO staff
    any one or every vendor (None)."""
    if not principal.is_mso:
        vendor_id = principal.organization_id if vendor_id is None else vendor_id
    if vendor_id is not None:
        vendor = db.session.get(Vendor, vendor_id)
        if vendor is None or not policy.can_see(principal, vendor):
            raise NotFound(f"vendor {vendor_id} not found")
    return vendor_id


def vendor_scorecard(principal: Principal, vendor_id: int | None, start: dt.date, end: dt.date) -> dict:
    policy.authorize(principal, "vendor_scorecard.read")
    vendor_id = _vendor_of(principal, vendor_id)
    check_period(start, end)
    pos = select(PurchaseOrder.id, PurchaseOrder.vendor_id).join(Cycle, Cycle.id == PurchaseOrder.cycle_id).where(
        *closed_between(start, end))
    if vendor_id is not None:
        pos = pos.where(PurchaseOrder.vendor_id == vendor_id)
    vendor_of_po = dict(db.session.execute(pos).all())
    rows: dict[int, dict] = {}
    for v in sorted(set(vendor_of_po.values())):
        rows[v] = {"vendor_id": v, "purchase_orders": 0, "ordered_units": 0, "accepted_units": 0,
                   "backordered_units": 0, "backordered_lines": 0, "shipped_on_time_lines": 0,
                   "invoice_lines": 0, "price_match_lines": 0, "exception_cents": 0}
    for v in vendor_of_po.values():
        rows[v]["purchase_orders"] += 1
    if vendor_of_po:
        _count_lines(rows, vendor_of_po)
        _count_invoices(rows, vendor_of_po)
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(rows))).all())
    out = []
    for v, row in sorted(rows.items(), key=lambda item: (names.get(item[0], ""), item[0])):
        out.append({**row, "vendor_name": names.get(v, ""),
                    "fill_rate_percent": rate_percent(row["accepted_units"], row["ordered_units"]),
                    "backorder_rate_percent": rate_percent(row["backordered_units"], row["ordered_units"]),
                    "shipped_on_time_percent": rate_percent(row["shipped_on_time_lines"], row["backordered_lines"]),
                    "price_accuracy_percent": rate_percent(row["price_match_lines"], row["invoice_lines"])})
    return {"from": start, "to": end, "vendor_id": vendor_id, "rows": out}


def _count_lines(rows: dict[int, dict], vendor_of_po: dict[int, int]) -> None:
    """Ordered, accepted and backordered units of the original lines (an approved
    substitute's own line is not an order), and which backorders shipped on time."""
    lines = db.session.scalars(select(PurchaseOrderLine).where(
        PurchaseOrderLine.purchase_order_id.in_(vendor_of_po), PurchaseOrderLine.substitution_of_id.is_(None))).all()
    backordered = [line for line in lines if line.backordered_quantity > 0]
    shipped_by: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    if backordered:
        for line_id, at, quantity in db.session.execute(
                select(ShipmentLine.purchase_order_line_id, Shipment.created_at, ShipmentLine.quantity)
                .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                .where(ShipmentLine.purchase_order_line_id.in_([line.id for line in backordered]))).all():
            shipped_by[line_id].append((at, quantity))
    for line in lines:
        row = rows[vendor_of_po[line.purchase_order_id]]
        row["ordered_units"] += line.quantity
        row["accepted_units"] += line.accepted_quantity or 0
        row["backordered_units"] += line.backordered_quantity
    for line in backordered:
        row = rows[vendor_of_po[line.purchase_order_id]]
        row["backordered_lines"] += 1
        row["shipped_on_time_lines"] += _shipped_on_time(line, shipped_by[line.id])


def _shipped_on_time(line: PurchaseOrderLine, shipments: list[tuple[dt.datetime, int]]) -> bool:
    """Accepted units ship first: the backorder shipped on time when, by the end of its
    expected ship date (UTC), the line had shipped its accepted and backordered units,
    none of the backorder cancelled."""
    if line.backorder_cancelled_quantity or line.expected_ship_on is None:
        return False
    deadline = dt.datetime.combine(line.expected_ship_on + dt.timedelta(days=1), dt.time.min, dt.timezone.utc)
    shipped = sum(q for at, q in shipments if _utc(at) < deadline)
    return shipped >= (line.accepted_quantity or 0) + line.backordered_quantity


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.timezone.utc)


def _count_invoices(rows: dict[int, dict], vendor_of_po: dict[int, int]) -> None:
    """Lines at the contract price, and the price exceptions, of the invoices that count."""
    counted = (VendorInvoice.purchase_order_id.in_(vendor_of_po), VendorInvoice.status.in_(COUNTED_STATUSES))
    for po_id, lines, matched in db.session.execute(
            select(VendorInvoice.purchase_order_id, func.count(VendorInvoiceLine.id),
                   func.count(VendorInvoiceLine.id).filter(VendorInvoiceLine.price_result == "match"))
            .join(VendorInvoiceLine, VendorInvoiceLine.vendor_invoice_id == VendorInvoice.id)
            .where(*counted).group_by(VendorInvoice.purchase_order_id)).all():
        row = rows[vendor_of_po[po_id]]
        row["invoice_lines"] += lines
        row["price_match_lines"] += matched
    for po_id, cents in db.session.execute(select(VendorInvoice.purchase_order_id, func.sum(VendorInvoice.exception_cents))
                                           .where(*counted).group_by(VendorInvoice.purchase_order_id)).all():
        rows[vendor_of_po[po_id]]["exception_cents"] += int(cents or 0)


SCORECARD_COLUMNS = ["vendor_id", "vendor_name", "purchase_orders", "ordered_units", "accepted_units",
                     "fill_rate_percent", "backordered_units", "backorder_rate_percent", "backordered_lines",
                     "shipped_on_time_lines", "shipped_on_time_percent", "invoice_lines", "price_match_lines",
                     "price_accuracy_percent", "exception_cents"]


def scorecard_vendors(principal: Principal) -> list[tuple[int, str]]:
    """The vendors whose scorecard the principal may read, by name (a vendor: itself)."""
    policy.authorize(principal, "vendor_scorecard.read")
    stmt = policy.scope(principal, select(Vendor.id, Vendor.name).order_by(Vendor.name, Vendor.id), Vendor.id)
    return [(v, name) for v, name in db.session.execute(stmt).all()]
