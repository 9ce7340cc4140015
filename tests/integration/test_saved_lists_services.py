"""Saved lists (gpo/orders/saved_lists.py): a practice's order guides, their tenancy
and roles, and adding a whole list (or a past order) to the cart."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.db import db, transactional
from gpo.errors import Conflict, Forbidden, Invalid, NotFound
from gpo.orders import saved_lists
from gpo.orders.models import Order, SavedList, SavedListItem
from tests.factories import ProductFactory
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def who(world, name="practice_buyer"):
    return principal_for_user(world.users[name])


def run(fn, *args):
    return transactional(fn)(*args)


def test_a_list_is_created_filled_renamed_and_deleted(market, world):
    buyer = who(world)
    saved = run(saved_lists.create_saved_list, buyer, {"name": "  Exam room "})
    assert saved.name == "Exam room" and saved.practice_id == world.practice.id
    assert saved.created_by == "practice_buyer@example.test"
    run(saved_lists.add_saved_list_item, buyer, saved.id, {"sku": "GLV", "quantity": 2})
    run(saved_lists.add_saved_list_item, buyer, saved.id, {"product_id": market.gloves.id, "quantity": 3})
    run(saved_lists.add_saved_list_item, buyer, saved.id, {"product_id": market.masks.id, "quantity": 10})
    got = saved_lists.get_saved_list(buyer, saved.id)
    assert [(i.product_id, i.quantity) for i in got.items] == [(market.gloves.id, 5), (market.masks.id, 10)]
    run(saved_lists.remove_saved_list_item, buyer, saved.id, market.gloves.id)
    assert run(saved_lists.rename_saved_list, buyer, saved.id, {"name": "Exam room 2"}).name == "Exam room 2"
    page = saved_lists.list_saved_lists(buyer, 1, 25)
    assert page.total == 1 and [i.product_id for i in page.items[0].items] == [market.masks.id]
    run(saved_lists.delete_saved_list, buyer, saved.id)
    assert db.session.scalar(select(func.count()).select_from(SavedList)) == 0
    assert db.session.scalar(select(func.count()).select_from(SavedListItem)) == 0


def test_a_name_is_unique_per_practice(market, world):
    run(saved_lists.create_saved_list, who(world), {"name": "Weekly"})
    with pytest.raises(Conflict):
        run(saved_lists.create_saved_list, who(world, "practice_admin"), {"name": "Weekly"})
    other = run(saved_lists.create_saved_list, who(world, "other_practice_admin"), {"name": "Weekly"})
    assert other.practice_id == world.other_practice.id
    second = run(saved_lists.create_saved_list, who(world), {"name": "Monthly"})
    with pytest.raises(Conflict):
        run(saved_lists.rename_saved_list, who(world), second.id, {"name": "Weekly"})
    db.session.expire_all()
    assert db.session.get(SavedList, second.id).name == "Monthly"


def test_quantities_honour_the_products_minimum_and_multiple_and_bad_products_are_refused(market, world):
    saved = run(saved_lists.create_saved_list, who(world), {"name": "Masks"})
    with pytest.raises(Invalid) as refused:
        run(saved_lists.add_saved_list_item, who(world), saved.id, {"product_id": market.masks.id, "quantity": 7})
    assert "quantity" in refused.value.errors["json"]
    with pytest.raises(Invalid, match="no product in the active catalog has SKU NOPE"):
        run(saved_lists.add_saved_list_item, who(world), saved.id, {"sku": "NOPE", "quantity": 1})
    ProductFactory(vendor_id=world.other_vendor.id, sku="GLV")
    db.session.commit()
    with pytest.raises(Invalid, match="several vendors sell SKU GLV"):
        run(saved_lists.add_saved_list_item, who(world), saved.id, {"sku": "GLV", "quantity": 1})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SavedListItem)) == 0


def test_another_practices_list_is_404_and_a_physician_may_see_but_not_change(market, world):
    saved = run(saved_lists.create_saved_list, who(world), {"name": "Ours"})
    other = who(world, "other_practice_admin")
    with pytest.raises(NotFound):
        saved_lists.get_saved_list(other, saved.id)
    with pytest.raises(NotFound):
        run(saved_lists.add_saved_list_item, other, saved.id, {"product_id": market.gloves.id, "quantity": 1})
    assert saved_lists.list_saved_lists(other, 1, 25).total == 0
    physician = who(world, "practice_physician")
    assert saved_lists.get_saved_list(physician, saved.id).name == "Ours"
    with pytest.raises(Forbidden):
        run(saved_lists.add_saved_list_item, physician, saved.id, {"product_id": market.gloves.id, "quantity": 1})
    with pytest.raises(Forbidden):
        run(saved_lists.create_saved_list, physician, {"name": "Mine"})


def test_add_all_to_cart_adds_every_line_or_none(market, world):
    buyer = who(world)
    saved = run(saved_lists.create_saved_list, buyer, {"name": "Weekly"})
    run(saved_lists.add_saved_list_item, buyer, saved.id, {"product_id": market.gloves.id, "quantity": 4})
    run(saved_lists.add_saved_list_item, buyer, saved.id, {"product_id": market.masks.id, "quantity": 10})
    cart = run(saved_lists.add_saved_list_to_cart, who(world, "practice_physician"), saved.id, market.annex.id)
    assert cart.status == "draft" and cart.location_id == market.annex.id
    assert sorted((li.product_id, li.quantity) for li in cart.lines) == sorted(
        [(market.gloves.id, 4), (market.masks.id, 10)])
    market.masks.active = False
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        run(saved_lists.add_saved_list_to_cart, buyer, saved.id, world.location.id)
    assert set(refused.value.errors["json"]["lines"]) == {"1"}  # the list's second line
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(
        Order.location_id == world.location.id)) == 0


def test_an_empty_list_and_another_practices_location_are_refused(market, world):
    saved = run(saved_lists.create_saved_list, who(world), {"name": "Empty"})
    with pytest.raises(Invalid, match="is empty"):
        run(saved_lists.add_saved_list_to_cart, who(world), saved.id, world.location.id)
    run(saved_lists.add_saved_list_item, who(world), saved.id, {"product_id": market.gloves.id, "quantity": 1})
    with pytest.raises(Invalid, match="not a ship-to location"):
        run(saved_lists.add_saved_list_to_cart, who(world), saved.id, market.other_location.id)


def test_reorder_puts_a_past_orders_lines_in_the_cart_of_its_location(market, world):
    response = market.order([(market.gloves, 6), (market.masks, 15)], location=market.annex)
    order_id = response.get_json()["id"]
    cart = run(saved_lists.reorder_to_cart, who(world), order_id)
    assert cart.id != order_id and cart.location_id == market.annex.id
    assert sorted((li.product_id, li.quantity) for li in cart.lines) == sorted(
        [(market.gloves.id, 6), (market.masks.id, 15)])
    with pytest.raises(NotFound):
        run(saved_lists.reorder_to_cart, who(world, "other_practice_admin"), order_id)
