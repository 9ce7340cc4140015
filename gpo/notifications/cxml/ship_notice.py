"""A ShipNoticeRequest, mapped onto shipping: for each ShipNoticePortion, the same
input as POST /purchase-orders/{id}/shipments, loaded by its schema (ShipmentInSchema)
and given to the same use case (`purchase_orders.ship`), all in one transaction.

    ShipNoticeHeader shipmentID shipmentDate   recorded in the audit trail
    ShipControl/CarrierIdentifier              carrier (domain="companyName" first)
    ShipControl/ShipmentIdentifier             tracking_number
    ShipNoticePortion/OrderReference orderID   the purchase order's id
    ShipNoticeItem lineNumber quantity         a purchase-order line (its id), the
                                               units shipped (to the line's location)
    a ShipNoticePortion without items          every unit the order still has to ship
                                               (cXML: "the entire order")

Not supported (400): operation="update" or "delete" (a shipment is not edited),
shipmentType="planned" (only what has shipped is recorded).
"""
from __future__ import annotations

from lxml import etree

from gpo.auth.principal import Principal
from gpo.errors import Conflict, Invalid
from gpo.notifications.cxml.mapping import Outcome, described, load_input, plural, purchase_order_of
from gpo.notifications.cxml.parsing import refused, required, text_of, whole
from gpo.orders import purchase_orders
from gpo.orders.models import PurchaseOrder
from gpo.orders.schemas import ShipmentInSchema

CARRIER_FIELDS = {"carrier": "ShipControl/CarrierIdentifier", "tracking_number": "ShipControl/ShipmentIdentifier"}


def ship(principal: Principal, request: etree._Element) -> Outcome:
    """Record the shipment of each purchase order the ShipNoticeRequest names."""
    header = required(request, "ShipNoticeHeader")
    if (header.get("operation") or "new") != "new":
        raise refused(f"ShipNoticeHeader operation=\"{header.get('operation')}\" is not supported: "
                      "a shipment is recorded once")
    if header.get("shipmentType") == "planned":
        raise refused("ShipNoticeHeader shipmentType=\"planned\" is not supported: send the notice once it ships")
    carrier = _carrier(request.findall("ShipControl"))
    portions = request.findall("ShipNoticePortion")
    if not portions:
        raise refused("a ShipNoticeRequest names its purchase order in a <ShipNoticePortion>")
    shipments, orders = [], []
    for portion in portions:
        po = purchase_order_of(principal, portion.find("OrderReference"), "purchase_order.ship")
        if po.id in {o.id for o in orders}:
            raise Invalid(f"purchase order {po.id} appears twice: once per ShipNoticeRequest")
        payload = {**carrier, "lines": _lines(po, portion.findall("ShipNoticeItem"))}
        where = {f"lines.{i}": f"ShipNoticeItem lineNumber=\"{line['line_id']}\""
                 for i, line in enumerate(payload["lines"])} | CARRIER_FIELDS
        with described(where):
            shipments.append(purchase_orders.ship(principal, po.id, load_input(ShipmentInSchema(), payload)))
        orders.append(po)
    said = "; ".join(f"shipment {s.id} of purchase order {s.purchase_order_id}: "
                     f"{plural(sum(line.quantity for line in s.lines), 'unit')} with {s.carrier}, "
                     f"tracking number {s.tracking_number}" for s in shipments)
    return Outcome(said, f"/api/v1/shipments/{shipments[0].id}", orders, {
        "document": "ShipNoticeRequest", "shipment_ids": [s.id for s in shipments],
        "vendor_shipment_id": header.get("shipmentID"), "shipment_date": header.get("shipmentDate")})


def _carrier(controls: list[etree._Element]) -> dict:
    """carrier and tracking_number from the one ShipControl (left out when missing:
    the schema then says which is required)."""
    if len(controls) > 1:
        raise Invalid("one ShipControl per shipment: gpo records one carrier and tracking number")
    found = {}
    if controls:
        identifiers = controls[0].findall("CarrierIdentifier")
        named = [i for i in identifiers if i.get("domain") == "companyName"] + identifiers
        carrier = next((text_of(i) for i in named if text_of(i)), "")
        tracking = text_of(controls[0].find("ShipmentIdentifier"))
        found = {k: v for k, v in (("carrier", carrier), ("tracking_number", tracking)) if v}
    return found


def _lines(po: PurchaseOrder, items: list[etree._Element]) -> list[dict]:
    """The shipment's lines: each ShipNoticeItem to its line's location, or (no items)
    every line with units still to ship."""
    by_id = {line.id: line for line in po.lines}
    if not items:
        lines = [{"line_id": line.id, "location_id": line.location_id, "quantity": line.to_ship}
                 for line in po.lines if line.accepted_quantity is not None and line.to_ship > 0]
        if not lines:
            raise Conflict(f"purchase order {po.id} has nothing left to ship")
        return lines
    lines = []
    for item in items:
        line_id = whole(item.get("lineNumber"), "ShipNoticeItem lineNumber")
        po_line = by_id.get(line_id)
        if po_line is None:
            raise Invalid(f"ShipNoticeItem lineNumber=\"{line_id}\": line {line_id} is not a line of "
                          f"purchase order {po.id}")
        lines.append({"line_id": line_id, "location_id": po_line.location_id,
                      "quantity": whole(item.get("quantity"), f"ShipNoticeItem lineNumber=\"{line_id}\" quantity")})
    return lines
