"""The main rules of purchasing at the service level (no HTTP): each use case runs in
its own unit of work, as an edge would run it; cents are computed by hand."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db, transactional, unit_of_work
from gpo.errors import Conflict, Forbidden, Invalid
from gpo.etags import etag_for
from gpo.jobs import Job
from gpo.orders import cycles, ordering, purchase_orders
from gpo.orders.close import close_cycle
from gpo.orders.models import Cycle, CycleContractResult, Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from tests.factories import ContractFactory, CycleFactory, LocationFactory, ProductFactory

TIERS = [
    {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
    {"min_volume": 100, "discount_percent": "10", "item_prices": {}},
    {"min_volume": 250, "discount_percent": "12.5", "item_prices": {}},
]


@pytest.fixture
def shop(world):
    """An open cycle and one contract (units basis) on gloves, masks (at least 10, by
    fives) and a clinical exam table; the principals of `world` as services see them."""
    class Shop:
        gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=D("19.99"))
        masks = ProductFactory(vendor_id=world.vendor.id, sku="MSK", list_price=D("4.05"),
                               min_order_quantity=10, order_multiple=5)
        table = ProductFactory(vendor_id=world.vendor.id, sku="TBL", list_price=D("3400.00"), clinical=True)
        contract = ContractFactory(vendor_id=world.vendor.id, tiers=TIERS, products=[gloves, masks, table])
        cycle = CycleFactory()
        annex = LocationFactory(practice=world.practice, name="Annex")
        location = world.location
        buyer = principal_for_user(world.users["practice_buyer"])
        physician = principal_for_user(world.users["practice_physician"])
        procurement = principal_for_user(world.users["mso_procurement"])
        vendor = principal_for_user(world.users["vendor_admin"])

        def order(self, who, lines, location=None):
            return transactional(ordering.place_order)(who, {
                "location_id": (location or self.location).id,
                "lines": [{"product_id": product.id, "quantity": quantity} for product, quantity in lines]})

    return Shop()


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("quantity, problem", [
    (5, "the minimum order quantity is 10"),
    (12, "quantity must be a multiple of 5"),
])
def test_an_order_respects_the_minimum_quantity_and_the_multiple(shop, quantity, problem):
    with pytest.raises(Invalid) as refused:
        shop.order(shop.buyer, [(shop.gloves, 3), (shop.masks, quantity)])
    assert refused.value.message == f"line 1: {problem}"
    assert refused.value.errors == {"json": {"lines": {"1": [problem]}}}
    assert orders_count() == 0

    placed = shop.order(shop.buyer, [(shop.masks, 15)])
    assert placed.status == "confirmed"
    assert [(line.quantity, line.list_price, line.estimated_unit_price) for line in placed.lines] == [
        (15, D("4.0500"), D("4.0500"))]


def test_a_clinical_product_needs_a_physicians_approval(shop, world):
    placed = shop.order(shop.buyer, [(shop.table, 1), (shop.gloves, 10)])
    assert (placed.status, placed.approved_at) == ("awaiting_approval", None)
    with pytest.raises(Forbidden):
        transactional(ordering.approve_order)(shop.buyer, placed.id, {etag_for(placed)})
    with pytest.raises(Forbidden):
        transactional(ordering.approve_order)(shop.procurement, placed.id, {etag_for(placed)})

    approved = transactional(ordering.approve_order)(shop.physician, placed.id, {etag_for(placed)})
    assert approved.status == "confirmed"
    assert approved.approved_by_user_id == world.users["practice_physician"].id
    assert db.session.get(Order, placed.id).status == "confirmed"

    by_physician = shop.order(shop.physician, [(shop.table, 1)])
    assert by_physician.status == "confirmed" and by_physician.approved_at is not None


def test_a_closing_cycle_refuses_orders_and_their_changes(shop):
    placed = shop.order(shop.buyer, [(shop.gloves, 10)])
    shop.cycle.status = "closing"
    db.session.commit()

    with pytest.raises(Conflict) as new_order:
        shop.order(shop.buyer, [(shop.gloves, 5)])
    assert new_order.value.message == "no purchasing cycle is open for orders"
    with pytest.raises(Conflict) as edit:
        transactional(ordering.edit_order)(shop.buyer, placed.id, {"lines": [{"product_id": shop.gloves.id, "quantity": 4}]},
                                           {etag_for(placed)})
    assert edit.value.message == f"cycle {shop.cycle.id} is closing: its orders can no longer change"
    with pytest.raises(Conflict):
        transactional(ordering.cancel_order)(shop.buyer, placed.id)
    db.session.expire_all()
    assert orders_count() == 1 and db.session.get(Order, placed.id).status == "confirmed"
    assert [line.quantity for line in db.session.get(Order, placed.id).lines] == [10]


def test_the_close_prices_each_line_at_the_tier_the_pooled_volume_reached(shop):
    first = shop.order(shop.buyer, [(shop.gloves, 75)])
    assert first.lines[0].estimated_unit_price == D("19.9900")  # 75 units: the base tier
    second = shop.order(shop.physician, [(shop.gloves, 25)], location=shop.annex)
    assert second.lines[0].estimated_unit_price == D("17.9910")  # 100 units now: 10% off
    waiting = shop.order(shop.buyer, [(shop.table, 1)])  # awaits a physician: misses the cycle

    summary = transactional(close_cycle)(shop.cycle.id)

    # 19.99 at 10% off = 17.9910; 75 x 17.991 = 1349.325 -> 134933 cents (half up);
    # 25 x 17.991 = 449.775 -> 44978; list 75 x 19.99 = 149925, 25 x 19.99 = 49975.
    assert summary == {"orders": {"priced": 2, "missed_cycle": 1}, "purchase_orders": 1,
                       "paid_cents": 134933 + 44978}
    db.session.expire_all()
    priced = {line.order_id: (line.unit_price, line.list_cents, line.line_cents, line.savings_cents,
                              line.accepted_quantity)
              for line in db.session.scalars(select(OrderLine).where(OrderLine.unit_price.is_not(None)))}
    assert priced == {first.id: (D("17.9910"), 149925, 134933, 14992, 75),
                      second.id: (D("17.9910"), 49975, 44978, 4997, 25)}
    assert db.session.get(Order, waiting.id).status == "missed_cycle"
    result = db.session.get(CycleContractResult, (shop.cycle.id, shop.contract.id))
    assert (result.volume, result.achieved_tier_index, result.discount_percent) == (100, 1, D("10.0000"))
    po = db.session.scalars(select(PurchaseOrder)).one()
    assert {(line.location_id, line.quantity, line.unit_price, line.line_cents) for line in po.lines} == {
        (shop.location.id, 75, D("17.9910"), 134933), (shop.annex.id, 25, D("17.9910"), 44978)}
    assert db.session.get(Cycle, shop.cycle.id).status == "closed"
    assert transactional(close_cycle)(shop.cycle.id) == summary  # again: nothing changes


def test_fewer_units_acknowledged_cut_the_newest_orders_and_run_the_acknowledge_steps(shop):
    older = shop.order(shop.buyer, [(shop.gloves, 75)])
    newer = shop.order(shop.physician, [(shop.gloves, 25)])
    transactional(close_cycle)(shop.cycle.id)
    po = db.session.scalars(select(PurchaseOrder)).one()
    line = po.lines[0]
    assert (line.quantity, line.line_cents) == (100, 134933 + 44978)

    with unit_of_work():
        purchase_orders.acknowledge(shop.vendor, po.id, [{"line_id": line.id, "accepted_quantity": 90}])

    # 10 refused, from the newest order: 15 of its 25 kept at the same tier price,
    # 15 x 17.991 = 269.865 -> 26987 cents; list 15 x 19.99 = 299.85 -> 29985.
    db.session.expire_all()
    kept = {row.order_id: (row.accepted_quantity, row.list_cents, row.line_cents, row.savings_cents)
            for row in db.session.scalars(select(OrderLine))}
    assert kept == {older.id: (75, 149925, 134933, 14992), newer.id: (15, 29985, 26987, 2998)}
    line = db.session.get(PurchaseOrderLine, line.id)
    assert (line.accepted_quantity, line.line_cents) == (90, 134933 + 26987)
    # Billing's acknowledge step: the practice's draft invoice follows its order lines.
    invoice = db.session.scalars(select(Invoice).where(Invoice.kind == "purchasing")).one()
    assert invoice.status == "draft"
    assert sorted((row.quantity, row.amount_cents) for row in db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))) == [(15, 26987), (75, 134933)]
    assert (invoice.subtotal_cents, invoice.total_cents) == (161920, 161920)

    with pytest.raises(Invalid) as again:
        transactional(purchase_orders.acknowledge)(shop.vendor, po.id, [{"line_id": line.id, "accepted_quantity": 80}])
    assert again.value.message == f"line {line.id} is already acknowledged (90 accepted)"


def test_the_close_is_asked_once(shop):
    first = transactional(cycles.request_close)(shop.procurement, shop.cycle.id)
    job_id = first.close_job_id
    assert job_id is not None
    again = transactional(cycles.request_close)(shop.procurement, shop.cycle.id)
    assert again.close_job_id == job_id


def test_a_close_whose_job_failed_for_good_may_be_asked_again(shop):
    failed = Job(kind="orders.close_cycle", status="failed", args={"cycle_id": shop.cycle.id}, created_by="system",
                 attempts=3, max_attempts=3)
    db.session.add(failed)
    db.session.flush()
    shop.cycle.close_job_id = failed.id
    db.session.commit()

    asked = transactional(cycles.request_close)(shop.procurement, shop.cycle.id)
    assert asked.close_job_id not in (None, failed.id)
