"""Receiving (DOMAIN.md "After the close"): the practice of a shipment line's location
records what arrived of it: good units and damaged ones; the rest of what shipped is
missing. Each shipment line is received once. Good units grow the purchase-order
line's `received_quantity` (what the vendor may be paid for), under the line's row
lock; damaged or missing units open a claim to the vendor (gpo/receiving/claims.py).
Then the RECEIVE steps run (payables re-matches the vendor's invoices)."""
from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select

from gpo import audit, features
from gpo.accounts.models import Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import db
from gpo.errors import Conflict, Invalid
from gpo.notifications import outbox
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine, Shipment, ShipmentLine
from gpo.receiving.models import Claim, Receipt, ReceiptLine
from gpo.receiving.shipments import practice_line_ids


class ReceivedLine(TypedDict):
    """One line of a receipt (ReceiptLineInSchema)."""

    shipment_line_id: int  # the purchase-order line's id: shipment lines are keyed (shipment, PO line)
    received_quantity: int  # good units
    damaged_quantity: int


def _refuse(errors: dict) -> None:
    if errors:
        raise Invalid(next(iter(errors.values()))[0], {"json": {"lines": errors}})


def receive(principal: Principal, shipment_id: int, lines: list[ReceivedLine]) -> Shipment:
    """Record the lines of a shipment to the principal's practice's locations. Refused
    with nothing written: a line not on the shipment or of another practice's location
    (422, the same words for both: another practice's lines are not the reader's to
    know), good + damaged above what shipped (422), a line twice in one receipt (422),
    a line received before (409, decided under the purchase-order line's lock so two
    receipts at once record one)."""
    shipment = policy.load(principal, Shipment, shipment_id, "receipt.create")
    mine = {item.purchase_order_line_id: item for item in db.session.scalars(
        select(ShipmentLine).where(ShipmentLine.shipment_id == shipment.id,
                                   ShipmentLine.purchase_order_line_id.in_(practice_line_ids(principal.organization_id))))}
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(lines):
        shipped = mine.get(item["shipment_line_id"])
        if shipped is None:
            errors[str(i)] = [f"line {item['shipment_line_id']} is not a line of shipment {shipment.id} "
                              f"to your practice's locations"]
        elif item["received_quantity"] + item["damaged_quantity"] > shipped.quantity:
            errors[str(i)] = [f"line {shipped.purchase_order_line_id}: {item['received_quantity']} good and "
                              f"{item['damaged_quantity']} damaged are more than the {shipped.quantity} shipped"]
    if len({item["shipment_line_id"] for item in lines}) != len(lines):
        errors.setdefault("lines", ["each line at most once per receipt"])
    _refuse(errors)
    line_ids = sorted(item["shipment_line_id"] for item in lines)
    # The purchase-order lines' row locks, in id order: a concurrent receipt of the same
    # line waits here, then finds this one's rows below and is refused.
    po_lines = {line.id: line for line in db.session.scalars(
        select(PurchaseOrderLine).where(PurchaseOrderLine.id.in_(line_ids)).order_by(PurchaseOrderLine.id)
        .with_for_update().execution_options(populate_existing=True))}
    already = db.session.execute(
        select(ReceiptLine.purchase_order_line_id, Receipt.received_by, Receipt.created_at)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(ReceiptLine.shipment_id == shipment.id, ReceiptLine.purchase_order_line_id.in_(line_ids))).all()
    if already:
        line_id, by, at = already[0]
        raise Conflict(f"line {line_id} of shipment {shipment.id} was received already "
                       f"(by {by}, {at:%Y-%m-%d %H:%M} UTC): each shipment line is received once")
    receipt = Receipt(shipment_id=shipment.id, practice_id=principal.organization_id, received_by=principal.label)
    db.session.add(receipt)
    db.session.flush()
    po_id = shipment.purchase_order_id
    vendor_id = db.session.get(PurchaseOrder, po_id).vendor_id
    claims = []
    for item in lines:
        shipped = mine[item["shipment_line_id"]]
        good, damaged = item["received_quantity"], item["damaged_quantity"]
        db.session.add(ReceiptLine(receipt_id=receipt.id, shipment_id=shipment.id,
                                   purchase_order_line_id=shipped.purchase_order_line_id,
                                   shipped_quantity=shipped.quantity, received_quantity=good, damaged_quantity=damaged))
        po_lines[shipped.purchase_order_line_id].received_quantity += good
        missing = shipped.quantity - good - damaged
        if damaged or missing:
            claims.append(Claim(shipment_id=shipment.id, purchase_order_line_id=shipped.purchase_order_line_id,
                                purchase_order_id=po_id, vendor_id=vendor_id,
                                practice_id=principal.organization_id, damaged_quantity=damaged,
                                missing_quantity=missing))
    db.session.flush()
    db.session.add_all(claims)
    db.session.flush()
    audit.record(principal, "receipt.create", receipt, details={
        "shipment_id": shipment.id, "purchase_order_id": po_id,
        "lines": [{"shipment_line_id": i["shipment_line_id"], "received_quantity": i["received_quantity"],
                   "damaged_quantity": i["damaged_quantity"]} for i in lines],
        "claim_ids": [c.id for c in claims]})
    for step in features.steps(features.RECEIVE):
        step(po_id, line_ids)
    db.session.flush()
    _tell_vendor(receipt, po_id, vendor_id, [(mine[i["shipment_line_id"]], i) for i in lines], claims)
    return shipment


def _tell_vendor(receipt: Receipt, po_id: int, vendor_id: int, received: list[tuple[ShipmentLine, ReceivedLine]],
                 claims: list[Claim]) -> None:
    """shipment.received (what arrived: good, damaged, missing units), and, when units
    were damaged or missing, purchase_order.changed with the claims opened for the
    vendor to replace or credit. Both for the vendor's systems; the practice did it."""
    practice = db.session.get(Organization, receipt.practice_id).name
    good = sum(item["received_quantity"] for _, item in received)
    damaged = sum(item["damaged_quantity"] for _, item in received)
    missing = sum(shipped.quantity for shipped, _ in received) - good - damaged
    outbox.emit(
        "shipment.received", receipt, vendor_id=vendor_id, practice_id=receipt.practice_id,
        summary=(f"{practice} received shipment {receipt.shipment_id} of purchase order {po_id}: "
                 f"{good} good, {damaged} damaged, {missing} missing"),
        data={"shipment_id": receipt.shipment_id, "receipt_id": receipt.id, "purchase_order_id": po_id,
              "line_ids": sorted(shipped.purchase_order_line_id for shipped, _ in received),
              "received": good, "damaged": damaged, "missing": missing})
    if claims:
        po = db.session.get(PurchaseOrder, po_id)
        units = sum(claim.quantity for claim in claims)
        outbox.emit(
            "purchase_order.changed", po, vendor_id=vendor_id, practice_id=receipt.practice_id,
            summary=(f"{practice} claimed {units} damaged or missing unit{'' if units == 1 else 's'} of "
                     f"shipment {receipt.shipment_id} on purchase order {po_id}: replace or credit "
                     f"{'it' if units == 1 else 'them'}"),
            data={"purchase_order_id": po_id, "change": "claim_opened",
                  "line_ids": [claim.purchase_order_line_id for claim in claims],
                  "claim_ids": [claim.id for claim in claims], "shipment_id": receipt.shipment_id})

