"""The outbox: a use case tells people and vendors' systems what happened by calling
`emit()`, which writes an `OutboxEvent` in the use case's own transaction. If the use
case rolls back, the event never existed; once it commits, the dispatcher
(`gpo.notifications.dispatcher`) delivers it, however the process fares after that.

Event types: the public ones (API.md "Integrations and notifications") are what a
vendor's webhook endpoint may subscribe to; the others only ever become e-mails.
"""
from __future__ import annotations

from gpo.db import db
from gpo.notifications.models import OutboxEvent

# Sent to the vendor's webhook endpoints (and e-mailed where DOMAIN.md says so).
PUBLIC_EVENT_TYPES = (
    "purchase_order.created",
    "purchase_order.changed",
    "contract.proposal.created",
    "contract.proposal.accepted",
    "contract.proposal.rejected",
    "catalog_import.completed",
    "substitution.decided",
    "shipment.received",
    "vendor_invoice.approved",
    "vendor_invoice.exception",
    "settlement.sent",
)
# For people only (DOMAIN.md "Telling people and systems": the e-mails).
PEOPLE_EVENT_TYPES = (
    "cycle.closing_soon",  # a draft order still unsubmitted, its cycle closing within 24 h
    "order.awaiting_physician",  # a submitted order's clinical lines wait for a physician
    "shift_request.awaiting_physician",  # clinical staff requested: a physician approves
    "substitution.offered",  # a vendor offered a substitute: the practice approves or declines
    "invoice.issued",
    "payment.failed",
    "timesheet.submitted",  # shared staff's hours: the practice approves or disputes
)
EVENT_TYPES = PUBLIC_EVENT_TYPES + PEOPLE_EVENT_TYPES


def subject_type_of(subject) -> str:
    """The event's noun for its subject: purchase_order, substitution, ..."""
    return getattr(type(subject), "__noun__", type(subject).__name__.lower()).replace(" ", "_").replace("-", "")


def emit(event_type: str, subject, *, summary: str, vendor_id: int | None = None,
         practice_id: int | None = None, data: dict | None = None,
         subject_type: str | None = None, dedupe_key: str | None = None) -> OutboxEvent | None:
    """Record that `event_type` happened to `subject` (flushed, with an id), in the
    current transaction. `vendor_id`: whose webhook endpoints receive it (public types
    only); `practice_id`: whose people it may concern. `summary` is one sentence for
    people; `data` holds ids and plain facts, never secrets. With `dedupe_key`, an event
    already emitted under that key is not emitted again (None is returned)."""
    if event_type not in EVENT_TYPES:
        raise KeyError(f"unknown event type {event_type!r}")
    if vendor_id is not None and event_type not in PUBLIC_EVENT_TYPES:
        raise ValueError(f"{event_type} is for people only: it has no vendor audience")
    row = OutboxEvent(
        event_type=event_type, vendor_id=vendor_id, practice_id=practice_id,
        subject_type=subject_type or subject_type_of(subject), subject_id=subject.id,
        summary=summary[:500], data=dict(data or {}), dedupe_key=dedupe_key,
    )
    if dedupe_key is not None:
        from gpo.db import flush_unless_duplicate

        if not flush_unless_duplicate(row):
            return None
    else:
        db.session.add(row)
        db.session.flush()
    from gpo.notifications import dispatcher

    dispatcher.kick_after_commit()
    return row


def webhook_body(event: OutboxEvent) -> dict:
    """What a webhook delivers (Standard Webhooks' payload shape: type, timestamp, data)."""
    return {
        "type": event.event_type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"object": event.subject_type, "id": event.subject_id, "summary": event.summary, **event.data},
    }
