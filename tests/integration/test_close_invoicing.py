"""The close's draft purchasing invoices (totals computed as they are inserted), its
statements (as many for many orders as for one), and on PostgreSQL the per-statement
check that replaced the foreign keys of invoice lines' and purchase-order lines' copied
ids (migration 0016)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from gpo.billing.invoices import effective_fees
from gpo.billing.models import FeeSchedule, Invoice, InvoiceLine
from gpo.billing.purchasing import source_key
from gpo.db import db, transactional
from gpo.money import percent_of_cents
from gpo.orders.close import close_cycle
from gpo.orders.models import Order, OrderLine, PurchaseOrderLine
from tests.factories import (
    ContractFactory,
    CycleFactory,
    InvoiceFactory,
    LocationFactory,
    OrderFactory,
    PracticeFactory,
    ProductFactory,
)

TIERS = [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
         {"min_volume": 50, "discount_percent": "8.5", "item_prices": {}}]


@pytest.fixture
def catalog(world):
    gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=D("19.99"))
    masks = ProductFactory(vendor_id=world.vendor.id, sku="MSK", list_price=D("4.05"))
    ContractFactory(vendor_id=world.vendor.id, tiers=TIERS, products=[gloves, masks])
    return gloves, masks


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))


def test_each_invoice_holds_the_totals_of_its_lines_at_its_practices_fee(world, catalog):
    gloves, masks = catalog
    default, own, inherits, none = (LocationFactory(practice=PracticeFactory()) for _ in range(4))
    db.session.add_all([
        FeeSchedule(is_default=True, service_fee_percent=D("2.5")),
        FeeSchedule(practice_id=own.practice_id, service_fee_percent=D("1.75")),
        FeeSchedule(practice_id=inherits.practice_id, service_fee_percent=None, pmpm_cents=100),
        FeeSchedule(practice_id=none.practice_id, service_fee_percent=D("0")),
    ])
    db.session.commit()
    for i, location in enumerate((default, own, inherits, none)):
        OrderFactory(location=location, items=[(gloves, 13 + i), (masks, 7)])
        OrderFactory(location=location, items=[(gloves, 5)])
    cycle_id = db.session.scalar(text("SELECT id FROM cycles WHERE status = 'open'"))

    transactional(close_cycle)(cycle_id)

    db.session.expire_all()
    invoices = {i.practice_id: i for i in db.session.scalars(select(Invoice).where(Invoice.kind == "purchasing"))}
    assert set(invoices) == {default.practice_id, own.practice_id, inherits.practice_id, none.practice_id}
    fees = effective_fees(list(invoices))
    for practice_id, invoice in invoices.items():
        lines = lines_of(invoice)
        goods = sum(line.amount_cents for line in lines if line.kind == "product")
        fee = percent_of_cents(goods, fees[practice_id].service_fee_percent)
        paid = db.session.scalar(select(func.sum(OrderLine.line_cents)).join(Order, Order.id == OrderLine.order_id)
                                 .where(Order.practice_id == practice_id))
        assert goods == paid
        assert (invoice.service_fee_percent, invoice.service_fee_cents) == (fees[practice_id].service_fee_percent, fee)
        assert [line.amount_cents for line in lines if line.kind == "service_fee"] == ([fee] if fee else [])
        assert invoice.subtotal_cents == invoice.total_cents == sum(line.amount_cents for line in lines) == goods + fee
        assert (invoice.status, invoice.credits_applied_cents, invoice.version) == ("draft", 0, 1)
        assert invoice.source_key == source_key(cycle_id, practice_id)
    # by hand, the first practice: 13 + 5 gloves and 7 masks at 8.5% off (86 units reach it):
    # 19.99 -> 18.2909, 4.05 -> 3.7058; 13 x 18.2909 = 237.7817 -> 23778, 5 x -> 9145 (91.4545),
    # 7 x 3.7058 = 25.9406 -> 2594: 35517 cents of goods, 2.5% = 887.925 -> 888.
    assert (invoices[default.practice_id].subtotal_cents, invoices[default.practice_id].service_fee_cents) == (
        35517 + 888, 888)
    assert invoices[own.practice_id].service_fee_percent == D("1.75")
    assert invoices[inherits.practice_id].service_fee_percent == D("2.5")
    assert invoices[none.practice_id].service_fee_cents == 0


def test_a_practice_invoiced_already_for_the_cycle_gets_no_second_invoice_nor_lines(world, catalog):
    gloves, _ = catalog
    OrderFactory(location=world.location, items=[(gloves, 10)])
    OrderFactory(location=LocationFactory(practice=world.other_practice), items=[(gloves, 20)])
    cycle_id = db.session.scalar(text("SELECT id FROM cycles WHERE status = 'open'"))
    earlier = InvoiceFactory(practice_id=world.practice.id, kind="purchasing", cycle_id=cycle_id,
                             source_key="purchasing:earlier", amounts=[100])

    transactional(close_cycle)(cycle_id)

    db.session.expire_all()
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.kind == "purchasing").order_by(Invoice.id)))
    assert [(i.id, i.practice_id) for i in invoices] == [(earlier.id, world.practice.id),
                                                        (invoices[1].id, world.other_practice.id)]
    assert [(line.kind, line.amount_cents) for line in lines_of(invoices[0])] == [("membership", 100)]
    assert [(line.kind, line.quantity) for line in lines_of(invoices[1])] == [("product", D(20))]


def statements_of(fn) -> int:
    """The SQL statements `fn` sends (from a fresh transaction, as a job starts)."""
    db.session.commit()
    seen = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_close_sends_as_many_statements_for_many_practices_and_lines_as_for_one(world, catalog):
    gloves, masks = catalog
    OrderFactory(location=world.location, items=[(gloves, 60)])
    first = db.session.scalar(text("SELECT id FROM cycles WHERE status = 'open'"))
    one = statements_of(lambda: transactional(close_cycle)(first))

    second = CycleFactory().id
    for _ in range(3):
        OrderFactory(location=LocationFactory(practice=PracticeFactory()), items=[(gloves, 25), (masks, 10)])
    OrderFactory(location=world.location, items=[(gloves, 5), (masks, 10)])
    many = statements_of(lambda: transactional(close_cycle)(second))

    assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.cycle_id == second)) == 4
    assert many == one


def insert_invoice_line(invoice_id: int, **ids) -> None:
    db.session.execute(text(
        "INSERT INTO invoice_lines (invoice_id, kind, description, amount_cents, contract_id, vendor_id, product_id) "
        "VALUES (:invoice_id, 'adjustment', 'forced in', -100, :contract_id, :vendor_id, :product_id)"),
        {"invoice_id": invoice_id, "contract_id": None, "vendor_id": None, "product_id": None, **ids})


@pytest.mark.parametrize("column", ["contract_id", "vendor_id", "product_id"])
def test_an_invoice_line_naming_a_missing_contract_vendor_or_product_is_refused(postgresql_only, world, catalog, column):
    gloves, _ = catalog
    OrderFactory(location=world.location, items=[(gloves, 10)])
    transactional(close_cycle)(db.session.scalar(text("SELECT id FROM cycles WHERE status = 'open'")))
    invoice = db.session.scalars(select(Invoice).where(Invoice.kind == "purchasing")).one()
    line = lines_of(invoice)[0]
    insert_invoice_line(invoice.id, contract_id=line.contract_id, vendor_id=line.vendor_id, product_id=line.product_id)
    db.session.commit()  # the ids a line names exist: accepted

    with pytest.raises(IntegrityError, match="1 row.s. of invoice_lines name an id that does not exist"):
        insert_invoice_line(invoice.id, **{column: 987654321})
    db.session.rollback()
    with pytest.raises(IntegrityError, match="invoice_lines name an id that does not exist"):
        db.session.execute(text(f"UPDATE invoice_lines SET {column} = 987654321 WHERE id = :id"), {"id": line.id})
    db.session.rollback()


@pytest.mark.parametrize("column", ["product_id", "location_id"])
def test_a_purchase_order_line_naming_a_missing_product_or_location_is_refused(postgresql_only, world, catalog, column):
    gloves, _ = catalog
    OrderFactory(location=world.location, items=[(gloves, 10)])
    transactional(close_cycle)(db.session.scalar(text("SELECT id FROM cycles WHERE status = 'open'")))
    line = db.session.scalars(select(PurchaseOrderLine)).one()

    copy = ("INSERT INTO purchase_order_lines (purchase_order_id, product_id, location_id, unit_price, quantity, "
            "line_cents) SELECT purchase_order_id, {columns}, unit_price + 1, quantity, line_cents "
            "FROM purchase_order_lines WHERE id = :id")
    db.session.execute(text(copy.format(columns="product_id, location_id")), {"id": line.id})
    db.session.commit()  # the ids a line names exist: accepted

    forced = "product_id, 987654321" if column == "location_id" else "987654321, location_id"
    with pytest.raises(IntegrityError, match="1 row.s. of purchase_order_lines name an id that does not exist"):
        db.session.execute(text(copy.format(columns=forced)), {"id": line.id})
    db.session.rollback()
    with pytest.raises(IntegrityError, match="purchase_order_lines name an id that does not exist"):
        db.session.execute(text(f"UPDATE purchase_order_lines SET {column} = 987654321 WHERE id = :id"), {"id": line.id})
    db.session.rollback()
