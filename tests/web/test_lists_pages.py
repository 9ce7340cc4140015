"""/lists without a browser: create a list, add products by SKU or product id, add
all to the cart (a refused line is named and nothing is added); another practice's
list is 404; a physician sees lists and adds them to the cart but may not change
them (403); a refused form changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import Order, SavedList, SavedListItem
from tests.pages import text_of
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def as_(pages, name):
    page = pages.as_(name)
    page.get("/lists")
    return page


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_a_list_and_add_products_by_sku_and_by_product_id(pages, market):
    page = as_(pages, "practice_buyer")
    response = page.post("/lists", {"name": "Exam room"})
    assert response.status_code == 302
    saved = db.session.scalars(select(SavedList)).one()
    assert response.headers["Location"] == f"/lists/{saved.id}"
    assert page.post(f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "4"}).status_code == 302
    html = page.get(f"/lists/{saved.id}?product_id={market.masks.id}").get_data(as_text=True)
    assert f'name="product_id" value="{market.masks.id}"' in html
    assert page.post(f"/lists/{saved.id}/items", {"product_id": str(market.masks.id), "quantity": "10"}).status_code == 302
    text = text_of(page.get(f"/lists/{saved.id}").get_data(as_text=True))
    assert market.gloves.name in text and market.masks.name in text and "Add all to cart" in text
    text = text_of(page.get("/lists").get_data(as_text=True))
    assert "Exam room" in text and "practice_buyer@example.test" in text


def test_a_refused_form_says_why_at_the_field_and_changes_nothing(pages, market):
    page = as_(pages, "practice_buyer")
    response = page.post("/lists", {"name": ""})
    assert response.status_code == 422 and 'id="f-name-error"' in response.get_data(as_text=True)
    page.post("/lists", {"name": "Weekly"})
    response = page.post("/lists", {"name": "Weekly"})
    assert response.status_code == 409 and "already has a list named" in text_of(response.get_data(as_text=True))
    assert count(SavedList) == 1
    saved = db.session.scalars(select(SavedList)).one()
    response = page.post(f"/lists/{saved.id}/items", {"sku": "MSK", "quantity": "7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="f-quantity-error"' in html and "minimum order quantity is 10" in html
    assert 'value="MSK"' in html  # what was typed stays in the form
    response = page.post(f"/lists/{saved.id}/items", {"sku": "NOPE", "quantity": "1"})
    assert response.status_code == 422 and 'id="f-sku-error"' in response.get_data(as_text=True)
    assert count(SavedListItem) == 0


def test_add_all_to_cart_and_a_refused_line_is_shown_and_nothing_added(pages, market, world):
    page = as_(pages, "practice_buyer")
    page.post("/lists", {"name": "Weekly"})
    saved = db.session.scalars(select(SavedList)).one()
    page.post(f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "2"})
    page.post(f"/lists/{saved.id}/items", {"sku": "MSK", "quantity": "10"})
    response = page.post(f"/lists/{saved.id}/cart", {"location_id": str(market.annex.id)})
    assert response.status_code == 302
    cart = db.session.scalars(select(Order).where(Order.status == "draft")).one()
    assert cart.location_id == market.annex.id and len(cart.lines) == 2
    market.masks.active = False
    db.session.commit()
    response = page.post(f"/lists/{saved.id}/cart", {"location_id": str(world.location.id)})
    text = text_of(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f"Refused: product {market.masks.id} is not in the active catalog" in text
    assert count(Order) == 1


def test_another_practices_list_is_404(pages, market):
    page = as_(pages, "practice_buyer")
    page.post("/lists", {"name": "Ours"})
    saved = db.session.scalars(select(SavedList)).one()
    other = as_(pages, "other_practice_admin")
    assert other.get(f"/lists/{saved.id}").status_code == 404
    assert "Ours" not in text_of(other.get("/lists").get_data(as_text=True))
    for path, data in ((f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "1"}),
                       (f"/lists/{saved.id}/rename", {"name": "Theirs"}), (f"/lists/{saved.id}/delete", {}),
                       (f"/lists/{saved.id}/cart", {"location_id": str(market.other_location.id)})):
        assert other.post(path, data).status_code == 404, path
    db.session.expire_all()
    assert db.session.get(SavedList, saved.id).name == "Ours" and count(SavedListItem) == 0 and count(Order) == 0


def test_a_physician_sees_lists_and_adds_them_to_the_cart_but_may_not_change_them(pages, market, world):
    buyer = as_(pages, "practice_buyer")
    buyer.post("/lists", {"name": "Weekly"})
    saved = db.session.scalars(select(SavedList)).one()
    buyer.post(f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "2"})
    physician = as_(pages, "practice_physician")
    html = physician.get("/lists").get_data(as_text=True)
    assert "Create list" not in html and "admins and buyers keep the saved lists" in text_of(html)
    html = physician.get(f"/lists/{saved.id}").get_data(as_text=True)
    assert "Add all to cart" in html and "Add to list" not in html and "Delete list" not in html
    assert physician.post("/lists", {"name": "Mine"}).status_code == 403
    assert physician.post(f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "2"}).status_code == 403
    assert physician.post(f"/lists/{saved.id}/delete").status_code == 403
    assert count(SavedList) == 1 and db.session.scalars(select(SavedListItem)).one().quantity == 2
    assert physician.post(f"/lists/{saved.id}/cart", {"location_id": str(world.location.id)}).status_code == 302


def test_rename_remove_and_delete(pages, market):
    page = as_(pages, "practice_admin")
    page.post("/lists", {"name": "Weekly"})
    saved = db.session.scalars(select(SavedList)).one()
    page.post(f"/lists/{saved.id}/items", {"sku": "GLV", "quantity": "2"})
    assert page.post(f"/lists/{saved.id}/rename", {"name": "Daily"}).status_code == 302
    assert page.post(f"/lists/{saved.id}/items/{market.gloves.id}/remove").status_code == 302
    assert count(SavedListItem) == 0 and db.session.get(SavedList, saved.id).name == "Daily"
    assert page.post(f"/lists/{saved.id}/delete").status_code == 302
    assert count(SavedList) == 0
