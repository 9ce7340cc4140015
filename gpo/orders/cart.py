"""The cart: a practice's draft order for one ship-to location in the open cycle, as
the storefront shows it. Adding to the cart (a product, a saved list, a past order, a
pasted quick order) adds to that draft, creating it when there is none.

Two adds at once for one practice cannot make two carts or lose a quantity: each
locks the practice's row first (SELECT ... FOR UPDATE), so they run one after the
other. All lines of one add are checked together: one bad line refuses them all.

The cart page's reads live here too: `view_cart` (every location's cart with estimated
totals and savings) and `quick_order` (pasted `SKU, quantity` lines, read by
cart_parsing: all added, or none with every problem). The shop's are in storefront.py."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.models import Location, Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import db, utcnow
from gpo.errors import Invalid, NotFound
from gpo.etags import etag_for
from gpo.money import line_cents
from gpo.orders import rules
from gpo.orders.cart_parsing import QuickProblem, parse_quick_order
from gpo.orders.models import Cycle, Order
from gpo.orders.ordering import (
    OrderLineInput,
    OrderResult,
    _build_lines,
    _contract_of_products,
    _location_of,
    _lock_open_cycle,
    _practice_for,
    order_result,
    order_results,
)
from gpo.orders.storefront import _locations_of, open_cycle


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
    _build_lines(added)  # each added line checked on its own first: errors name the caller's lines
    order = cart_order(practice.id, location.id, cycle.id, for_update=True)
    if order is None:
        order = Order(practice_id=practice.id, location_id=location.id, cycle_id=cycle.id, status="draft",
                      placed_by=principal.label, lines=[])
        db.session.add(order)
    # A product already in the cart gets the quantities added; its line is built again
    # (checked for the total, and with today's list price, contract and clinical flag:
    # a stale copy could skip a physician's approval). Other lines are left as they are
    # (one whose product has since left the catalog does not block adding others).
    existing = {line.product_id: line for line in order.lines}
    merged = [{"product_id": line["product_id"],
               "quantity": line["quantity"] + (existing[line["product_id"]].quantity
                                               if line["product_id"] in existing else 0)} for line in added]
    for line in _build_lines(merged):
        kept = existing.get(line.product_id)
        if kept is None:
            order.lines.append(line)
        else:  # the same row, refreshed (one line per product and order)
            kept.quantity, kept.contract_id = line.quantity, line.contract_id
            kept.list_price, kept.clinical = line.list_price, line.clinical
    order.updated_at = utcnow()  # a new version: a cart page read before this add is stale (412)
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


# --- the cart page ----------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    """A line of a cart: the line's result (read through), its product, and its
    cents at list price and at the price now."""

    line: object  # OrderLineResult
    product: Product
    list_cents: int
    estimated_cents: int

    @property
    def savings_cents(self) -> int:
        return self.list_cents - self.estimated_cents

    def __getattr__(self, name: str):
        if name == "line":
            raise AttributeError(name)
        return getattr(self.line, name)


@dataclass(frozen=True)
class LocationCart:
    """A ship-to location's cart (order None: nothing in it yet) with its totals."""

    location: Location
    order: OrderResult | None
    lines: list[CartLine]
    # Older drafts at the same location (an order copied from a missed cycle, a draft
    # placed through the API): not this cart, but not hidden either.
    other_drafts: tuple[int, ...] = ()

    @property
    def etag(self) -> str | None:
        """The ETag of the cart's order as read (edits send it back as If-Match)."""
        return etag_for(self.order.order) if self.order is not None else None

    @property
    def list_cents(self) -> int:
        return sum(line.list_cents for line in self.lines)

    @property
    def estimated_cents(self) -> int:
        return sum(line.estimated_cents for line in self.lines)

    @property
    def savings_cents(self) -> int:
        return self.list_cents - self.estimated_cents


@dataclass(frozen=True)
class CartView:
    cycle: Cycle | None
    carts: list[LocationCart]

    @property
    def estimated_cents(self) -> int:
        return sum(cart.estimated_cents for cart in self.carts)

    @property
    def savings_cents(self) -> int:
        return sum(cart.savings_cents for cart in self.carts)

    @property
    def locations(self) -> list[Location]:
        return [cart.location for cart in self.carts]


def view_cart(principal: Principal) -> CartView:
    """The practice's cart at each of its ship-to locations in the open cycle, with
    each line's estimated price now, the totals and the savings against list price."""
    policy.authorize(principal, "order.read")
    if principal.org_type != "practice":
        raise NotFound("only a practice has a cart")
    practice_id = principal.organization_id
    locations = _locations_of(practice_id)
    cycle = open_cycle()
    if cycle is None:
        return CartView(cycle=None, carts=[LocationCart(location, None, []) for location in locations])
    drafts = db.session.scalars(
        select(Order).where(Order.practice_id == practice_id, Order.cycle_id == cycle.id, Order.status == "draft")
        .order_by(Order.id.desc())).all()
    newest: dict[int, Order] = {}
    others: dict[int, list[int]] = {}
    for order in drafts:
        if newest.setdefault(order.location_id, order) is not order:
            others.setdefault(order.location_id, []).append(order.id)
    results = {r.order.location_id: r for r in order_results(list(newest.values()))}
    product_ids = {line.product_id for r in results.values() for line in r.lines}
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    carts = []
    for location in locations:
        result = results.get(location.id)
        lines = []
        for line in (result.lines if result else []):
            estimated = line.estimated_unit_price if line.estimated_unit_price is not None else line.list_price
            lines.append(CartLine(line, products[line.product_id], line_cents(line.list_price, line.quantity),
                                  line_cents(estimated, line.quantity)))
        carts.append(LocationCart(location, result, lines, tuple(others.get(location.id, ()))))
    return CartView(cycle=cycle, carts=carts)


# --- quick order ------------------------------------------------------------------------


class QuickOrderRefused(Invalid):
    """A quick order with problems: every one of them (line number, SKU, reason)."""

    def __init__(self, problems: list[QuickProblem]):
        self.problems = problems
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(
            f"Nothing was added to the cart: fix the {count} listed below.",
            {"json": {"text": {str(p.number): [f"{p.sku}: {p.reason}" if p.sku else p.reason] for p in problems}}})


def quick_order(principal: Principal, location_id: int, text: str) -> OrderResult:
    """Add pasted `SKU, quantity` lines to the location's cart: all of them, or (any
    unknown SKU, bad quantity or unreadable line) none, with every problem listed."""
    parsed = parse_quick_order(text)
    problems = list(parsed.problems)
    skus = {line.sku.upper() for line in parsed.lines}
    found: dict[str, list[Product]] = {}
    if skus:
        for product in db.session.scalars(select(Product).where(func.upper(Product.sku).in_(skus),
                                                                 Product.active.is_(True))):
            found.setdefault(product.sku.upper(), []).append(product)
    on_contract = _contract_of_products([p.id for ps in found.values() for p in ps], utcnow().date())
    lines: list[OrderLineInput] = []
    for line in parsed.lines:
        candidates = [p for p in found.get(line.sku.upper(), []) if p.id in on_contract]
        if not candidates:
            reason = ("not on a contract in effect" if found.get(line.sku.upper())
                      else "unknown SKU: no product in the active catalog has it")
            problems.append(QuickProblem(line.number, line.sku, reason))
            continue
        if len(candidates) > 1:
            problems.append(QuickProblem(line.number, line.sku, "several vendors' products have this SKU: "
                                                                "add it from the shop"))
            continue
        product = candidates[0]
        for reason in rules.quantity_errors(line.quantity, product.min_order_quantity, product.order_multiple):
            problems.append(QuickProblem(line.number, line.sku, reason))
        lines.append({"product_id": product.id, "quantity": line.quantity})
    if problems:
        raise QuickOrderRefused(sorted(problems, key=lambda p: p.number))
    return add_to_cart(principal, location_id, lines, source="quick_order")
