from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, db, utcnow


class ApiKey(CreatedAtMixin, db.Model):
    """A vendor's machine credential. Only a SHA-256 of the key is kept; the key itself
    is shown once, when it is created."""

    __tablename__ = "api_keys"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def tenant_id(self) -> int:
        return self.vendor_id

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(db.Model):
    """One failed login, kept for the throttling window (per account and per address)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[IdPK]
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebSession(CreatedAtMixin, db.Model):
    """A browser's signed-in session (the web pages). The cookie carries a random
    token; only its SHA-256 is kept. The server decides expiry: `expires_at` bounds
    the session, `last_seen_at` its idleness, and signing out ends it for good, so a
    copied cookie stops working even though its signature is still valid."""

    __tablename__ = "web_sessions"

    id: Mapped[IdPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
