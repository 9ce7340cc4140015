"""The storefront's order pages without a browser: the practice's orders, one order
with its prices, savings and shipments, cancel, copy to the next cycle, reorder."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import Order, PurchaseOrder
from tests.pages import text_of
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def as_(pages, name):
    """Signed in, with a page of ours read (its CSRF token is what forms send)."""
    page = pages.as_(name)
    page.get("/orders")
    return page


def placed(market, lines, **kwargs) -> int:
    response = market.order(lines, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_orders_lists_every_order_of_the_practice_with_its_status_in_words(pages, market, world):
    waiting = placed(market, [(market.table, 1)])
    confirmed = placed(market, [(market.gloves, 10)])
    theirs = placed(market, [(market.gloves, 5)], who="other_practice_admin", location=market.other_location)
    page = as_(pages, "practice_buyer")
    response = page.get("/orders")
    text = text_of(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f"Order {waiting}" in text and f"Order {confirmed}" in text and f"Order {theirs}" not in text
    assert "awaiting a physician's approval" in text and "confirmed" in text
    filtered = text_of(page.get("/orders?status=awaiting_approval").get_data(as_text=True))
    assert f"Order {waiting}" in filtered and f"Order {confirmed}" not in filtered
    assert f"Order {confirmed}" in text_of(page.get(f"/orders?cycle_id={market.cycle.id}").get_data(as_text=True))
    assert page.get("/orders?status=nonsense").status_code == 422


def test_orders_page(pages, market):
    for i in range(3):
        placed(market, [(market.gloves, 10 + i)])
    text = text_of(as_(pages, "practice_buyer").get("/orders?page_size=2&page=2").get_data(as_text=True))
    assert "Page 2 of 2 (3 in all)" in text


def test_an_open_order_shows_estimated_prices_and_another_practices_order_is_404(pages, market):
    order_id = placed(market, [(market.gloves, 10)])
    page = as_(pages, "practice_buyer")
    text = text_of(page.get(f"/orders/{order_id}").get_data(as_text=True))
    assert "Estimated price now" in text and "$19.99" in text and "Cancel order" in text and "Reorder" in text
    assert as_(pages, "other_practice_admin").get(f"/orders/{order_id}").status_code == 404
    assert as_(pages, "other_practice_admin").post(f"/orders/{order_id}/cancel").status_code == 404
    assert db.session.get(Order, order_id).status == "confirmed"


def test_after_the_close_an_order_shows_final_prices_savings_and_shipments(pages, market, world, client):
    order_id = placed(market, [(market.gloves, 100), (market.masks, 10)])
    market.close()
    po = db.session.scalars(select(PurchaseOrder)).one()
    key = world.headers["vendor_key"]
    ack = client.post(f"/api/v1/purchase-orders/{po.id}/acknowledge", headers=key,
                      json={"lines": [{"line_id": line.id, "accepted_quantity": line.quantity} for line in po.lines]})
    assert ack.status_code == 200, ack.get_data(as_text=True)
    gloves_line = next(line for line in po.lines if line.product_id == market.gloves.id)
    shipped = client.post(f"/api/v1/purchase-orders/{po.id}/shipments", headers=key, json={
        "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
        "lines": [{"line_id": gloves_line.id, "location_id": world.location.id, "quantity": 100}]})
    assert shipped.status_code == 201, shipped.get_data(as_text=True)
    text = text_of(as_(pages, "practice_buyer").get(f"/orders/{order_id}").get_data(as_text=True))
    # 110 units reach the 10% tier: gloves 17.9910 x 100 = $1,799.10, masks 3.6450 x 10 = $36.45
    assert "priced at the close" in text
    assert "$17.991" in text and "$1,799.10" in text and "$36.45" in text
    assert "$1,835.55" in text and "$203.95 saved" in text
    assert "UPS" in text and "1Z999AA10123456784" in text and "100 × " in text
    assert "Cancel order" not in text


def test_a_missed_order_says_why_and_copies_to_the_next_cycle(pages, market, world):
    order_id = placed(market, [(market.gloves, 10)], submit=False)  # a draft misses the close
    market.close()
    from tests.factories import CycleFactory
    CycleFactory()
    db.session.commit()
    page = as_(pages, "practice_buyer")
    text = text_of(page.get(f"/orders/{order_id}").get_data(as_text=True))
    assert "This order missed its cycle" in text and "never submitted before the cycle closed" in text
    assert "Copy to next cycle" in text
    response = page.post(f"/orders/{order_id}/copy")
    assert response.status_code == 302
    copy = db.session.scalars(select(Order).where(Order.copied_from_order_id == order_id)).one()
    assert response.headers["Location"] == f"/orders/{copy.id}" and copy.status == "draft"
    assert "is copied into the open cycle" in text_of(page.get(response.headers["Location"]).get_data(as_text=True))


def test_copy_without_an_open_cycle_is_refused_on_the_page_and_changes_nothing(pages, market):
    order_id = placed(market, [(market.gloves, 10)], submit=False)
    market.close()
    before = db.session.scalar(select(func.count()).select_from(Order))
    response = as_(pages, "practice_buyer").post(f"/orders/{order_id}/copy")
    assert response.status_code == 409
    assert "no purchasing cycle is open" in text_of(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == before


def test_cancel_while_open(pages, market):
    order_id = placed(market, [(market.gloves, 10)])
    page = as_(pages, "practice_buyer")
    page.get(f"/orders/{order_id}")
    response = page.post(f"/orders/{order_id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "cancelled"
    text = text_of(page.get(f"/orders/{order_id}").get_data(as_text=True))
    assert "cancelled" in text and "Cancel order" not in text
    assert page.post(f"/orders/{order_id}/cancel").status_code == 409


def test_reorder_adds_the_lines_to_the_cart(pages, market, world):
    order_id = placed(market, [(market.gloves, 10), (market.masks, 15)])
    page = as_(pages, "practice_buyer")
    response = page.post(f"/orders/{order_id}/reorder")
    assert response.status_code == 302
    cart = db.session.scalars(select(Order).where(Order.status == "draft")).one()
    assert sorted((line.product_id, line.quantity) for line in cart.lines) == sorted(
        [(market.gloves.id, 10), (market.masks.id, 15)])
    assert "are in your cart" in text_of(page.get(response.headers["Location"]).get_data(as_text=True))


def test_reorder_of_a_product_gone_from_the_catalog_is_refused_and_adds_nothing(pages, market):
    order_id = placed(market, [(market.gloves, 10), (market.masks, 15)])
    market.masks.active = False
    db.session.commit()
    response = as_(pages, "practice_buyer").post(f"/orders/{order_id}/reorder")
    assert response.status_code == 422
    assert "not in the active catalog" in text_of(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "draft")) == 0


def test_every_order_status_has_its_words():
    from gpo.orders.models import ORDER_STATUSES
    from gpo.orders.pages import ORDER_WORDS

    assert set(ORDER_WORDS) == set(ORDER_STATUSES)
