"""The events for a practice's people: an invoice issued (every kind it pays, not a
credit note), a payment attempt that failed (each retry too), clinical staff waiting
for a physician, a timesheet to approve. Driven through the API and the jobs on the
shared scenarios; refused requests write no event, a replayed one none more."""
from __future__ import annotations

import datetime as dt

import pytest

from gpo.auth.principal import SYSTEM
from gpo.billing import payments
from gpo.billing.invoices import draft_invoice, issue
from gpo.billing.models import Invoice, PaymentAttempt
from gpo.db import db, transactional, unit_of_work, utcnow
from tests.helpers import assert_error
from tests.notifications.event_support import events_after, mark
from tests.scenarios import Billing, Staffing

DECLINED_CARD = "4000000000000341"  # attaches, then every charge is declined




# --- invoices -----------------------------------------------------------------------------


def test_a_finalized_invoice_is_told_to_the_practice_and_a_credit_note_is_not(client, world, run_jobs):
    billing = Billing(client, world, run_jobs)
    billing.buy_and_close()
    draft = billing.invoice_of(world.practice, kind="purchasing")
    before = mark()
    issued = billing.finalize(draft["id"])
    expected = [("invoice.issued", None, world.practice.id, "invoice", issued["id"],
                 {"invoice_id": issued["id"], "number": issued["number"], "kind": "purchasing",
                  "total_cents": issued["total_cents"], "due_on": issued["due_on"], "status": "open"},
                 f"Invoice {issued['number']} for Lakeside ({issued['description']}): "
                 f"${issued['total_cents'] // 100:,}.{issued['total_cents'] % 100:02d} due {issued['due_on']}")]
    assert events_after(before) == expected
    billing.finalize(draft["id"], expect=409)
    credited = client.post(f"/api/v1/invoices/{issued['id']}/credit-notes",
                           headers={**billing.finance, "Idempotency-Key": "credit-1"},
                           json={"amount_cents": 500, "reason": "a damaged box"})
    assert credited.status_code == 201, credited.get_data(as_text=True)
    assert events_after(before) == expected


def test_an_invoice_its_credits_pay_at_once_says_so(db_ctx, world):
    with unit_of_work():
        invoice = draft_invoice(world.practice.id, "membership", "membership:test", "Membership, January", [])
        issue(invoice, SYSTEM)
    [event] = events_after()
    assert event[5] == {"invoice_id": invoice.id, "number": invoice.number, "kind": "membership", "total_cents": 0,
                        "due_on": invoice.due_on.isoformat(), "status": "paid"}
    assert event[6] == f"Invoice {invoice.number} for Lakeside (Membership, January): paid by credits"


# --- payments -----------------------------------------------------------------------------


def _declined_card_and_an_open_invoice(client, world):
    method = payments.stripe_client().v1.payment_methods.create(
        {"type": "card", "card": {"number": DECLINED_CARD, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    saved = client.put(f"/api/v1/practices/{world.practice.id}/payment-method",
                       json={"stripe_payment_method_id": method.id}, headers=world.headers["practice_admin"])
    assert saved.status_code == 200, saved.get_data(as_text=True)
    with unit_of_work():
        invoice = draft_invoice(world.practice.id, "membership", "membership:test", "Membership", [
            {"kind": "membership", "description": "Membership", "amount_cents": 12345}])
        issue(invoice, SYSTEM)
    return invoice


def test_each_failed_attempt_is_told_with_what_comes_next(client, world, run_jobs):
    invoice = _declined_card_and_an_open_invoice(client, world)
    before = mark()
    pay = {**world.headers["practice_admin"], "Idempotency-Key": "pay-1"}
    attempt = client.post(f"/api/v1/invoices/{invoice.id}/pay", headers=pay).get_json()
    run_jobs(attempt["job_id"])
    assert client.post(f"/api/v1/invoices/{invoice.id}/pay", headers=pay).status_code == 202  # replayed
    first = db.session.get(PaymentAttempt, attempt["id"])
    expected = [("payment.failed", None, world.practice.id, "invoice", invoice.id,
                 {"invoice_id": invoice.id, "payment_attempt_id": first.id, "attempt_number": 1, "amount_cents": 12345,
                  "reason": "the card was declined", "code": "card_declined",
                  "next_retry_at": first.next_retry_at.isoformat(), "invoice_status": "open"},
                 f"Payment attempt 1 of invoice {invoice.number} ($123.45) failed: the card was declined; "
                 f"retried automatically on {first.next_retry_at:%Y-%m-%d %H:%M} UTC")]
    assert events_after(before) == expected
    # Stripe's webhook reports the same failure later: recorded once, told once
    transactional(payments.record_outcome)(first.id, None, ("card_declined", "Your card was declined."))
    assert events_after(before) == expected
    # the retry fails too: told again
    [second_id] = transactional(payments.retry_due_payments)(utcnow() + dt.timedelta(hours=25))
    run_jobs(db.session.get(PaymentAttempt, second_id).job_id)
    db.session.expire_all()
    assert [(e[0], e[5]["attempt_number"], e[5]["payment_attempt_id"]) for e in events_after(before)] == [
        ("payment.failed", 1, first.id), ("payment.failed", 2, second_id)]


def test_a_payment_refused_before_it_starts_tells_nobody(client, world):
    with unit_of_work():
        invoice = draft_invoice(world.practice.id, "membership", "membership:test", "Membership", [
            {"kind": "membership", "description": "Membership", "amount_cents": 12345}])
        issue(invoice, SYSTEM)
    before = mark()
    assert_error(client.post(f"/api/v1/invoices/{invoice.id}/pay",
                             headers={**world.headers["practice_admin"], "Idempotency-Key": "p"}), 409)
    assert events_after(before) == []
    assert db.session.get(Invoice, invoice.id).status == "open"


# --- staffing -----------------------------------------------------------------------------


@pytest.fixture
def st(client, world, run_jobs, monkeypatch):
    return Staffing(client, world, run_jobs, monkeypatch)


def test_clinical_staff_booked_wait_for_a_physician(st):
    world = st.world
    clinical = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", role="medical_assistant")
    plain = st.requested("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z")
    before = mark()
    assert_error(st.assign(clinical, st.dana, expect=None), 422)  # the wrong role: refused, untold
    assignment = st.assign(clinical, st.mia)
    st.assign(plain, st.dana)  # not clinical: the practice's admin accepts, nobody waits
    assert events_after(before) == [(
        "shift_request.awaiting_physician", None, world.practice.id, "shift_request", clinical["id"],
        {"shift_request_id": clinical["id"], "assignment_id": assignment["id"], "role": "medical_assistant",
         "starts_at": "2027-01-11T14:00:00+00:00", "ends_at": "2027-01-11T22:00:00+00:00"},
        f"Mia Chen (medical assistant, clinical) is booked for {world.location.name} Mon Jan 11, 8:00 AM–4:00 PM CST: "
        "a physician of the practice accepts")]


def test_a_recorded_timesheet_is_told_each_time_it_waits_for_the_practice(st):
    world = st.world
    booked = st.booked("2027-01-11T14:00:00Z", "2027-01-11T22:00:00Z", st.dana)
    url = f"/api/v1/staffing/assignments/{booked['id']}/timesheet"
    st.set_now("2027-01-12T09:00:00Z")
    before = mark()
    assert_error(st.post(url, {"started_at": "2027-01-11T22:00:00Z", "ended_at": "2027-01-11T14:00:00Z"}), 422)
    assert events_after(before) == []
    st.timesheet(booked, "2027-01-11T14:05:00Z", "2027-01-11T22:00:00Z", 30)
    st.post(f"{url}/dispute", {"reason": "left at 21:00"}, who="practice_admin", expect=200)
    st.timesheet(booked, "2027-01-11T14:05:00Z", "2027-01-11T21:00:00Z", 30)
    shift = "Mon Jan 11, 8:00 AM–4:00 PM CST"

    def told(minutes, worked):
        return ("timesheet.submitted", None, world.practice.id, "staff_assignment", booked["id"],
                {"assignment_id": booked["id"], "shift_request_id": booked["shift_request_id"], "minutes": minutes},
                f"Timesheet of Dana Reyes for {shift}: {worked} worked, to approve or dispute")

    assert events_after(before) == [told(445, "7 h 25 min"), told(385, "6 h 25 min")]
