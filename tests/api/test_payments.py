"""Collecting invoices with the real `stripe` library against localstripe (started by the
suite on a free loopback port): saved cards, a declined card and its retries, a crash
between Stripe's answer and our write, and webhooks (signed by localstripe and
delivered over HTTP; forged; stale; repeated)."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from gpo import jobs
from gpo.audit import AuditEvent
from gpo.auth.principal import SYSTEM
from gpo.billing import payments
from gpo.billing.invoices import draft_invoice, issue
from gpo.billing.models import Invoice, PaymentAttempt, PaymentProfile, StripeEvent
from gpo.db import db, transactional, unit_of_work, utcnow
from tests.helpers import assert_error
from tests.scenarios import deliver_webhook, signed_webhook, stripe_event

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches, then every charge is declined


def _card(number: str) -> str:
    method = payments.stripe_client().v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    return method.id


def _open_invoice(practice_id: int, cents: int = 12345, key: str = "membership:test") -> Invoice:
    with unit_of_work():  # as an edge would: issuing tells the practice (an outbox event)
        invoice = draft_invoice(practice_id, "membership", key, "Membership", [
            {"kind": "membership", "description": "Membership", "amount_cents": cents}])
        issue(invoice, SYSTEM)
    return invoice


def _intents_for(key: str) -> list:
    intents = payments.stripe_client().v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    return [i for i in intents if payments._as_dict(getattr(i, "metadata", None)).get("gpo_attempt_key") == key]


def _save_card(client, world, number=GOOD_CARD) -> dict:
    response = client.put(f"/api/v1/practices/{world.practice.id}/payment-method",
                          json={"stripe_payment_method_id": _card(number)}, headers=world.headers["practice_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _pay(client, world, invoice_id, key="pay-1"):
    return client.post(f"/api/v1/invoices/{invoice_id}/pay",
                       headers={**world.headers["practice_admin"], "Idempotency-Key": key})


def _reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _wait_for(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        db.session.rollback()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout}s")
        time.sleep(0.1)


def test_saving_a_card_creates_the_customer_once_and_keeps_only_ids(client, world):
    first = _save_card(client, world)
    assert first["stripe_customer_id"].startswith("cus_") and first["stripe_payment_method_id"].startswith("pm_")
    second = _save_card(client, world)
    assert second["stripe_customer_id"] == first["stripe_customer_id"]
    profile = db.session.get(PaymentProfile, world.practice.id)
    assert set(c.name for c in PaymentProfile.__table__.columns) == {
        "practice_id", "stripe_customer_id", "stripe_payment_method_id", "created_at", "updated_at"}
    assert profile.stripe_payment_method_id == second["stripe_payment_method_id"]


def test_a_payment_method_stripe_refuses_is_a_422(client, world):
    response = client.put(f"/api/v1/practices/{world.practice.id}/payment-method",
                          json={"stripe_payment_method_id": "pm_doesnotexist"}, headers=world.headers["practice_admin"])
    assert_error(response, 422, contains="Stripe refused")
    assert_error(client.put(f"/api/v1/practices/{world.practice.id}/payment-method",
                            json={"stripe_payment_method_id": "4242424242424242"}, headers=world.headers["practice_admin"]), 422)


def test_paying_an_open_invoice_collects_it_once(client, world, run_jobs, stripe_webhooks):
    _save_card(client, world)
    invoice = _open_invoice(world.practice.id)
    response = _pay(client, world, invoice.id)
    assert response.status_code == 202, response.get_data(as_text=True)
    attempt = response.get_json()
    assert (attempt["attempt_number"], attempt["status"], attempt["amount_cents"]) == (1, "pending", 12345)
    assert _pay(client, world, invoice.id).get_json()["id"] == attempt["id"]  # the same key replays
    assert run_jobs(attempt["job_id"]).status == "finished"
    paid = _reload(Invoice, invoice.id)
    assert (paid.status, paid.payments[0].status) == ("paid", "succeeded")
    [intent] = _intents_for(paid.payments[0].idempotency_key)
    assert (intent.amount, intent.status, intent.id) == (12345, "succeeded", paid.payments[0].stripe_payment_intent_id)
    # localstripe's signed webhook arrives over HTTP and finds the work done
    event = _wait_for(lambda: db.session.scalars(select(StripeEvent).where(
        StripeEvent.type == "payment_intent.succeeded")).first(), "the succeeded webhook")
    assert event.id.startswith("evt_")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "invoice.paid")) == 1
    assert_error(_pay(client, world, invoice.id, key="pay-2"), 409, contains="paid")


def test_paying_needs_a_saved_card_and_an_idempotency_key(client, world):
    invoice = _open_invoice(world.practice.id)
    assert_error(_pay(client, world, invoice.id), 409, contains="no saved payment method")
    assert_error(client.post(f"/api/v1/invoices/{invoice.id}/pay", headers=world.headers["practice_admin"]), 428)
    assert db.session.scalar(select(func.count(PaymentAttempt.id))) == 0


def test_a_declined_card_is_retried_on_schedule_then_uncollectible(client, world, run_jobs, stripe_webhooks):
    _save_card(client, world, DECLINED_CARD)
    invoice = _open_invoice(world.practice.id)
    attempt = _pay(client, world, invoice.id).get_json()
    run_jobs(attempt["job_id"])
    first = _reload(PaymentAttempt, attempt["id"])
    assert (first.status, first.failure_code) == ("failed", "card_declined")
    assert first.stripe_payment_intent_id.startswith("pi_")
    assert dt.timedelta(hours=23) < first.next_retry_at - utcnow() <= dt.timedelta(hours=24)
    assert _reload(Invoice, invoice.id).status == "open"
    # the failed webhook arrives too, and changes nothing more
    _wait_for(lambda: db.session.scalars(select(StripeEvent).where(StripeEvent.type == "payment_intent.payment_failed")).first(),
              "the payment_failed webhook")
    assert _reload(PaymentAttempt, attempt["id"]).next_retry_at == first.next_retry_at

    assert transactional(payments.retry_due_payments)(utcnow()) == []  # not yet
    later = utcnow() + dt.timedelta(hours=25)
    [second_id] = transactional(payments.retry_due_payments)(later)
    run_jobs(_reload(PaymentAttempt, second_id).job_id)
    second = _reload(PaymentAttempt, second_id)
    assert (second.attempt_number, second.status) == (2, "failed")
    assert dt.timedelta(hours=71) < second.next_retry_at - utcnow() <= dt.timedelta(hours=72)
    [third_id] = transactional(payments.retry_due_payments)(utcnow() + dt.timedelta(hours=73))
    run_jobs(_reload(PaymentAttempt, third_id).job_id)
    gone = _reload(Invoice, invoice.id)
    assert gone.status == "uncollectible"
    assert "3 payment attempts failed" in gone.uncollectible_reason and "card_declined" in gone.uncollectible_reason
    assert transactional(payments.retry_due_payments)(utcnow() + dt.timedelta(days=30)) == []
    # MSO finance sees which invoices and why
    listed = client.get("/api/v1/invoices?status=uncollectible", headers=world.headers["mso_finance"]).get_json()
    assert [(i["id"], [p["failure_code"] for p in i["payments"]]) for i in listed] == [(invoice.id, ["card_declined"] * 3)]


def test_the_clock_retries_due_payments(app, client, world, run_jobs):
    _save_card(client, world, DECLINED_CARD)
    invoice = _open_invoice(world.practice.id)
    attempt = _pay(client, world, invoice.id).get_json()
    run_jobs(attempt["job_id"])
    first = _reload(PaymentAttempt, attempt["id"])
    first.next_retry_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["gpo", "tick"])
    assert result.exit_code == 0, result.output
    second = db.session.scalars(select(PaymentAttempt).where(PaymentAttempt.attempt_number == 2)).one()
    assert f"'payment_retries': [{second.id}]" in result.output
    assert run_jobs(second.job_id).status == "finished"


def test_a_crash_after_stripe_answered_does_not_charge_twice(client, world, monkeypatch):
    _save_card(client, world)
    invoice = _open_invoice(world.practice.id)
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)  # this test runs the job itself
    attempt = _pay(client, world, invoice.id).get_json()
    crashes = []

    def crash_once(name):
        if name == "stripe_answered" and not crashes:
            crashes.append(name)
            raise RuntimeError("the worker died after Stripe charged")

    monkeypatch.setattr(payments, "_step", crash_once)
    with pytest.raises(RuntimeError):
        jobs.run(attempt["job_id"])
    assert _reload(PaymentAttempt, attempt["id"]).stripe_payment_intent_id is None  # our write was lost
    assert jobs.run(attempt["job_id"])["status"] == "succeeded"  # the retry reconciles
    key = _reload(PaymentAttempt, attempt["id"]).idempotency_key
    assert len(_intents_for(key)) == 1
    assert _reload(Invoice, invoice.id).status == "paid"


def test_an_attempt_given_up_for_lost_is_never_charged_again(client, world, monkeypatch):
    """Stripe charged, then our worker never heard back: the attempt is marked failed
    (provider unreachable). Paying again finds the earlier charge instead of making one."""
    _save_card(client, world)
    invoice = _open_invoice(world.practice.id)
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    first = _pay(client, world, invoice.id).get_json()

    def unreachable(name):
        raise ConnectionError("the network dropped after Stripe charged")

    monkeypatch.setattr(payments, "_step", unreachable)
    with pytest.raises(ConnectionError):
        jobs.run(first["job_id"])
    transactional(payments.collect_failed)(first["id"])  # what the job system does once it gives up
    assert (_reload(PaymentAttempt, first["id"]).status, _reload(Invoice, invoice.id).status) == ("failed", "open")
    monkeypatch.setattr(payments, "_step", lambda name: None)
    second = _pay(client, world, invoice.id, key="pay-2").get_json()
    assert jobs.run(second["job_id"])["status"] == "failed"
    assert _reload(PaymentAttempt, second["id"]).failure_code == "already_collected"
    assert _reload(Invoice, invoice.id).status == "paid"
    customer = db.session.get(PaymentProfile, world.practice.id).stripe_customer_id
    intents = payments.stripe_client().v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    assert len([i for i in intents if i.customer == customer]) == 1  # one charge, ever


# --- webhooks we sign ourselves --------------------------------------------------------








def _processing_attempt(world) -> tuple[Invoice, PaymentAttempt]:
    invoice = _open_invoice(world.practice.id, 500)
    attempt = PaymentAttempt(invoice_id=invoice.id, attempt_number=1, idempotency_key="gpo-invoice-x-attempt-1",
                             amount_cents=500, status="processing", requested_by="t")
    db.session.add(attempt)
    db.session.commit()
    return invoice, attempt





@pytest.mark.parametrize("signature", [
    lambda p: signed_webhook(p, secret="whsec_someone_else"),
    lambda p: signed_webhook(p, at=int(time.time()) - 3600),  # stale: replayed an hour later
    lambda p: signed_webhook(p + b" "),  # signed another body
    lambda p: "t=1,v1=deadbeef",
    lambda p: None,
])
def test_a_forged_or_stale_signature_is_a_400_and_changes_nothing(client, world, signature):
    invoice, attempt = _processing_attempt(world)
    payload = stripe_event("evt_forged", "pi_forged", attempt.idempotency_key)
    assert_error(deliver_webhook(client, payload, signature(payload)), 400)
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert (_reload(Invoice, invoice.id).status, _reload(PaymentAttempt, attempt.id).status) == ("open", "processing")


def test_the_same_event_three_times_is_processed_once(client, world):
    invoice, attempt = _processing_attempt(world)
    payload = stripe_event("evt_once", "pi_once", attempt.idempotency_key)
    answers = [deliver_webhook(client, payload, signed_webhook(payload)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json()["duplicate"] for a in answers] == [False, True, True]
    assert answers[0].get_json()["effect"] == "succeeded"
    assert _reload(Invoice, invoice.id).status == "paid"
    assert _reload(PaymentAttempt, attempt.id).stripe_payment_intent_id == "pi_once"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "invoice.paid")) == 1


def test_events_that_are_not_ours_are_acknowledged_and_ignored(client, world):
    payload = stripe_event("evt_other", "pi_other", "someone-elses-key")
    answer = deliver_webhook(client, payload, signed_webhook(payload))
    assert (answer.status_code, answer.get_json()["effect"]) == (200, "ignored")
