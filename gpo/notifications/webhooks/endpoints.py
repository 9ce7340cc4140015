"""A vendor's webhook endpoints (API.md "Integrations and notifications"): the URLs
that receive the events they subscribed to, each signed with its own `whsec_` secret.

Who: the vendor's admins and the MSO's admin set them up, change and delete them; MSO
staff read them; only the vendor's admin rotates the secret. The secret is in the
answer to the creation and to a rotation, and nowhere else: never in a GET, an audit
event or a log. A URL must pass the SSRF rule (addresses.py) when it is set, and
again before every delivery."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Container, TypedDict

from flask import current_app
from sqlalchemy import delete, select, update

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.db import Paged, db, paged, utcnow
from gpo.errors import Invalid
from gpo.etags import require_match
from gpo.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from gpo.notifications.webhooks import addresses, signing


class EndpointFields(TypedDict, total=False):
    url: str
    description: str
    event_types: list[str]
    enabled: bool


@dataclass
class WithSecret:
    """An endpoint and its secret, for the one answer that shows it (creation, rotation)."""

    endpoint: WebhookEndpoint
    secret: str

    def __getattr__(self, name: str):  # the endpoint's own fields
        if name == "endpoint":
            raise AttributeError(name)
        return getattr(self.endpoint, name)


def private_urls_allowed() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_URLS"))


def checked_url(url: str) -> str:
    """The URL, if gpo may call it now (422 at `url` saying why not)."""
    try:
        addresses.vet(url, allow_private=private_urls_allowed())
    except addresses.RefusedURL as refused:
        raise Invalid.of_field("url", f"{refused}.") from None
    return url


def unknown_event_types(event_types: list[str]) -> str | None:
    """What is wrong with a list of event types: the unknown ones, named (None: all known)."""
    unknown = sorted(set(event_types) - set(PUBLIC_EVENT_TYPES))
    if not unknown:
        return None
    return (f"unknown event type{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"choose from {', '.join(PUBLIC_EVENT_TYPES)}")


def event_types_in_order(event_types: list[str]) -> list[str]:
    """The subscribed types, each once, in the catalogue's order (422 at `event_types`
    naming any unknown one)."""
    problem = unknown_event_types(event_types)
    if problem:
        raise Invalid.of_field("event_types", problem)
    return [t for t in PUBLIC_EVENT_TYPES if t in set(event_types)]


def list_endpoints(principal: Principal, vendor_id: int, page: int, page_size: int) -> Paged:
    """The vendor's endpoints, oldest first."""
    vendor = policy.load(principal, Vendor, vendor_id, "webhook_endpoint.read")
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.vendor_id == vendor.id).order_by(WebhookEndpoint.id)
    return paged(stmt, page, page_size)


def get_endpoint(principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    return policy.load(principal, WebhookEndpoint, endpoint_id, "webhook_endpoint.read")


def create_endpoint(principal: Principal, vendor_id: int, data: EndpointFields) -> WithSecret:
    """A new endpoint of the vendor, with a new secret (shown in this answer only)."""
    vendor = policy.load(principal, Vendor, vendor_id, "webhook_endpoint.create")
    url = checked_url(data["url"])
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        vendor_id=vendor.id, url=url, description=data.get("description", ""),
        event_types=event_types_in_order(data.get("event_types", [])), enabled=data.get("enabled", True),
        secret=secret, created_by=principal.label,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(principal, "webhook_endpoint.create", endpoint, details={
        "url": endpoint.url, "event_types": endpoint.event_types, "enabled": endpoint.enabled})
    return WithSecret(endpoint, secret)


def _locked(principal: Principal, endpoint_id: int, action: str) -> WebhookEndpoint:
    return policy.load(principal, WebhookEndpoint, endpoint_id, action, for_update=True)


def update_endpoint(principal: Principal, endpoint_id: int, data: EndpointFields,
                    if_match: Container[str]) -> WebhookEndpoint:
    """Change the URL (checked again), description, event types or whether it is
    enabled. Turning it on again clears why it was disabled; turning it off stops the
    deliveries still waiting."""
    endpoint = _locked(principal, endpoint_id, "webhook_endpoint.update")
    require_match(endpoint, if_match)
    wanted = dict(data)
    if "url" in wanted and wanted["url"] != endpoint.url:
        checked_url(wanted["url"])
    if "event_types" in wanted:
        wanted["event_types"] = event_types_in_order(wanted["event_types"])
    was_enabled, reason = endpoint.enabled, endpoint.disabled_reason
    changes = audit.apply_changes(endpoint, wanted)
    if endpoint.enabled and not was_enabled:
        endpoint.disabled_reason = None
        if reason:
            changes["disabled_reason"] = [reason, None]
    if was_enabled and not endpoint.enabled:
        changes["deliveries_stopped"] = [None, str(stop_waiting_deliveries(endpoint.id))]
    if changes:
        audit.record(principal, "webhook_endpoint.update", endpoint, details=changes)
    db.session.flush()
    return endpoint


def delete_endpoint(principal: Principal, endpoint_id: int, if_match: Container[str]) -> None:
    """Remove the endpoint with its deliveries and their attempts (the audit trail keeps
    that it existed). A delivery in flight finds it gone and records nothing."""
    endpoint = _locked(principal, endpoint_id, "webhook_endpoint.delete")
    require_match(endpoint, if_match)
    delivery_ids = db.session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
                                      .with_for_update()).all()  # a delivery being recorded finishes first
    audit.record(principal, "webhook_endpoint.delete", endpoint, details={
        "url": endpoint.url, "deliveries_removed": len(delivery_ids)})
    if delivery_ids:
        db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(principal: Principal, endpoint_id: int, if_match: Container[str] | None = None) -> WithSecret:
    """A new secret; the one it replaces keeps signing for 24 hours (both signatures are
    sent meanwhile). With `if_match` (the portal's form), only from the version read."""
    endpoint = _locked(principal, endpoint_id, "webhook_endpoint.rotate_secret")
    if if_match is not None:
        require_match(endpoint, if_match)
    now = utcnow()
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + signing.ROTATION_OVERLAP
    endpoint.secret = secret
    audit.record(principal, "webhook_endpoint.rotate_secret", endpoint, details={
        "previous_secret_signs_until": endpoint.previous_secret_expires_at.isoformat()})
    db.session.flush()
    return WithSecret(endpoint, secret)


def previous_secret_signs_until(endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> dt.datetime | None:
    """Until when the secret replaced by a rotation still signs (None: it no longer does)."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > (now or utcnow()):
        return expires
    return None


def stop_waiting_deliveries(endpoint_id: int) -> int:
    """The endpoint's deliveries still waiting for an attempt fail: they are not sent
    (each can still be sent again by hand once the endpoint is back). Returns how many."""
    result = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="failed", next_attempt_at=None).execution_options(synchronize_session=False))
    return result.rowcount


def disable_gone(endpoint_id: int, reason: str) -> None:
    """The receiver answered 410 Gone: the endpoint is disabled, saying why, and its
    waiting deliveries stop (the dispatcher's use case, audited as the system)."""
    endpoint = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                                  .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if endpoint is None or not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    stopped = stop_waiting_deliveries(endpoint.id)
    audit.record(SYSTEM, "webhook_endpoint.disable", endpoint, details={"reason": endpoint.disabled_reason,
                                                                        "deliveries_stopped": stopped})
    db.session.flush()


def vendor_of(endpoint: WebhookEndpoint) -> Vendor:
    """The vendor whose endpoint it is (for a page's heading)."""
    return db.session.get(Vendor, endpoint.vendor_id)
