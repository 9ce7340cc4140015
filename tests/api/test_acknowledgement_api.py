"""The vendor's acknowledgement line by line over HTTP (API.md "After the close"):
accepted, backordered with an expected date, offered as a substitute, the rest rejected
at once (cut from the newest orders, the draft invoice following to the cent); the
purchase-order line's new fields and state; shipping up to what the line must deliver;
and every bad acknowledgement refused 422 at `lines.<i>.<field>` with nothing written."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.billing.models import InvoiceLine
from gpo.db import db, utcnow
from gpo.orders.models import Order, OrderLine, PurchaseOrderLine, Substitution
from tests.factories import ProductFactory
from tests.helpers import assert_error

TODAY = utcnow().date()
LATER = (TODAY + dt.timedelta(days=7)).isoformat()


@pytest.fixture
def ac(after_close):
    # another Acme product to offer instead of the gloves, and one of Bolt's
    after_close.vinyl = ProductFactory(vendor_id=after_close.world.vendor.id, sku="VNL", name="Vinyl gloves")
    after_close.bolt_gloves = ProductFactory(vendor_id=after_close.world.other_vendor.id, sku="BGL")
    db.session.commit()
    return after_close


def ack(ac, lines, who="vendor_key"):
    return ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": lines}, who=who)


def split_line(ac, **changes):
    """Lakeside's 60: 40 accepted, 10 backordered, 5 offered as vinyl gloves, 5 rejected."""
    return {"line_id": ac.line().id, "accepted_quantity": 40, "backordered_quantity": 10, "expected_ship_on": LATER,
            "substitute": {"product_id": ac.vinyl.id, "quantity": 5, "unit_price": "15.0000"}, **changes}


def goods(ac, practice):
    db.session.commit()
    return db.session.execute(select(InvoiceLine.quantity, InvoiceLine.amount_cents).join(OrderLine).join(Order)
                              .where(Order.practice_id == practice.id, InvoiceLine.kind == "product")).all()


def written(ac) -> tuple:
    """Everything an acknowledgement writes, to compare before and after a refusal."""
    db.session.commit()
    lines = db.session.execute(select(PurchaseOrderLine.accepted_quantity, PurchaseOrderLine.backordered_quantity,
                                      PurchaseOrderLine.substituted_quantity, PurchaseOrderLine.line_cents)
                               .order_by(PurchaseOrderLine.id)).all()
    return (lines, db.session.scalar(select(func.count()).select_from(Substitution)),
            db.session.scalars(select(OrderLine.accepted_quantity).order_by(OrderLine.id)).all(),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_a_line_split_accepted_backordered_substituted_and_rejected(ac):
    response = ack(ac, [split_line(ac)])
    assert response.status_code == 200, response.get_data(as_text=True)
    line = next(x for x in response.get_json()["lines"] if x["id"] == ac.line().id)
    assert {k: line[k] for k in ("accepted_quantity", "backordered_quantity", "expected_ship_on",
                                 "substituted_quantity", "rejected_quantity", "deliverable", "open_backorder",
                                 "shipped_quantity", "received_quantity", "invoiced_quantity",
                                 "backorder_cancelled_quantity", "substitution_of_id", "state", "states")} == {
        "accepted_quantity": 40, "backordered_quantity": 10, "expected_ship_on": LATER, "substituted_quantity": 5,
        "rejected_quantity": 5, "deliverable": 50, "open_backorder": 10, "shipped_quantity": 0,
        "received_quantity": 0, "invoiced_quantity": 0, "backorder_cancelled_quantity": 0,
        "substitution_of_id": None, "state": "split",
        "states": {"accepted": 40, "backordered": 10, "substituted": 5, "rejected": 5}}
    # the 5 rejected leave the order line at once: 55 × 17.9910 = 989.505 -> $989.51
    assert line["line_cents"] == 98951
    assert goods(ac, ac.world.practice) == [(55, 98951)]
    offer = db.session.scalars(select(Substitution)).one()
    assert (offer.status, offer.quantity, str(offer.unit_price), offer.practice_id, offer.clinical) == (
        "offered", 5, "15.0000", ac.world.practice.id, False)
    # Riverbend's line is not acknowledged yet
    other = next(x for x in response.get_json()["lines"] if x["id"] == ac.line(ac.other_location).id)
    assert other["state"] == "awaiting_acknowledgement" and other["accepted_quantity"] is None


def test_backordered_units_ship_later_up_to_what_the_line_must_deliver(ac):
    assert ack(ac, [split_line(ac)]).status_code == 200
    ac.ship(ac.line(), 40, tracking="first")
    ac.ship(ac.line(), 10, tracking="backorder")  # the backordered units, later
    line = db.session.get(PurchaseOrderLine, ac.line().id)
    assert (line.shipped_quantity, line.to_ship, line.open_backorder) == (50, 0, 0)
    response = ac.post(f"/purchase-orders/{ac.po.id}/shipments", {
        "lines": [{"line_id": line.id, "location_id": line.location_id, "quantity": 1}], "carrier": "UPS",
        "tracking_number": "one-more"}, headers={"Idempotency-Key": "one-more"})
    assert_error(response, 422, contains="exceed the 50 to deliver")


def test_the_units_rejected_come_off_orders_that_allow_no_backorder_first(billing, client, world):
    """Two Lakeside orders of 30 gloves (placed with the flags over POST /orders): the
    older allows backorders, the newer allows nothing. Rejecting 20 of 60 with 10
    backordered takes them from the newer order, keeping the older's for the backorder."""
    def place(key, **flags):
        response = client.post("/api/v1/orders", headers={**world.headers["practice_buyer"], "Idempotency-Key": key},
                               json={"location_id": world.location.id, **flags,
                                     "lines": [{"product_id": billing.gloves.id, "quantity": 30}]})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    older = place("older")
    newer = place("newer", backorders_allowed=False, substitutions_allowed=False)
    assert (newer["backorders_allowed"], newer["substitutions_allowed"], older["backorders_allowed"]) == (
        False, False, True)
    assert billing.order([(billing.gloves, 50)], who="other_practice_admin",
                         location=billing.other_location).status_code == 201
    billing.close()
    po_line = db.session.scalars(select(PurchaseOrderLine).where(
        PurchaseOrderLine.location_id == world.location.id)).one()
    response = client.post(f"/api/v1/purchase-orders/{po_line.purchase_order_id}/acknowledge",
                           headers=world.headers["vendor_key"], json={"lines": [
                               {"line_id": po_line.id, "accepted_quantity": 30, "backordered_quantity": 10,
                                "expected_ship_on": LATER}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.commit()
    kept = {o.id: o.lines[0].accepted_quantity for o in db.session.scalars(select(Order).where(
        Order.practice_id == world.practice.id))}
    assert kept == {older["id"]: 30, newer["id"]: 10}  # the older keeps its 30 (10 of them backordered)
    response = client.post(f"/api/v1/purchase-orders/{po_line.purchase_order_id}/acknowledge",
                           headers=world.headers["vendor_key"], json={"lines": [
                               {"line_id": po_line.id, "accepted_quantity": 0}]})
    assert_error(response, 422, contains="already acknowledged")


@pytest.mark.parametrize("change, field, message", [
    ({"accepted_quantity": 61}, "accepted_quantity", "61 accepted"),
    ({"accepted_quantity": 50}, "accepted_quantity", "50 accepted + 10 backordered + 5 substituted but 60 ordered"),
    ({"accepted_quantity": -1}, "accepted_quantity", "greater than or equal to 0"),
    ({"backordered_quantity": -2}, "backordered_quantity", "greater than or equal to 0"),
    ({"expected_ship_on": None}, "expected_ship_on", "need an expected ship date"),
    ({"expected_ship_on": (TODAY - dt.timedelta(days=1)).isoformat()}, "expected_ship_on", "in the past"),
    ({"backordered_quantity": 0, "accepted_quantity": 50}, "expected_ship_on", "goes with backordered units"),
    ({"substitute": {"product_id": "bolt", "quantity": 5, "unit_price": "15.0000"}}, "substitute.product_id",
     "not one of this vendor's products"),
    ({"substitute": {"product_id": "gloves", "quantity": 5, "unit_price": "15.0000"}}, "substitute.product_id",
     "another product than the one ordered"),
    ({"substitute": {"product_id": "inactive", "quantity": 5, "unit_price": "15.0000"}}, "substitute.product_id",
     "is not active"),
    ({"substitute": {"product_id": "vinyl", "quantity": 5, "unit_price": "17.9911"}}, "substitute.unit_price",
     "at most the line's unit price 17.9910"),
    ({"substitute": {"product_id": "vinyl", "quantity": 5, "unit_price": "-1.0000"}}, "substitute.unit_price",
     "0 or more"),
    ({"substitute": {"product_id": "vinyl", "quantity": 5, "unit_price": "1.00001"}}, "substitute.unit_price",
     "at most 4 decimal places"),
    ({"substitute": {"product_id": "vinyl", "quantity": 0, "unit_price": "1.0000"}}, "substitute.quantity",
     "greater than or equal to 1"),
    ({"substitute": {"product_id": "vinyl", "quantity": -5, "unit_price": "1.0000"}}, "substitute.quantity",
     "greater than or equal to 1"),
    ({"line_id": 999999}, "line_id", "not a line of purchase order"),
])
def test_bad_acknowledgements_are_refused_at_the_field_and_write_nothing(ac, change, field, message):
    if "substitute" in change:
        inactive = ProductFactory(vendor_id=ac.world.vendor.id, sku="OLD", active=False)
        db.session.commit()
        ids = {"bolt": ac.bolt_gloves.id, "gloves": ac.gloves.id, "inactive": inactive.id, "vinyl": ac.vinyl.id}
        change = {"substitute": {**change["substitute"], "product_id": ids[change["substitute"]["product_id"]]}}
    before = written(ac)
    body = ack(ac, [{"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}, split_line(ac, **change)])
    error = assert_error(body, 422, contains=message)
    node = error["errors"]["json"]["lines"]["1"]
    for part in field.split("."):
        node = node[part]
    assert message in " ".join(node)
    assert written(ac) == before  # Riverbend's good line is not acknowledged either


@pytest.mark.parametrize("flag, line, field, message", [
    ("backorders_allowed", {"accepted_quantity": 50, "backordered_quantity": 10, "expected_ship_on": LATER},
     "backordered_quantity", "only 0 of the line's units are on orders that allow a backorder"),
    ("substitutions_allowed", {"accepted_quantity": 55, "substitute": {"quantity": 5, "unit_price": "15.0000"}},
     "substitute.quantity", "only 0 of the line's units are on orders that allow a substitute"),
])
def test_an_order_that_forbids_backorders_or_substitutes_refuses_them(ac, flag, line, field, message):
    order = db.session.scalars(select(Order).where(Order.practice_id == ac.world.practice.id)).one()
    setattr(order, flag, False)
    db.session.commit()
    if "substitute" in line:
        line = {**line, "substitute": {**line["substitute"], "product_id": ac.vinyl.id}}
    before = written(ac)
    error = assert_error(ack(ac, [{"line_id": ac.line().id, **line}]), 422, contains=message)
    node = error["errors"]["json"]["lines"]["0"]
    for part in field.split("."):
        node = node[part]
    assert message in node[0]
    assert written(ac) == before


def test_a_line_is_acknowledged_once_and_at_most_once_per_acknowledgement(ac):
    ac.accept_all()
    before = written(ac)
    error = assert_error(ack(ac, [{"line_id": ac.line().id, "accepted_quantity": 1}]), 422,
                         contains="already acknowledged")
    assert "line_id" in error["errors"]["json"]["lines"]["0"]
    assert written(ac) == before


def test_another_vendor_and_a_practice_get_404_and_the_mso_403(ac):
    before = written(ac)
    assert_error(ack(ac, [split_line(ac)], who="other_vendor_key"), 404)
    assert_error(ack(ac, [split_line(ac)], who="practice_admin"), 404)
    assert_error(ack(ac, [split_line(ac)], who="mso_procurement"), 403)
    assert written(ac) == before


def test_a_clinical_substitute_is_marked_clinical(ac):
    response = ack(ac, [split_line(ac, substitute={"product_id": ac.table.id, "quantity": 5,
                                                   "unit_price": "10.0000"})])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert db.session.scalars(select(Substitution)).one().clinical is True


def test_the_practice_changes_its_choices_while_the_cycle_is_open(billing, client, world):
    response = billing.order([(billing.gloves, 10)])
    order = response.get_json()
    assert (order["substitutions_allowed"], order["backorders_allowed"]) == (True, True)
    etag = client.get(f"/api/v1/orders/{order['id']}", headers=world.headers["practice_buyer"]).headers["ETag"]
    response = client.patch(f"/api/v1/orders/{order['id']}", json={"substitutions_allowed": False},
                            headers={**world.headers["practice_buyer"], "If-Match": etag})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["substitutions_allowed"], response.get_json()["backorders_allowed"]) == (False, True)
    assert_error(client.patch(f"/api/v1/orders/{order['id']}", json={"backorders_allowed": "perhaps"},
                              headers={**world.headers["practice_buyer"], "If-Match": response.headers["ETag"]}), 422)
