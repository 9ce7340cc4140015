"""Back to the practices, to the cent: an approved vendor invoice's freight split by each
practice's goods on it, each location's tax, a favourable difference; on the draft
purchasing invoice (its service fee unchanged: none on pass-through amounts), or once
issued an adjustment invoice (to finalize) or a credit note. Once per invoice.

Goods: Lakeside 60 x 17.9910 = 107,946 cents, Riverbend 50 x 17.9910 = 89,955 (fees 2.5%
and 1.75%: 2,699 and 1,574). Freight 2,501 over 197,901: Lakeside 2,501 x 107,946 /
197,901 = 1,364.18, Riverbend 1,136.82; floors 1,364 + 1,136 leave 1 cent, to the larger
remainder (Riverbend's): 1,364 and 1,137."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gpo.billing.models import Credit
from gpo.db import db
from gpo.payables.models import VendorInvoice
from gpo.payables.pass_through import pass_through
from tests.vendor_invoice_scenarios import CONTRACT, LAKESIDE_CENTS, RIVERBEND_CENTS, Invoicing


@pytest.fixture
def inv(after_close):
    invoicing = Invoicing(after_close)
    invoicing.received()
    return invoicing


def _taxes(inv, lakeside=864, riverbend=720):
    return [{"location_id": inv.world.location.id, "tax_cents": lakeside},
            {"location_id": inv.ac.other_location.id, "tax_cents": riverbend}]


def _kinds(invoice):
    return sorted((line.kind, line.amount_cents) for line in invoice.lines)


def test_on_the_draft_purchasing_invoices_without_service_fee(inv):
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "17.9000"), (inv.riverbend, 50, CONTRACT)], freight_cents=2501,
                             tax=_taxes(inv)))
    assert body["status"] == "approved" and body["favourable_cents"] == 546
    # freight by the goods on this invoice: Lakeside's 60 x 17.9000 = 107,400, Riverbend's 89,955 (197,355):
    # 2,501 x 107,400 / 197,355 = 1,361.04 and 1,139.96; the cent left to Riverbend's larger remainder
    lakeside = inv.purchasing_invoice(inv.world.practice)
    assert _kinds(lakeside) == [("adjustment", -546), ("freight", 1361), ("product", LAKESIDE_CENTS),
                                ("service_fee", 2699), ("tax", 864)]
    assert (lakeside.service_fee_cents, lakeside.total_cents) == (2699, 107946 + 2699 + 1361 + 864 - 546)
    assert all("Acme invoice ACME-1" in line.description for line in lakeside.lines if line.kind != "product"
               and line.kind != "service_fee")
    riverbend = inv.purchasing_invoice(inv.world.other_practice)
    assert _kinds(riverbend) == [("freight", 1140), ("product", RIVERBEND_CENTS), ("service_fee", 1574), ("tax", 720)]
    assert riverbend.total_cents == 89955 + 1574 + 1140 + 720


def test_once_issued_an_adjustment_invoice_each_to_finalize(inv):
    for practice in (inv.world.practice, inv.world.other_practice):
        inv.ac.finalize(inv.purchasing_invoice(practice).id)
    # a price exception approved: freight by the goods invoiced, Lakeside's 60 x 18.25 = 109,500 and
    # Riverbend's 89,955 (199,455): 2,501 x 109,500 / 199,455 = 1,373.04 and 1,127.96 -> 1,373 and 1,128
    high = inv.sent(inv.body(lines=[(inv.lakeside, 60, "18.2500"), (inv.riverbend, 50, CONTRACT)], freight_cents=2501,
                             tax=_taxes(inv)))
    assert high["status"] == "exception"
    assert inv.decide(high["id"], "approve", "agreed").status_code == 200
    (lakeside,) = inv.documents_of(inv.world.practice, "adjustment")
    (riverbend,) = inv.documents_of(inv.world.other_practice, "adjustment")
    assert (lakeside.status, _kinds(lakeside), lakeside.total_cents) == ("draft", [("freight", 1373), ("tax", 864)], 2237)
    assert (riverbend.status, _kinds(riverbend), riverbend.total_cents) == ("draft", [("freight", 1128), ("tax", 720)], 1848)
    assert lakeside.source_key == f"vendor-invoice:{high['id']}:practice:{inv.world.practice.id}"
    # the issued purchasing invoices did not change
    assert inv.purchasing_invoice(inv.world.practice).total_cents == 107946 + 2699
    # finance finalizes it like any invoice
    assert inv.ac.finalize(lakeside.id)["status"] == "open"


def test_once_issued_a_favourable_difference_is_a_credit_note(inv):
    purchasing = inv.purchasing_invoice(inv.world.practice)
    inv.ac.finalize(purchasing.id)
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "17.9000")]))
    assert body["status"] == "approved"
    (note,) = inv.documents_of(inv.world.practice, "credit")
    assert (note.corrects_invoice_id, note.status, _kinds(note), note.total_cents) == (
        purchasing.id, "open", [("adjustment", -546)], -546)
    credit = db.session.scalars(select(Credit).where(Credit.invoice_id == note.id)).one()
    assert credit.amount_cents == 546
    assert inv.documents_of(inv.world.practice, "adjustment") == []


def test_a_favourable_difference_no_credit_note_can_take_is_a_credit_for_the_practice_once(inv):
    """Lakeside's purchasing invoice was issued and written off (uncollectible: it takes
    no credit note). Acme invoices 60 at 17.9000, 546 cents below the contract: the
    difference is a credit applied to Lakeside's next invoices, not dropped; once."""
    purchasing = inv.purchasing_invoice(inv.world.practice)
    inv.ac.finalize(purchasing.id)
    purchasing = inv.purchasing_invoice(inv.world.practice)
    purchasing.status = "uncollectible"
    db.session.commit()
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "17.9000")]))
    assert (body["status"], body["favourable_cents"]) == ("approved", 546)
    assert inv.documents_of(inv.world.practice, "credit") == []
    assert inv.documents_of(inv.world.practice, "adjustment") == []
    credit = db.session.scalars(select(Credit).where(Credit.practice_id == inv.world.practice.id)).one()
    assert (credit.source, credit.amount_cents, credit.remaining_cents, credit.invoice_id) == ("adjustment", 546, 546, None)
    assert credit.description == "Acme invoice ACME-1: favourable difference"
    assert pass_through(db.session.get(VendorInvoice, body["id"])) == []
    db.session.commit()
    assert len(db.session.scalars(select(Credit).where(Credit.practice_id == inv.world.practice.id)).all()) == 1


def test_a_favourable_difference_beyond_what_is_left_to_credit_is_a_credit_for_the_rest(inv):
    """Lakeside's invoice (107946 + 2699 = 110645) was credited by finance down to 100
    cents left; the 546 favourable cents: a credit note for 100, a credit for 446."""
    purchasing = inv.purchasing_invoice(inv.world.practice)
    inv.ac.finalize(purchasing.id)
    response = inv.client.post(f"/api/v1/invoices/{purchasing.id}/credit-notes", json={
        "amount_cents": 110645 - 100, "reason": "goodwill"},
        headers={**inv.world.headers["mso_finance"], "Idempotency-Key": "goodwill-1"})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "17.9000")]))
    assert body["status"] == "approved"
    _, note = inv.documents_of(inv.world.practice, "credit")
    assert note.total_cents == -100
    credits = db.session.scalars(select(Credit).where(Credit.practice_id == inv.world.practice.id,
                                                      Credit.source == "adjustment")).all()
    assert [(c.amount_cents, c.description) for c in credits] == [
        (446, "Acme invoice ACME-1: favourable difference beyond what the purchasing invoice has left to credit")]


def test_passed_through_once(inv):
    body = inv.sent(inv.body(freight_cents=2501))
    invoice = db.session.get(VendorInvoice, body["id"])
    assert invoice.passed_through_at is not None
    assert pass_through(invoice) == []
    db.session.commit()
    assert [line.amount_cents for line in inv.purchasing_invoice(inv.world.practice).lines if line.kind == "freight"] == [1364]


def test_a_pending_invoice_passes_nothing_until_approved(inv):
    inv.ac.finalize(inv.purchasing_invoice(inv.world.practice).id)
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "18.2500")], freight_cents=500))
    assert body["status"] == "exception"
    assert inv.documents_of(inv.world.practice, "adjustment") == []
    inv.decide(body["id"], "dispute", "wrong price")
    assert inv.documents_of(inv.world.practice, "adjustment") == []
