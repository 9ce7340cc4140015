"""Receiving races the database decides (PostgreSQL: real concurrent transactions)."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from gpo.billing import invoices
from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db
from gpo.orders.models import PurchaseOrderLine, Substitution
from gpo.receiving.models import Claim, Receipt, ReceiptLine
from tests.factories import ProductFactory
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


def test_a_substitute_claim_credited_while_finance_finalizes_waits_and_is_a_credit_note(
        app, after_close, world, postgresql_only, monkeypatch):
    """Lakeside: 55 gloves accepted, 5 substituted by vinyl at 15.0000, approved on the
    draft (its product line with `substitution_id`); the 5 vinyl arrive damaged; Acme
    credits the claim while MSO finance finalizes Lakeside's draft.

    `credit_substitute` cuts no order line, so it locks the purchasing invoice itself,
    in finalize's order (the practice's orders of the cycle, then the invoice), and
    reads its status only then: it waits for the finalize and sees the invoice issued,
    so the credit is a credit note, never an edit of the issued invoice's lines (which
    PostgreSQL's trigger would refuse with a 500)."""
    ac = after_close
    vinyl = ProductFactory(vendor_id=world.vendor.id, sku="VNL", name="Vinyl gloves")
    db.session.commit()
    assert ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 55,
         "substitute": {"product_id": vinyl.id, "quantity": 5, "unit_price": "15.0000"}},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]}).status_code == 200
    substitution = db.session.scalars(select(Substitution)).one()
    assert ac.post(f"/substitutions/{substitution.id}/approve", {}, who="practice_admin").status_code == 200
    db.session.expire_all()
    sub_line = db.session.get(PurchaseOrderLine, db.session.get(Substitution, substitution.id).substitute_line_id)
    shipment = ac.ship(sub_line, 5)
    received = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": sub_line.id, "received_quantity": 0, "damaged_quantity": 5}]}, who="practice_buyer")
    assert received.status_code == 201, received.get_data(as_text=True)
    claim_id = received.get_json()["lines"][0]["claim_id"]
    db.session.commit()
    draft_id = db.session.scalars(select(Invoice.id).where(Invoice.practice_id == world.practice.id)).one()

    issued_not_committed = threading.Event()
    real = invoices.issue

    def paused(invoice, principal, due_on=None):
        issued = real(invoice, principal, due_on)
        db.session.flush()
        if threading.current_thread().name == "finalize":
            issued_not_committed.set()
            time.sleep(2)  # the credit runs now, up to its wait on the invoice's row
        return issued

    monkeypatch.setattr(invoices, "issue", paused)
    out = {}

    def run(name, url, headers, wait=None):
        if wait is not None:
            wait.wait(timeout=10)
        try:
            out[name] = app.test_client().post(url, headers=headers)
        except Exception as error:  # noqa: BLE001 - a 500 in production (the test client propagates it)
            out[name] = error

    threads = [threading.Thread(name="finalize", target=run, args=(
                   "finalize", f"/api/v1/invoices/{draft_id}/finalize", world.headers["mso_finance"])),
               threading.Thread(name="credit", target=run, args=(
                   "credit", f"/api/v1/claims/{claim_id}/credit", world.headers["vendor_key"], issued_not_committed))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert out["finalize"].status_code == 200, out["finalize"].get_data(as_text=True)
    assert not isinstance(out["credit"], Exception), f"the credit crashed (a 500): {out['credit']}"
    assert out["credit"].status_code == 200, out["credit"].get_data(as_text=True)
    sent = out["finalize"].get_json()
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft_id)
    assert (invoice.status, invoice.subtotal_cents, invoice.total_cents) == (
        "open", sent["subtotal_cents"], sent["total_cents"]), "the issued invoice changed after it was sent"
    lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == draft_id)).all()
    assert sum(x.amount_cents for x in lines) == invoice.subtotal_cents
    notes = db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == draft_id)).all()
    assert len(notes) == 1, "the credited vinyl gloves come back as a credit note on the issued invoice"
