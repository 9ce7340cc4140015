"""Paying invoices through Stripe (DOMAIN.md "Billing", payments): the attempts and the
job that collects each one. The saved card is in gpo/billing/payment_methods.py,
Stripe's webhooks in gpo/billing/webhooks.py.

We keep only Stripe ids (cus_, pm_, pi_), never card data. Paying writes a payment
attempt with its idempotency key first; a job then talks to Stripe outside any database
transaction and records the outcome in a new one. Stripe's webhooks record the same
outcome (whichever comes first wins; the other finds it done).

Never charging twice does not rely on Stripe's Idempotency-Key alone (the test server
ignores it): before creating a PaymentIntent the job looks for one carrying the
attempt's key in its metadata, left by an earlier run that crashed after Stripe
answered.

An attempt's life is a `jobs.RunLifecycle` (`COLLECTION`): pending (queued) ->
processing (committed midway, before Stripe is called) -> succeeded or failed. A failed
attempt is never run again: the retry schedule starts a new attempt.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

import stripe
from flask import current_app
from sqlalchemy import func, select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.models import Invoice, PaymentAttempt, PaymentProfile
from gpo.db import commit_midway, db, lock_row, utcnow
from gpo.errors import Conflict, DomainError
from gpo.jobs import RunLifecycle
from gpo.money import format_dollars
from gpo.notifications import outbox

log = logging.getLogger("gpo.billing.payments")

MAX_ATTEMPTS = 3  # then the invoice is uncollectible
IN_FLIGHT = ("pending", "processing")

# The collection job's lifecycle: `pending` until its job runs, `processing` once it
# calls Stripe; `succeeded` and `failed` are its ends (a rerun returns them untouched).
# A failed attempt is never run again: a retry is a new attempt, with its own key.
COLLECTION = RunLifecycle(kind="billing.collect", model=PaymentAttempt, id_arg="attempt_id",
                          waiting="pending", running=("processing",), done="succeeded", also_ended=("failed",))


def _step(name: str) -> None:
    """Between steps (tests inject crashes here)."""


def stripe_client() -> stripe.StripeClient:
    config = current_app.config
    options = {"max_network_retries": 2}
    if config.get("STRIPE_API_BASE"):  # localstripe in development and tests; unset for Stripe itself
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    return stripe.StripeClient(config["STRIPE_API_KEY"], **options)


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused the request (502)."""

    status_code = 502


# --- paying --------------------------------------------------------------------------


def attempt_key(invoice_id: int, number: int) -> str:
    """Derived from the invoice and attempt number, plus a random part: ids start again
    in another database (staging, a restore) sharing the Stripe account, and such a key
    must never match a PaymentIntent that is not this attempt's."""
    return f"gpo-invoice-{invoice_id}-attempt-{number}-{secrets.token_hex(6)}"


def start_attempt(principal: Principal, invoice: Invoice) -> PaymentAttempt:
    """A new attempt for an open invoice (the invoice row is locked by the caller),
    recorded before Stripe is called, and the job that collects it."""
    in_flight = db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status.in_(IN_FLIGHT))).first()
    if in_flight is not None:
        return in_flight
    number = (db.session.scalar(select(func.max(PaymentAttempt.attempt_number))
                                .where(PaymentAttempt.invoice_id == invoice.id)) or 0) + 1
    attempt = PaymentAttempt(invoice_id=invoice.id, attempt_number=number, idempotency_key=attempt_key(invoice.id, number),
                             amount_cents=invoice.total_cents, status="pending", requested_by=principal.label)
    db.session.add(attempt)
    db.session.flush()
    COLLECTION.start(principal, attempt)
    audit.record(principal, "invoice.pay", invoice, details={"attempt": number, "amount_cents": invoice.total_cents})
    return attempt


def pay(principal: Principal, invoice_id: int) -> PaymentAttempt:
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.pay", for_update=True)
    if invoice.status != "open" or invoice.kind == "credit":
        raise Conflict(f"invoice {invoice.id} is {invoice.status}: only an open invoice is paid")
    profile = db.session.get(PaymentProfile, invoice.practice_id)
    if profile is None or profile.stripe_payment_method_id is None:
        raise Conflict(f"practice {invoice.practice_id} has no saved payment method: "
                       f"PUT /api/v1/practices/{invoice.practice_id}/payment-method first")
    attempt = start_attempt(principal, invoice)
    db.session.flush()
    return attempt


def _as_dict(value) -> dict:
    """A StripeObject field (metadata, last_payment_error) as a plain dict."""
    if value is None:
        return {}
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def _intents_of(client: stripe.StripeClient, customer_id: str):
    """The customer's PaymentIntents, newest first. Stripe filters by customer; the test
    server does not know the filter and lists everything."""
    try:
        intents = client.v1.payment_intents.list({"customer": customer_id, "limit": 100})
    except stripe.InvalidRequestError:
        intents = client.v1.payment_intents.list({"limit": 100})
    for intent in intents.auto_paging_iter():
        if intent.customer == customer_id:
            yield intent


def _find_intent(client: stripe.StripeClient, customer_id: str, key: str):
    """The PaymentIntent an earlier run created for this attempt, if any (by metadata)."""
    for intent in _intents_of(client, customer_id):
        if _as_dict(getattr(intent, "metadata", None)).get("gpo_attempt_key") == key:
            return intent
    return None


def _find_collected(client: stripe.StripeClient, customer_id: str, invoice_id: int, key: str):
    """A PaymentIntent of another attempt at this invoice that took (or is taking) the
    money: an attempt given up for lost (Stripe unreachable) may have charged after all."""
    for intent in _intents_of(client, customer_id):
        metadata = _as_dict(getattr(intent, "metadata", None))
        if (metadata.get("gpo_invoice_id") == str(invoice_id) and metadata.get("gpo_attempt_key") != key
                and intent.status in ("succeeded", "processing")):
            return intent
    return None


def give_up(attempt: PaymentAttempt) -> None:
    """The collection job failed for good (Stripe unreachable): the attempt fails, to be
    retried on the schedule. Should Stripe have charged after all, its webhook still
    marks the invoice paid. (`COLLECTION`'s failed-for-good step, on a row in flight.)"""
    _fail(attempt, db.session.get(Invoice, attempt.invoice_id), "provider_unreachable",
          "the payment provider could not be reached")
    db.session.flush()


def collect_failed(attempt_id: int) -> None:
    """What the job system does once the collection job failed for good, callable on its
    own (the tests do): the attempt, if still in flight, is given up."""
    COLLECTION.fail_for_good(attempt_id)


def collect_attempt(attempt: PaymentAttempt) -> dict:
    """Charge the attempt's amount to the practice's saved payment method (`COLLECTION`'s
    work: the attempt row is locked, still in flight)."""
    invoice = db.session.get(Invoice, attempt.invoice_id)
    profile = db.session.get(PaymentProfile, invoice.practice_id)
    if invoice.status != "open" or profile is None or profile.stripe_payment_method_id is None:
        reason = (f"invoice is {invoice.status}" if invoice.status != "open" else "no saved payment method")
        _fail(attempt, invoice, "not_collectible", reason)
        db.session.flush()
        return {"status": attempt.status}
    attempt.status = "processing"
    attempt_id, invoice_id = attempt.id, invoice.id
    key, customer, method, amount = (attempt.idempotency_key, profile.stripe_customer_id,
                                     profile.stripe_payment_method_id, attempt.amount_cents)
    commit_midway("the attempt is recorded as processing: no transaction stays open while Stripe answers")

    client = stripe_client()
    decline = None
    intent = _find_intent(client, customer, key)
    if intent is None:
        earlier = _find_collected(client, customer, invoice_id, key)
        if earlier is not None:  # never charge an invoice twice: record the earlier payment instead
            return _record_earlier_payment(attempt_id, earlier)
        intent, decline = _charge(client, key, {
            "amount": amount, "currency": "usd", "customer": customer, "payment_method": method,
            "confirm": True, "off_session": True,
            "metadata": {"gpo_invoice_id": str(invoice_id), "gpo_attempt_id": str(attempt_id), "gpo_attempt_key": key}})
    _step("stripe_answered")
    status = record_outcome(attempt_id, intent, decline)
    db.session.flush()
    return {"status": status, "payment_intent": intent.id if intent is not None else None}


def _charge(client: stripe.StripeClient, key: str, params: dict):
    """Create the attempt's PaymentIntent: (the intent, None), or a decline (the intent,
    if Stripe kept one, and (code, message))."""
    try:
        return client.v1.payment_intents.create(params, {"idempotency_key": key}), None
    except stripe.CardError as exc:  # declined: the intent exists, waiting for another method
        return _find_intent(client, params["customer"], key), (exc.code or "card_declined", exc.user_message or str(exc))
    except stripe.InvalidRequestError as exc:  # e.g. the card was detached: fails like a decline
        return None, (exc.code or "invalid_request", exc.user_message or str(exc))


def _record_earlier_payment(attempt_id: int, earlier) -> dict:
    """Another attempt's PaymentIntent already collected the invoice: that attempt
    succeeds (if it is ours), this one fails as `already_collected`."""
    earlier_attempt = db.session.scalar(select(PaymentAttempt.id).where(
        PaymentAttempt.idempotency_key == _as_dict(earlier.metadata).get("gpo_attempt_key")))
    if earlier_attempt is not None:
        record_outcome(earlier_attempt, earlier)
    status = record_outcome(attempt_id, None, (
        "already_collected", f"PaymentIntent {earlier.id} of an earlier attempt already collected this invoice"))
    db.session.flush()
    return {"status": status, "payment_intent": earlier.id}


def record_outcome(attempt_id: int, intent, decline: tuple[str, str] | None = None) -> str:
    """What Stripe said about an attempt, from the job or from a webhook, in the
    caller's transaction. Idempotent: an attempt that has its outcome keeps it."""
    attempt = lock_row(PaymentAttempt, attempt_id)
    if intent is not None and attempt.stripe_payment_intent_id is None:
        attempt.stripe_payment_intent_id = intent.id
    status = intent.status if intent is not None else None
    # Money received always counts, even on an attempt given up for lost; a failure is recorded once.
    if attempt.status == "succeeded" or (attempt.status == "failed" and status != "succeeded"):
        return attempt.status
    invoice = lock_row(Invoice, attempt.invoice_id)
    if status == "succeeded":
        attempt.status, attempt.finished_at = "succeeded", utcnow()
        if invoice.status in ("open", "uncollectible"):
            invoice.status, invoice.paid_at = "paid", utcnow()
            audit.record(SYSTEM, "invoice.paid", invoice, details={
                "attempt": attempt.attempt_number, "stripe_payment_intent_id": attempt.stripe_payment_intent_id})
        else:  # money for an invoice already paid or voided: MSO finance refunds it
            audit.record(SYSTEM, "invoice.unexpected_payment", invoice, details={
                "attempt": attempt.attempt_number, "stripe_payment_intent_id": attempt.stripe_payment_intent_id,
                "invoice_status": invoice.status})
            log.warning("payment %s received for invoice %s, which is %s: refund it",
                        attempt.stripe_payment_intent_id, invoice.id, invoice.status)
    elif decline is not None or status in ("requires_payment_method", "requires_action", "canceled", None):
        error = _as_dict(getattr(intent, "last_payment_error", None)) if intent is not None else {}
        if status == "requires_action" and not decline:  # off-session: the cardholder is not there to authenticate
            error = {"code": "authentication_required", "message": "the card needs the cardholder to authenticate"}
        code = decline[0] if decline else (error.get("code") or "payment_failed")
        message = decline[1] if decline else (error.get("message") or f"PaymentIntent {status or 'missing'}")
        _fail(attempt, invoice, code, message)
    # `processing`: Stripe's webhook will tell.
    return attempt.status


def _retry_delays() -> list[dt.timedelta]:
    return [dt.timedelta(hours=h) for h in current_app.config["PAYMENT_RETRY_HOURS"]]


def _fail(attempt: PaymentAttempt, invoice: Invoice, code: str, message: str) -> None:
    """A failed attempt is retried on the schedule; after the last one the invoice is
    uncollectible, with the reason MSO finance reads on it."""
    attempt.status, attempt.finished_at = "failed", utcnow()
    attempt.failure_code, attempt.failure_message = code[:64], message
    if invoice.status != "open":
        return
    delays = _retry_delays()
    if attempt.attempt_number >= MAX_ATTEMPTS:
        invoice.status = "uncollectible"
        invoice.uncollectible_reason = (f"{attempt.attempt_number} payment attempts failed; "
                                        f"the last on {utcnow():%Y-%m-%d}: {message} ({code})")
        audit.record(SYSTEM, "invoice.uncollectible", invoice, details={"reason": invoice.uncollectible_reason})
        log.warning("invoice %s is uncollectible: %s", invoice.id, invoice.uncollectible_reason)
    else:
        attempt.next_retry_at = utcnow() + delays[min(attempt.attempt_number, len(delays)) - 1]
        audit.record(SYSTEM, "invoice.payment_failed", invoice, details={
            "attempt": attempt.attempt_number, "code": code, "message": message,
            "next_retry_at": attempt.next_retry_at.isoformat()})
    _tell_failed(attempt, invoice, code)


# What payment.failed says of a failure code: a short public phrase (never Stripe's own
# message, which may describe the card).
_FAILURE_PHRASES = {
    "card_declined": "the card was declined",
    "expired_card": "the card has expired",
    "insufficient_funds": "the card was declined",
    "authentication_required": "the card needs the cardholder to authenticate",
    "provider_unreachable": "the payment provider could not be reached",
    "not_collectible": "no saved payment method",
}


def _tell_failed(attempt: PaymentAttempt, invoice: Invoice, code: str) -> None:
    """payment.failed: the practice's admins and MSO finance hear of every failed attempt
    at an open invoice (each retry's too), with what happens next."""
    reason = _FAILURE_PHRASES.get(code, "the payment did not go through")
    if invoice.status == "uncollectible":
        then = "no more automatic retries: the invoice is uncollectible"
    else:
        then = f"retried automatically on {attempt.next_retry_at:%Y-%m-%d %H:%M} UTC"
    outbox.emit(
        "payment.failed", invoice, practice_id=invoice.practice_id,
        summary=(f"Payment attempt {attempt.attempt_number} of invoice {invoice.number} "
                 f"({format_dollars(attempt.amount_cents)}) failed: {reason}; {then}"),
        data={"invoice_id": invoice.id, "payment_attempt_id": attempt.id, "attempt_number": attempt.attempt_number,
              "amount_cents": attempt.amount_cents, "reason": reason, "code": code,
              "next_retry_at": attempt.next_retry_at.isoformat() if attempt.next_retry_at else None,
              "invoice_status": invoice.status})


def retry_due_payments(now: dt.datetime | None = None) -> list[int]:
    """The schedule: a new attempt for each open invoice whose last attempt failed and
    whose retry time has come, in one unit of work (`flask gpo tick` gives each retry
    its own: `due_payment_retries`, then `retry_payment` for each)."""
    now = now or utcnow()
    started = (retry_payment(attempt_id, now) for attempt_id in due_payment_retries(now))
    return [attempt_id for attempt_id in started if attempt_id is not None]


def due_payment_retries(now: dt.datetime | None = None) -> list[int]:
    """The failed attempts whose retry time has come."""
    now = now or utcnow()
    return list(db.session.scalars(select(PaymentAttempt.id).where(
        PaymentAttempt.status == "failed", PaymentAttempt.next_retry_at <= now)))


def retry_payment(attempt_id: int, now: dt.datetime | None = None) -> int | None:
    """The new attempt for a failed one whose retry time has come, if its invoice is
    still open (both rows locked: a retry asked twice starts one attempt)."""
    now = now or utcnow()
    attempt = lock_row(PaymentAttempt, attempt_id)
    invoice = lock_row(Invoice, attempt.invoice_id)
    if attempt.next_retry_at is None or attempt.next_retry_at > now:
        return None
    attempt.next_retry_at = None
    started = start_attempt(SYSTEM, invoice).id if invoice.status == "open" else None
    db.session.flush()
    return started
