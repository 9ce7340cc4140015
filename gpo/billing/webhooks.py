"""Stripe's webhooks: the outcome of a payment attempt told by Stripe (DOMAIN.md
"Billing", payments). The signature is checked on the raw body, each event id is
processed once, and the outcome is recorded exactly as the collection job records it
(`payments.record_outcome`): whichever comes first wins, the other finds it done.
"""
from __future__ import annotations

import json

import stripe
from flask import current_app
from sqlalchemy import select

from gpo.billing.models import PaymentAttempt, StripeEvent
from gpo.billing.payments import _as_dict, record_outcome
from gpo.db import db, flush_unless_duplicate, utcnow
from gpo.errors import DomainError


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
