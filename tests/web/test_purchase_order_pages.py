"""The vendor portal's purchase orders without a browser: the supplier's list and one
purchase order, acknowledged line by line (refused units leave the practice's draft
invoice, in exact cents) and shipped per location with tracking; another vendor's
purchase order is 404 on every page and form, bad input is refused at its field with
nothing written, and the start page says what waits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.orders.models import Order, PurchaseOrder, PurchaseOrderLine, Shipment
from tests.pages import Statements, same_count, text_of
from tests.scenarios import Billing


@pytest.fixture
def billing(client, world, run_jobs):
    """After the close: Acme's purchase order, 60 gloves to Lakeside's location and 50
    to Riverbend's, at $17.9910 (110 units reach 10% off)."""
    market = Billing(client, world, run_jobs)
    market.buy_and_close()
    return market


@pytest.fixture
def po(billing) -> PurchaseOrder:
    return db.session.scalars(select(PurchaseOrder)).one()


def _html(response) -> str:
    return response.get_data(as_text=True)


def _lines(po) -> dict[int, PurchaseOrderLine]:
    """The purchase order's lines by location id, as the database has them now."""
    db.session.expire_all()
    return {line.location_id: line for line in db.session.get(PurchaseOrder, po.id).lines}


def _shipments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Shipment.id)))


def _draft(billing, practice) -> Invoice:
    db.session.expire_all()
    return db.session.scalars(select(Invoice).where(Invoice.practice_id == practice.id, Invoice.kind == "purchasing",
                                                    Invoice.status == "draft")).one()


def _goods(billing, practice) -> list[tuple[int, int]]:
    """The draft purchasing invoice's goods lines: (quantity, cents)."""
    return [(int(line.quantity), line.amount_cents) for line in _draft(billing, practice).lines
            if line.order_line_id is not None]


def _acknowledge(page, po, billing, lakeside: int = 60, riverbend: int = 50):
    lines = _lines(po)
    return page.post(f"/portal/purchase-orders/{po.id}/acknowledge", {
        f"accepted-{lines[billing.world.location.id].id}": str(lakeside),
        f"accepted-{lines[billing.other_location.id].id}": str(riverbend)})


# --- who sees them --------------------------------------------------------------------------


def test_the_supplier_sees_its_purchase_orders_with_their_status(pages, po):
    page = pages.as_("vendor_admin")
    response = page.get("/portal/purchase-orders")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert f"PO {po.id}" in text and "waiting for the vendor's acknowledgement" in text and "$1,979.01" in text
    assert 'href="/portal/purchase-orders"' in _html(response)  # in the portal's navigation
    assert "No purchase order matches" in text_of(_html(page.get("/portal/purchase-orders?status=shipped")))
    refused = page.get("/portal/purchase-orders?status=nope")
    assert refused.status_code == 422 and 'id="f-status-error"' in _html(refused)


def test_another_vendors_purchase_order_is_not_found_anywhere_and_nothing_changes(pages, po, billing):
    page = pages.as_("other_vendor_admin")
    assert f"PO {po.id}" not in text_of(_html(page.get("/portal/purchase-orders")))
    assert page.get(f"/portal/purchase-orders/{po.id}").status_code == 404
    assert _acknowledge(page, po, billing, 58, 50).status_code == 404
    line = _lines(po)[billing.world.location.id]
    assert page.post(f"/portal/purchase-orders/{po.id}/shipments", {
        "location_id": str(line.location_id), f"ship-{line.id}": "1", "carrier": "UPS",
        "tracking_number": "X"}).status_code == 404
    assert all(line.accepted_quantity is None for line in _lines(po).values())
    assert _shipments() == 0


@pytest.mark.parametrize("who", ["mso_admin", "practice_admin"])
def test_other_faces_get_404_on_the_portals_purchase_orders(pages, po, who):
    page = pages.as_(who)
    assert page.get("/portal/purchase-orders").status_code == 404
    assert page.get(f"/portal/purchase-orders/{po.id}").status_code == 404
    assert page.post(f"/portal/purchase-orders/{po.id}/acknowledge", {"accepted-1": "1"}).status_code == 404


def test_a_carrier_has_no_purchase_orders_in_its_navigation(pages, world):
    from tests.factories import UserFactory, VendorFactory

    carrier = VendorFactory(name="Keystone", kind="carrier")
    UserFactory(organization_id=carrier.id, roles=["vendor_admin"], email="carrier@example.test")
    html = _html(pages.sign_in("carrier@example.test").get("/portal"))
    assert 'href="/portal/purchase-orders"' not in html


# --- acknowledging -------------------------------------------------------------------------------


def test_refusing_two_units_drops_them_from_the_practices_draft_invoice(pages, po, billing):
    page = pages.as_("vendor_admin")
    form = text_of(_html(page.get(f"/portal/purchase-orders/{po.id}")))
    assert "Acknowledge the lines" in form and "units accepted of 60" in form and "units accepted of 50" in form
    assert _goods(billing, billing.world.practice) == [(60, 107946)]  # 60 × $17.9910
    response = _acknowledge(page, po, billing, 58, 50)
    assert response.status_code == 302, text_of(_html(response))[:600]
    lines = _lines(po)
    assert lines[billing.world.location.id].accepted_quantity == 58
    assert lines[billing.other_location.id].accepted_quantity == 50
    text = text_of(_html(page.get(response.headers["Location"])))
    assert "2 lines acknowledged: 2 units rejected." in text
    assert "58 accepted, 2 rejected" in text and "Acknowledge the lines" not in text
    assert "$1,043.48" in text  # 58 × $17.9910
    assert _goods(billing, billing.world.practice) == [(58, 104348)]
    # with the 2.5% service fee on $1,043.48: $26.09
    assert _draft(billing, billing.world.practice).subtotal_cents == 104348 + 2609
    assert _goods(billing, billing.world.other_practice) == [(50, 89955)]  # 50 × $17.9910, untouched


def test_one_line_can_be_acknowledged_now_and_the_other_later(pages, po, billing):
    page = pages.as_("vendor_admin")
    lines = _lines(po)
    response = page.post(f"/portal/purchase-orders/{po.id}/acknowledge", {
        f"accepted-{lines[billing.world.location.id].id}": "60", f"accepted-{lines[billing.other_location.id].id}": ""})
    assert response.status_code == 302
    lines = _lines(po)
    assert lines[billing.world.location.id].accepted_quantity == 60
    assert lines[billing.other_location.id].accepted_quantity is None
    text = text_of(_html(page.get(f"/portal/purchase-orders/{po.id}")))
    assert "units accepted of 50" in text and "units accepted of 60" not in text


@pytest.mark.parametrize("lakeside, message", [
    ("61", "61 accepted but 60 ordered"),
    ("-1", "Must be greater than or equal to 0."),
    ("lots", "Not a valid integer."),
])
def test_a_bad_acknowledgement_is_refused_at_the_lines_field_and_nothing_is_written(pages, po, billing, lakeside,
                                                                                    message):
    page = pages.as_("vendor_admin")
    before = _goods(billing, billing.world.practice)
    response = _acknowledge(page, po, billing, lakeside, 50)
    html = _html(response)
    line_id = _lines(po)[billing.world.location.id].id
    assert response.status_code == 422
    assert f'id="f-accepted-{line_id}-error"' in html and message in text_of(html)
    assert 'aria-invalid="true"' in html and f'value="{lakeside}"' in html
    assert all(line.accepted_quantity is None for line in _lines(po).values())
    assert _goods(billing, billing.world.practice) == before == [(60, 107946)]


def test_acknowledging_nothing_says_so_on_top(pages, po):
    response = pages.as_("vendor_admin").post(f"/portal/purchase-orders/{po.id}/acknowledge", {})
    assert response.status_code == 422 and "Shorter than minimum length 1." in text_of(_html(response))


# --- shipping --------------------------------------------------------------------------------------


def _ship(page, po, line, quantity="58", carrier="UPS", tracking="1Z999AA10123456784"):
    return page.post(f"/portal/purchase-orders/{po.id}/shipments", {
        "location_id": str(line.location_id), f"ship-{line.id}": quantity, "carrier": carrier,
        "tracking_number": tracking})


def test_the_supplier_ships_the_rest_to_each_location_with_tracking(pages, po, billing):
    page = pages.as_("vendor_admin")
    _acknowledge(page, po, billing, 58, 50)
    text = text_of(_html(page.get(f"/portal/purchase-orders/{po.id}")))
    assert f"Ship to {billing.world.location.name}" in text and "units to ship (58 to deliver, 0 shipped)" in text
    line = _lines(po)[billing.world.location.id]
    response = _ship(page, po, line)
    assert response.status_code == 302, text_of(_html(response))[:600]
    text = text_of(_html(page.get(response.headers["Location"])))
    assert "Shipment sent: 58 units with UPS, tracking number 1Z999AA10123456784." in text
    assert "Tracking: UPS 1Z999AA10123456784" in text
    assert _lines(po)[billing.world.location.id].shipped_quantity == 58
    # the practice's order shows the shipment to its location
    order = db.session.scalars(select(Order).where(Order.practice_id == billing.world.practice.id)).one()
    order_page = text_of(_html(pages.as_("practice_buyer").get(f"/orders/{order.id}")))
    assert "UPS 1Z999AA10123456784" in order_page


@pytest.mark.parametrize("quantity, carrier, field, message", [
    ("59", "UPS", "ship-{line}", "would exceed the 58 to deliver"),
    ("0", "UPS", "ship-{line}", "Must be greater than or equal to 1."),
    ("58", "", "carrier", "Missing data for required field."),
])
def test_a_bad_shipment_is_refused_at_its_field_and_nothing_ships(pages, po, billing, quantity, carrier, field, message):
    page = pages.as_("vendor_admin")
    _acknowledge(page, po, billing, 58, 50)
    line = _lines(po)[billing.world.location.id]
    response = _ship(page, po, line, quantity=quantity, carrier=carrier)
    html = _html(response)
    field_id = field.format(line=line.id) if field != "carrier" else f"carrier-{line.location_id}"
    assert response.status_code == 422
    assert f'id="{field_id if field == "carrier" else "f-" + field_id}-error"' in html
    assert message in text_of(html) and 'aria-invalid="true"' in html
    assert _shipments() == 0 and _lines(po)[billing.world.location.id].shipped_quantity == 0


def test_shipping_before_acknowledging_is_refused(pages, po, billing):
    line = _lines(po)[billing.world.location.id]
    response = _ship(pages.as_("vendor_admin"), po, line, quantity="1")
    assert response.status_code == 422 and "is not acknowledged yet" in text_of(_html(response))
    assert _shipments() == 0


# --- what waits for the supplier -----------------------------------------------------------------


def test_the_start_page_counts_purchase_orders_to_acknowledge_then_to_ship(pages, po, billing):
    page = pages.as_("vendor_admin")
    html = _html(page.get("/portal"))
    assert "1 purchase order to acknowledge" in text_of(html)
    assert 'href="/portal/purchase-orders?status=awaiting_acknowledgement"' in html
    _acknowledge(page, po, billing, 58, 50)
    text = text_of(_html(page.get("/portal")))
    assert "1 purchase order to ship" in text and "to acknowledge" not in text
    assert "purchase order" not in text_of(_html(pages.as_("other_vendor_admin").get("/portal")))


def test_the_purchase_order_page_sends_as_many_statements_for_many_lines_as_for_few(pages, po, billing, world):
    from tests.factories import LocationFactory, ProductFactory

    def grow():
        for _ in range(4):
            location = LocationFactory(practice=world.practice)
            product = ProductFactory(vendor_id=world.vendor.id)
            db.session.add(PurchaseOrderLine(purchase_order_id=po.id, product_id=product.id, location_id=location.id,
                                             quantity=5, unit_price=product.list_price, line_cents=500))

    same_count(Statements(pages.as_("vendor_admin")), f"/portal/purchase-orders/{po.id}", grow)
