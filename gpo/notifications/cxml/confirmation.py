"""A ConfirmationRequest, mapped onto the vendor's acknowledgement: the same input as
POST /purchase-orders/{id}/acknowledge, loaded by its schema (AcknowledgeSchema) and
given to the same use case (`purchase_orders.acknowledge`).

    ConfirmationHeader type="accept" | "reject"   every line awaiting acknowledgement,
                                                  all units accepted, or all rejected
    ConfirmationHeader type="detail"              the lines listed, line by line
    ConfirmationHeader type="except"              the lines listed, and every other
                                                  line awaiting acknowledgement accepted
    OrderReference orderID                        the purchase order's id
    ConfirmationItem lineNumber quantity          a purchase-order line (its id) and
                                                  the units it ordered
      ConfirmationStatus type="accept" quantity   accepted_quantity
      ConfirmationStatus type="reject" quantity   rejected (what is neither accepted,
                                                  backordered nor substituted)
      ConfirmationStatus type="backordered"       backordered_quantity; shipmentDate
          quantity shipmentDate|deliveryDate      (else deliveryDate) -> expected_ship_on
      ConfirmationStatus type="detail" quantity   a substitute: ItemIn/ItemID/SupplierPartID
          <ItemIn>                                (another of the vendor's SKUs) at
                                                  ItemIn/ItemDetail/UnitPrice/Money

As cXML asks, the statuses of an item add up to its quantity, which is the line's.
Not supported (400): operation="update" (a line is acknowledged once), the header types
allDetail, backordered, requestToPay and replace, the status types allDetail, unknown
and requestToPay, and a detail status that changes a price or date without an ItemIn.
"""
from __future__ import annotations

from lxml import etree
from sqlalchemy import select

from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import db
from gpo.errors import Conflict, Invalid
from gpo.notifications.cxml.mapping import Outcome, described, load_input, plural, purchase_order_of
from gpo.notifications.cxml.parsing import day, money_text, refused, required, text_of, whole
from gpo.orders import purchase_orders
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine
from gpo.orders.schemas import AcknowledgeSchema

WHOLE_ORDER = ("accept", "reject")
LINE_BY_LINE = ("detail", "except")
STATUS_TYPES = ("accept", "reject", "backordered", "detail")


def confirm(principal: Principal, request: etree._Element) -> Outcome:
    """Acknowledge the purchase order the ConfirmationRequest names."""
    header = required(request, "ConfirmationHeader")
    kind = header.get("type")
    if kind not in WHOLE_ORDER + LINE_BY_LINE:
        raise refused(f"ConfirmationHeader type={kind!r} is not supported: send accept, reject, detail or except"
                      if kind else "ConfirmationHeader needs a type: accept, reject, detail or except")
    if (header.get("operation") or "new") != "new":
        raise refused("ConfirmationHeader operation=\"update\" is not supported: each line is acknowledged once")
    po = purchase_order_of(principal, request.find("OrderReference"), "purchase_order.acknowledge")
    items = request.findall("ConfirmationItem")
    awaiting = [line for line in po.lines if line.accepted_quantity is None and line.substitution_of_id is None]
    if kind in WHOLE_ORDER:
        _only_statuses(items, kind)
        lines = [{"line_id": line.id, "accepted_quantity": line.quantity if kind == "accept" else 0} for line in awaiting]
        where = {f"lines.{i}": f"line {line['line_id']} (the whole order, {kind})" for i, line in enumerate(lines)}
    else:
        if not items:
            raise refused(f"a ConfirmationHeader of type \"{kind}\" lists its ConfirmationItem elements")
        lines = [_line(po, item) for item in items]
        where = {f"lines.{i}": f"ConfirmationItem lineNumber=\"{line['line_id']}\"" for i, line in enumerate(lines)}
        if kind == "except":  # the lines not mentioned stand as ordered
            listed = {line["line_id"] for line in lines}
            lines += [{"line_id": line.id, "accepted_quantity": line.quantity} for line in awaiting if line.id not in listed]
    if not lines:
        raise Conflict(f"purchase order {po.id} has no line awaiting acknowledgement")
    with described(where):
        data = load_input(AcknowledgeSchema(), {"lines": lines})
        po = purchase_orders.acknowledge(principal, po.id, data["lines"])
    return Outcome(_said(po, {item["line_id"] for item in data["lines"]}), f"/api/v1/purchase-orders/{po.id}", [po],
                   {"document": "ConfirmationRequest", "type": kind})


def _only_statuses(items: list[etree._Element], kind: str) -> None:
    """A whole-order accept (or reject) may list items, each with that status only."""
    for item in items:
        for status in item.findall("ConfirmationStatus"):
            if status.get("type") != kind:
                raise refused(f"a ConfirmationHeader of type \"{kind}\" takes ConfirmationStatus type=\"{kind}\" only, "
                              f"not \"{status.get('type')}\": use type=\"detail\" to confirm line by line")


def _line(po: PurchaseOrder, item: etree._Element) -> dict:
    """One ConfirmationItem as the acknowledgement's line (the JSON's wire form)."""
    line_id = whole(item.get("lineNumber"), "ConfirmationItem lineNumber")
    name = f"ConfirmationItem lineNumber=\"{line_id}\""
    ordered = whole(item.get("quantity"), f"{name} quantity")
    statuses = item.findall("ConfirmationStatus")
    if not statuses:
        raise Invalid(f"{name} has no ConfirmationStatus")
    entry = {"line_id": line_id, "accepted_quantity": 0}
    total = 0
    for status in statuses:
        kind = status.get("type")
        if kind not in STATUS_TYPES:
            raise refused(f"{name}: ConfirmationStatus type={kind!r} is not supported: "
                          "send accept, reject, backordered or detail (a substitute)")
        units = whole(status.get("quantity"), f"{name}: ConfirmationStatus quantity")
        total += units
        if kind == "accept":
            entry["accepted_quantity"] += units
        elif kind == "backordered":
            _backorder(entry, status, units, name)
        elif kind == "detail":
            _substitute(po, entry, status, units, name)
    po_line = next((line for line in po.lines if line.id == line_id), None)
    _check_quantities(po_line, name, ordered, total)
    return entry


def _check_quantities(po_line: PurchaseOrderLine | None, name: str, ordered: int, total: int) -> None:
    if po_line is not None and ordered != po_line.quantity:
        raise Invalid(f"{name} quantity=\"{ordered}\": line {po_line.id} ordered {po_line.quantity}")
    if total != ordered:
        raise Invalid(f"{name}: its ConfirmationStatus quantities add up to {total}, not its quantity {ordered}")


def _backorder(entry: dict, status: etree._Element, units: int, name: str) -> None:
    entry["backordered_quantity"] = entry.get("backordered_quantity", 0) + units
    when = status.get("shipmentDate") or status.get("deliveryDate")
    if when is None:
        return  # the acknowledgement refuses backordered units without a date
    ship_on = day(when, f"{name}: ConfirmationStatus type=\"backordered\" shipmentDate or deliveryDate").isoformat()
    if entry.get("expected_ship_on", ship_on) != ship_on:
        raise Invalid(f"{name}: one expected date for the line's backordered units, not {entry['expected_ship_on']} "
                      f"and {ship_on}")
    entry["expected_ship_on"] = ship_on


def _substitute(po: PurchaseOrder, entry: dict, status: etree._Element, units: int, name: str) -> None:
    item_in = status.find("ItemIn")
    if item_in is None:
        raise refused(f"{name}: a ConfirmationStatus type=\"detail\" offers a substitute in an <ItemIn>; "
                      "changing the line's price or date is not supported")
    if "substitute" in entry:
        raise Invalid(f"{name}: one substitute per line")
    sku = text_of(item_in.find("ItemID/SupplierPartID"))
    product_id = db.session.scalar(select(Product.id).where(Product.vendor_id == po.vendor_id, Product.sku == sku))
    if product_id is None:
        raise Invalid(f"{name}: ItemIn SupplierPartID {sku!r} is not one of your products")
    price = money_text(item_in.find("ItemDetail/UnitPrice/Money"), f"{name}: ItemIn ItemDetail/UnitPrice")
    entry["substitute"] = {"product_id": product_id, "quantity": units, "unit_price": price}


def _said(po: PurchaseOrder, line_ids: set[int]) -> str:
    done = [line for line in po.lines if line.id in line_ids]
    counts = [(sum(line.accepted_quantity or 0 for line in done), "accepted"),
              (sum(line.backordered_quantity for line in done), "backordered"),
              (sum(line.substituted_quantity for line in done), "offered as a substitute"),
              (sum(line.rejected_quantity for line in done), "rejected")]
    units = ", ".join(f"{plural(n, 'unit')} {words}" for n, words in counts if n)
    return f"purchase order {po.id}: {plural(len(done), 'line')} acknowledged ({units or 'nothing'})"
