"""Housekeeping: forget what is only kept for a while (login failures past the
throttling window, idempotent responses past their replay period)."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete

from gpo.auth.models import LoginFailure
from gpo.auth.principal import Principal
from gpo.db import db, utcnow
from gpo.idempotency import IdempotencyRecord
from gpo.jobs import Job, enqueue

# Clients may replay an Idempotency-Key for this long.
IDEMPOTENCY_REPLAY_PERIOD = dt.timedelta(hours=24)


def purge_expired() -> dict:
    """Delete expired rows; running it again deletes nothing more."""
    now = utcnow()
    window = dt.timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    failures = db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - window)).rowcount
    records = db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.status == "completed",
            IdempotencyRecord.completed_at < now - IDEMPOTENCY_REPLAY_PERIOD,
        )
    ).rowcount
    db.session.flush()
    return {"login_failures": failures, "idempotency_records": records}


def request_purge(principal: Principal) -> Job:
    """Queue the purge (`flask gpo purge-expired`, or a scheduler)."""
    row = enqueue("maintenance.purge_expired", principal)
    db.session.flush()
    return row
