"""The events after the close, for the vendor's systems: a shipment received (and the
claims it opens), a vendor invoice approved or landing in exception (at once, after a
re-match, or by MSO finance), a settlement sent. Driven through the API on the shared
scenarios; each refused request (4xx) writes no event, a replayed one none more."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.db import db
from gpo.receiving.models import Claim, Receipt
from tests.helpers import assert_error
from tests.notifications.event_support import events_after, mark
from tests.settling import TODAY, settle, shipped_and_received, vendor_invoice
from tests.vendor_invoice_scenarios import CONTRACT, Invoicing

# --- receiving ----------------------------------------------------------------------------


@pytest.fixture
def shipped(after_close):
    """Acme accepted every unit and shipped Lakeside's 60 gloves."""
    after_close.accept_all()
    after_close.shipment = after_close.ship(after_close.line(), 60)
    after_close.mark = mark()
    return after_close


def _receive(ac, good, damaged, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return ac.post(f"/shipments/{ac.shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": ac.line().id, "received_quantity": good, "damaged_quantity": damaged}]},
        who="practice_buyer", headers=headers)


def test_a_receipt_with_damaged_and_missing_units_tells_the_vendor_twice(shipped):
    ac, world = shipped, shipped.world
    response = _receive(ac, 55, 2, key="receipt-1")
    assert response.status_code == 201, response.get_data(as_text=True)
    receipt = db.session.scalars(select(Receipt)).one()
    claim = db.session.scalars(select(Claim)).one()
    line, shipment_id = ac.line().id, ac.shipment["id"]
    expected = [
        ("shipment.received", world.vendor.id, world.practice.id, "receipt", receipt.id,
         {"shipment_id": shipment_id, "receipt_id": receipt.id, "purchase_order_id": ac.po.id, "line_ids": [line],
          "received": 55, "damaged": 2, "missing": 3},
         f"Lakeside received shipment {shipment_id} of purchase order {ac.po.id}: 55 good, 2 damaged, 3 missing"),
        ("purchase_order.changed", world.vendor.id, world.practice.id, "purchase_order", ac.po.id,
         {"purchase_order_id": ac.po.id, "change": "claim_opened", "line_ids": [line], "claim_ids": [claim.id],
          "shipment_id": shipment_id},
         f"Lakeside claimed 5 damaged or missing units of shipment {shipment_id} on purchase order {ac.po.id}: "
         "replace or credit them"),
    ]
    assert events_after(ac.mark) == expected
    # the same request replayed with its key: the stored answer, no event more
    assert _receive(ac, 55, 2, key="receipt-1").status_code == 201
    # received again without a key: 409, nothing more
    assert_error(_receive(ac, 55, 2), 409)
    assert events_after(ac.mark) == expected


def test_a_receipt_all_good_opens_no_claim_and_a_bad_one_tells_nothing(shipped):
    assert_error(_receive(shipped, 58, 5), 422)
    assert events_after(shipped.mark) == []
    assert _receive(shipped, 60, 0).status_code == 201
    assert [(e[0], e[5]["received"], e[5]["missing"]) for e in events_after(shipped.mark)] == [
        ("shipment.received", 60, 0)]


# --- vendor invoices ----------------------------------------------------------------------


@pytest.fixture
def inv(after_close):
    return Invoicing(after_close)


def _invoice_event(event_type, inv, invoice, summary, **extra):
    return (event_type, inv.world.vendor.id, None, "vendor_invoice", invoice["id"],
            {"vendor_invoice_id": invoice["id"], "invoice_number": invoice["number"], "purchase_order_id": inv.po.id,
             "total_cents": invoice["total_cents"], "exception_cents": invoice["exception_cents"], **extra}, summary)


def test_an_invoice_matched_at_once_is_approved(inv):
    inv.received()
    before = mark()
    body = inv.sent(inv.body(freight_cents=2501), key="inv-1")
    expected = [_invoice_event("vendor_invoice.approved", inv, body,
                               f"Acme's invoice ACME-1 for purchase order {inv.po.id} is matched: $2,004.02 to be settled",
                               approved_by="match")]
    assert events_after(before) == expected
    assert inv.send(inv.body(freight_cents=2501), key="inv-1").status_code == 201  # replayed
    assert_error(inv.send(inv.body("ACME-2", freight_cents=2501)), 422)  # the same units again
    assert events_after(before) == expected


def test_an_invoice_above_contract_lands_in_exception_then_finance_approves_it(inv):
    inv.received()
    before = mark()
    body = inv.sent(inv.body(lines=[(inv.lakeside, 60, "18.0037"), (inv.riverbend, 50, CONTRACT)]))
    assert body["status"] == "exception"
    exception = _invoice_event("vendor_invoice.exception", inv, body,
                               f"Acme's invoice ACME-1 for purchase order {inv.po.id} is in exception: "
                               "$0.76 above the contract price", reasons=["price"])
    assert events_after(before) == [exception]
    assert inv.decide(body["id"], "approve").status_code == 200
    assert_error(inv.decide(body["id"], "approve"), 409)
    assert events_after(before) == [exception, _invoice_event(
        "vendor_invoice.approved", inv, body,
        f"Acme's invoice ACME-1 for purchase order {inv.po.id} is approved by MSO finance: $1,979.77 to be settled",
        approved_by="mso_finance")]


def test_an_invoice_lands_in_exception_when_a_receipt_re_matches_it(inv):
    inv.accept_and_ship()
    before = mark()
    body = inv.sent(inv.body())
    assert body["status"] == "pending_receipt" and events_after(before) == []
    # the practices' receipts re-match it: 5 of Lakeside's can no longer arrive
    _receipt(inv, inv.lakeside, 55, 5, "practice_buyer")
    exception = _invoice_event("vendor_invoice.exception", inv, body,
                               f"Acme's invoice ACME-1 for purchase order {inv.po.id} is in exception: "
                               "more units invoiced than can arrive", reasons=["quantity"])
    assert _invoice_events(before) == [exception]
    _receipt(inv, inv.riverbend, 50, 0, "other_practice_admin")  # re-matched, still in exception: told once
    assert _invoice_events(before) == [exception]
    assert inv.decide(body["id"], "dispute").status_code == 200  # not an event of the catalogue
    assert _invoice_events(before) == [exception]


def _receipt(inv, line, good, damaged, who):
    response = inv.ac.post(f"/shipments/{inv.shipments[line.id]}/receipts", {"lines": [
        {"shipment_line_id": line.id, "received_quantity": good, "damaged_quantity": damaged}]}, who=who)
    assert response.status_code == 201, response.get_data(as_text=True)


def _invoice_events(mark):
    return [e for e in events_after(mark) if e[0].startswith("vendor_invoice.")]


def test_a_refused_invoice_tells_nothing(inv):
    inv.received()
    before = mark()
    assert_error(inv.send(inv.body(lines=[(inv.lakeside, 61, CONTRACT)])), 422)
    assert_error(inv.send(inv.body(), who="other_vendor_key"), 404)
    assert events_after(before) == []


# --- settlements --------------------------------------------------------------------------


def test_a_settlement_marked_sent_tells_the_vendor_once(after_close):
    ac, world = after_close, after_close.world
    shipped_and_received(ac)
    vendor_invoice(ac, "INV-1", [(ac.line(world.location), 60)], freight_cents=1250,
                   issued_on=TODAY - dt.timedelta(days=1))
    response = settle(ac.client, world)
    assert response.status_code == 202, response.get_data(as_text=True)
    [settlement_id] = ac.run_jobs(response.get_json()["job_id"]).result["settlements"]
    before = mark()
    url, finance = f"/api/v1/vendor-settlements/{settlement_id}/mark-sent", world.headers["mso_finance"]
    assert_error(ac.client.post(url, json={"bank_reference": ""}, headers=finance), 422)
    assert ac.client.post(url, json={"bank_reference": "ACH-0001"}, headers=finance).status_code == 200
    assert_error(ac.client.post(url, json={"bank_reference": "ACH-0002"}, headers=finance), 409)
    assert events_after(before) == [(
        "settlement.sent", world.vendor.id, None, "vendor_settlement", settlement_id,
        {"vendor_settlement_id": settlement_id, "through": TODAY.isoformat(), "invoices_cents": 109196,
         "deductions_cents": 0, "payable_cents": 109196, "bank_reference": "ACH-0001"},
        f"Settlement {settlement_id} of Acme through {TODAY.isoformat()} sent: $1,091.96 (bank reference ACH-0001)")]
