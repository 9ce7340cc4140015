"""The cart: a practice's draft order for one ship-to location in the open cycle, as
the storefront shows it. Adding to the cart (a product, a saved list, a past order, a
pasted quick order) adds to that draft, creating it when there is none.

Two adds at once for one practice cannot make two carts or lose a quantity: each
locks the practice's row first (SELECT ... FOR UPDATE), so they run one after the
other. All lines of one add are checked together: one bad line refuses them all."""
from __future__ import annotations

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth.principal import Principal
from gpo.db import db
from gpo.errors import Invalid
from gpo.orders.models import Order
from gpo.orders.ordering import (
    OrderLineInput,
    OrderResult,
    _build_lines,
    _location_of,
    _lock_open_cycle,
    _practice_for,
    order_result,
)


def cart_order(practice_id: int, location_id: int, cycle_id: int, *, for_update: bool = False) -> Order | None:
    """The cart of a location: its newest draft order in the cycle (None: empty)."""
    stmt = (select(Order).where(Order.practice_id == practice_id, Order.location_id == location_id,
                                Order.cycle_id == cycle_id, Order.status == "draft")
            .order_by(Order.id.desc()).limit(1))
    if for_update:
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).first()


def add_to_cart(principal: Principal, location_id: int, lines: list[OrderLineInput],
                *, practice_id: int | None = None, source: str = "shop") -> OrderResult:
    """Add `lines` to the location's cart in the open cycle: a product already in it
    gets the quantities added together. Invalid (naming each bad line by its index in
    `lines`) when any line is refused, and then nothing is added."""
    if not lines:
        raise Invalid("nothing to add", {"json": {"lines": ["add at least one product"]}})
    practice = _practice_for(principal, practice_id)
    location = _location_of(practice, location_id)
    cycle = _lock_open_cycle()
    db.session.scalars(select(Practice.id).where(Practice.id == practice.id).with_for_update()).one()
    added = lines_merged_in_order(lines)
    _build_lines(added)  # every added line checked (Invalid names each bad one) before any is added
    order = cart_order(practice.id, location.id, cycle.id, for_update=True)
    if order is None:
        order = Order(practice_id=practice.id, location_id=location.id, cycle_id=cycle.id, status="draft",
                      placed_by=principal.label, lines=[])
        db.session.add(order)
    quantities = {line.product_id: line.quantity for line in order.lines}
    for line in added:
        quantities[line["product_id"]] = quantities.get(line["product_id"], 0) + line["quantity"]
    order.lines = _build_lines([{"product_id": p, "quantity": q} for p, q in quantities.items()])
    db.session.flush()
    audit.record(principal, "order.add_to_cart", order, details={
        "source": source, "lines": added})
    db.session.flush()
    return order_result(order)


def lines_merged_in_order(lines: list[OrderLineInput]) -> list[OrderLineInput]:
    """The same product on several lines, once, with the quantities added (first place kept)."""
    merged: dict[int, int] = {}
    for line in lines:
        merged[line["product_id"]] = merged.get(line["product_id"], 0) + line["quantity"]
    return [{"product_id": p, "quantity": q} for p, q in merged.items()]
