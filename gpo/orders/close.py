"""The close: one idempotent background job that turns a cycle's confirmed orders into
priced lines and one purchase order per contract (DOMAIN.md "The close").

Set-based: every step over the lines is one SQL statement; Python only picks each
contract's tier (a few hundred contracts, not a million lines). Crash-safe: the move to
`closing` commits first (orders are refused from then on), then everything else is one
transaction, so a crash anywhere leaves either nothing or the whole close, and running
it again after it finished changes nothing.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import and_, case, func, insert, literal, select, text, update

from gpo import audit, features
from gpo.accounts.models import Organization
from gpo.auth.principal import SYSTEM
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.contracts.tiers import achieved_index
from gpo.db import commit_midway, db, discounted_price_sql, line_cents_sql, lock_row, utcnow
from gpo.errors import Conflict, NotFound
from gpo.jobs import RunLifecycle
from gpo.money import format_dollars
from gpo.notifications import outbox
from gpo.orders.models import (
    Cycle,
    CycleContractResult,
    CycleItemPrice,
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
)

# The close's run-like life: the cycle is the run's row. Asking for the close changes
# no status (the job itself moves the cycle from `open` to `closing`, once the orders
# in flight are in), and the cycle has no failed state: a close that failed for good
# leaves the cycle as its last attempt did (open, or closing with orders refused), the
# job's row says `failed`, and the close may be asked for again.
CLOSE = RunLifecycle(kind="orders.close_cycle", model=Cycle, id_arg="cycle_id", waiting=None,
                     running=("open", "closing"), done="closed", failed=None, job_attribute="close_job_id",
                     summary=lambda cycle: summary(cycle.id))


def _step(name: str) -> None:
    """Between steps (tests inject crashes here)."""


def _lock_cycle(cycle_id: int) -> Cycle:
    # FOR UPDATE conflicts with the FOR SHARE each order takes on the cycle: the close
    # waits for orders in flight, and orders after it see `closing`.
    cycle = lock_row(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"cycle {cycle_id} not found")
    return cycle


def close_cycle(cycle_id: int) -> dict:
    """Close the cycle in the caller's unit of work, as the close job does (the bench
    and tests call it directly): idempotent, a closed cycle only returns its summary."""
    return close(_lock_cycle(cycle_id))


def close(cycle: Cycle) -> dict:
    """The close's work on its locked cycle (the job's `work`): move it to `closing`
    and commit that midway, then everything else in one transaction."""
    cycle_id = cycle.id
    if cycle.status == "closed":
        return summary(cycle_id)
    if cycle.status == "scheduled":
        raise Conflict(f"cycle {cycle_id} has not opened")
    if cycle.status == "open":
        cycle.status, cycle.closing_started_at = "closing", utcnow()
        audit.record(SYSTEM, "cycle.closing", cycle)
        commit_midway("the cycle is closing: orders are refused from now on, and the close waits for none")
    _step("closing")

    cycle = _lock_cycle(cycle_id)
    if cycle.status == "closed":
        return summary(cycle_id)
    if db.engine.dialect.name == "postgresql":
        # Sorts and hashes over a whole cycle's lines: keep them in memory (this transaction only).
        db.session.execute(text("SET LOCAL work_mem = '128MB'"))
    _leave_out_unconfirmed(cycle_id)
    _step("missed_cycle")
    _decide_tiers(cycle_id)
    _analyze("cycle_contract_results", "cycle_item_prices")
    _step("tiers")
    _price_lines(cycle_id)
    _step("priced")
    _purchase_orders(cycle_id)
    _announce_purchase_orders(cycle_id)
    _step("purchase_orders")
    db.session.execute(
        update(Order).where(Order.cycle_id == cycle_id, Order.status == "confirmed").values(status="priced")
    )
    _analyze("orders", "order_lines")  # what the steps below read: orders priced, lines accepted
    for step in features.steps(features.CLOSE):  # billing's draft invoices, for one
        step(cycle_id)
    _step("hooks")
    cycle.status, cycle.closed_at = "closed", utcnow()
    closed = summary(cycle_id)
    audit.record(SYSTEM, "cycle.closed", cycle, details=closed)
    db.session.flush()
    return closed


def _analyze(*tables: str) -> None:
    """Let PostgreSQL's planner see the rows this transaction just wrote or changed (its
    statistics would otherwise describe the cycle before the close, say no line priced
    and no tier decided, and plan row-by-row loops over a million lines)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {', '.join(tables)}"))


def _leave_out_unconfirmed(cycle_id: int) -> None:
    """Orders still waiting for a physician (or never submitted) miss the cycle, with
    the reason the practice will see; they can be copied into the next cycle. So do
    confirmed orders holding a product marked clinical since, without an approval."""
    newly_clinical = (
        select(OrderLine.id).join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == Order.id, Product.clinical.is_(True)).exists()
    )
    db.session.execute(
        update(Order)
        .where(Order.cycle_id == cycle_id, Order.status == "confirmed", Order.approved_at.is_(None), newly_clinical)
        .values(status="missed_cycle",
                missed_reason="a product was marked clinical after the order: it needed a physician's approval")
    )
    db.session.execute(
        update(Order)
        .where(Order.cycle_id == cycle_id, Order.status.in_(("awaiting_approval", "draft")))
        .values(
            status="missed_cycle",
            missed_reason=case(
                (Order.status == "draft", "never submitted before the cycle closed"),
                else_="clinical lines still awaited a physician's approval when the cycle closed",
            ),
        )
    )


def _confirmed_lines(cycle_id: int):
    return and_(Order.id == OrderLine.order_id, Order.cycle_id == cycle_id, Order.status == "confirmed")


def _decide_tiers(cycle_id: int) -> None:
    """Per contract: the volume of confirmed lines (units, or list cents) sets the tier."""
    volumes = db.session.execute(
        select(OrderLine.contract_id, func.sum(OrderLine.quantity),
               func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)))
        .select_from(OrderLine).join(Order, _confirmed_lines(cycle_id))
        .group_by(OrderLine.contract_id)
    ).all()
    contracts = {c.id: c for c in db.session.scalars(select(Contract).where(Contract.id.in_([v[0] for v in volumes])))}
    results, fixed_prices = [], []
    for contract_id, units, spend in volumes:
        contract = contracts[contract_id]
        volume = int(units if contract.basis == "units" else spend)
        tiers = contract.tier_list
        index = achieved_index(tiers, volume)
        tier = tiers[index]
        results.append({"cycle_id": cycle_id, "contract_id": contract_id, "volume": volume,
                        "achieved_tier_index": index, "achieved_min_volume": tier.min_volume,
                        "discount_percent": tier.discount_percent})
        fixed_prices += [{"cycle_id": cycle_id, "contract_id": contract_id, "product_id": product_id,
                          "unit_price": price} for product_id, price in tier.item_prices.items()]
    if results:
        db.session.execute(insert(CycleContractResult), results)
    if fixed_prices:
        db.session.execute(insert(CycleItemPrice), fixed_prices)


def _price_lines(cycle_id: int) -> None:
    """Two UPDATEs over the confirmed lines, each line priced once: at its contract's
    achieved discount off its list price snapshot, or (the few lines whose tier fixes
    their item's price) at that price. Each sets the unit price and the list, paid and
    savings cents, each rounded half-up once."""
    lines = OrderLine.__table__
    result = CycleContractResult.__table__
    fixed = CycleItemPrice.__table__
    confirmed = and_(Order.id == lines.c.order_id, Order.cycle_id == cycle_id, Order.status == "confirmed")

    def priced_at(unit_price):
        list_cents = line_cents_sql(lines.c.list_price, lines.c.quantity)
        paid_cents = line_cents_sql(unit_price, lines.c.quantity)
        return dict(unit_price=unit_price, list_cents=list_cents, line_cents=paid_cents,
                    savings_cents=list_cents - paid_cents, accepted_quantity=lines.c.quantity)

    fixed_for_line = and_(fixed.c.cycle_id == cycle_id, fixed.c.contract_id == lines.c.contract_id,
                          fixed.c.product_id == lines.c.product_id)
    db.session.execute(
        update(lines)
        .where(confirmed, result.c.cycle_id == cycle_id, result.c.contract_id == lines.c.contract_id,
               ~select(fixed.c.unit_price).where(fixed_for_line).exists())
        .values(**priced_at(discounted_price_sql(lines.c.list_price, result.c.discount_percent)))
    )
    db.session.execute(
        update(lines).where(confirmed, fixed_for_line).values(**priced_at(fixed.c.unit_price))
    )


def _purchase_orders(cycle_id: int) -> None:
    """One purchase order per contract with volume, its lines per product, ship-to
    location and price; the lines' cents are the sums of the practices' line cents."""
    db.session.execute(
        insert(PurchaseOrder).from_select(
            ["cycle_id", "contract_id", "vendor_id", "created_at"],
            select(literal(cycle_id), Contract.id, Contract.vendor_id, literal(utcnow(), PurchaseOrder.created_at.type))
            .join(CycleContractResult, CycleContractResult.contract_id == Contract.id)
            .where(CycleContractResult.cycle_id == cycle_id),  # every contract with confirmed lines
        )
    )
    _analyze("purchase_orders")
    db.session.execute(
        insert(PurchaseOrderLine).from_select(
            ["purchase_order_id", "product_id", "location_id", "unit_price", "quantity", "line_cents"],
            select(PurchaseOrder.id, OrderLine.product_id, Order.location_id, OrderLine.unit_price,
                   func.sum(OrderLine.quantity), func.sum(OrderLine.line_cents))
            .select_from(OrderLine)
            .join(Order, _confirmed_lines(cycle_id))
            .join(PurchaseOrder, and_(PurchaseOrder.cycle_id == cycle_id, PurchaseOrder.contract_id == OrderLine.contract_id))
            .group_by(PurchaseOrder.id, OrderLine.product_id, Order.location_id, OrderLine.unit_price),
        )
    )


def _announce_purchase_orders(cycle_id: int) -> None:
    """purchase_order.created for each purchase order the close just made (its vendor's
    webhooks; its vendor admins' e-mail), in the close's own transaction: a close that
    rolls back announced nothing, and a close run again after it finished returns
    before getting here. One query for the facts of every purchase order."""
    rows = db.session.execute(
        select(PurchaseOrder.id, PurchaseOrder.contract_id, PurchaseOrder.vendor_id, Organization.name,
               Contract.title, func.count(PurchaseOrderLine.id), func.coalesce(func.sum(PurchaseOrderLine.line_cents), 0))
        .join(Organization, Organization.id == PurchaseOrder.vendor_id)
        .join(Contract, Contract.id == PurchaseOrder.contract_id)
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.cycle_id == cycle_id)
        .group_by(PurchaseOrder.id, PurchaseOrder.contract_id, PurchaseOrder.vendor_id, Organization.name,
                  Contract.title)
        .order_by(PurchaseOrder.id)).all()
    for po_id, contract_id, vendor_id, vendor_name, title, line_count, total in rows:
        outbox.emit(
            "purchase_order.created", SimpleNamespace(id=po_id), subject_type="purchase_order", vendor_id=vendor_id,
            summary=(f"Purchase order {po_id} for {vendor_name} ({title}): {line_count} "
                     f"line{'' if line_count == 1 else 's'}, {format_dollars(int(total))}"),
            data={"purchase_order_id": po_id, "cycle_id": cycle_id, "contract_id": contract_id,
                  "line_count": int(line_count), "total_cents": int(total)})



def summary(cycle_id: int) -> dict:
    """How a cycle's close came out: its orders per status, its purchase orders, the cents paid."""
    orders = dict(db.session.execute(
        select(Order.status, func.count()).where(Order.cycle_id == cycle_id).group_by(Order.status)
    ).all())
    purchase_orders = db.session.scalar(
        select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.cycle_id == cycle_id))
    paid = db.session.scalar(
        select(func.coalesce(func.sum(PurchaseOrderLine.line_cents), 0)).join(PurchaseOrder)
        .where(PurchaseOrder.cycle_id == cycle_id))
    return {"orders": orders, "purchase_orders": purchase_orders, "paid_cents": int(paid)}
