"""Receiving over the API: the practice of the shipment line's location records good
and damaged units (the rest is missing), damaged or missing units open a claim, the
purchase-order line's good units grow; who sees a shipment and which of its lines;
every bad receipt refused with nothing written; a retried receipt records once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import PurchaseOrderLine
from gpo.receiving.models import Claim, Receipt, ReceiptLine
from tests.helpers import assert_error


@pytest.fixture
def shipped(after_close):
    """Acme accepted every unit and shipped Lakeside's 60 gloves (shipment `shipped.id`)."""
    after_close.accept_all()
    after_close.shipment = after_close.ship(after_close.line(), 60)
    return after_close


def _receive(ac, lines, who="practice_buyer", shipment_id=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return ac.post(f"/shipments/{shipment_id or ac.shipment['id']}/receipts", {"lines": lines}, who=who, headers=headers)


def _line(ac, good, damaged, line=None):
    return {"shipment_line_id": (line or ac.line()).id, "received_quantity": good, "damaged_quantity": damaged}


def _written() -> tuple:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Receipt.id))), db.session.scalar(select(func.count()).select_from(ReceiptLine)),
            db.session.scalar(select(func.count(Claim.id))),
            tuple(db.session.scalars(select(PurchaseOrderLine.received_quantity).order_by(PurchaseOrderLine.id))))


def test_two_damaged_of_sixty_are_received_as_58_good_and_claimed_from_the_vendor(shipped, world):
    response = _receive(shipped, [_line(shipped, 58, 2)])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "received" and body["vendor_name"] == "Acme"
    [line] = body["lines"]
    assert (line["shipment_line_id"], line["shipped_quantity"], line["received_quantity"], line["damaged_quantity"],
            line["missing_quantity"]) == (shipped.line().id, 60, 58, 2, 0)
    assert line["received_by"] == "practice_buyer@example.test" and line["claim_status"] == "open"
    db.session.expire_all()
    assert db.session.get(PurchaseOrderLine, shipped.line().id).received_quantity == 58
    claim = db.session.get(Claim, line["claim_id"])
    assert (claim.damaged_quantity, claim.missing_quantity, claim.vendor_id, claim.practice_id, claim.purchase_order_id) == (
        2, 0, world.vendor.id, world.practice.id, shipped.po.id)
    claims = shipped.client.get("/api/v1/claims?status=open", headers=world.headers["vendor_key"]).get_json()
    assert [(c["id"], c["quantity"], c["worth_cents"], c["practice_name"]) for c in claims] == [
        (claim.id, 2, 3598, "Lakeside")]  # 2 × $17.9910 = $35.982


def test_what_is_neither_good_nor_damaged_is_missing(shipped):
    body = _receive(shipped, [_line(shipped, 55, 2)]).get_json()
    assert (body["lines"][0]["missing_quantity"], body["lines"][0]["damaged_quantity"]) == (3, 2)
    claim = db.session.get(Claim, body["lines"][0]["claim_id"])
    assert (claim.damaged_quantity, claim.missing_quantity, claim.quantity) == (2, 3, 5)


def test_everything_good_opens_no_claim(shipped):
    body = _receive(shipped, [_line(shipped, 60, 0)], who="practice_physician").get_json()
    assert body["lines"][0]["claim_id"] is None and body["lines"][0]["claim_status"] is None
    assert _written()[2] == 0


def test_a_retried_receipt_with_the_same_key_records_once(shipped):
    first = _receive(shipped, [_line(shipped, 58, 2)], key="receipt-1")
    again = _receive(shipped, [_line(shipped, 58, 2)], key="receipt-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    receipts, lines, claims, received = _written()
    assert (receipts, lines, claims) == (1, 1, 1) and 58 in received


@pytest.mark.parametrize("good, damaged, status, words", [
    (59, 2, 422, "59 good and 2 damaged are more than the 60 shipped"),
    (61, 0, 422, "more than the 60 shipped"),
    (-1, 0, 422, "Must be greater than or equal to 0"),
    (10, -2, 422, "Must be greater than or equal to 0"),
    ("many", 0, 422, "Not a valid integer"),
])
def test_a_bad_quantity_is_refused_and_nothing_is_written(shipped, good, damaged, status, words):
    before = _written()
    assert_error(_receive(shipped, [_line(shipped, good, damaged)]), status, contains=words)
    assert _written() == before


def test_a_line_is_received_once(shipped):
    assert _receive(shipped, [_line(shipped, 30, 0)]).status_code == 201
    before = _written()
    body = assert_error(_receive(shipped, [_line(shipped, 30, 0)]), 409, contains="was received already")
    assert f"line {shipped.line().id} of shipment {shipped.shipment['id']}" in body["message"]
    assert _written() == before


def test_a_line_twice_in_one_receipt_is_refused(shipped):
    before = _written()
    assert_error(_receive(shipped, [_line(shipped, 10, 0), _line(shipped, 10, 0)]), 422, contains="at most once")
    assert _written() == before


def test_a_line_not_on_the_shipment_is_refused_by_its_place(shipped):
    before = _written()
    riverbend = shipped.line(shipped.other_location)  # on the purchase order, not in this shipment
    body = assert_error(_receive(shipped, [_line(shipped, 60, 0), _line(shipped, 1, 0, riverbend)]), 422,
                        contains=f"line {riverbend.id} is not a line of shipment {shipped.shipment['id']}")
    assert list(body["errors"]["json"]["lines"]) == ["1"]
    assert _written() == before


def _both_locations(ac) -> int:
    """One shipment carrying both practices' lines (Lakeside 60, Riverbend 50)."""
    ac.accept_all()
    response = ac.post(f"/purchase-orders/{ac.po.id}/shipments", {"carrier": "UPS", "tracking_number": "1Z-BOTH", "lines": [
        {"line_id": ac.line().id, "location_id": ac.line().location_id, "quantity": 60},
        {"line_id": ac.line(ac.other_location).id, "location_id": ac.other_location.id, "quantity": 50}]})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_another_practices_line_on_a_shared_shipment_is_refused_as_not_yours(after_close):
    """Lakeside may not record Riverbend's line: 422, in the words a line not on the
    shipment gets (Riverbend's lines are not Lakeside's to know of); nothing written."""
    shipment_id = _both_locations(after_close)
    before = _written()
    riverbend = after_close.line(after_close.other_location)
    assert_error(_receive(after_close, [_line(after_close, 50, 0, riverbend)], shipment_id=shipment_id), 422,
                 contains=f"line {riverbend.id} is not a line of shipment {shipment_id} to your practice's locations")
    assert _written() == before
    # each practice receives its own line of it
    assert _receive(after_close, [_line(after_close, 60, 0)], shipment_id=shipment_id).status_code == 201
    assert _receive(after_close, [_line(after_close, 50, 0, riverbend)], who="other_practice_admin",
                    shipment_id=shipment_id).status_code == 201


def test_each_practice_sees_only_its_own_lines_of_a_shared_shipment(after_close, world):
    shipment_id = _both_locations(after_close)

    def lines(who):
        body = after_close.client.get(f"/api/v1/shipments/{shipment_id}", headers=world.headers[who]).get_json()
        return sorted(line["location_id"] for line in body["lines"])

    assert lines("practice_buyer") == [world.location.id]
    assert lines("other_practice_admin") == [after_close.other_location.id]
    assert lines("vendor_key") == lines("mso_admin") == sorted([world.location.id, after_close.other_location.id])


def test_a_shipment_to_another_practice_is_not_found(shipped, world):
    for who in ("other_practice_admin", "other_vendor_admin", "other_vendor_key"):
        assert_error(shipped.client.get(f"/api/v1/shipments/{shipped.shipment['id']}", headers=world.headers[who]), 404)
    before = _written()
    riverbend_admin = _receive(shipped, [_line(shipped, 60, 0)], who="other_practice_admin")
    assert_error(riverbend_admin, 404)
    assert_error(_receive(shipped, [_line(shipped, 60, 0)], who="vendor_key"), 403)
    assert_error(_receive(shipped, [_line(shipped, 60, 0)], who="mso_admin"), 403)
    assert _written() == before


def test_the_lists_of_shipments_by_status(shipped, world):
    def listed(who, status=""):
        query = f"?status={status}" if status else ""
        return [s["id"] for s in shipped.client.get(f"/api/v1/shipments{query}", headers=world.headers[who]).get_json()]

    sid = shipped.shipment["id"]
    assert listed("practice_buyer", "to_receive") == [sid] and listed("practice_buyer", "received") == []
    assert listed("other_practice_admin") == [] and listed("other_vendor_admin") == []
    assert listed("vendor_key", "to_receive") == [sid] and listed("mso_finance") == [sid]
    _receive(shipped, [_line(shipped, 60, 0)])
    assert listed("practice_buyer", "to_receive") == [] and listed("practice_buyer", "received") == [sid]
    assert listed("vendor_key", "received") == [sid]
    assert_error(shipped.client.get("/api/v1/shipments?status=lost", headers=world.headers["practice_buyer"]), 422)
