"""The cart without a browser: each location's draft with estimated totals and
savings, editing quantities and removing lines with the ETag read (a concurrent edit
is refused, not overwritten), submitting, quick order (every problem listed, nothing
added), tenancy and faces; a refused form changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import Order, OrderLine
from tests.pages import text_of
from tests.scenarios import Market


@pytest.fixture
def market(client, world):
    m = Market(client, world, None)
    m.gloves.name, m.masks.name, m.table.name = "Nitrile gloves", "Surgical masks", "Exam table"
    db.session.commit()
    return m


def _draft(market, lines, who="practice_buyer", location=None, practice_id=None):
    response = market.order(lines, who=who, location=location, submit=False, practice_id=practice_id)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def _lines(order_id):
    return sorted(db.session.execute(select(OrderLine.product_id, OrderLine.quantity)
                                     .where(OrderLine.order_id == order_id)).all())


def _etag(html: str) -> str:
    return re.search(r'name="etag" value="([^"]+)"', html).group(1)


def test_the_cart_shows_each_locations_draft_with_totals_savings_and_the_close(pages, market, world):
    assert market.order([(market.gloves, 100)]).status_code == 201  # confirmed: gloves reach 10% off
    _draft(market, [(market.gloves, 10), (market.masks, 20)])
    _draft(market, [(market.table, 1)], location=market.annex)
    text = text_of(pages.as_("practice_buyer").get("/cart").get_data(as_text=True))
    assert f"Ship to {world.location.name}" in text
    assert "Ship to Annex" in text and "Exam table Clinical" in text
    # the contract's 100 confirmed units reach 10% off for all its items: gloves 10 x $17.991 =
    # $179.91 (list $199.90), masks 20 x $3.645 = $72.90 (list $81.00), table $3,060.00 (list $3,400.00)
    assert f"Total for {world.location.name} $252.81 $28.09" in text
    assert "Total for Annex $3,060.00 $340.00" in text
    assert "Estimated total $3,312.81" in text and "Estimated savings $368.09" in text
    assert "closes on" in text and "waits for a physician" in text
    assert text.count("Submit order") == 2


def test_edit_quantities_and_remove_a_line_with_the_etag(pages, market):
    order_id = _draft(market, [(market.gloves, 10), (market.masks, 20)])
    page = pages.as_("practice_buyer")
    html = page.get("/cart").get_data(as_text=True)
    response = page.post(f"/cart/orders/{order_id}", {
        "etag": _etag(html), f"quantity-{market.gloves.id}": "12", f"quantity-{market.masks.id}": "25"})
    assert response.status_code == 302
    assert _lines(order_id) == sorted([(market.gloves.id, 12), (market.masks.id, 25)])
    html = page.get("/cart").get_data(as_text=True)
    response = page.post(f"/cart/orders/{order_id}", {
        "etag": _etag(html), f"quantity-{market.gloves.id}": "12", f"quantity-{market.masks.id}": "25",
        "remove": str(market.masks.id)})
    assert response.status_code == 302 and _lines(order_id) == [(market.gloves.id, 12)]
    assert "Line removed" in text_of(page.get("/cart").get_data(as_text=True))


def test_a_bad_quantity_is_refused_at_its_field_and_nothing_changes(pages, market):
    order_id = _draft(market, [(market.gloves, 10), (market.masks, 20)])
    page = pages.as_("practice_buyer")
    html = page.get("/cart").get_data(as_text=True)
    response = page.post(f"/cart/orders/{order_id}", {
        "etag": _etag(html), f"quantity-{market.gloves.id}": "3", f"quantity-{market.masks.id}": "22"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="c{order_id}-{market.masks.id}-error"' in html and "multiple of 5" in html
    assert f'id="c{order_id}-{market.gloves.id}-error"' not in html
    assert _lines(order_id) == sorted([(market.gloves.id, 10), (market.masks.id, 20)])


def test_a_concurrent_edit_is_not_overwritten_blind(pages, market):
    order_id = _draft(market, [(market.gloves, 10)])
    page = pages.as_("practice_buyer")
    stale = _etag(page.get("/cart").get_data(as_text=True))
    other = pages.as_("practice_admin")
    response = other.post(f"/cart/orders/{order_id}", {
        "etag": _etag(other.get("/cart").get_data(as_text=True)), f"quantity-{market.gloves.id}": "30"})
    assert response.status_code == 302
    response = page.post(f"/cart/orders/{order_id}", {"etag": stale, f"quantity-{market.gloves.id}": "5"})
    assert response.status_code == 412
    assert "changed since you opened it" in text_of(response.get_data(as_text=True))
    assert _lines(order_id) == [(market.gloves.id, 30)]


def test_submit_sends_a_clinical_order_to_a_physician(pages, market):
    order_id = _draft(market, [(market.gloves, 10), (market.table, 1)])
    page = pages.as_("practice_buyer")
    etag = _etag(page.get("/cart").get_data(as_text=True))
    response = page.post(f"/cart/orders/{order_id}/submit", {"etag": etag})
    assert response.status_code == 302
    assert db.session.get(Order, order_id).status == "awaiting_approval"
    text = text_of(page.get("/cart").get_data(as_text=True))
    assert "awaiting a physician's approval" in text and "Nothing in the cart" in text
    assert page.post(f"/cart/orders/{order_id}/submit", {"etag": etag}).status_code in (409, 412)


def test_a_cart_changed_since_it_was_shown_is_not_submitted_nor_overwritten_blind(pages, market, world):
    """Another user adds to the cart after the page was read: the page's ETag is stale."""
    order_id = _draft(market, [(market.gloves, 10)])
    page = pages.as_("practice_buyer")
    etag = _etag(page.get("/cart").get_data(as_text=True))
    admin = pages.as_("practice_admin")
    shop = admin.post("/shop", {"product_id": market.masks.id, "quantity": "10", "location_id": world.location.id})
    assert shop.status_code in (200, 302)
    assert sorted(p for p, _ in _lines(order_id)) == sorted([market.gloves.id, market.masks.id])
    stale = page.post(f"/cart/orders/{order_id}", {"etag": etag, f"quantity-{market.gloves.id}": "20"})
    assert stale.status_code == 412 and "changed since you opened it" in text_of(stale.get_data(as_text=True))
    assert page.post(f"/cart/orders/{order_id}/submit", {"etag": etag}).status_code == 412
    db.session.expire_all()
    assert sorted(_lines(order_id)) == sorted([(market.gloves.id, 10), (market.masks.id, 10)])
    assert db.session.get(Order, order_id).status == "draft"


def test_another_practices_cart_is_not_visible_nor_editable(pages, market, world):
    theirs = _draft(market, [(market.gloves, 10)], who="other_practice_admin", location=market.other_location)
    page = pages.as_("practice_buyer")
    assert "Nitrile gloves" not in text_of(page.get("/cart").get_data(as_text=True))
    assert page.post(f"/cart/orders/{theirs}", {"etag": "x", f"quantity-{market.gloves.id}": "50"}).status_code == 404
    assert page.post(f"/cart/orders/{theirs}/submit").status_code == 404
    assert _lines(theirs) == [(market.gloves.id, 10)]
    assert db.session.get(Order, theirs).status == "draft"


def test_mso_and_vendor_users_get_404_on_the_cart(pages, market):
    for name in ("mso_admin", "vendor_admin"):
        assert pages.as_(name).get("/cart").status_code == 404


def test_quick_order_adds_every_line(pages, market):
    page = pages.as_("practice_buyer")
    page.get("/cart")
    response = page.post("/cart/quick-order", {"location_id": market.annex.id,
                                               "text": "GLV, 20\n\nmsk;15\nTBL\t1\n"})
    assert response.status_code == 302
    order = db.session.scalars(select(Order)).one()
    assert order.location_id == market.annex.id
    assert _lines(order.id) == sorted([(market.gloves.id, 20), (market.masks.id, 15), (market.table.id, 1)])


def test_quick_order_lists_every_problem_and_adds_nothing(pages, market, world):
    page = pages.as_("practice_buyer")
    page.get("/cart")
    response = page.post("/cart/quick-order", {"location_id": world.location.id,
                                               "text": "GLV, 20\nNOPE-1, 5\nMSK, 12\nTBL, two"})
    text = text_of(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "fix the 3 problems" in text
    assert "2 NOPE-1 unknown SKU" in text and "3 MSK quantity must be a multiple of 5" in text
    assert "4 TBL quantity 'two' is not a whole number" in text
    assert "GLV, 20" in response.get_data(as_text=True)  # the pasted text is kept to fix
    assert db.session.scalars(select(Order)).all() == []


def test_quick_order_to_another_practices_location_is_refused(pages, market):
    page = pages.as_("practice_buyer")
    page.get("/cart")
    response = page.post("/cart/quick-order", {"location_id": market.other_location.id, "text": "GLV, 20"})
    assert response.status_code == 422 and db.session.scalars(select(Order)).all() == []


def test_removing_the_last_line_empties_the_cart_and_it_fills_again(pages, market, world):
    order_id = _draft(market, [(market.gloves, 10)])
    page = pages.as_("practice_buyer")
    html = page.get("/cart").get_data(as_text=True)
    response = page.post(f"/cart/orders/{order_id}", {"etag": _etag(html), f"quantity-{market.gloves.id}": "10",
                                                     "remove": str(market.gloves.id)})
    assert response.status_code == 302 and _lines(order_id) == []
    assert f"Nothing in the cart for {world.location.name} yet" in text_of(page.get("/cart").get_data(as_text=True))
    page.post("/shop", {"product_id": market.masks.id, "quantity": "10", "location_id": world.location.id})
    assert _lines(order_id) == [(market.masks.id, 10)]  # the same draft, filled again


def test_an_older_draft_at_the_same_location_is_named_and_can_be_submitted_from_its_page(pages, market):
    older = _draft(market, [(market.gloves, 10)])
    newer = _draft(market, [(market.masks, 10)])
    page = pages.as_("practice_buyer")
    text = text_of(page.get("/cart").get_data(as_text=True))
    assert f"Order {newer} for" in text and f"not in this cart: order {older}" in text
    html = page.get(f"/orders/{older}").get_data(as_text=True)
    assert "Submit order" in html
    response = page.post(f"/cart/orders/{older}/submit", {"etag": _etag(html)})
    assert response.status_code == 302
    assert db.session.get(Order, older).status == "confirmed"


def test_a_refused_submit_of_an_older_draft_says_why_on_the_cart_page(pages, market):
    older = _draft(market, [(market.gloves, 10)])
    _draft(market, [(market.masks, 10)])
    page = pages.as_("practice_buyer")
    page.get(f"/orders/{older}")
    response = page.post(f"/cart/orders/{older}/submit", {"etag": "stale"})
    assert response.status_code == 412
    assert f"Order {older}:" in text_of(response.get_data(as_text=True))
    assert "changed since you opened it" in text_of(response.get_data(as_text=True))
    assert db.session.get(Order, older).status == "draft"


def test_a_quick_order_to_a_location_id_beyond_any_id_is_refused_at_the_field(pages, market):
    page = pages.as_("practice_buyer")
    page.get("/cart")
    for bad in ("9" * 30, "\u0663", "0"):  # larger than a BIGINT, a non-ASCII digit, no id
        response = page.post("/cart/quick-order", {"text": "GLV, 10", "location_id": bad})
        assert response.status_code == 422, bad
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
