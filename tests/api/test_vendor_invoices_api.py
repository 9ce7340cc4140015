"""Vendor invoices over HTTP: the vendor (API key or user) invoices its purchase order;
the three-way match per line (price against the contract's 17.9910, units against the
good units received); bad input refused with nothing written; dispute and approve by
MSO finance with a reason, audited, once; corrected invoices replacing disputed ones;
re-matching when receipts arrive."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.audit import AuditEvent
from gpo.db import db, utcnow
from tests.factories import ProductFactory
from tests.helpers import assert_error
from tests.vendor_invoice_scenarios import CONTRACT, LAKESIDE_CENTS, RIVERBEND_CENTS, Invoicing


@pytest.fixture
def inv(after_close):
    return Invoicing(after_close)


def test_an_invoice_at_contract_for_what_was_received_is_approved_at_once(inv):
    inv.received()
    body = inv.sent(inv.body(freight_cents=2501, tax=[{"location_id": inv.world.location.id, "tax_cents": 864}]),
                    key="inv-1")
    assert body["status"] == "approved" and body["approved_at"] and body["passed_through_at"]
    assert (body["goods_cents"], body["freight_cents"], body["tax_cents"]) == (LAKESIDE_CENTS + RIVERBEND_CENTS, 2501, 864)
    assert body["total_cents"] == 197901 + 2501 + 864
    assert [(x["price_result"], x["quantity_result"], x["price_difference_cents"]) for x in body["lines"]] == [
        ("match", "matched", 0), ("match", "matched", 0)]
    assert (body["exception_cents"], body["favourable_cents"]) == (0, 0)
    assert inv.invoiced() == {inv.lakeside.id: 60, inv.riverbend.id: 50}
    # the same key again replays: still one invoice
    assert inv.send(inv.body(freight_cents=2501, tax=[{"location_id": inv.world.location.id, "tax_cents": 864}]),
                    key="inv-1").status_code == 201
    assert inv.vendor_invoices() == 1


def test_a_price_above_contract_is_an_exception_worth_the_line_difference_at_four_places(inv):
    inv.received()
    # 60 x 18.0037 = 1,080.222 -> 108,022 cents; 60 x 17.9910 = 1,079.46 -> 107,946: 76 cents
    # 50 x 17.9921 = 899.605 -> 89,961 (half up); 50 x 17.9910 = 899.55 -> 89,955: 6 cents
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "18.0037"), (inv.riverbend, 50, "17.9921")]))
    assert body["status"] == "exception"
    assert [(x["line_cents"], x["contract_cents"], x["price_difference_cents"], x["price_result"])
            for x in body["lines"]] == [(108022, LAKESIDE_CENTS, 76, "exception"), (89961, RIVERBEND_CENTS, 6, "exception")]
    assert body["exception_cents"] == 82 and body["passed_through_at"] is None


def test_the_tolerance_lets_small_differences_match(inv, app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_TOLERANCE_CENTS", 6)
    inv.received()
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "18.0037"), (inv.riverbend, 50, "17.9921")]))
    assert [x["price_result"] for x in body["lines"]] == ["exception", "match"]
    assert body["exception_cents"] == 76


def test_a_price_below_contract_is_favourable_and_matches(inv):
    inv.received()
    # 60 x 17.9000 = 1,074.00: 546 cents below 1,079.46
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "17.9000"), (inv.riverbend, 50, CONTRACT)]))
    assert body["status"] == "approved"
    assert (body["lines"][0]["price_result"], body["lines"][0]["price_difference_cents"]) == ("below", -546)
    assert body["favourable_cents"] == 546


def test_units_not_received_yet_wait_and_a_receipt_approves_them(inv):
    inv.accept_and_ship()
    body = inv.sent(inv.body())
    assert body["status"] == "pending_receipt"
    assert [(x["quantity_result"], x["excess_quantity"]) for x in body["lines"]] == [("pending_receipt", 60),
                                                                                  ("pending_receipt", 50)]
    inv.receive(inv.lakeside, 60)
    assert inv.get(body["id"]).get_json()["status"] == "pending_receipt"
    inv.receive(inv.riverbend, 50)
    after = inv.get(body["id"]).get_json()
    assert after["status"] == "approved" and after["passed_through_at"]
    assert [x["quantity_result"] for x in after["lines"]] == ["matched", "matched"]


def test_units_damaged_on_arrival_are_a_quantity_exception(inv):
    inv.accept_and_ship()
    body = inv.sent(inv.body())
    inv.receive(inv.lakeside, 55, damaged=5)  # 5 never arrive good: nothing more can ship
    inv.receive(inv.riverbend, 50)
    after = inv.get(body["id"]).get_json()
    assert after["status"] == "exception"
    assert [(x["quantity_result"], x["excess_quantity"]) for x in after["lines"]] == [("exception", 5), ("matched", 0)]


def test_units_counted_over_invoices_by_id(inv):
    inv.accept_and_ship(lakeside=40)  # 20 still to ship
    inv.receive(inv.lakeside, 40)
    first = inv.sent(inv.body("A-1", lines=[(inv.lakeside, 30, CONTRACT)]))
    second = inv.sent(inv.body("A-2", lines=[(inv.lakeside, 30, CONTRACT)]))
    assert first["status"] == "approved"
    assert (second["status"], second["lines"][0]["excess_quantity"]) == ("pending_receipt", 20)  # 60 invoiced, 40 in
    assert inv.invoiced()[inv.lakeside.id] == 60
    # the 20 shipped and received short: 15 good, 5 missing, which can no longer arrive
    inv.shipments[inv.lakeside.id] = inv.ac.ship(inv.lakeside, 20, tracking="1Z-REST")["id"]
    inv.receive(inv.lakeside, 15)
    after = inv.get(second["id"]).get_json()
    assert (after["status"], after["lines"][0]["quantity_result"], after["lines"][0]["excess_quantity"]) == (
        "exception", "exception", 5)


def _unchanged(inv, before):
    assert inv.vendor_invoices() == before
    assert inv.invoiced() == {inv.lakeside.id: 0, inv.riverbend.id: 0}


@pytest.mark.parametrize("change, status, field", [
    (lambda inv, b: b["lines"].append({"po_line_id": 999999, "quantity": 1, "unit_price": "1.0000"}), 422, "lines"),
    (lambda inv, b: b["lines"].append(dict(b["lines"][0])), 422, "lines"),
    (lambda inv, b: b["lines"][0].update(quantity=0), 422, "lines"),
    (lambda inv, b: b["lines"][0].update(quantity=-3), 422, "lines"),
    (lambda inv, b: b["lines"][0].update(unit_price="-1.0000"), 422, "lines"),
    (lambda inv, b: b["lines"][0].update(unit_price="17.99101"), 422, "lines"),
    (lambda inv, b: b.update(freight_cents=-1), 422, "freight_cents"),
    (lambda inv, b: b.update(tax=[{"location_id": inv.world.location.id, "tax_cents": -5}]), 422, "tax"),
    (lambda inv, b: b.update(tax=[{"location_id": inv.ac.annex.id, "tax_cents": 5}]), 422, "tax"),
    (lambda inv, b: b["lines"][0].update(quantity=61), 422, "lines"),  # 60 deliverable
    (lambda inv, b: b.update(purchase_order_id=999999), 404, None),
    (lambda inv, b: b.update(replaces_invoice_id=999999), 422, "replaces_invoice_id"),
])
def test_bad_input_is_refused_and_nothing_is_written(inv, change, status, field):
    inv.accept_and_ship()
    body = inv.body()
    change(inv, body)
    error = assert_error(inv.send(body), status)
    if field:
        assert field in error["errors"]["json"], error
    _unchanged(inv, 0)


def test_another_vendors_purchase_order_or_vendor_id_is_404(inv):
    inv.accept_and_ship()
    assert_error(inv.send(inv.body(), who="other_vendor_key", vendor_id=inv.world.other_vendor.id), 404)
    assert_error(inv.send(inv.body(), who="other_vendor_key"), 404)  # Acme's id with Bolt's key
    assert_error(inv.send(inv.body(), who="practice_admin"), 404)
    assert_error(inv.send(inv.body(), who="mso_finance"), 403)
    _unchanged(inv, 0)


def test_a_duplicate_number_is_409_and_nothing_else_changes(inv):
    inv.accept_and_ship()
    inv.sent(inv.body("DUP-1", lines=[(inv.lakeside, 10, CONTRACT)]))
    assert_error(inv.send(inv.body("DUP-1", lines=[(inv.riverbend, 10, CONTRACT)])), 409, contains="DUP-1")
    assert inv.vendor_invoices() == 1
    assert inv.invoiced() == {inv.lakeside.id: 10, inv.riverbend.id: 0}
    # another vendor may use the same number for its own invoices
    other_po_line = ProductFactory(vendor_id=inv.world.other_vendor.id)  # (it has no purchase order: 404, not 409)
    assert other_po_line.id
    assert_error(inv.send(inv.body("DUP-1"), who="other_vendor_key", vendor_id=inv.world.other_vendor.id), 404)


def test_cumulative_over_invoicing_of_a_line_is_refused(inv):
    inv.accept_and_ship()
    inv.sent(inv.body("C-1", lines=[(inv.lakeside, 50, CONTRACT)]))
    error = assert_error(inv.send(inv.body("C-2", lines=[(inv.lakeside, 11, CONTRACT)])), 422)
    assert "61 units invoiced" in error["message"]
    assert inv.invoiced()[inv.lakeside.id] == 50
    inv.sent(inv.body("C-3", lines=[(inv.lakeside, 10, CONTRACT)]))
    assert inv.invoiced()[inv.lakeside.id] == 60


def test_dispute_then_a_corrected_invoice_replaces_it(inv):
    inv.received()
    high = inv.sent(inv.body("H-1", lines=[(inv.lakeside, 60, "18.2500")]))
    assert high["status"] == "exception" and high["exception_cents"] == 1554
    disputed = inv.decide(high["id"], "dispute", "the contract price is 17.9910")
    assert disputed.status_code == 200 and disputed.get_json()["status"] == "disputed"
    assert_error(inv.decide(high["id"], "dispute"), 409)
    assert_error(inv.decide(high["id"], "approve"), 409)
    # still counted while disputed: a second invoice for the same units is refused
    assert_error(inv.send(inv.body("H-2", lines=[(inv.lakeside, 60, CONTRACT)])), 422)
    corrected = inv.sent(inv.body("H-2", lines=[(inv.lakeside, 60, CONTRACT)], replaces_invoice_id=high["id"]))
    assert corrected["status"] == "approved" and corrected["replaces_invoice_id"] == high["id"]
    assert inv.get(high["id"]).get_json()["status"] == "replaced"
    assert inv.invoiced()[inv.lakeside.id] == 60
    # a replaced invoice is not replaced twice, nor an approved one at all
    assert_error(inv.send(inv.body("H-3", lines=[(inv.riverbend, 1, CONTRACT)], replaces_invoice_id=high["id"])), 409)
    assert_error(inv.send(inv.body("H-4", lines=[(inv.riverbend, 1, CONTRACT)],
                                   replaces_invoice_id=corrected["id"])), 409)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "vendor_invoice.dispute")).all()
    assert [e.details["reason"] for e in events] == ["the contract price is 17.9910"]


def test_approve_with_a_reason_once_audited(inv):
    inv.received()
    high = inv.sent(inv.body("P-1", lines=[(inv.lakeside, 60, "18.2500")]))
    assert_error(inv.decide(high["id"], "approve", who="vendor_key"), 403)
    assert_error(inv.decide(high["id"], "approve", who="mso_procurement"), 403)
    assert_error(inv.decide(high["id"], "approve", who="practice_admin"), 404)
    assert_error(inv.client.post(f"/api/v1/vendor-invoices/{high['id']}/approve", json={"reason": ""},
                                 headers=inv.world.headers["mso_finance"]), 422)
    approved = inv.decide(high["id"], "approve", "price rise agreed on 14 January")
    assert approved.status_code == 200, approved.get_data(as_text=True)
    body = approved.get_json()
    assert (body["status"], body["decision_reason"]) == ("approved", "price rise agreed on 14 January")
    assert body["decided_by"] and body["passed_through_at"]
    assert_error(inv.decide(high["id"], "approve"), 409)
    assert_error(inv.decide(high["id"], "dispute"), 409)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "vendor_invoice.approve")).one()
    assert event.details["reason"] == "price rise agreed on 14 January" and event.details["exception_cents"] == 1554


def test_an_approved_invoice_cannot_be_disputed(inv):
    inv.received()
    matched = inv.sent(inv.body())
    assert_error(inv.decide(matched["id"], "dispute"), 409)


def test_reads_by_tenancy(inv):
    inv.received()
    mine = inv.sent(inv.body("R-1", lines=[(inv.lakeside, 60, "18.2500")]))
    assert inv.get(mine["id"], "vendor_admin").status_code == 200
    assert_error(inv.get(mine["id"], "other_vendor_key"), 404)
    assert_error(inv.get(mine["id"], "practice_admin"), 404)
    listed = inv.client.get("/api/v1/vendor-invoices?status=exception", headers=inv.world.headers["mso_finance"])
    assert [x["id"] for x in listed.get_json()] == [mine["id"]]
    assert inv.client.get("/api/v1/vendor-invoices", headers=inv.world.headers["other_vendor_key"]).get_json() == []
    assert inv.client.get(f"/api/v1/vendor-invoices?vendor_id={inv.world.vendor.id}&status=approved",
                          headers=inv.world.headers["vendor_key"]).get_json() == []
    assert_error(inv.client.get("/api/v1/vendor-invoices", headers=inv.world.headers["practice_admin"]), 403)
    assert_error(inv.client.get("/api/v1/vendor-invoices?status=paid", headers=inv.world.headers["mso_finance"]), 422)


def test_the_openapi_examples_are_one_invoice_as_the_rules_figure_it():
    from decimal import Decimal

    from gpo.payables import invoice_schemas as s
    from gpo.payables import rules

    def example(schema, name):
        return schema._declared_fields[name].metadata["example"]

    line = s.VENDOR_INVOICE_EXAMPLE["lines"][0]
    m = rules.price_match(Decimal(example(s.VendorInvoiceLineSchema, "contract_price")), Decimal(line["unit_price"]),
                          line["quantity"], 0)
    assert (m.line_cents, m.contract_cents, m.difference_cents, m.result) == (
        example(s.VendorInvoiceLineSchema, "line_cents"), example(s.VendorInvoiceLineSchema, "contract_cents"),
        example(s.VendorInvoiceLineSchema, "price_difference_cents"), example(s.VendorInvoiceLineSchema, "price_result"))
    schema = s.VendorInvoiceSchema
    assert example(schema, "total_cents") == (example(schema, "goods_cents") + example(schema, "freight_cents")
                                              + example(schema, "tax_cents"))
    assert example(schema, "exception_cents") == m.difference_cents


def test_a_cancelled_backorder_or_a_replacement_re_matches_the_open_invoices(inv):
    """Lakeside: 50 accepted, 10 backordered; 50 shipped, 48 good and 2 damaged (a
    claim). Acme invoices 58: 48 received, 10 may still arrive (the backorder): pending,
    10 beyond the good units. The practice cancels 2 backordered units (allowed: 58 <=
    60 - 2): only 8 may arrive now, 58 > 48 + 8: an exception of 2 units. Acme then
    replaces the 2 damaged: 10 may arrive again: pending once more."""
    ac = inv.ac
    later = (utcnow().date() + dt.timedelta(days=7)).isoformat()
    assert ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": inv.lakeside.id, "accepted_quantity": 50, "backordered_quantity": 10, "expected_ship_on": later},
        {"line_id": inv.riverbend.id, "accepted_quantity": 50}]}).status_code == 200
    shipment = ac.ship(inv.lakeside, 50)
    received = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": inv.lakeside.id, "received_quantity": 48, "damaged_quantity": 2}]}, who="practice_buyer")
    assert received.status_code == 201, received.get_data(as_text=True)
    body = inv.sent(inv.body(lines=[(inv.lakeside, 58, CONTRACT)]))
    assert (body["status"], body["lines"][0]["quantity_result"], body["lines"][0]["excess_quantity"]) == (
        "pending_receipt", "pending_receipt", 10)
    cancelled = ac.post(f"/backorders/{inv.lakeside.id}/cancel", {"quantity": 2}, who="practice_admin")
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    after = inv.get(body["id"]).get_json()
    assert (after["status"], after["lines"][0]["quantity_result"], after["lines"][0]["excess_quantity"]) == (
        "exception", "exception", 2)
    claim_id = received.get_json()["lines"][0]["claim_id"]
    assert ac.post(f"/claims/{claim_id}/replace", None).status_code == 200
    again = inv.get(body["id"]).get_json()
    assert (again["status"], again["lines"][0]["quantity_result"], again["lines"][0]["excess_quantity"]) == (
        "pending_receipt", "pending_receipt", 10)
