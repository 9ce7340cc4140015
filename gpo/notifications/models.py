"""Telling people and systems (DOMAIN.md): the outbox every event is written to in the
transaction of the change that causes it, the vendors' webhook endpoints with every
delivery and attempt, the e-mails to people, and each user's choice of e-mails."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, one_of_sql

# A delivery (one event to one endpoint) and an e-mail: waiting for its next attempt,
# in flight (claimed by a dispatcher until `next_attempt_at`, its lease), delivered,
# or given up (the retries ran out, the endpoint answered 410 or was disabled).
DELIVERY_STATUSES = ("pending", "sending", "succeeded", "failed")
EMAIL_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class OutboxEvent(CreatedAtMixin, db.Model):
    """Something happened that people or vendors' systems are told about. Written by the
    use case, in its transaction; the dispatcher fans it out (webhook deliveries to the
    vendor's endpoints that want its type, e-mails to the people concerned) once, then
    sets `fanned_out_at`. The body carries ids and a short summary, never secrets."""

    __tablename__ = "outbox_events"
    __noun__ = "event"
    __table_args__ = (db.UniqueConstraint("dedupe_key"),)
    id: Mapped[IdPK]
    event_type: Mapped[str] = mapped_column(String(64))
    # The vendor whose webhook endpoints receive it (none: an event for people only).
    vendor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    # The practice it concerns, if any (whose people an e-mail may go to).
    practice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))  # the noun: purchase_order, substitution, ...
    subject_id: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    fanned_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    # An event that must happen at most once whoever emits it (a scan's "closing within
    # 24 h" for one order) carries a key; the unique constraint keeps the second out.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))

    @property
    def tenant_id(self) -> int | None:
        return self.vendor_id

    @property
    def webhook_id(self) -> str:
        """Standard Webhooks' `webhook-id`: the same on every attempt and every replay,
        the receiver's idempotency key."""
        return f"msg_{self.id}"


class WebhookEndpoint(CreatedAtMixin, db.Model):
    """A vendor's URL that receives the events it subscribed to, signed with its secret
    (`whsec_`, shown once). During a rotation the previous secret signs too, until
    `previous_secret_expires_at`."""

    __tablename__ = "webhook_endpoints"
    __noun__ = "webhook endpoint"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    event_types: Mapped[list] = mapped_column(JSON, default=list)  # empty: every event type
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Why it stopped receiving (the receiver answered 410 Gone, say); empty while enabled.
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class WebhookDelivery(CreatedAtMixin, db.Model):
    """One event to one endpoint: created once at fan-out (the key), attempted until it
    succeeds or the schedule ends; a replay sends it again under the same webhook-id."""

    __tablename__ = "webhook_deliveries"
    __noun__ = "webhook delivery"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint("attempt_count >= 0", name="attempt_count"),
        db.UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "next_attempt_at"),
    )

    id: Mapped[IdPK]
    endpoint_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_events.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the next attempt is due (pending), or when a claim in flight lapses (sending).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[OutboxEvent] = relationship()
    attempts: Mapped[list["WebhookAttempt"]] = relationship(order_by="WebhookAttempt.id", viewonly=True)

    @property
    def tenant_id(self) -> int:
        return self.endpoint.vendor_id


class WebhookAttempt(db.Model):
    """One try of a delivery, kept: when, how long, what the receiver answered."""

    __tablename__ = "webhook_attempts"
    __noun__ = "webhook attempt"

    id: Mapped[IdPK]
    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)  # none: no answer (refused, timed out)
    error: Mapped[str | None] = mapped_column(String(500))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    replay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class EmailMessage(CreatedAtMixin, db.Model):
    """An e-mail to one person about one event: made once at fan-out (the key), sent
    through SMTP (or written to MAIL_DIR), retried when the send fails."""

    __tablename__ = "email_messages"
    __noun__ = "e-mail"
    __table_args__ = (
        CheckConstraint(one_of_sql("status", EMAIL_STATUSES), name="status"),
        db.UniqueConstraint("event_id", "user_id", "kind"),
        Index("ix_email_messages_due", "next_attempt_at"),
    )

    id: Mapped[IdPK]
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_events.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # the notification kind a user may turn off
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class NotificationSetting(db.Model):
    """A user's choice for one kind of e-mail that is not essential (no row: on)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
