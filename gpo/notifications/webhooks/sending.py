"""Sending webhook deliveries: the channel's `deliver_due`, and the three steps every
attempt takes, a replay's too.

1. Claim, in its own unit of work: the delivery is locked (SKIP LOCKED: another
   dispatcher skips it), marked `sending` with a lease (`next_attempt_at` = now +
   the timeout + a margin) and committed, with what the send needs copied out.
2. Send, outside any transaction: the URL is vetted again (DNS may have changed), the
   body signed with the real time of the attempt (the receiver checks its timestamp
   against its own clock), and POSTed (transport.py).
3. Record, in a new unit of work: the attempt is kept, and the delivery succeeds,
   waits for its next try on the schedule, or fails for good; a 410 disables the
   endpoint.

A crash between 2 and 3 leaves the claim: once its lease lapses the delivery is due
again and sent again under the same `webhook-id` (at least once), recorded once.
The delivery's times (due, lease, attempted) follow gpo's clock (`utcnow`); only the
signed timestamp is the wall clock's."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from gpo.db import after_commit, db, lock_row, unit_of_work, utcnow
from gpo.notifications import dispatcher
from gpo.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gpo.notifications.outbox import webhook_body
from gpo.notifications.webhooks import addresses, endpoints, schedule, signing, transport

log = logging.getLogger("gpo.notifications.webhooks")

LEASE_MARGIN = dt.timedelta(seconds=30)
WAITING = ("pending", "sending")  # sending: due again once its claim's lease lapses


@dataclass(frozen=True)
class Claim:
    """What one attempt sends, copied out of the claim's transaction."""

    delivery_id: int
    endpoint_id: int
    attempt_number: int  # the delivery's attempt_count once claimed (a replay leaves it)
    url: str
    webhook_id: str
    body: str  # the exact JSON text that is signed and sent
    keys: tuple[str, ...] = field(repr=False)  # the signing secrets: never logged
    replay: bool = False
    # A replay that fails puts the delivery back as it was (status, next attempt).
    before: tuple[str, dt.datetime | None] | None = None


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10)) + LEASE_MARGIN


def deliver_due(limit: int = 500) -> int:
    """The channel's delivery step: claim, send and record each due delivery (oldest
    due first); returns how many were attempted. One delivery's trouble never stops
    the others: its claim lapses and it is tried again."""
    with unit_of_work():
        due = db.session.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.status.in_(WAITING),
                                             WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
    attempted = 0
    for delivery_id in due:
        try:
            with unit_of_work():
                claim = claim_due(delivery_id)
            if claim is None:
                continue
            attempted_at, answer = send(claim)
            with unit_of_work():
                record(claim, attempted_at, answer)
            attempted += 1
        except Exception:
            log.exception("webhook delivery %s: the attempt was not recorded; it is tried again once its claim lapses",
                          delivery_id)
    return attempted


def claim_due(delivery_id: int) -> Claim | None:
    """Claim the delivery if it is still due and nobody holds it (None otherwise). A
    delivery whose endpoint was disabled, or whose last attempt's claim lapsed, is
    given up instead of sent."""
    now = utcnow()
    delivery = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(WAITING),
                                      WebhookDelivery.next_attempt_at <= now)
        .with_for_update(skip_locked=True)).one_or_none()
    if delivery is None:
        return None  # another dispatcher has it, or had it
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if not endpoint.enabled or delivery.attempt_count >= schedule.MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delivery.status = "sending"
    delivery.attempt_count += 1
    delivery.next_attempt_at = now + lease()
    db.session.flush()
    return claim_of(delivery, endpoint)


def claim_of(delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, replay: bool = False,
             before: tuple[str, dt.datetime | None] | None = None) -> Claim:
    event = delivery.event
    keys = signing.signing_secrets(endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_expires_at,
                                   utcnow())
    return Claim(delivery_id=delivery.id, endpoint_id=endpoint.id, attempt_number=delivery.attempt_count,
                 url=endpoint.url, webhook_id=event.webhook_id,
                 body=json.dumps(webhook_body(event), separators=(",", ":")), keys=tuple(keys),
                 replay=replay, before=before)


def send(claim: Claim) -> tuple[dt.datetime, transport.Answer]:
    """One attempt, outside any transaction: vet the URL again, sign, POST. Returns when
    it was attempted (gpo's clock) and what came of it."""
    attempted_at = utcnow()
    try:
        target = addresses.vet(claim.url, allow_private=endpoints.private_urls_allowed())
    except addresses.RefusedURL as refused:
        log.warning("webhook delivery %s not sent: %s", claim.delivery_id, refused)
        return attempted_at, transport.Answer(None, 0, f"not sent: {refused}")
    signed_at = dt.datetime.now(dt.timezone.utc)  # the wall clock: what the receiver's tolerance checks
    headers = {
        "content-type": "application/json",
        "webhook-id": claim.webhook_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signing.signature_header(list(claim.keys), claim.webhook_id, signed_at, claim.body),
    }
    timeout = current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10)
    answer = transport.post(target, claim.body.encode(), headers, timeout)
    log.info("webhook delivery %s (%s) attempt %s%s: %s in %s ms", claim.delivery_id, claim.webhook_id,
             claim.attempt_number, " (replay)" if claim.replay else "", answer.status_code or answer.error,
             answer.duration_ms)
    return attempted_at, answer


def record(claim: Claim, attempted_at: dt.datetime, answer: transport.Answer) -> WebhookDelivery | None:
    """Keep the attempt and decide what follows (see the module's docstring). None when
    the delivery no longer exists (its endpoint was deleted meanwhile). The next attempt
    is scheduled from when the answer came (`attempted_at` + its duration)."""
    now = attempted_at + dt.timedelta(milliseconds=answer.duration_ms)
    if answer.status_code == 410:  # the endpoint first: locks are taken endpoint, then delivery
        endpoints.disable_gone(claim.endpoint_id, f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC")
    delivery = lock_row(WebhookDelivery, claim.delivery_id)
    if delivery is None:
        log.info("webhook delivery %s was deleted with its endpoint: its attempt is not kept", claim.delivery_id)
        return None
    db.session.add(WebhookAttempt(
        delivery_id=delivery.id, attempted_at=attempted_at, duration_ms=answer.duration_ms,
        status_code=answer.status_code, error=(answer.error or None) and answer.error[:500],
        succeeded=answer.succeeded, replay=claim.replay))
    if answer.succeeded:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        delivery.last_status_code, delivery.delivered_at = answer.status_code, now
    elif delivery.status == "succeeded":
        pass  # delivered already (a replay, or a lapsed claim's late answer): it stays delivered
    elif claim.replay:  # a failed replay takes no turn of the schedule (a 410 disabled the endpoint above)
        if delivery.status == "sending" and claim.before is not None:
            delivery.status, delivery.next_attempt_at = claim.before  # as it was before the replay
    elif answer.status_code == 410:
        delivery.status, delivery.next_attempt_at, delivery.last_status_code = "failed", None, 410
    elif delivery.status == "sending" and delivery.attempt_count == claim.attempt_number:
        _schedule_retry(delivery, answer, now)
    # else: the claim lapsed and another attempt owns the delivery, or it was stopped
    db.session.flush()
    return delivery


def _schedule_retry(delivery: WebhookDelivery, answer: transport.Answer, now: dt.datetime) -> None:
    delivery.last_status_code = answer.status_code
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    delay = schedule.next_attempt_delay(delivery.attempt_count, answer.retry_after, now) \
        if endpoint is not None and endpoint.enabled else None
    if delay is None:
        delivery.status, delivery.next_attempt_at = "failed", None
        return
    delivery.status, delivery.next_attempt_at = "pending", now + delay
    when = delivery.next_attempt_at
    after_commit(lambda: dispatcher.wake_at(when))
