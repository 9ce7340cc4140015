"""Backorders (DOMAIN.md "After the close"): units the vendor acknowledged to ship
later, by an expected date. They stay billed until cancelled; they ship through the
normal shipments. The vendor of the purchase order, or the practice of the line's
location, cancels what is still open: the units leave the orders that allowed the
backorder (newest first) and the practices' invoices follow (a draft drops them, an
issued one gets a credit note).

A purchase-order line is seen by the MSO, its vendor, and the practice of its
location; anyone else gets 404."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import func, or_, select

from gpo import audit, features
from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db
from gpo.errors import Conflict, Invalid, NotFound
from gpo.notifications import outbox
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine
from gpo.orders.purchase_orders import cut_units, follow_cut

BACKORDER_STATUSES = ("open", "all")
_LINE = PurchaseOrderLine
_OPEN = ((_LINE.backordered_quantity - _LINE.backorder_cancelled_quantity > 0)
         & (_LINE.accepted_quantity + _LINE.backordered_quantity - _LINE.backorder_cancelled_quantity
            + _LINE.replacement_quantity - _LINE.shipped_quantity > 0))


class BackorderCancel(TypedDict, total=False):
    quantity: int  # default: every open unit


@dataclass(frozen=True)
class Backorder:
    """A backordered purchase-order line as answered (BackorderSchema)."""

    line: PurchaseOrderLine
    po: PurchaseOrder
    product: Product
    location: Location

    def __getattr__(self, name: str):  # only for what the result does not hold itself
        if name == "line":
            raise AttributeError(name)
        return getattr(self.line, name)

    @property
    def practice_id(self) -> int:
        return self.location.practice_id

    @property
    def vendor_id(self) -> int:
        return self.po.vendor_id


def _scoped(principal: Principal, stmt):
    """The lines the principal may see: all (MSO), its purchase orders' (a vendor), its
    locations' (a practice)."""
    if principal.is_mso:
        return stmt
    return stmt.where(or_(PurchaseOrder.vendor_id == principal.organization_id,
                          Location.practice_id == principal.organization_id))


def _base():
    return (select(_LINE, PurchaseOrder, Product, Location)
            .join(PurchaseOrder, PurchaseOrder.id == _LINE.purchase_order_id)
            .join(Product, Product.id == _LINE.product_id)
            .join(Location, Location.id == _LINE.location_id))


def list_backorders(principal: Principal, status: str, page: int, page_size: int) -> Paged:
    """Backordered lines, soonest expected first: still open, or all (cancelled and
    shipped ones too)."""
    policy.authorize(principal, "backorder.read")
    stmt = _scoped(principal, _base().where(_LINE.backordered_quantity > 0))
    if status == "open":
        stmt = stmt.where(_OPEN)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    offset = (page - 1) * page_size
    rows = [] if offset >= total else db.session.execute(
        stmt.order_by(_LINE.expected_ship_on, _LINE.id).limit(page_size).offset(offset)).all()
    return Paged(items=[Backorder(*row) for row in rows], total=total)


def visible_line(principal: Principal, po_line_id: int, action: str) -> tuple[PurchaseOrderLine, PurchaseOrder]:
    """The purchase-order line and its purchase order (404 outside the MSO, its vendor
    and its location's practice; 403 by role)."""
    found = db.session.execute(
        _scoped(principal, select(_LINE, PurchaseOrder)
                .join(PurchaseOrder, PurchaseOrder.id == _LINE.purchase_order_id)
                .join(Location, Location.id == _LINE.location_id))
        .where(_LINE.id == po_line_id)).one_or_none()
    if found is None:
        raise NotFound(f"purchase order line {po_line_id} not found")
    policy.authorize(principal, action)
    return found[0], found[1]


def lock_line(purchase_order_id: int, po_line_id: int) -> tuple[PurchaseOrder, PurchaseOrderLine]:
    """The purchase order's row lock (as the acknowledgement and shipments take it),
    then the line's, both read as they are now."""
    def locked(model, ident):
        return db.session.scalars(select(model).where(model.id == ident).with_for_update(key_share=True)
                                  .execution_options(populate_existing=True)).one()

    return locked(PurchaseOrder, purchase_order_id), locked(_LINE, po_line_id)


def backorders_of_order(principal: Principal, po_line_ids: list[int]) -> list[Backorder]:
    """The backordered lines among these (the storefront's order page; already scoped)."""
    if not po_line_ids:
        return []
    rows = db.session.execute(_scoped(principal, _base().where(
        _LINE.id.in_(po_line_ids), _LINE.backordered_quantity > 0)).order_by(_LINE.id)).all()
    return [Backorder(*row) for row in rows]


def _tell_vendor_of_cancel(po: PurchaseOrder, line: PurchaseOrderLine, units: int, who: str) -> None:
    """purchase_order.changed for the vendor: a practice cancelled backordered units (a
    vendor's own cancellation is news to nobody's systems but its own)."""
    practice_id = db.session.get(Location, line.location_id).practice_id
    outbox.emit(
        "purchase_order.changed", po, vendor_id=po.vendor_id, practice_id=practice_id,
        summary=f"{who} cancelled {units} backordered unit{'' if units == 1 else 's'} of line {line.id} "
                f"on purchase order {po.id} ({line.open_backorder} still backordered)",
        data={"purchase_order_id": po.id, "change": "backorder_cancelled", "line_ids": [line.id],
              "quantity": units})


def cancel_backorder(principal: Principal, po_line_id: int, data: BackorderCancel) -> Backorder:
    """Cancel open backordered units (all by default). 409 when none are open, or when
    the vendor already invoiced units that would no longer be delivered."""
    line, po = visible_line(principal, po_line_id, "backorder.cancel")
    po, line = lock_line(po.id, line.id)
    open_units = line.open_backorder
    if open_units == 0:
        raise Conflict(f"line {line.id} has no open backorder to cancel")
    units = data.get("quantity", open_units)
    if units > open_units:
        raise Invalid.of_field("quantity", f"only {open_units} backordered units of line {line.id} are open")
    if line.invoiced_quantity > line.deliverable - units:
        raise Conflict(f"the vendor already invoiced {line.invoiced_quantity} units of line {line.id}: "
                       f"cancelling {units} would leave {line.deliverable - units} to deliver")
    line.backorder_cancelled_quantity += units
    taken = cut_units(po, line, units, only_where=lambda order: order.backorders_allowed)
    if taken < units:  # the flags' units went elsewhere (a claim credited them): take any
        cut_units(po, line, units - taken)
    db.session.flush()
    who = db.session.get(Organization, principal.organization_id).name
    audit.record(principal, "backorder.cancel", line, organization_id=po.vendor_id,
                 details={"purchase_order_id": po.id, "quantity": units, "by": who})
    follow_cut(po, [line.id], f"Backorder cancelled by {who}")
    if principal.organization_id != po.vendor_id:
        _tell_vendor_of_cancel(po, line, units, who)
    for step in features.steps(features.RECEIVE):  # fewer units can arrive now: invoices re-matched
        step(po.id, [line.id])
    rows = db.session.execute(_base().where(_LINE.id == line.id)).one()
    return Backorder(*rows)
