"""After the close without a browser: the portal's acknowledgement with backorders and
substitutes (errors at the field, nothing written), the storefront's substitutions page
(approve and decline; a clinical one says it waits for a physician to the others), the
order page's backorders with "Cancel backorder" and its choices, the console's states;
each page 404 for another organization."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.db import db, utcnow
from gpo.orders.models import Order, PurchaseOrderLine, Substitution
from tests.factories import ProductFactory
from tests.pages import text_of
from tests.scenarios import Billing

LATER = utcnow().date() + dt.timedelta(days=7)


@pytest.fixture
def ac(after_close):
    after_close.vinyl = ProductFactory(vendor_id=after_close.world.vendor.id, sku="VNL", name="Vinyl gloves")
    db.session.commit()
    return after_close


def _form(ac, **lakeside):
    line, other = ac.line().id, ac.line(ac.other_location).id
    form = {f"accepted-{line}": "45", f"backordered-{line}": "10", f"ship_on-{line}": LATER.isoformat(),
            f"sub_product-{line}": str(ac.vinyl.id), f"sub_quantity-{line}": "5", f"sub_price-{line}": "15.0000",
            f"accepted-{other}": "50"}
    form.update({f"{k}-{line}": v for k, v in lakeside.items()})
    return form


def _offered(ac):
    page = ac.pages.as_("vendor_admin")
    response = page.post(f"/portal/purchase-orders/{ac.po.id}/acknowledge", _form(ac))
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:800]
    return page


@pytest.fixture
def with_pages(ac, pages):
    ac.pages = pages
    return ac


def test_the_vendor_backorders_and_offers_a_substitute_in_the_portal(with_pages):
    ac = with_pages
    page = ac.pages.as_("vendor_admin")
    html = page.get(f"/portal/purchase-orders/{ac.po.id}").get_data(as_text=True)
    assert "units backordered" in html and "substitute product" in html and "Vinyl gloves (VNL)" in html
    response = page.post(f"/portal/purchase-orders/{ac.po.id}/acknowledge", _form(ac))
    assert response.status_code == 302
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "2 lines acknowledged: 10 units backordered, 5 units offered as a substitute." in text
    assert (f"45 accepted, 10 backordered (expected {LATER.isoformat()}), 5 offered as a substitute "
            "(the practice decides): Vinyl gloves at 15.0000") in text
    console = ac.pages.as_("mso_procurement").get(f"/console/purchase-orders/{ac.po.id}")
    assert "10 backordered" in text_of(console.get_data(as_text=True))


@pytest.mark.parametrize("change, field, message", [
    ({"ship_on": ""}, "ship_on", "need an expected ship date"),
    ({"sub_price": "18.0000"}, "sub_price", "at most the line's unit price"),
    ({"accepted": "50"}, "accepted", "but 60 ordered"),
    ({"backordered": "-1"}, "backordered", "greater than or equal to 0"),
])
def test_a_bad_acknowledgement_shows_at_its_field_and_writes_nothing(with_pages, change, field, message):
    ac = with_pages
    response = ac.pages.as_("vendor_admin").post(f"/portal/purchase-orders/{ac.po.id}/acknowledge",
                                                 _form(ac, **change))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="f-{field}-{ac.line().id}-error"' in html and message in text_of(html)
    db.session.expire_all()
    assert all(line.accepted_quantity is None for line in db.session.scalars(select(PurchaseOrderLine)))
    assert db.session.scalars(select(Substitution)).all() == []


def test_the_practice_approves_a_substitute_on_its_page(with_pages):
    ac = with_pages
    _offered(ac)
    page = ac.pages.as_("practice_buyer")
    text = text_of(page.get("/substitutions").get_data(as_text=True))
    assert "Waiting for your decision" in text and "Vinyl gloves" in text and "$15.00" in text
    offer = db.session.scalars(select(Substitution)).one()
    response = page.post(f"/substitutions/{offer.id}/approve", {})
    assert response.status_code == 302
    text = text_of(page.get("/substitutions").get_data(as_text=True))
    assert "Substitute approved: 5 × Vinyl gloves ship instead of" in text and "No substitute is waiting" in text
    response = page.post(f"/substitutions/{offer.id}/decline", {})
    assert response.status_code == 409 and "already approved" in text_of(response.get_data(as_text=True))


def test_a_clinical_substitute_says_it_waits_for_a_physician(with_pages):
    ac = with_pages
    _offered(ac)
    offer = db.session.scalars(select(Substitution)).one()
    offer.clinical = True
    db.session.commit()
    text = text_of(ac.pages.as_("practice_buyer").get("/substitutions").get_data(as_text=True))
    assert "A physician of the practice approves or declines a substitute" in text and "Approve" not in text
    assert ac.pages.as_("practice_buyer").post(f"/substitutions/{offer.id}/approve", {}).status_code == 403
    physician = ac.pages.as_("practice_physician")
    assert "Approve" in physician.get("/substitutions").get_data(as_text=True)
    assert physician.post(f"/substitutions/{offer.id}/decline", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Substitution, offer.id).status == "declined"


def test_another_practice_sees_none_and_may_not_decide(with_pages):
    ac = with_pages
    _offered(ac)
    offer = db.session.scalars(select(Substitution)).one()
    page = ac.pages.as_("other_practice_admin")
    assert "No substitute is waiting" in text_of(page.get("/substitutions").get_data(as_text=True))
    assert page.post(f"/substitutions/{offer.id}/approve", {}).status_code == 404
    assert ac.pages.as_("vendor_admin").get("/substitutions").status_code in (403, 404)


def test_the_order_page_shows_the_backorder_and_cancels_it(with_pages):
    ac = with_pages
    _offered(ac)
    order = db.session.scalars(select(Order).where(Order.practice_id == ac.world.practice.id)).one()
    page = ac.pages.as_("practice_admin")
    text = text_of(page.get(f"/orders/{order.id}").get_data(as_text=True))
    assert "Backorders to" in text and "Cancel backorder" in text and "Substitutes offered" in text
    response = page.post(f"/orders/{order.id}/backorders/{ac.line().id}/cancel", {})
    assert response.status_code == 302
    assert "Backorder cancelled" in text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert ac.pages.as_("other_practice_admin").post(
        f"/orders/{order.id}/backorders/{ac.line().id}/cancel", {}).status_code == 404
    assert page.post(f"/orders/{order.id}/backorders/{ac.line().id}/cancel", {}).status_code == 409


@pytest.fixture
def billing(client, world, run_jobs):
    return Billing(client, world, run_jobs)


def test_the_cart_asks_both_choices_in_plain_words(pages, billing):
    assert billing.order([(billing.gloves, 10)], submit=False).status_code == 201
    page = pages.as_("practice_buyer")
    html = page.get("/cart").get_data(as_text=True)
    assert "Allow the vendor to substitute an equivalent product" in html
    assert "Allow the vendor to backorder units and ship them later" in html
    order = db.session.scalars(select(Order)).one()
    from gpo.etags import etag_for
    response = page.post(f"/cart/orders/{order.id}/submit", {"etag": etag_for(order), "choices": "1",
                                                              "backorders_allowed": "on"})
    assert response.status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.backorders_allowed, order.substitutions_allowed) == ("confirmed", True, False)


def test_the_shop_says_what_waits_for_the_practice_and_only_its_own(with_pages):
    ac = with_pages
    _offered(ac)
    text = text_of(ac.pages.as_("practice_buyer").get("/shop").get_data(as_text=True))
    assert "Waiting for you" in text and "1 substitute waiting for your decision" in text
    other = text_of(ac.pages.as_("other_practice_admin").get("/shop").get_data(as_text=True))
    assert "substitute waiting" not in other
