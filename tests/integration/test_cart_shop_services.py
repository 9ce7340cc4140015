"""The storefront's reads and quick order (gpo/orders/cart.py): prices now and at the
next tier for a page of products in a fixed number of queries, a product's page, the
cart at every location with totals and savings, and quick order (all or nothing)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import event, select

from gpo.auth.services import principal_for_user
from gpo.catalog.models import Product
from gpo.db import db, transactional
from gpo.orders import cart, storefront
from gpo.orders.models import Order
from tests.factories import ContractFactory, ProductFactory
from tests.scenarios import Market


@pytest.fixture
def market(client, world):
    return Market(client, world, None)


def _principal(world, who="practice_buyer"):
    return principal_for_user(world.users[who])


def test_prices_now_and_at_the_next_tier_follow_the_confirmed_volume(market, world):
    cycle = storefront.open_cycle()
    prices = storefront.prices_now([market.gloves, market.table], cycle)
    assert prices[market.gloves.id] == storefront.PriceNow(market.contract.id, "units", D("19.99"), D("17.991"),
                                                      D("10"), 100)
    assert market.order([(market.gloves, 250)]).status_code == 201
    prices = storefront.prices_now([market.gloves, market.table], cycle)
    assert prices[market.table.id].price_now == D("2950.0000")  # its fixed price at the top tier
    assert prices[market.table.id].next_price is None and prices[market.table.id].volume_to_next_tier is None
    loose = ProductFactory(vendor_id=world.vendor.id)
    assert storefront.prices_now([loose], cycle)[loose.id] == storefront.NO_PRICE
    assert storefront.prices_now([], cycle) == {}


def test_prices_now_take_the_same_queries_for_any_number_of_products(market, world):
    products = [ProductFactory(vendor_id=world.other_vendor.id) for _ in range(30)]
    ContractFactory(vendor_id=world.other_vendor.id, products=products)
    cycle = storefront.open_cycle()
    ids = [p.id for p in products] + [market.gloves.id]
    db.session.scalars(select(Product).where(Product.id.in_(ids))).all()  # loaded, as a page of browse() is
    counts = []
    for batch in (products[:2], products + [market.gloves]):
        count = [0]

        def counting(conn, cursor, statement, *args, count=count):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", counting)
        try:
            prices = storefront.prices_now(batch, cycle)
        finally:
            event.remove(db.engine, "before_cursor_execute", counting)
        assert all(prices[p.id].price_now is not None for p in batch)
        counts.append(count[0])
    # the contracts of the products; the contracts' tiers with their running volumes
    assert counts[0] == counts[1] == 2


def test_shop_lists_vendors_locations_and_prices(market, world):
    page = storefront.shop(_principal(world), {"sort": "name"}, 1, 10)
    assert page.total == 3 and {i.vendor_name for i in page.items} == {"Acme"}
    assert [loc.name for loc in page.locations] == [world.location.name, "Annex"]  # the first one first
    assert page.cycle.id == market.cycle.id


def test_product_page_has_the_tiers_at_this_products_price_and_the_progress(market, world):
    assert market.order([(market.masks, 40)]).status_code == 201
    view = storefront.product_page(_principal(world), market.table.id)
    assert [(t.min_volume, t.unit_price, t.reached) for t in view.tiers] == [
        (0, D("3400.0000"), True), (100, D("3060.0000"), False), (250, D("2950.0000"), False)]
    assert view.progress.volume == 40 and view.progress.volume_to_next_tier == 60


def test_view_cart_has_every_location_with_totals_and_savings(market, world):
    principal = _principal(world)
    transactional(cart.add_to_cart)(principal, market.annex.id, [{"product_id": market.gloves.id, "quantity": 3}])
    view = cart.view_cart(principal)
    by_name = {c.location.name: c for c in view.carts}
    assert by_name["Annex"].estimated_cents == 5997 and by_name["Annex"].savings_cents == 0
    assert by_name[world.location.name].order is None and by_name[world.location.name].lines == []
    assert view.estimated_cents == 5997 and by_name["Annex"].etag


def test_quick_order_adds_all_or_lists_every_problem(market, world):
    principal = _principal(world)
    with pytest.raises(cart.QuickOrderRefused) as refused:
        transactional(cart.quick_order)(principal, world.location.id, "GLV, 2\nNOPE, 1\nMSK, 12\nMSK, 5")
    assert [(p.number, p.sku, p.reason) for p in refused.value.problems] == [
        (2, "NOPE", "unknown SKU: no product in the active catalog has it"),
        (3, "MSK", "quantity must be a multiple of 5"),
        (4, "MSK", "the minimum order quantity is 10"),
    ]
    assert db.session.query(Order).count() == 0
    result = transactional(cart.quick_order)(principal, world.location.id, "glv, 2\nMSK, 10")
    assert sorted((li.product_id, li.quantity) for li in result.lines) == sorted(
        [(market.gloves.id, 2), (market.masks.id, 10)])
