"""The pages that show tier progress send as many statements with 300 confirmed lines
on the contract as with 3 (they read the running volumes, not the lines): the
storefront's product page and shop, the console's tier dashboard and start page.
tests/web/test_page_query_counts.py grows other rows; here the contract's own lines."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from gpo.db import db, transactional, utcnow
from gpo.orders.models import Order, OrderLine
from gpo.orders.running_volumes import recount
from tests.factories import ContractFactory, CycleFactory, OrderFactory, ProductFactory
from tests.pages import Statements, same_count

TIERS = [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
         {"min_volume": 5000, "discount_percent": "8", "item_prices": {}}]


@pytest.fixture
def contract(world):
    """An open cycle and a contract of Acme on gloves and masks, 3 confirmed lines on it."""
    cycle = CycleFactory()
    gloves = ProductFactory(vendor_id=world.vendor.id, list_price=D("19.99"))
    masks = ProductFactory(vendor_id=world.vendor.id, list_price=D("4.05"))
    made = ContractFactory(vendor_id=world.vendor.id, tiers=TIERS, products=[gloves, masks])
    OrderFactory(location=world.location, items=[(gloves, 2), (masks, 10)])
    OrderFactory(location=world.location, items=[(gloves, 3)])
    return cycle.id, made.id, gloves, masks


def to_300_lines(world, contract) -> None:
    """297 more confirmed lines on the contract, written as a bench writes them, recounted."""
    cycle_id, contract_id, gloves, masks = contract
    location = world.location
    db.session.add_all(Order(practice_id=location.practice_id, location_id=location.id, cycle_id=cycle_id,
                             status="confirmed", placed_by="bench", submitted_at=utcnow(), lines=[
                                 OrderLine(product_id=p.id, contract_id=contract_id, quantity=q, list_price=p.list_price)
                                 for p, q in ([(gloves, 1), (masks, 10)] if i < 148 else [(gloves, 1)])])
                       for i in range(149))
    db.session.commit()
    transactional(recount)(cycle_id)


@pytest.mark.parametrize("who, path", [
    ("practice_buyer", "/shop/products/{gloves}"),
    ("practice_buyer", "/shop"),
    ("mso_procurement", "/console/tier-dashboard"),
    ("mso_procurement", "/console"),
])
def test_pages_with_tier_progress_cost_the_same_with_300_lines(pages, world, contract, who, path):
    same_count(Statements(pages.as_(who)), path.format(gloves=contract[2].id), lambda: to_300_lines(world, contract))
