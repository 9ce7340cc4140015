"""The e-mail channel of the dispatcher (`dispatcher.Channel("email", ...)`).

`fan_out(event)`, in the event's own unit of work: one `EmailMessage` per recipient of
the event's kind (unique per event, user and kind), rendered now, pending; a user who
turned the kind off gets no row.

`deliver_due(limit)`, an edge of its own (never inside a use case):
1. claim: in one unit of work, the due rows (pending and due, or sending with a lapsed
   lease) are locked FOR UPDATE SKIP LOCKED (two dispatchers share the work), moved to
   `sending` with a lease, the attempt counted; a row whose kind the user turned off
   since, or whose user is no longer active, becomes `skipped` instead;
2. send each, outside any transaction (a slow mail server holds no lock, delays no use
   case), but only after re-checking, in a short unit of work, that the row is still
   ours (still `sending` under our attempt, its lease not lapsed) and giving it the
   longer SEND_LEASE: the tail of a slow batch may outlive its lease and be taken over
   by another dispatcher, which then sends it; the first one skips it;
3. record, in a new unit of work: `sent`, or back to `pending` with the error and the
   next attempt on RETRY_DELAYS (1 min, 5 min, 30 min, 2 h, 6 h), then `failed`.
A crash after sending and before recording sends that e-mail again once the lease
lapses (at least once, under the same Message-ID).
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select

from gpo.accounts.models import User
from gpo.db import db, flush_unless_duplicate, unit_of_work, utcnow
from gpo.notifications import dispatcher
from gpo.notifications.mail import kinds, rendering, sending, settings
from gpo.notifications.mail.sending import Outgoing
from gpo.notifications.models import EmailMessage, OutboxEvent

log = logging.getLogger("gpo.notifications.mail")

RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                dt.timedelta(hours=2), dt.timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a claimed row waits for its send: if its lease lapses first (a slow batch, a
# dispatcher that died), another dispatcher may take it over.
LEASE = dt.timedelta(minutes=10)
# How long a row whose send has started is ours: longer than LEASE and far longer than
# one SMTP exchange (bounded by SMTP_TIMEOUT_SECONDS), so no one takes over a row that
# may still be on its way.
SEND_LEASE = 2 * LEASE


def fan_out(event: OutboxEvent) -> None:
    kind = kinds.for_event(event.event_type)
    if kind is None:
        return  # not an e-mail (a webhook-only event)
    users = kind.recipients(event)
    off = settings.turned_off([u.id for u in users], kind.name)
    now = utcnow()
    for user in users:
        if user.id in off:
            continue
        try:
            rendered = rendering.render(kind, event, user)
        except Exception:  # a fault of this e-mail's content must not hold the event (its webhooks) back
            log.exception("e-mail %s of event %s to user %s could not be rendered", kind.name, event.id, user.id)
            continue
        flush_unless_duplicate(EmailMessage(
            event_id=event.id, user_id=user.id, kind=kind.name, to_address=user.email,
            subject=rendered.subject, text_body=rendered.text_body, html_body=rendered.html_body,
            status="pending", attempt_count=0, next_attempt_at=now))


def deliver_due(limit: int = 100) -> int:
    """Send what is due; how many were attempted."""
    claimed = _claim(limit)
    if not claimed:
        return 0
    outcomes: list[tuple[Outgoing, str | None]] = []
    with sending.mailer_for(current_app.config) as mailer:
        for outgoing in claimed:
            if not _still_ours(outgoing):  # its lease lapsed: another dispatcher may have sent it
                continue
            try:
                mailer.send(outgoing)
                outcomes.append((outgoing, None))
            except Exception as exc:  # whatever the server or the disk says: recorded, retried
                log.warning("e-mail %s to %s not sent (attempt %s): %s", outgoing.message_id,
                            outgoing.to_address, outgoing.attempt, exc)
                outcomes.append((outgoing, f"{type(exc).__name__}: {exc}"[:500]))
    retry_at = _record(outcomes)
    if retry_at is not None:
        dispatcher.wake_at(retry_at)
    return len(claimed)


def _claim(limit: int) -> list[Outgoing]:
    now = utcnow()
    with unit_of_work():
        rows = db.session.scalars(
            select(EmailMessage)
            .where(EmailMessage.status.in_(("pending", "sending")), EmailMessage.next_attempt_at <= now)
            .order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        skipped = _skipped(rows)
        claimed = []
        for row in rows:
            if row.id in skipped:
                row.status, row.next_attempt_at, row.last_error = "skipped", None, skipped[row.id]
            elif row.attempt_count >= MAX_ATTEMPTS:  # a lease lapsed on the last attempt
                row.status, row.next_attempt_at = "failed", None
                row.last_error = (row.last_error or "the sender stopped before recording its last attempt")[:500]
            else:
                row.status, row.attempt_count, row.next_attempt_at = "sending", row.attempt_count + 1, now + LEASE
                claimed.append(Outgoing(row.id, row.attempt_count, row.kind, row.to_address, row.subject,
                                        row.text_body, row.html_body, row.created_at))
    return claimed


def _still_ours(outgoing: Outgoing) -> bool:
    """Whether the claim on this row still holds; if so, it is leased for the send."""
    now = utcnow()
    with unit_of_work():
        row = db.session.scalars(select(EmailMessage).where(
            EmailMessage.id == outgoing.message_id, EmailMessage.status == "sending",
            EmailMessage.attempt_count == outgoing.attempt, EmailMessage.next_attempt_at > now)
            .with_for_update(skip_locked=True)).one_or_none()
        if row is None:
            return False
        row.next_attempt_at = now + SEND_LEASE
        return True


def _skipped(rows: list[EmailMessage]) -> dict[int, str]:
    """The rows not to send after all, and why: the user turned the kind off since the
    e-mail was made, or is no longer active."""
    if not rows:
        return {}
    inactive = set(db.session.scalars(select(User.id).where(
        User.id.in_({r.user_id for r in rows}), User.active.is_(False))))
    off_by_kind = {kind: settings.turned_off([r.user_id for r in rows if r.kind == kind], kind)
                   for kind in {r.kind for r in rows}}
    skipped = {}
    for row in rows:
        if row.user_id in off_by_kind[row.kind]:
            skipped[row.id] = "not sent: the user turned this kind of e-mail off before it went"
        elif row.user_id in inactive:
            skipped[row.id] = "not sent: the user is no longer active"
    return skipped


def _record(outcomes: list[tuple[Outgoing, str | None]]) -> dt.datetime | None:
    """Write each outcome on its row, if the row is still ours (still `sending` under the
    attempt we claimed: a lapsed lease may have passed it to another dispatcher).
    Returns the earliest retry scheduled."""
    now, earliest = utcnow(), None
    with unit_of_work():
        for outgoing, error in outcomes:
            row = db.session.scalars(select(EmailMessage).where(
                EmailMessage.id == outgoing.message_id, EmailMessage.status == "sending",
                EmailMessage.attempt_count == outgoing.attempt).with_for_update()).one_or_none()
            if row is None:
                continue
            if error is None:
                row.status, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
            elif row.attempt_count >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at, row.last_error = "failed", None, error
            else:
                row.status, row.last_error = "pending", error
                row.next_attempt_at = now + RETRY_DELAYS[row.attempt_count - 1]
                earliest = min(earliest or row.next_attempt_at, row.next_attempt_at)
    return earliest
