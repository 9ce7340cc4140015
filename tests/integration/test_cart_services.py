"""The cart (gpo/orders/cart.py): adding to a location's draft order in the open cycle."""
from __future__ import annotations

import pytest

from gpo.auth.services import principal_for_user
from gpo.db import transactional
from gpo.errors import Invalid
from gpo.orders import cart
from gpo.orders.models import Order
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def _add(world, lines, who="practice_buyer", location=None):
    principal = principal_for_user(world.users[who])
    return transactional(cart.add_to_cart)(principal, (location or world.location).id,
                                           [{"product_id": p.id, "quantity": q} for p, q in lines])


def test_adding_creates_the_cart_then_adds_quantities_to_it(market, world, db_ctx):
    first = _add(world, [(market.gloves, 2)])
    assert first.status == "draft" and [(li.product_id, li.quantity) for li in first.lines] == [(market.gloves.id, 2)]
    second = _add(world, [(market.gloves, 3), (market.masks, 10)])
    assert second.id == first.id
    assert sorted((li.product_id, li.quantity) for li in second.lines) == sorted(
        [(market.gloves.id, 5), (market.masks.id, 10)])
    other = _add(world, [(market.gloves, 1)], location=market.annex)
    assert other.id != first.id
    assert db_ctx.query(Order).count() == 2


def test_one_bad_line_adds_nothing(market, world, db_ctx):
    _add(world, [(market.gloves, 2)])
    with pytest.raises(Invalid) as refused:
        _add(world, [(market.gloves, 1), (market.masks, 7)])  # masks: multiples of 5, at least 10
    assert "1" in refused.value.errors["json"]["lines"]
    db_ctx.expire_all()
    order = db_ctx.query(Order).one()
    assert [(li.product_id, li.quantity) for li in order.lines] == [(market.gloves.id, 2)]


def test_another_practices_location_is_refused(market, world):
    with pytest.raises(Invalid):
        _add(world, [(market.gloves, 1)], location=market.other_location)


def test_adding_more_of_a_product_refreshes_its_line_and_checks_the_total(market, world, db_ctx):
    from gpo.orders.models import OrderLine
    from gpo.orders.rules import MAX_LINE_QUANTITY

    _add(world, [(market.gloves, 2)])
    market.gloves.clinical = True  # made clinical since: the merged line must say so
    db_ctx.commit()
    order = _add(world, [(market.gloves, 3)])
    line = db_ctx.query(OrderLine).filter_by(order_id=order.id).one()
    assert (line.quantity, line.clinical) == (5, True)
    with pytest.raises(Invalid) as refused:
        _add(world, [(market.gloves, MAX_LINE_QUANTITY)])  # 5 + 1,000,000: over the limit of one line
    assert "at most 1,000,000" in str(refused.value.errors)
    db_ctx.expire_all()
    assert db_ctx.query(OrderLine).filter_by(order_id=order.id).one().quantity == 5
