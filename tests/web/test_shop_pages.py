"""The shop and a product's page without a browser: prices now and at the next tier,
adding to the cart (a wrong quantity refused at the product's field, nothing added),
the ship-to choice, tenancy and faces, and a fixed number of queries per page."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import event, select

from gpo.catalog.models import ProductPrice
from gpo.db import db, utcnow
from gpo.orders.models import Order, OrderLine
from tests.factories import ContractFactory, ProductFactory
from tests.pages import text_of
from tests.scenarios import Market


@pytest.fixture
def market(client, world):
    m = Market(client, world, None)
    m.gloves.name, m.masks.name, m.table.name = "Nitrile gloves", "Surgical masks", "Exam table"
    db.session.commit()
    return m


def _lines():
    return db.session.execute(select(OrderLine.product_id, OrderLine.quantity)).all()


def test_the_shop_lists_products_with_vendor_unit_list_price_price_now_and_next_tier(pages, market):
    html = pages.as_("practice_buyer").get("/shop").get_data(as_text=True)
    text = text_of(html)
    assert "Search products" in text and "Nitrile gloves" in text and "Acme" in text
    assert "per box" in text and "List price $19.99" in text
    assert "Your price now $19.99" in text and "Next tier $17.991 (10% off)" in text
    assert "Exam table Clinical" in text
    assert html.count(">Add to cart</button>") == 3
    assert "Minimum 10, in multiples of 5" in text
    assert "Ship to" in text and "Annex" in text  # the practice has two locations


def test_the_price_now_follows_the_tier_the_cycles_confirmed_orders_reach(pages, market, world):
    assert market.order([(market.gloves, 100)]).status_code == 201  # 100 units: tier 2
    text = text_of(pages.as_("practice_buyer").get("/shop?q=gloves").get_data(as_text=True))
    assert "1 product found" in text
    assert "Your price now $17.991" in text and "Next tier $17.4913 (12.5% off)" in text


def test_search_and_filters(pages, market, world):
    other = ProductFactory(vendor_id=world.other_vendor.id, name="Laptop", category="it")
    page = pages.as_("practice_buyer")
    text = text_of(page.get("/shop?q=mask").get_data(as_text=True))
    assert "Surgical masks" in text and "Nitrile gloves" not in text
    text = text_of(page.get("/shop?category=equipment").get_data(as_text=True))
    assert "Exam table" in text and "Surgical masks" not in text
    text = text_of(page.get(f"/shop?vendor={world.other_vendor.id}").get_data(as_text=True))
    assert other.name in text and "Exam table" not in text
    assert "not on a contract in effect" in text  # the laptop has no contract: no add form
    response = page.get("/shop?category=nonsense")
    assert response.status_code == 422 and "Must be one of" in text_of(response.get_data(as_text=True))


def test_the_shop_is_paginated(pages, market, world):
    for i in range(25):
        ProductFactory(vendor_id=world.vendor.id, name=f"Zz item {i:02d}")
    page = pages.as_("practice_buyer")
    text = text_of(page.get("/shop").get_data(as_text=True))
    assert "28 products found" in text and "Page 1 of 2" in text and "Next page" in text
    text = text_of(page.get("/shop?page=2").get_data(as_text=True))
    assert "Zz item 24" in text and "Nitrile gloves" not in text


def test_add_to_cart_adds_to_the_chosen_locations_draft(pages, market, world):
    page = pages.as_("practice_buyer")
    page.get("/shop")
    response = page.post("/shop?q=mask", {"product_id": market.masks.id, "quantity": "15",
                                          "location_id": market.annex.id})
    assert response.status_code == 302 and response.headers["Location"] == "/shop?q=mask"
    order = db.session.scalars(select(Order)).one()
    assert (order.location_id, order.status, order.practice_id) == (market.annex.id, "draft", world.practice.id)
    assert _lines() == [(market.masks.id, 15)]
    assert "Added 15 to the cart" in text_of(page.get("/shop").get_data(as_text=True))


def test_a_wrong_quantity_is_refused_at_that_products_field_and_nothing_is_added(pages, market, world):
    page = pages.as_("practice_buyer")
    page.get("/shop")
    response = page.post("/shop", {"product_id": market.masks.id, "quantity": "12",
                                   "location_id": world.location.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="qty-{market.masks.id}-error"' in html and "quantity must be a multiple of 5" in html
    assert f'id="qty-{market.masks.id}" name="quantity" type="number" value="12"' in html
    assert f'id="qty-{market.gloves.id}-error"' not in html
    for bad in ("0", "abc", "5"):
        response = page.post("/shop", {"product_id": market.masks.id, "quantity": bad,
                                       "location_id": world.location.id})
        assert response.status_code == 422, bad
    assert "minimum order quantity is 10" in text_of(response.get_data(as_text=True))
    assert db.session.scalars(select(Order)).all() == []


def test_another_practices_location_is_refused_and_nothing_is_added(pages, market):
    page = pages.as_("practice_buyer")
    page.get("/shop")
    response = page.post("/shop", {"product_id": market.gloves.id, "quantity": "1",
                                   "location_id": market.other_location.id})
    assert response.status_code == 422
    assert "not one of the practice's locations" in text_of(response.get_data(as_text=True))
    assert db.session.scalars(select(Order)).all() == []


def test_the_product_page_shows_price_history_chart_and_table_tiers_and_progress(pages, market):
    now = utcnow()
    db.session.add_all([
        ProductPrice(product_id=market.gloves.id, list_price=D("21.50"), effective_from=now - dt.timedelta(days=60),
                     effective_to=now - dt.timedelta(days=30), changed_by="vendor"),
        ProductPrice(product_id=market.gloves.id, list_price=D("19.99"), effective_from=now - dt.timedelta(days=30),
                     changed_by="vendor"),
    ])
    db.session.commit()
    assert market.order([(market.gloves, 88)]).status_code == 201
    response = pages.as_("practice_buyer").get(f"/shop/products/{market.gloves.id}")
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html and "Price history" in text
    assert "$21.50" in text and "now $19.99" in text  # the table has the chart's numbers
    assert "12 more units unlock 10% off for everyone" in text
    assert "100 units 10% $17.991 not yet" in text and "250 units 12.5% $17.4913 not yet" in text
    table = text_of(pages.as_("practice_buyer").get(f"/shop/products/{market.table.id}").get_data(as_text=True))
    assert "250 units 12.5% $2,950.00 not yet" in table and "Clinical" in table


def test_add_to_cart_from_the_product_page_refuses_a_bad_quantity_at_the_field(pages, market, world):
    page = pages.as_("practice_buyer")
    page.get(f"/shop/products/{market.masks.id}")
    response = page.post(f"/shop/products/{market.masks.id}", {"product_id": market.masks.id, "quantity": "7",
                                                               "location_id": world.location.id})
    assert response.status_code == 422 and f'id="qty-{market.masks.id}-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Order)).all() == []
    response = page.post(f"/shop/products/{market.masks.id}", {"product_id": market.masks.id, "quantity": "10",
                                                               "location_id": world.location.id})
    assert response.status_code == 302 and _lines() == [(market.masks.id, 10)]


def test_mso_and_vendor_users_get_404_on_the_storefront(pages, market):
    for name in ("mso_admin", "vendor_admin"):
        page = pages.as_(name)
        for path in ("/shop", f"/shop/products/{market.gloves.id}"):
            assert page.get(path).status_code == 404, (name, path)


def test_an_inactive_product_is_not_found(pages, market):
    market.table.active = False
    db.session.commit()
    page = pages.as_("practice_buyer")
    assert page.get(f"/shop/products/{market.table.id}").status_code == 404
    assert "Exam table" not in text_of(page.get("/shop").get_data(as_text=True))


def test_without_an_open_cycle_the_shop_offers_no_add(pages, market):
    market.cycle.status = "closed"
    db.session.commit()
    text = text_of(pages.as_("practice_buyer").get("/shop").get_data(as_text=True))
    assert "No purchasing cycle is open" in text and "Add to cart" not in text


def _queries_for(page, path: str) -> int:
    count = 0

    def counting(conn, cursor, statement, parameters, context, executemany):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counting)
    try:
        response = page.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", counting)
    assert response.status_code == 200
    return count


def test_the_shop_issues_as_many_queries_for_50_products_as_for_5(pages, market, world):
    # 50 products in all, each on one of two contracts
    ContractFactory(vendor_id=world.other_vendor.id, products=[
        ProductFactory(vendor_id=world.other_vendor.id, name=f"Bolt item {i:02d}") for i in range(47)])
    assert market.order([(market.gloves, 10)]).status_code == 201
    page = pages.as_("practice_buyer")
    page.get("/shop")
    five = _queries_for(page, "/shop?page_size=5")
    fifty = _queries_for(page, "/shop?page_size=50")
    html = page.get("/shop?page_size=50").get_data(as_text=True)
    assert html.count(">Add to cart</button>") == 50
    assert five == fifty
