"""What the event tests read: the outbox events written after a mark."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.db import db
from gpo.notifications.models import OutboxEvent


def events_after(mark: int = 0) -> list[tuple]:
    """The events written after event id `mark`, oldest first, as comparable tuples."""
    db.session.expire_all()
    return [(e.event_type, e.vendor_id, e.practice_id, e.subject_type, e.subject_id, e.data, e.summary)
            for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.id > mark).order_by(OutboxEvent.id))]


def mark() -> int:
    """The newest event's id (0: none yet)."""
    db.session.expire_all()
    return db.session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0)))
