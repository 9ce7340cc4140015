"""No storefront page issues more SQL statements because there are more rows: each
main page (WEB.md's storefront table; /billing aside, it calls Stripe) is requested
on a small data set and again after more rows were added, and both requests send
the same number of statements to the database (a `before_cursor_execute` listener
on db.engine around the request). A page that loads something per row (a lazy
relationship in a loop, a query per order) fails here; bench/pages.py times them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gpo.catalog.models import ProductPrice
from gpo.db import db, utcnow
from gpo.orders.models import OrderLine, SavedList, SavedListItem
from tests.factories import (
    ContractFactory,
    CycleFactory,
    EnrollmentFactory,
    InsuranceProgramFactory,
    InvoiceFactory,
    LocationFactory,
    OrderFactory,
    ProviderFactory,
    ShiftRequestFactory,
    UserFactory,
    _contract_of,
)
from tests.pages import Statements, same_count


@pytest.fixture(autouse=True)
def cycle(world):
    """An open cycle from the start (the orders made later are in it): what varies is
    the number of rows, not whether a cycle is open."""
    return CycleFactory()


@pytest.fixture
def as_(pages):
    return lambda name: Statements(pages.as_(name))


def orders(world, products, n: int, **fields):
    for _ in range(n):
        OrderFactory(location=world.location, items=[(p, 10) for p in products(2)], **fields)


def test_shop(as_, products):
    products(5)
    same_count(as_("practice_buyer"), "/shop", lambda: products(35))


def test_shop_search(as_, products):
    products(5, name="Nitrile gloves")
    same_count(as_("practice_buyer"), "/shop?q=gloves", lambda: products(35, name="Nitrile gloves"))


def test_product_page(as_, products, world):
    product, *_ = products(2)
    now = utcnow()
    db.session.add(ProductPrice(product_id=product.id, list_price=D("19.99"), changed_by="t", effective_from=now))

    def grow():
        products(6)
        ContractFactory(vendor_id=world.vendor.id, products=[product])  # a second contract it is on
        db.session.add_all(ProductPrice(product_id=product.id, list_price=D("19.99") + i, changed_by="t",
                                        effective_from=now - dt.timedelta(days=10 * (i + 1))) for i in range(6))
        orders(world, products, 3)

    same_count(as_("practice_buyer"), f"/shop/products/{product.id}", grow)


def test_cart(as_, products, world):
    OrderFactory(location=world.location, items=[(p, 10) for p in products(2)], status="draft", submitted_at=None)
    annex = LocationFactory(practice=world.practice, name="Annex")

    def grow():
        OrderFactory(location=annex, items=[(p, 10) for p in products(4) + products(4)],
                     status="draft", submitted_at=None)

    same_count(as_("practice_buyer"), "/cart", grow)


def test_orders(as_, products, world):
    orders(world, products, 2)
    same_count(as_("practice_buyer"), "/orders", lambda: orders(world, products, 10))


def test_an_order(as_, products, world):
    order = OrderFactory(location=world.location, items=[(p, 10) for p in products(2)])
    order_id = order.id

    def grow():
        more = products(3) + products(3)
        db.session.add_all(OrderLine(order_id=order_id, product_id=p.id, contract_id=_contract_of(p), quantity=5,
                                     list_price=p.list_price, clinical=False) for p in more)

    same_count(as_("practice_buyer"), f"/orders/{order_id}", grow)


def test_invoices(as_, world):
    for _ in range(2):
        InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)

    def grow():
        for _ in range(10):
            InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)

    same_count(as_("practice_admin"), "/invoices", grow)


def test_an_invoice(as_, world):
    small = InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)
    large = InvoiceFactory(practice_id=world.practice.id, amounts=[1000 * (i + 1) for i in range(12)], issued=True)
    statements = as_("practice_admin")
    assert statements(f"/invoices/{small.id}") == statements(f"/invoices/{large.id}")


def test_savings(as_, products, world):
    orders(world, products, 2)
    InvoiceFactory(practice_id=world.practice.id, issued=True)

    def grow():
        orders(world, products, 10)
        for _ in range(5):
            InvoiceFactory(practice_id=world.practice.id, issued=True)

    same_count(as_("practice_admin"), "/savings", grow)


def test_approvals(as_, products, world):
    def grow():
        for _ in range(4):
            clinical = products(2, clinical=True)
            OrderFactory(location=world.location, items=[(p, 3) for p in clinical + products(1)])

    clinical = products(1, clinical=True)
    OrderFactory(location=world.location, items=[(clinical[0], 2)])
    same_count(as_("practice_physician"), "/approvals", grow)


def test_lists(as_, products, world):
    def saved(name: str, n: int):
        db.session.add(SavedList(practice_id=world.practice.id, name=name, created_by="t",
                                 items=[SavedListItem(product_id=p.id, quantity=2) for p in products(n)]))

    saved("Exam room", 2)
    same_count(as_("practice_buyer"), "/lists", lambda: [saved(f"Room {i}", 8) for i in range(3)])


def test_insurance(as_, world):
    program = InsuranceProgramFactory()
    EnrollmentFactory(program=program, provider=world.provider)

    def grow():
        other = InsuranceProgramFactory()
        for _ in range(4):
            EnrollmentFactory(program=program, provider=ProviderFactory(practice_id=world.practice.id))
            EnrollmentFactory(program=other, provider=ProviderFactory(practice_id=world.practice.id))

    same_count(as_("practice_admin"), "/insurance", grow)


def test_staffing(as_, world):
    ShiftRequestFactory(location=world.location)

    def grow():
        for i in range(4):
            ShiftRequestFactory(location=world.location, starts_at=utcnow().replace(microsecond=0)
                                + dt.timedelta(days=8 + i))

    same_count(as_("practice_admin"), "/staffing", grow)


def test_practice(as_, world):
    def grow():
        for i in range(4):
            LocationFactory(practice=world.practice)
            ProviderFactory(practice_id=world.practice.id)
            UserFactory(organization_id=world.practice.id, roles=["practice_buyer"], email=f"more{i}@example.test")

    same_count(as_("practice_admin"), "/practice", grow)
