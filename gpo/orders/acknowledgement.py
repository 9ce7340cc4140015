"""The vendor's acknowledgement of a purchase order, line by line (DOMAIN.md "After the
close"): units accepted (ship now), backordered (ship by an expected date), offered as
a substitute (the practice decides: a Substitution), and the rest rejected, cut at
once from the practices' order lines.

Each line is acknowledged once. Every rule is checked before anything is written, so a
refused acknowledgement (422, errors at `lines.<i>.<field>`) changes nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NotRequired, TypedDict

from sqlalchemy import func

from gpo import audit
from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import db, utcnow
from gpo.errors import Invalid
from gpo.money import format_dollars, line_cents
from gpo.notifications import outbox
from gpo.orders.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine, Substitution
from gpo.orders.purchase_orders import contract_title, cut_units, follow_cut, pooled_lines


class SubstituteInput(TypedDict):
    product_id: int
    quantity: int
    unit_price: Decimal


class AcknowledgedLine(TypedDict):
    """One line of a vendor's acknowledgement (what AcknowledgeLineSchema loads)."""

    line_id: int
    accepted_quantity: int
    backordered_quantity: NotRequired[int]
    expected_ship_on: NotRequired[dt.date | None]
    substitute: NotRequired[SubstituteInput | None]


def today() -> dt.date:
    return utcnow().date()


def _units_allowing(po: PurchaseOrder, po_line: PurchaseOrderLine) -> dict[str, int]:
    """Units of the line's orders that allow a backorder, a substitute, either (one query)."""
    stmt = pooled_lines(po, po_line).with_only_columns(
        Order.backorders_allowed, Order.substitutions_allowed, func.sum(OrderLine.accepted_quantity)
    ).group_by(Order.backorders_allowed, Order.substitutions_allowed)
    units = {"backorder": 0, "substitute": 0, "either": 0}
    for backorders, substitutions, n in db.session.execute(stmt):
        n = int(n or 0)
        units["backorder"] += n if backorders else 0
        units["substitute"] += n if substitutions else 0
        units["either"] += n if (backorders or substitutions) else 0
    return units


def _line_errors(po: PurchaseOrder, po_line: PurchaseOrderLine | None, item: AcknowledgedLine,
                 on: dt.date) -> dict[str, str]:
    """What is wrong with one acknowledged line, by field (empty: nothing)."""
    if po_line is None:
        return {"line_id": f"line {item['line_id']} is not a line of purchase order {po.id}"}
    if po_line.substitution_of_id is not None:
        return {"line_id": f"line {po_line.id} is an approved substitute: it is not acknowledged again"}
    if po_line.accepted_quantity is not None:
        return {"line_id": f"line {po_line.id} is already acknowledged ({po_line.accepted_quantity} accepted)"}
    accepted = item["accepted_quantity"]
    backordered = item.get("backordered_quantity") or 0
    substitute = item.get("substitute")
    substituted = substitute["quantity"] if substitute else 0
    errors = {}
    if accepted + backordered + substituted > po_line.quantity:
        split = f"{accepted} accepted" + (f" + {backordered} backordered" if backordered else "") \
            + (f" + {substituted} substituted" if substituted else "")
        errors["accepted_quantity"] = f"line {po_line.id}: {split} but {po_line.quantity} ordered"
    ship_on = item.get("expected_ship_on")
    if backordered and ship_on is None:
        errors["expected_ship_on"] = "backordered units need an expected ship date"
    elif ship_on is not None and not backordered:
        errors["expected_ship_on"] = "an expected ship date goes with backordered units"
    elif ship_on is not None and ship_on < on:
        errors["expected_ship_on"] = f"the expected ship date {ship_on.isoformat()} is in the past"
    if backordered or substituted:
        allowing = _units_allowing(po, po_line)
        if backordered > allowing["backorder"]:
            errors["backordered_quantity"] = (f"only {allowing['backorder']} of the line's units are on orders "
                                              "that allow a backorder")
        if substituted > allowing["substitute"]:
            errors["substitute.quantity"] = (f"only {allowing['substitute']} of the line's units are on orders "
                                             "that allow a substitute")
        elif backordered + substituted > allowing["either"]:
            errors["substitute.quantity"] = (f"only {allowing['either']} of the line's units are on orders that "
                                             "allow a backorder or a substitute")
    if substitute:
        errors.update(_substitute_errors(po, po_line, substitute))
    return errors


def _substitute_errors(po: PurchaseOrder, po_line: PurchaseOrderLine, substitute: SubstituteInput) -> dict[str, str]:
    product = db.session.get(Product, substitute["product_id"])
    if product is None or product.vendor_id != po.vendor_id:
        return {"substitute.product_id": f"product {substitute['product_id']} is not one of this vendor's products"}
    errors = {}
    if not product.active:
        errors["substitute.product_id"] = f"product {product.id} ({product.sku}) is not active"
    elif product.id == po_line.product_id:
        errors["substitute.product_id"] = "a substitute is another product than the one ordered"
    if substitute["unit_price"] > po_line.unit_price:
        errors["substitute.unit_price"] = (f"a substitute costs at most the line's unit price "
                                           f"{po_line.unit_price:.4f}, not {substitute['unit_price']:.4f}")
    return errors


def _reject(po: PurchaseOrder, po_line: PurchaseOrderLine, units: int, keep_backorder: int, keep_substitute: int):
    """Cut `units` rejected, taking first from orders whose units no backorder or
    substitute of this line needs: orders allowing neither, then those allowing only
    one (as far as the rest still covers what is kept), then the others."""
    allowing = _units_allowing(po, po_line)
    s, either = allowing["substitute"], allowing["either"]
    kept = keep_backorder + keep_substitute
    left = units - cut_units(po, po_line, units,
                             only_where=lambda o: not o.backorders_allowed and not o.substitutions_allowed)
    cap = max(0, min(s - keep_substitute, either - kept))
    if left and cap:
        taken = cut_units(po, po_line, min(left, cap),
                          only_where=lambda o: o.substitutions_allowed and not o.backorders_allowed)
        left, either = left - taken, either - taken
    cap = max(0, min(allowing["backorder"] - keep_backorder, either - kept))
    if left and cap:
        left -= cut_units(po, po_line, min(left, cap),
                          only_where=lambda o: o.backorders_allowed and not o.substitutions_allowed)
    if left:
        left -= cut_units(po, po_line, left, only_where=lambda o: o.backorders_allowed and o.substitutions_allowed)
    if left:
        cut_units(po, po_line, left)


def acknowledge(principal: Principal, purchase_order_id: int, lines: list[AcknowledgedLine]) -> PurchaseOrder:
    """The vendor acknowledges lines of its purchase order. Rejected units cancel the
    matching order lines at once; backordered ones stay billed until cancelled; a
    substitute waits for the practice. The achieved tier does not change."""
    po = policy.load(principal, PurchaseOrder, purchase_order_id, "purchase_order.acknowledge", for_update=True)
    by_id = {line.id: line for line in po.lines}
    on = today()
    errors: dict[str, dict] = {}
    for i, item in enumerate(lines):
        found = _line_errors(po, by_id.get(item["line_id"]), item, on)
        for key, message in found.items():
            node = errors.setdefault(str(i), {})
            if "." in key:
                outer, inner = key.split(".", 1)
                node.setdefault(outer, {})[inner] = [message]
            else:
                node[key] = [message]
    if len({item["line_id"] for item in lines}) != len(lines):
        errors["lines"] = ["each line at most once per acknowledgement"]
    if errors:
        raise Invalid(_first_message(errors), {"json": {"lines": errors}})
    cut_ids, offers = [], []
    for item in lines:
        po_line = by_id[item["line_id"]]
        substitute = item.get("substitute")
        po_line.accepted_quantity = item["accepted_quantity"]
        po_line.backordered_quantity = item.get("backordered_quantity") or 0
        po_line.expected_ship_on = item.get("expected_ship_on") if po_line.backordered_quantity else None
        po_line.substituted_quantity = substitute["quantity"] if substitute else 0
        if substitute:
            offers.append(_offer(principal, po, po_line, substitute))
            db.session.add(offers[-1])
        if po_line.rejected_quantity:
            _reject(po, po_line, po_line.rejected_quantity, po_line.backordered_quantity, po_line.substituted_quantity)
            cut_ids.append(po_line.id)
    db.session.flush()
    audit.record(principal, "purchase_order.acknowledge", po, details={"lines": [_audited(i) for i in lines]})
    for substitution in offers:
        _tell_offered(substitution)
    if cut_ids:
        follow_cut(po, cut_ids, f"Refused by {contract_title(po)}")
    return po


def _offer(principal: Principal, po: PurchaseOrder, po_line: PurchaseOrderLine, substitute: SubstituteInput):
    product = db.session.get(Product, substitute["product_id"])
    original = db.session.get(Product, po_line.product_id)
    location = db.session.get(Location, po_line.location_id)
    return Substitution(
        purchase_order_id=po.id, vendor_id=po.vendor_id, original_line_id=po_line.id,
        practice_id=location.practice_id, location_id=location.id, product_id=product.id,
        quantity=substitute["quantity"], unit_price=substitute["unit_price"],
        clinical=bool(product.clinical or original.clinical), status="offered", offered_by=principal.label)


def _tell_offered(substitution: Substitution) -> None:
    """substitution.offered: the practice's people who may decide it are told (only its
    physicians when clinical)."""
    product = db.session.get(Product, substitution.product_id)
    original = db.session.get(Product, db.session.get(PurchaseOrderLine, substitution.original_line_id).product_id)
    vendor = db.session.get(Organization, substitution.vendor_id).name
    who = "a physician of the practice decides (clinical)" if substitution.clinical else "approve or decline it"
    outbox.emit(
        "substitution.offered", substitution, practice_id=substitution.practice_id,
        summary=(f"{vendor} offers {substitution.quantity} {product.name} ({product.sku}) for "
                 f"{format_dollars(line_cents(substitution.unit_price, substitution.quantity))} instead of "
                 f"{original.name} ({original.sku}) on purchase order {substitution.purchase_order_id}: {who}"),
        data={"substitution_id": substitution.id, "purchase_order_id": substitution.purchase_order_id,
              "clinical": substitution.clinical})


def _audited(item: AcknowledgedLine) -> dict:
    substitute = item.get("substitute")
    return {"line_id": item["line_id"], "accepted_quantity": item["accepted_quantity"],
            "backordered_quantity": item.get("backordered_quantity") or 0,
            "expected_ship_on": item["expected_ship_on"].isoformat() if item.get("expected_ship_on") else None,
            "substitute": {"product_id": substitute["product_id"], "quantity": substitute["quantity"],
                           "unit_price": f"{substitute['unit_price']:.4f}"} if substitute else None}


def _first_message(errors: dict) -> str:
    node = next(iter(errors.values()))
    while isinstance(node, dict):
        node = next(iter(node.values()))
    return node[0]
