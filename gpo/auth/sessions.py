"""Browser sessions for the web pages: signing in and out, and recognizing the
signed-in user of a page request.

The cookie (Flask's signed session, HttpOnly, SameSite=Lax, Secure in production)
holds a random token; the `web_sessions` row it names decides whether it is still
good: at most WEB_SESSION_HOURS after signing in, at most WEB_SESSION_IDLE_MINUTES
since the last page, and never after signing out. Signing in goes through the same
checks and throttle as the API's login (`services.check_credentials`)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import User
from gpo.auth.models import WebSession
from gpo.auth.principal import Principal
from gpo.auth.services import check_credentials, keep_for_request, users_with_roles_and_organization
from gpo.auth.services import principal_for_user as principal_for_user
from gpo.db import db, utcnow

# Writing last_seen_at on every page would turn each read into a write; a minute is
# precise enough for an idle limit counted in minutes.
_SEEN_GRANULARITY = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(email: str, password: str, address: str) -> tuple[str, User]:
    """A new session for the user the e-mail and password name: (token for the cookie,
    user). Raises what the API's login raises (401 wrong credentials, 429 throttled)."""
    user = check_credentials(email, password, address)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    hours = current_app.config["WEB_SESSION_HOURS"]
    db.session.add(WebSession(token_hash=_hash(token), user_id=user.id, last_seen_at=now,
                              expires_at=now + dt.timedelta(hours=hours)))
    audit.record(principal_for_user(user), "session.sign_in", user, details={"via": "web"})
    db.session.flush()
    return token, user


def principal_for_token(token: str | None) -> Principal | None:
    """The signed-in principal of a session token, or None when the session is unknown,
    ended, expired or idle too long, or its user was deactivated."""
    if not token:
        return None
    # Every page asks this: one statement reads the session, its user, the user's roles
    # and organization (not one statement each).
    found = db.session.execute(
        users_with_roles_and_organization().add_columns(WebSession)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == _hash(token))
    ).unique().one_or_none()
    if found is None:
        return None
    user, session = found
    now = utcnow()
    idle = dt.timedelta(minutes=current_app.config["WEB_SESSION_IDLE_MINUTES"])
    if session.ended_at is not None or session.expires_at <= now or session.last_seen_at + idle <= now:
        return None
    if not user.active:
        return None
    if session.last_seen_at < now - _SEEN_GRANULARITY:
        session.last_seen_at = now  # committed with the page's own unit of work
        db.session.flush()
    keep_for_request(user, user.organization)
    return principal_for_user(user)


def sign_out(token: str | None) -> None:
    """End the session the token names (a no-op for an unknown or ended one)."""
    if not token:
        return
    session = db.session.scalars(select(WebSession).where(WebSession.token_hash == _hash(token))
                                 .with_for_update()).one_or_none()
    if session is not None and session.ended_at is None:
        session.ended_at = utcnow()
        user = db.session.get(User, session.user_id)
        audit.record(principal_for_user(user), "session.sign_out", user, details={"via": "web"})
        db.session.flush()
