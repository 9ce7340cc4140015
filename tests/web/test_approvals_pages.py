"""/approvals without a browser (CPOM): a physician of the practice approves the
version shown; an order changed meanwhile is not approved blind (412); other roles
see why they cannot approve and are refused (403); another practice sees nothing."""
from __future__ import annotations

import re

import pytest

from gpo.db import db
from gpo.etags import etag_for
from gpo.orders.models import Order
from tests.factories import UserFactory
from tests.pages import text_of
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def as_(pages, name):
    page = pages.as_(name)
    page.get("/approvals")
    return page


def waiting_order(market) -> int:
    response = market.order([(market.table, 1), (market.gloves, 10)])
    assert response.status_code == 201 and response.get_json()["status"] == "awaiting_approval"
    return response.get_json()["id"]


def etag_on(html: str) -> str:
    return re.search(r'name="etag" value="([^"]+)"', html).group(1)


def test_a_physician_sees_the_clinical_lines_and_approves_the_version_shown(pages, market):
    order_id = waiting_order(market)
    page = pages.as_("practice_physician")
    html = page.get("/approvals").get_data(as_text=True)
    text = text_of(html)
    assert f"Order {order_id}" in text and market.table.name in text and "practice_buyer@example.test" in text
    assert market.gloves.name not in text and "1 non-clinical line that needs no approval" in text
    response = page.post(f"/approvals/{order_id}", {"etag": etag_on(html)})
    assert response.status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == "confirmed" and order.approved_by_user_id == market.world.users["practice_physician"].id
    text = text_of(page.get("/approvals").get_data(as_text=True))
    assert f"Order {order_id} is approved" in text and "Nothing waits" in text


def test_an_order_changed_meanwhile_answers_412_and_shows_the_new_version(pages, market, client, world):
    order_id = waiting_order(market)
    page = pages.as_("practice_physician")
    old_etag = etag_on(page.get("/approvals").get_data(as_text=True))
    headers = world.headers["practice_buyer"]
    etag = client.get(f"/api/v1/orders/{order_id}", headers=headers).headers["ETag"]
    edited = client.patch(f"/api/v1/orders/{order_id}", headers={**headers, "If-Match": etag},
                          json={"lines": [{"product_id": market.table.id, "quantity": 3}]})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    response = page.post(f"/approvals/{order_id}", {"etag": old_etag})
    html = response.get_data(as_text=True)
    assert response.status_code == 412
    assert "changed after you opened this page, so it was not approved" in text_of(html)
    assert etag_on(html) != old_etag  # the version now, to review and approve
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == "awaiting_approval" and order.approved_at is None
    assert page.post(f"/approvals/{order_id}", {"etag": etag_on(html)}).status_code == 302


def test_without_the_etag_nothing_is_approved(pages, market):
    order_id = waiting_order(market)
    response = as_(pages, "practice_physician").post(f"/approvals/{order_id}", {})
    assert response.status_code == 428
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "awaiting_approval"


@pytest.mark.parametrize("role", ["practice_buyer", "practice_admin"])
def test_other_roles_see_the_lines_and_why_they_cannot_approve_and_posting_is_403(pages, market, role):
    order_id = waiting_order(market)
    page = pages.as_(role)
    html = page.get("/approvals").get_data(as_text=True)
    text = text_of(html)
    assert market.table.name in text and "only a physician of the practice can approve" in text
    assert "Approve order" not in html and 'name="etag"' not in html
    response = page.post(f"/approvals/{order_id}", {"etag": etag_for(db.session.get(Order, order_id))})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "awaiting_approval"


def test_a_physician_of_another_practice_sees_nothing_and_gets_404(pages, market, world):
    order_id = waiting_order(market)
    UserFactory(organization_id=world.other_practice.id, roles=["practice_physician"], email="doc@riverbend.test")
    db.session.commit()
    page = pages.sign_in("doc@riverbend.test")
    text = text_of(page.get("/approvals").get_data(as_text=True))
    assert f"Order {order_id}" not in text and "Nothing waits" in text
    assert page.post(f"/approvals/{order_id}", {"etag": etag_for(db.session.get(Order, order_id))}).status_code == 404
    assert page.get(f"/orders/{order_id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "awaiting_approval"
