"""Backorders over HTTP: listed for the practice of the location, the vendor and the
MSO; cancelled by the vendor or the practice (all open units by default), the units
leaving the draft invoice or credited once it is issued, to the cent, never twice;
409 when nothing is open or the vendor already invoiced them; each refusal writes
nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db, utcnow
from gpo.orders.models import OrderLine, PurchaseOrderLine
from tests.helpers import assert_error

LATER = (utcnow().date() + dt.timedelta(days=7)).isoformat()


def acknowledge(ac, accepted=40, backordered=10):
    """Lakeside: `accepted`, `backordered` and the rest of 60 rejected; Riverbend all 50."""
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": accepted, "backordered_quantity": backordered,
         "expected_ship_on": LATER},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def backordered(after_close):
    acknowledge(after_close, accepted=50, backordered=10)
    return after_close


def cancel(ac, body=None, who="practice_admin", line=None):
    return ac.post(f"/backorders/{(line or ac.line()).id}/cancel", body or {}, who=who)


def invoice_of(ac):
    db.session.commit()
    return db.session.scalars(select(Invoice).where(Invoice.practice_id == ac.world.practice.id,
                                                    Invoice.kind == "purchasing")).one()


def amounts(invoice):
    db.session.commit()
    return sorted((line.kind, line.amount_cents) for line in
                  db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))


def notes_of(invoice):
    db.session.commit()
    return db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == invoice.id).order_by(Invoice.id)).all()


def test_backorders_are_listed_for_the_location_s_practice_the_vendor_and_the_mso(backordered):
    for who in ("practice_buyer", "vendor_key", "vendor_admin", "mso_procurement"):
        response = backordered.client.get("/api/v1/backorders", headers=backordered.world.headers[who])
        assert response.status_code == 200, response.get_data(as_text=True)
        [item] = response.get_json()
        assert (item["po_line_id"], item["backordered_quantity"], item["open_backorder"], item["expected_ship_on"],
                item["practice_id"], item["sku"]) == (backordered.line().id, 10, 10, LATER,
                                                      backordered.world.practice.id, "GLV")
    for who in ("other_practice_admin", "other_vendor_key"):
        assert backordered.client.get("/api/v1/backorders?status=all",
                                      headers=backordered.world.headers[who]).get_json() == []
    assert_error(backordered.client.get("/api/v1/backorders?status=nope",
                                        headers=backordered.world.headers["practice_admin"]), 422)


def test_the_practice_cancels_on_the_draft_invoice(backordered):
    # 60 × 17.9910 = 107946 billed: backordered units stay billed until cancelled
    assert amounts(invoice_of(backordered)) == [("product", 107946), ("service_fee", 2699)]
    response = cancel(backordered, {"quantity": 4})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["open_backorder"], response.get_json()["backorder_cancelled_quantity"]) == (6, 4)
    # 56 × 17.9910 = 1007.496 -> 100750; fee 2.5% = 2518.75 -> 2519
    assert amounts(invoice_of(backordered)) == [("product", 100750), ("service_fee", 2519)]
    response = cancel(backordered)  # the rest
    assert response.get_json()["open_backorder"] == 0
    # 50 × 17.9910 = 89955; fee 2248.875 -> 2249
    assert amounts(invoice_of(backordered)) == [("product", 89955), ("service_fee", 2249)]
    assert backordered.client.get("/api/v1/backorders", headers=backordered.world.headers["practice_admin"]
                                  ).get_json() == []
    assert len(backordered.client.get("/api/v1/backorders?status=all",
                                      headers=backordered.world.headers["practice_admin"]).get_json()) == 1


def test_the_vendor_cancels_after_the_invoice_is_issued_a_credit_note_with_the_reason(backordered):
    invoice = invoice_of(backordered)
    backordered.finalize(invoice.id)
    assert cancel(backordered, who="vendor_key").status_code == 200
    [note] = notes_of(invoice)
    # goods 107946 - 89955 = 17991; fee 2699 - 2249 = 450
    assert amounts(note) == [("adjustment", -17991), ("service_fee", -450)]
    assert any(line.description.startswith("Backorder cancelled by Acme") for line in note.lines)


def test_a_retried_partial_cancel_with_the_same_idempotency_key_cancels_once(backordered):
    """A client timeout retries POST .../cancel {"quantity": 2} with its Idempotency-Key:
    the retry replays the first answer; 2 units are cancelled, the draft drops 2 gloves
    once: 58 x 17.9910 = 1043.478 -> 104348; fee 2.5% = 2608.7 -> 2609."""
    headers = {"Idempotency-Key": "cancel-2-once"}
    first = backordered.post(f"/backorders/{backordered.line().id}/cancel", {"quantity": 2}, who="practice_admin",
                             headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    again = backordered.post(f"/backorders/{backordered.line().id}/cancel", {"quantity": 2}, who="practice_admin",
                             headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    db.session.expire_all()
    assert db.session.get(PurchaseOrderLine, backordered.line().id).backorder_cancelled_quantity == 2
    assert amounts(invoice_of(backordered)) == [("product", 104348), ("service_fee", 2609)]


def test_a_line_cut_twice_after_issue_is_credited_once_per_cut(after_close):
    """Issued first; then 10 rejected at the acknowledgement and 10 backordered
    cancelled: two credit notes of 17,991 + 450 each, never the first cut again."""
    invoice = invoice_of(after_close)
    after_close.finalize(invoice.id)
    acknowledge(after_close, accepted=40, backordered=10)
    assert cancel(after_close).status_code == 200
    first, second = notes_of(invoice)
    # 60 -> 50: 107946 - 89955 = 17991, fee 2699 - 2249 = 450
    assert amounts(first) == [("adjustment", -17991), ("service_fee", -450)]
    # 50 -> 40: 89955 - 71964 = 17991, fee 2249 - 1799 = 450
    assert amounts(second) == [("adjustment", -17991), ("service_fee", -450)]


def test_shipped_backorders_are_not_open(backordered):
    backordered.ship(backordered.line(), 60)
    assert_error(cancel(backordered), 409, contains="no open backorder")


def test_units_the_vendor_invoiced_are_not_cancelled(backordered):
    line = db.session.get(PurchaseOrderLine, backordered.line().id)
    line.invoiced_quantity = 55  # as the vendor-invoice slice keeps it
    db.session.commit()
    before = amounts(invoice_of(backordered))
    assert_error(cancel(backordered), 409, contains="already invoiced 55 units")
    assert amounts(invoice_of(backordered)) == before
    assert cancel(backordered, {"quantity": 5}).status_code == 200  # 60 - 5 = 55 still covers the invoice


@pytest.mark.parametrize("body, status, message", [
    ({"quantity": 11}, 422, "only 10 backordered units"),
    ({"quantity": 0}, 422, "greater than or equal to 1"),
    ({"quantity": -3}, 422, "greater than or equal to 1"),
    ({"quantity": "some"}, 422, "Not a valid integer"),
])
def test_bad_cancellations_write_nothing(backordered, body, status, message):
    before = amounts(invoice_of(backordered))
    assert_error(cancel(backordered, body), status, contains=message)
    assert amounts(invoice_of(backordered)) == before
    assert db.session.get(PurchaseOrderLine, backordered.line().id).backorder_cancelled_quantity == 0


def test_who_may_cancel(backordered):
    before = amounts(invoice_of(backordered))
    for who, status in (("other_practice_admin", 404), ("other_vendor_key", 404), ("mso_admin", 403)):
        assert_error(cancel(backordered, who=who), status)
    # Riverbend's own line is not Lakeside's to cancel
    assert_error(cancel(backordered, line=backordered.line(backordered.other_location)), 404)
    assert_error(backordered.post("/backorders/999999/cancel", {}), 404)
    assert amounts(invoice_of(backordered)) == before
    db.session.commit()
    assert db.session.scalars(select(OrderLine.accepted_quantity).order_by(OrderLine.id)).all() == [60, 50]
