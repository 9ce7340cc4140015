"""Claims over the API: the vendor resolves a claim once, by shipping the units again
(the line may ship that many more, received like any shipment) or by crediting them
(the practice's draft invoice drops them; once issued, a credit note for the goods at
the line's price plus the service fee on them, in hand-computed cents)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db
from gpo.orders.models import PurchaseOrderLine, Shipment, ShipmentLine
from gpo.receiving.models import Claim
from tests.helpers import assert_error


@pytest.fixture
def claimed(after_close, world):
    """Lakeside received Acme's 60 gloves with 2 damaged: claim `claimed.claim_id` (2 units)."""
    ac = after_close
    ac.accept_all()
    ac.shipment = ac.ship(ac.line(), 60)
    response = ac.post(f"/shipments/{ac.shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": ac.line().id, "received_quantity": 58, "damaged_quantity": 2}]}, who="practice_buyer")
    assert response.status_code == 201, response.get_data(as_text=True)
    ac.claim_id = response.get_json()["lines"][0]["claim_id"]
    return ac


def _resolve(ac, how, who="vendor_key"):
    return ac.post(f"/claims/{ac.claim_id}/{how}", None, who=who)


def _line(ac) -> PurchaseOrderLine:
    db.session.expire_all()
    return db.session.get(PurchaseOrderLine, ac.line().id)


def _lakeside_invoices(world) -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).where(Invoice.practice_id == world.practice.id).order_by(Invoice.id)))


def test_the_claim_is_seen_by_its_practice_its_vendor_and_the_mso(claimed, world):
    for who in ("practice_buyer", "practice_admin", "vendor_key", "vendor_admin", "mso_finance"):
        response = claimed.client.get(f"/api/v1/claims/{claimed.claim_id}", headers=world.headers[who])
        assert response.status_code == 200, (who, response.get_data(as_text=True))
        body = response.get_json()
        assert (body["status"], body["damaged_quantity"], body["missing_quantity"], body["unit_price"]) == (
            "open", 2, 0, "17.9910")
    for who in ("other_practice_admin", "other_vendor_admin", "other_vendor_key"):
        assert_error(claimed.client.get(f"/api/v1/claims/{claimed.claim_id}", headers=world.headers[who]), 404)
        assert claimed.client.get("/api/v1/claims", headers=world.headers[who]).get_json() == []
    assert [c["id"] for c in claimed.client.get("/api/v1/claims?status=open", headers=world.headers["practice_buyer"])
            .get_json()] == [claimed.claim_id]
    assert claimed.client.get("/api/v1/claims?status=credited", headers=world.headers["practice_buyer"]).get_json() == []


def test_only_the_vendor_resolves_a_claim(claimed):
    for who in ("practice_admin", "mso_admin"):
        assert_error(_resolve(claimed, "credit", who), 403)
        assert_error(_resolve(claimed, "replace", who), 403)
    for who in ("other_vendor_key", "other_practice_admin"):
        assert_error(_resolve(claimed, "credit", who), 404)
    db.session.expire_all()
    assert db.session.get(Claim, claimed.claim_id).status == "open"
    assert _line(claimed).replacement_quantity == 0


def test_crediting_on_a_draft_invoice_drops_the_units(claimed, world):
    [draft] = _lakeside_invoices(world)
    assert draft.status == "draft" and draft.subtotal_cents == 107946 + 2699  # 60 × $17.9910, 2.5% fee
    response = _resolve(claimed, "credit", who="vendor_admin")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "credited"
    assert response.get_json()["resolved_by"] == "vendor_admin@example.test"
    [draft] = _lakeside_invoices(world)
    goods = [(int(line.quantity), line.amount_cents) for line in draft.lines if line.kind == "product"]
    assert goods == [(58, 104348)]  # 58 × $17.9910 = $1,043.478
    assert draft.service_fee_cents == 2609 and draft.subtotal_cents == 104348 + 2609  # 2.5% of $1,043.48 = $26.087
    assert _line(claimed).line_cents == 104348


def test_crediting_after_the_invoice_is_issued_makes_a_credit_note_to_the_cent(claimed, world):
    """Issued: goods 107946, fee round_half_up(2698.65) = 2699. Two units credited:
    goods line_cents(17.9910, 2) = round_half_up(3598.2) = 3598; the fee on the goods
    left (104348) is round_half_up(2608.7) = 2609, so the fee comes down by 90. The
    credit note: -3598 - 90 = -3688."""
    [invoice] = _lakeside_invoices(world)
    claimed.finalize(invoice.id)
    assert _resolve(claimed, "credit").status_code == 200
    issued, note = _lakeside_invoices(world)
    assert issued.total_cents == 107946 + 2699 and issued.status == "open"
    assert note.kind == "credit" and note.corrects_invoice_id == issued.id
    assert [(line.kind, line.amount_cents) for line in note.lines] == [("adjustment", -3598), ("service_fee", -90)]
    assert note.total_cents == -3688
    assert note.lines[0].description.startswith("Credited by Acme for 2 damaged/missing: ")


def test_a_claim_is_resolved_once(claimed):
    assert _resolve(claimed, "replace").status_code == 200
    before = _line(claimed).replacement_quantity
    assert_error(_resolve(claimed, "replace"), 409, contains="resolved already")
    assert_error(_resolve(claimed, "credit"), 409, contains="resolved already")
    assert _line(claimed).replacement_quantity == before == 2


def test_a_retried_credit_with_the_same_idempotency_key_replays_the_first_answer(claimed, world):
    """The vendor's client retries POST /claims/{id}/credit after a timeout: the same
    200 again (not 409 "resolved already"), and one credit note (-3688, as above)."""
    [invoice] = _lakeside_invoices(world)
    claimed.finalize(invoice.id)
    headers = {"Idempotency-Key": "credit-claim-once"}
    first = claimed.post(f"/claims/{claimed.claim_id}/credit", None, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    again = claimed.post(f"/claims/{claimed.claim_id}/credit", None, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    _, note = _lakeside_invoices(world)
    assert note.total_cents == -3688
    assert_error(_resolve(claimed, "credit"), 409, contains="resolved already")  # without the key: resolved once


def _ship_replacement(ac, quantity) -> int:
    """A second shipment of the line through the vendor's shipments endpoint; until
    shipments may go up to `deliverable` (the acknowledgement slice's change), the same
    rows written directly, as that endpoint writes them."""
    response = ac.post(f"/purchase-orders/{ac.po.id}/shipments", {"carrier": "UPS", "tracking_number": "1Z-AGAIN", "lines": [
        {"line_id": ac.line().id, "location_id": ac.line().location_id, "quantity": quantity}]})
    if response.status_code == 201:
        return response.get_json()["id"]
    assert response.status_code == 422 and "accepted" in response.get_json()["message"]
    shipment = Shipment(purchase_order_id=ac.po.id, carrier="UPS", tracking_number="1Z-AGAIN",
                        lines=[ShipmentLine(purchase_order_line_id=ac.line().id, quantity=quantity)])
    db.session.add(shipment)
    db.session.get(PurchaseOrderLine, ac.line().id).shipped_quantity += quantity
    db.session.commit()
    return shipment.id


def test_a_replacement_ships_again_and_is_received_like_any_shipment(claimed, world):
    body = _resolve(claimed, "replace").get_json()
    assert body["status"] == "replacing"
    line = _line(claimed)
    assert (line.replacement_quantity, line.deliverable, line.to_ship, line.received_quantity) == (2, 62, 2, 58)
    again = _ship_replacement(claimed, 2)
    response = claimed.post(f"/shipments/{again}/receipts", {"lines": [
        {"shipment_line_id": line.id, "received_quantity": 2, "damaged_quantity": 0}]}, who="practice_buyer")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["lines"][0]["claim_id"] is None
    line = _line(claimed)
    assert (line.shipped_quantity, line.received_quantity) == (62, 60)
    # the invoice never changed: the practice pays for the 60 it ordered and got
    [draft] = _lakeside_invoices(world)
    assert draft.subtotal_cents == 107946 + 2699
