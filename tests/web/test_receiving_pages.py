"""The storefront's Receiving pages without a browser: the shipments waiting to be
received, a shipment's form per line (good and damaged units, the rest missing),
refusals at the line's field with nothing written, what was recorded and the claims
afterwards; another practice's shipment is 404, and other faces have no such page."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import PurchaseOrderLine
from gpo.receiving.models import Claim, ReceiptLine
from tests.pages import text_of


@pytest.fixture
def shipped(after_close):
    after_close.accept_all()
    after_close.shipment = after_close.ship(after_close.line(), 60, tracking="1Z999AA10123456784")
    return after_close


def _html(response) -> str:
    return response.get_data(as_text=True)


def _written() -> tuple[int, int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(ReceiptLine)), db.session.scalar(select(func.count(Claim.id))),
            sum(db.session.scalars(select(PurchaseOrderLine.received_quantity))))


def test_the_practice_sees_what_waits_to_be_received_in_its_navigation(pages, shipped):
    page = pages.as_("practice_buyer")
    response = page.get("/receiving")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200 and 'href="/receiving"' in html
    assert f"Receive shipment {shipped.shipment['id']}" in text and "60 × " in text and "1Z999AA10123456784" in text
    assert "No shipment received yet." in text
    assert "No shipment is waiting to be received." in text_of(_html(pages.as_("other_practice_admin").get("/receiving")))


def test_receiving_two_damaged_records_58_good_and_shows_the_claim(pages, shipped):
    page = pages.as_("practice_buyer")
    sid, line = shipped.shipment["id"], shipped.line()
    form = text_of(_html(page.get(f"/receiving/shipments/{sid}")))
    assert "Record what arrived" in form and "60 shipped" in form and "Units neither good nor damaged are missing" in form
    response = page.post(f"/receiving/shipments/{sid}", {f"good-{line.id}": "58", f"damaged-{line.id}": "2"})
    assert response.status_code == 302, text_of(_html(response))[:600]
    text = text_of(_html(page.get(response.headers["Location"])))
    assert "Received 1 line: 58 good, 2 damaged." in text and "Record what arrived" not in text
    claim = db.session.scalars(select(Claim)).one()
    assert f"Claim {claim.id} for 2 units: open: waiting for the vendor" in text
    assert _written() == (1, 1, 58)
    listed = text_of(_html(page.get("/receiving")))
    assert "No shipment is waiting to be received." in listed and "58 good, 2 damaged" in listed


@pytest.mark.parametrize("good, damaged, field, message", [
    ("59", "2", "good", "59 good and 2 damaged are more than the 60 shipped"),
    ("-1", "", "good", "Must be greater than or equal to 0"),
    ("10", "-3", "damaged", "Must be greater than or equal to 0"),
    ("lots", "0", "good", "Not a valid integer."),
])
def test_a_bad_receipt_is_refused_at_the_lines_field_and_nothing_is_written(pages, shipped, good, damaged, field, message):
    page = pages.as_("practice_buyer")
    line = shipped.line()
    response = page.post(f"/receiving/shipments/{shipped.shipment['id']}", {f"good-{line.id}": good,
                                                                           f"damaged-{line.id}": damaged})
    html = _html(response)
    assert response.status_code == 422
    assert f'id="f-{field}-{line.id}-error"' in html and message in text_of(html)
    assert f'value="{good}"' in html
    assert _written() == (0, 0, 0)


def test_an_empty_form_says_so_on_top(pages, shipped):
    response = pages.as_("practice_buyer").post(f"/receiving/shipments/{shipped.shipment['id']}", {})
    assert response.status_code == 422 and "Enter the good and damaged units of at least one line." in text_of(_html(response))


def test_a_line_received_twice_is_refused_on_the_page(pages, shipped):
    page = pages.as_("practice_buyer")
    line, sid = shipped.line(), shipped.shipment["id"]
    assert page.post(f"/receiving/shipments/{sid}", {f"good-{line.id}": "60"}).status_code == 302
    response = page.post(f"/receiving/shipments/{sid}", {f"good-{line.id}": "60"})
    assert response.status_code == 409 and "was received already" in text_of(_html(response))
    assert _written() == (1, 0, 60)


def test_another_practices_shipment_is_not_found_and_nothing_changes(pages, shipped):
    page = pages.as_("other_practice_admin")
    line, sid = shipped.line(), shipped.shipment["id"]
    assert page.get(f"/receiving/shipments/{sid}").status_code == 404
    assert page.post(f"/receiving/shipments/{sid}", {f"good-{line.id}": "60"}).status_code == 404
    assert _written() == (0, 0, 0)


@pytest.mark.parametrize("who", ["mso_admin", "vendor_admin"])
def test_other_faces_have_no_receiving_pages(pages, shipped, who):
    page = pages.as_(who)
    assert page.get("/receiving").status_code == 404
    assert page.get(f"/receiving/shipments/{shipped.shipment['id']}").status_code == 404
    line = shipped.line()
    assert page.post(f"/receiving/shipments/{shipped.shipment['id']}", {f"good-{line.id}": "60"}).status_code == 404
    assert _written() == (0, 0, 0)
