"""Webhook deliveries: made at fan-out (one per event and endpoint that wants it), read
with every attempt, and sent again by hand (a replay, under the same `webhook-id`).
What each endpoint's deliveries add up to, for the portal's and console's pages."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from gpo import audit
from gpo.accounts.models import Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import Paged, commit_midway, db, flush_unless_duplicate, paged, utcnow
from gpo.errors import Conflict
from gpo.notifications.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from gpo.notifications.webhooks import sending

# A delivery that failed for good this recently still waits for the vendor's attention.
RECENT_FAILURES = dt.timedelta(days=7)


def fan_out(event: OutboxEvent) -> None:
    """The channel's fan-out: one pending delivery, due now, per enabled endpoint of the
    event's vendor that wants its type (no types chosen: every type). The unique
    (endpoint, event) key keeps a second one out."""
    if event.vendor_id is None or event.event_type not in PUBLIC_EVENT_TYPES:
        return
    wanted = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.vendor_id == event.vendor_id,
                                                              WebhookEndpoint.enabled.is_(True))
                                .order_by(WebhookEndpoint.id)).all()
    now = utcnow()
    for endpoint in wanted:
        if not endpoint.event_types or event.event_type in endpoint.event_types:
            flush_unless_duplicate(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, status="pending",
                                                   attempt_count=0, next_attempt_at=now))


def list_deliveries(principal: Principal, endpoint_id: int, page: int, page_size: int) -> Paged:
    """The endpoint's deliveries, newest first, each with its event and attempts."""
    endpoint = policy.load(principal, WebhookEndpoint, endpoint_id, "webhook_delivery.read")
    stmt = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .options(selectinload(WebhookDelivery.attempts), selectinload(WebhookDelivery.event))
            .order_by(WebhookDelivery.id.desc()))
    return paged(stmt, page, page_size)


def get_delivery(principal: Principal, delivery_id: int) -> WebhookDelivery:
    return policy.load(principal, WebhookDelivery, delivery_id, "webhook_delivery.read")


def replay(principal: Principal, delivery_id: int) -> WebhookDelivery:
    """Send the delivery again now, under the same `webhook-id`, recorded as a replay
    attempt: if it succeeds the delivery is delivered; if not, it stays as it was (a
    replay takes no turn of the retry schedule). The endpoint must be enabled (409),
    and the delivery not in flight (409).

    Commits midway: the claim is committed before the receiver is called, so no
    transaction stays open while it answers (up to WEBHOOK_TIMEOUT_SECONDS)."""
    delivery = policy.load(principal, WebhookDelivery, delivery_id, "webhook_delivery.retry", for_update=True)
    endpoint = delivery.endpoint
    now = utcnow()
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled: enable it before sending a delivery again")
    if delivery.status == "sending" and delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        raise Conflict("this delivery is being sent right now: wait for its attempt to end")
    claim = sending.claim_of(delivery, endpoint, replay=True, before=(delivery.status, delivery.next_attempt_at))
    delivery.status, delivery.next_attempt_at = "sending", now + sending.lease()
    audit.record(principal, "webhook_delivery.retry", delivery, details={
        "webhook_id": claim.webhook_id, "event_type": delivery.event.event_type, "status_before": claim.before[0]})
    commit_midway("claim the delivery before sending it again, so no transaction stays open while the receiver answers")
    attempted_at, answer = sending.send(claim)
    sending.record(claim, attempted_at, answer)
    return policy.load(principal, WebhookDelivery, delivery_id, "webhook_delivery.read")


# --- what the pages show ------------------------------------------------------------


@dataclass
class EndpointSummary:
    """An endpoint and what its deliveries add up to."""

    endpoint: WebhookEndpoint
    vendor_name: str
    failed_recently: int  # failed for good within RECENT_FAILURES
    retrying: int  # waiting for another try after a failed attempt
    delivered: int
    last_attempt_at: dt.datetime | None

    @property
    def failing(self) -> bool:
        return bool(self.endpoint.disabled_reason or self.failed_recently or self.retrying)


def summaries(principal: Principal, vendor_id: int | None, page: int, page_size: int) -> Paged:
    """Endpoints with their delivery counts, failing ones first (disabled by the
    receiver, then most failures, then most retries): the vendor's (vendor_id), or for
    MSO staff every vendor's (None). One query for the page."""
    from gpo.notifications.models import WebhookAttempt

    policy.authorize(principal, "webhook_endpoint.read")
    since = utcnow() - RECENT_FAILURES
    counts = (select(
        WebhookDelivery.endpoint_id.label("endpoint_id"),
        func.sum(case(((WebhookDelivery.status == "failed") & (WebhookDelivery.created_at >= since), 1), else_=0))
        .label("failed"),
        func.sum(case((WebhookDelivery.status.in_(sending.WAITING) & (WebhookDelivery.attempt_count > 0), 1),
                      else_=0)).label("retrying"),
        func.sum(case((WebhookDelivery.status == "succeeded", 1), else_=0)).label("delivered"),
    ).group_by(WebhookDelivery.endpoint_id).subquery())
    last = (select(WebhookDelivery.endpoint_id.label("endpoint_id"), func.max(WebhookAttempt.attempted_at).label("at"))
            .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
            .group_by(WebhookDelivery.endpoint_id).subquery())
    failed, retrying = func.coalesce(counts.c.failed, 0), func.coalesce(counts.c.retrying, 0)
    stmt = (select(WebhookEndpoint, Organization.name, failed, retrying, func.coalesce(counts.c.delivered, 0), last.c.at)
            .join(Organization, Organization.id == WebhookEndpoint.vendor_id)
            .outerjoin(counts, counts.c.endpoint_id == WebhookEndpoint.id)
            .outerjoin(last, last.c.endpoint_id == WebhookEndpoint.id)
            .order_by(WebhookEndpoint.disabled_reason.is_(None), failed.desc(), retrying.desc(), WebhookEndpoint.id))
    stmt = policy.scope(principal, stmt, WebhookEndpoint.vendor_id)
    if vendor_id is not None:
        stmt = stmt.where(WebhookEndpoint.vendor_id == vendor_id)
    total = db.session.scalar(select(func.count()).select_from(
        policy.scope(principal, select(WebhookEndpoint.id), WebhookEndpoint.vendor_id)
        .where(*([WebhookEndpoint.vendor_id == vendor_id] if vendor_id is not None else [])).subquery()))
    rows = db.session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).all() if total else []
    return Paged(items=[EndpointSummary(*row) for row in rows], total=total)


def needing_attention(principal: Principal) -> tuple[list[WebhookEndpoint], int]:
    """For the portal's start page: the vendor's endpoints the receiver disabled (410),
    and how many of its deliveries failed for good within RECENT_FAILURES."""
    disabled = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.vendor_id == principal.organization_id, WebhookEndpoint.enabled.is_(False),
        WebhookEndpoint.disabled_reason.is_not(None)).order_by(WebhookEndpoint.id)).all()
    failed = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                               .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                               .where(WebhookEndpoint.vendor_id == principal.organization_id,
                                      WebhookDelivery.status == "failed",
                                      WebhookDelivery.created_at >= utcnow() - RECENT_FAILURES))
    return list(disabled), failed
