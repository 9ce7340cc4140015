"""Receiving races the database decides (PostgreSQL: real concurrent transactions)."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.db import db
from gpo.orders.models import PurchaseOrderLine
from gpo.receiving.models import Claim, Receipt, ReceiptLine
from tests.scenarios import race


def test_two_receipts_of_one_shipment_line_at_once_record_it_once(app, after_close, world, postgresql_only):
    """The buyer and the admin of Lakeside record the same shipment line at the same
    moment: one wins (201), the other waits on the purchase-order line's lock, then
    finds the line received (409). One receipt, one claim, the good units counted once."""
    after_close.accept_all()
    shipment = after_close.ship(after_close.line(), 60)
    db.session.commit()
    line_id = after_close.line().id
    body = {"lines": [{"shipment_line_id": line_id, "received_quantity": 58, "damaged_quantity": 2}]}
    url = f"/api/v1/shipments/{shipment['id']}/receipts"
    responses = race(app, [("POST", url, {"json": body, "headers": world.headers[who]})
                           for who in ("practice_buyer", "practice_admin")])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.get_data(as_text=True) for r in responses]
    [lost] = [r.get_json() for r in responses if r.status_code == 409]
    assert "was received already" in lost["message"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Receipt.id))) == 1
    assert db.session.scalar(select(func.count()).select_from(ReceiptLine)) == 1
    assert db.session.scalar(select(func.count(Claim.id))) == 1
    assert db.session.get(PurchaseOrderLine, line_id).received_quantity == 58


def test_two_resolutions_of_one_claim_at_once_resolve_it_once(app, after_close, world, postgresql_only):
    """Acme's admin credits and its system replaces the same claim at once: the claim's
    row lock lets one through; the other is 409 and changes nothing."""
    after_close.accept_all()
    shipment = after_close.ship(after_close.line(), 60)
    received = after_close.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": after_close.line().id, "received_quantity": 58, "damaged_quantity": 2}]}, who="practice_buyer")
    claim_id = received.get_json()["lines"][0]["claim_id"]
    db.session.commit()
    responses = race(app, [("POST", f"/api/v1/claims/{claim_id}/credit", {"headers": world.headers["vendor_admin"]}),
                           ("POST", f"/api/v1/claims/{claim_id}/replace", {"headers": world.headers["vendor_key"]})])
    assert sorted(r.status_code for r in responses) == [200, 409], [r.get_data(as_text=True) for r in responses]
    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    line = db.session.get(PurchaseOrderLine, after_close.line().id)
    if claim.status == "credited":
        assert line.replacement_quantity == 0 and line.line_cents == 104348  # 58 × $17.9910
    else:
        assert claim.status == "replacing" and line.replacement_quantity == 2 and line.line_cents == 107946
