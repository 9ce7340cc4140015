"""Review findings (after the close): races on PostgreSQL, made deterministic by
pausing one transaction at a known point while the other runs."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from gpo.billing import invoices
from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db
from gpo.orders.models import PurchaseOrderLine, Substitution
from tests.factories import ProductFactory


def test_a_substitute_claim_credited_while_finance_finalizes_rewrites_the_issued_invoice(
        app, after_close, world, postgresql_only, monkeypatch):
    """Lakeside: 55 gloves accepted, 5 substituted by vinyl at 15.0000, approved on the
    draft (its product line with `substitution_id`); the 5 vinyl arrive damaged; Acme
    credits the claim while MSO finance finalizes Lakeside's draft.

    Cuts of pooled order lines take the orders' row locks (`_order_lines_of` FOR NO
    KEY UPDATE), which finalize takes first, so refusals, cancellations and decisions
    queue behind it. `credit_substitute` (gpo/receiving/substitute_credit.py) cuts no
    order line: it reads the document's status unlocked, edits the invoice line, and
    `_refresh_totals` then waits on the invoice's row and rewrites the ISSUED invoice
    after finalize committed. On PostgreSQL the trigger "the lines of an issued invoice
    never change" stops it: the vendor's credit is a 500 (rolled back) instead of
    waiting for the finalize and giving a credit note. (Without the trigger it would
    rewrite the issued invoice's totals.)"""
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
