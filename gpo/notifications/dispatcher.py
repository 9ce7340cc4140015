"""The dispatcher: turns outbox events into deliveries and sends what is due.

1. Fan-out, one unit of work per event: each channel (webhooks, e-mail) creates its
   rows for the event (a webhook delivery per endpoint that wants it, an e-mail per
   person concerned), each under a unique key, and the event is marked fanned out. A
   crash rolls the whole event back; the next dispatch does it again, once.
2. Delivery: each channel sends its due rows, each claimed in its own unit of work
   before the send and recorded in another after it (see the channels).

It runs after a commit that emitted events (OUTBOX_DISPATCH: inline in the process,
or an RQ job), and from `flask gpo tick` every minute, which also runs the scans that
look for what time alone makes worth telling (a cycle closing within 24 h) and picks up
whatever a crash or a Redis outage left behind.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import select

from gpo.db import db, unit_of_work, utcnow
from gpo.notifications.models import OutboxEvent

log = logging.getLogger("gpo.notifications")

_CHANNELS = "gpo.notification_channels"
_SCANS = "gpo.notification_scans"
_KICKED = "gpo_outbox_kicked"


@dataclass(frozen=True)
class Channel:
    """A way of telling: `fan_out(event)` adds its rows for one event (inside the
    event's unit of work); `deliver_due(limit)` sends what is due, opening its own
    units of work, and returns how many it attempted."""

    name: str
    fan_out: Callable[[OutboxEvent], None]
    deliver_due: Callable[[int], int]


def add_channel(app: Flask, channel: Channel) -> None:
    channels = app.extensions.setdefault(_CHANNELS, [])
    if all(c.name != channel.name for c in channels):
        channels.append(channel)


def add_scan(app: Flask, scan: Callable[[], int]) -> None:
    """A check `flask gpo tick` runs before dispatching, in its own unit of work: it
    emits the events that time alone causes and returns how many."""
    scans = app.extensions.setdefault(_SCANS, [])
    if scan not in scans:
        scans.append(scan)


def channels() -> list[Channel]:
    return list(current_app.extensions.get(_CHANNELS, []))


def fan_out_pending(limit: int = 500) -> int:
    """Fan out the events not yet fanned out, oldest first, each in its own unit of work
    (SKIP LOCKED: two dispatchers share the work, neither waits for the other)."""
    with unit_of_work():
        ids = db.session.scalars(select(OutboxEvent.id).where(OutboxEvent.fanned_out_at.is_(None))
                                 .order_by(OutboxEvent.id).limit(limit)).all()
    done = 0
    for event_id in ids:
        try:
            done += _fan_out_one(event_id)
        except Exception:  # one bad event must not hold back every later one (retried next time)
            log.exception("fanning out event %s failed; it stays pending", event_id)
    return done


def _fan_out_one(event_id: int) -> int:
    """Fan out one event in its own unit of work (rolled back if a channel raises, so the
    event stays not fanned out); 1 if this dispatcher did it."""
    with unit_of_work():
        event = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.id == event_id, OutboxEvent.fanned_out_at.is_(None))
            .with_for_update(skip_locked=True)).one_or_none()
        if event is None:
            return 0  # another dispatcher has it, or had it
        for channel in channels():
            channel.fan_out(event)
        event.fanned_out_at = utcnow()
        return 1


def dispatch(limit: int = 500) -> dict:
    """Fan out, then deliver what is due on every channel. An edge: call it outside a
    unit of work (a job, the CLI, a test)."""
    result = {"fanned_out": fan_out_pending(limit)}
    for channel in channels():
        try:
            result[channel.name] = channel.deliver_due(limit)
        except Exception:  # one channel failing (SMTP down) never stops the other
            log.exception("delivering %s failed", channel.name)
            result[channel.name] = "failed"
    return result


def tick() -> dict:
    """`flask gpo tick`'s part: the scans, each its own use case, then a dispatch."""
    emitted = 0
    for scan in current_app.extensions.get(_SCANS, []):
        try:
            with unit_of_work():
                emitted += scan() or 0
        except Exception:
            log.exception("notification scan %s failed", getattr(scan, "__name__", scan))
    return {"scanned_events": emitted, **dispatch()}


def mode(app: Flask) -> str:
    return app.config.get("OUTBOX_DISPATCH") or ("queue" if app.config.get("REDIS_URL") else "inline")


def kick_after_commit() -> None:
    """Ask for a dispatch once the current transaction commits (once per transaction)."""
    from gpo.db import after_commit

    transaction = db.session().get_transaction()
    if db.session.info.get(_KICKED) is transaction:
        return
    db.session.info[_KICKED] = transaction
    app = current_app._get_current_object()
    after_commit(lambda: kick(app))


def kick(app: Flask, delay: dt.timedelta | None = None) -> None:
    """Dispatch now (inline: in a fresh app context, so a slow receiver holds no
    transaction of the caller's) or through RQ (`delay`: RQ's scheduler runs it then).
    Never raises: whatever is not dispatched now, `flask gpo tick` dispatches."""
    how = mode(app)
    try:
        if how == "queue":
            from gpo.jobs import get_queue

            queue = get_queue(app)
            if delay is None:
                queue.enqueue("gpo.worker.dispatch_outbox", job_timeout=900)
            else:
                queue.enqueue_in(delay, "gpo.worker.dispatch_outbox", job_timeout=900)
        elif how == "inline" and delay is None:
            with app.app_context():
                dispatch()
    except Exception:
        log.exception("dispatching the outbox (%s) failed; flask gpo tick will retry", how)


def wake_at(when: dt.datetime) -> None:
    """A channel scheduled a retry for `when`: in queue mode ask RQ to dispatch then
    (inline and manual modes rely on `flask gpo tick`)."""
    app = current_app._get_current_object()
    if mode(app) == "queue":
        kick(app, delay=max(when - utcnow(), dt.timedelta(seconds=1)))
