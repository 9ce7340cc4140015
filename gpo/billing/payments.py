"""Collecting invoices through Stripe (DOMAIN.md "Billing", payments).

We keep only Stripe ids (cus_, pm_, pi_), never card data. Paying writes a payment
attempt with its idempotency key first; a job then talks to Stripe outside any database
transaction and records the outcome in a new one. Stripe's webhooks record the same
outcome (whichever comes first wins; the other finds it done).

Never charging twice does not rely on Stripe's Idempotency-Key alone (the test server
ignores it): before creating a PaymentIntent the job looks for one carrying the
attempt's key in its metadata, left by an earlier run that crashed after Stripe
answered.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets

import stripe
from flask import current_app
from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.models import Invoice, PaymentAttempt, PaymentProfile, StripeEvent
from gpo.db import commit_midway, db, flush_unless_duplicate, lock_row, utcnow
from gpo.errors import Conflict, DomainError, Invalid
from gpo.jobs import enqueue

log = logging.getLogger("gpo.billing.payments")

MAX_ATTEMPTS = 3  # then the invoice is uncollectible


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


# --- the practice's customer and payment method ---------------------------------------


def _profile_for_update(practice_id: int) -> PaymentProfile:
    profile = db.session.scalars(select(PaymentProfile).where(PaymentProfile.practice_id == practice_id)
                                 .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if profile is None:
        flush_unless_duplicate(PaymentProfile(practice_id=practice_id))  # or created at the same moment: lock it
        profile = db.session.scalars(select(PaymentProfile).where(PaymentProfile.practice_id == practice_id)
                                     .with_for_update().execution_options(populate_existing=True)).one()
    return profile


def ensure_customer(practice: Practice) -> PaymentProfile:
    """The practice's Stripe customer, created when first needed (the profile row is
    locked meanwhile, so two requests cannot create two)."""
    profile = _profile_for_update(practice.id)
    if profile.stripe_customer_id is None:
        try:
            customer = stripe_client().v1.customers.create(
                {"name": practice.name, "metadata": {"gpo_practice_id": str(practice.id)}},
                {"idempotency_key": f"gpo-customer-practice-{practice.id}"})
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"Stripe did not create the customer: {exc.user_message or exc}") from exc
        profile.stripe_customer_id = customer.id
        profile.updated_at = utcnow()
    return profile


def payment_method_view(profile: PaymentProfile) -> dict:
    return {"practice_id": profile.practice_id, "stripe_customer_id": profile.stripe_customer_id,
            "stripe_payment_method_id": profile.stripe_payment_method_id, "updated_at": profile.updated_at}


def save_payment_method(principal: Principal, practice_id: int, payment_method_id: str) -> dict:
    """Attach a payment method collected by the storefront (Stripe Elements) to the
    practice's customer; later payments charge it."""
    practice = policy.load(principal, Practice, practice_id, "payment_method.update")
    profile = ensure_customer(practice)
    try:
        stripe_client().v1.payment_methods.attach(payment_method_id, {"customer": profile.stripe_customer_id})
    except (stripe.CardError, stripe.InvalidRequestError) as exc:
        raise Invalid(f"Stripe refused payment method {payment_method_id}: {exc.user_message or exc}",
                      {"json": {"stripe_payment_method_id": [exc.user_message or "refused by Stripe"]}}) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe could not attach the payment method: {exc.user_message or exc}") from exc
    profile.stripe_payment_method_id = payment_method_id
    profile.updated_at = utcnow()
    audit.record(principal, "payment_method.update", practice, details={"stripe_payment_method_id": payment_method_id})
    db.session.flush()
    return payment_method_view(profile)


def get_payment_method(principal: Principal, practice_id: int) -> dict:
    policy.load(principal, Practice, practice_id, "payment_method.read")
    profile = db.session.get(PaymentProfile, practice_id) or PaymentProfile(practice_id=practice_id)
    return payment_method_view(profile)


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
        PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status.in_(("pending", "processing")))).first()
    if in_flight is not None:
        return in_flight
    number = (db.session.scalar(select(func.max(PaymentAttempt.attempt_number))
                                .where(PaymentAttempt.invoice_id == invoice.id)) or 0) + 1
    attempt = PaymentAttempt(invoice_id=invoice.id, attempt_number=number, idempotency_key=attempt_key(invoice.id, number),
                             amount_cents=invoice.total_cents, status="pending", requested_by=principal.label)
    db.session.add(attempt)
    db.session.flush()
    attempt.job_id = enqueue("billing.collect", principal, attempt_id=attempt.id).id
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


def collect_failed(attempt_id: int) -> None:
    """The job failed for good (Stripe unreachable): the attempt fails, to be retried on
    the schedule. Should Stripe have charged after all, its webhook still marks the
    invoice paid."""
    attempt = lock_row(PaymentAttempt, attempt_id)
    if attempt.status in ("pending", "processing"):
        _fail(attempt, db.session.get(Invoice, attempt.invoice_id), "provider_unreachable",
              "the payment provider could not be reached")
        db.session.flush()
def collect(attempt_id: int) -> dict:
    """Charge the attempt's amount to the practice's saved payment method."""
    attempt = lock_row(PaymentAttempt, attempt_id)
    if attempt.status in ("succeeded", "failed"):
        return {"status": attempt.status}
    invoice = db.session.get(Invoice, attempt.invoice_id)
    profile = db.session.get(PaymentProfile, invoice.practice_id)
    if invoice.status != "open" or profile is None or profile.stripe_payment_method_id is None:
        reason = (f"invoice is {invoice.status}" if invoice.status != "open" else "no saved payment method")
        _fail(attempt, invoice, "not_collectible", reason)
        db.session.flush()
        return {"status": attempt.status}
    attempt.status = "processing"
    key, customer, method, amount = (attempt.idempotency_key, profile.stripe_customer_id,
                                     profile.stripe_payment_method_id, attempt.amount_cents)
    commit_midway("the attempt is recorded as processing: no transaction stays open while Stripe answers")

    client = stripe_client()
    decline = None
    intent = _find_intent(client, customer, key)
    if intent is None:
        earlier = _find_collected(client, customer, invoice.id, key)
        if earlier is not None:  # never charge an invoice twice: record the earlier payment instead
            earlier_attempt = db.session.scalar(select(PaymentAttempt.id).where(
                PaymentAttempt.idempotency_key == _as_dict(earlier.metadata).get("gpo_attempt_key")))
            if earlier_attempt is not None:
                record_outcome(earlier_attempt, earlier)
            status = record_outcome(attempt_id, None, (
                "already_collected", f"PaymentIntent {earlier.id} of an earlier attempt already collected this invoice"))
            db.session.flush()
            return {"status": status, "payment_intent": earlier.id}
    if intent is None:
        try:
            intent = client.v1.payment_intents.create({
                "amount": amount, "currency": "usd", "customer": customer, "payment_method": method,
                "confirm": True, "off_session": True,
                "metadata": {"gpo_invoice_id": str(invoice.id), "gpo_attempt_id": str(attempt_id),
                             "gpo_attempt_key": key}}, {"idempotency_key": key})
        except stripe.CardError as exc:  # declined: the intent exists, waiting for another method
            decline = (exc.code or "card_declined", exc.user_message or str(exc))
            intent = _find_intent(client, customer, key)
        except stripe.InvalidRequestError as exc:  # e.g. the card was detached: fails like a decline
            decline = (exc.code or "invalid_request", exc.user_message or str(exc))
    _step("stripe_answered")
    status = record_outcome(attempt_id, intent, decline)
    db.session.flush()
    return {"status": status, "payment_intent": intent.id if intent is not None else None}


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


def retry_due_payments(now: dt.datetime | None = None) -> list[int]:
    """The schedule (`flask gpo tick`): a new attempt for each open invoice whose last
    attempt failed and whose retry time has come."""
    now = now or utcnow()
    due = db.session.scalars(select(PaymentAttempt.id).where(
        PaymentAttempt.status == "failed", PaymentAttempt.next_retry_at <= now)).all()
    started = []
    for attempt_id in due:
        attempt = lock_row(PaymentAttempt, attempt_id)
        invoice = lock_row(Invoice, attempt.invoice_id)
        if attempt.next_retry_at is None or attempt.next_retry_at > now:
            db.session.flush()
            continue
        attempt.next_retry_at = None
        if invoice.status == "open":
            started.append(start_attempt(SYSTEM, invoice).id)
        db.session.flush()
    return started


# --- webhooks ------------------------------------------------------------------------


class BadSignature(DomainError):
    status_code = 400


_PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


def _check_event_shape(payload: bytes) -> None:
    """A signed body is still refused (400) unless it is a Stripe event we can read: a
    JSON object with a string `id` and `type` and a `data.object` object (for the
    payment intent events we act on: its string `id` and `status`)."""

    def refuse(what: str):
        raise DomainError(f"the signed body is not a Stripe event: {what}", status_code=400)

    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        refuse("not JSON")
    if not isinstance(event, dict):
        refuse("not a JSON object")
    for field in ("id", "type"):
        if not isinstance(event.get(field), str) or not 1 <= len(event[field]) <= 64:
            refuse(f"`{field}` must be a string of 1 to 64 characters")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        refuse("`data.object` must be an object")
    if event["type"] in _PAYMENT_INTENT_EVENTS:
        intent = data["object"]
        if not isinstance(intent.get("id"), str) or not isinstance(intent.get("status"), str):
            refuse("a payment intent needs a string `id` and `status`")
        if not 1 <= len(intent["id"]) <= 64:  # stored in a 64-character column
            refuse("a payment intent's `id` must be 1 to 64 characters")
        for field in ("metadata", "last_payment_error"):
            if intent.get(field) is not None and not isinstance(intent[field], dict):
                refuse(f"`{field}` must be an object")
        attempt_key = (intent.get("metadata") or {}).get("gpo_attempt_key")
        if attempt_key is not None and not isinstance(attempt_key, str):
            refuse("`metadata.gpo_attempt_key` must be a string")
        error = intent.get("last_payment_error") or {}
        if any(error.get(k) is not None and not isinstance(error[k], str) for k in ("code", "message")):
            refuse("`last_payment_error` code and message must be strings")


def handle_webhook(payload: bytes, signature: str | None) -> dict:
    """Verify the signature on the raw body, then process each event id once: the event
    row and its effect commit together, so a duplicate delivery finds the row and
    changes nothing."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadSignature(f"the Stripe signature does not match this body: {exc}") from exc
    _check_event_shape(payload)
    event = stripe.Webhook.construct_event(payload, signature, secret)
    if not flush_unless_duplicate(StripeEvent(id=event.id, type=event.type, received_at=utcnow())):
        return {"received": True, "duplicate": True, "event_id": event.id}
    effect = "ignored"
    if event.type in _PAYMENT_INTENT_EVENTS:
        intent = event.data.object
        attempt_id = db.session.scalar(select(PaymentAttempt.id).where(
            PaymentAttempt.stripe_payment_intent_id == intent.id))
        if attempt_id is None:
            attempt_id = db.session.scalar(select(PaymentAttempt.id).where(
                PaymentAttempt.idempotency_key == _as_dict(getattr(intent, "metadata", None)).get("gpo_attempt_key", "")))
        if attempt_id is not None:
            effect = record_outcome(attempt_id, intent)
    db.session.flush()
    return {"received": True, "duplicate": False, "event_id": event.id, "effect": effect}
