"""Idempotency-Key for POST routes that create things.

A key is stored per principal with a hash of the request. The first request claims
the key by inserting its unique row in the request's own unit of work; the handler
runs in that same transaction, and the stored response is written there too, so the
claim, the change and the stored response commit together, once, or not at all (a
crash or an error answer leaves nothing and the key free). A concurrent twin's insert
of the same key waits on the unique index until the first request ends (PostgreSQL;
SQLite's BEGIN IMMEDIATE serializes the two anyway): then it either replays the
stored answer or, if the first rolled back, runs itself. A use case that commits
midway (a payment attempt recorded before Stripe is called) makes its claim visible
early: a twin then gets 409 while it runs, and a claim left by a crash is taken over
once stale. Nothing is ever created twice.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from functools import wraps

from flask import Response, current_app, request
from sqlalchemy import JSON, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from gpo.auth.request import current_principal
from gpo.db import CreatedAtMixin, IdPK, UTCDateTime, commit_midway, db, utcnow
from gpo.errors import Conflict, Invalid

HEADER = "Idempotency-Key"
# Visible ASCII, no spaces (a UUID fits): what an HTTP header carries unchanged.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
# A claim older than this whose request never completed was lost to a crash: its
# change rolled back with it, so the key may be used again.
STALE_CLAIM = dt.timedelta(minutes=5)
_REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


class IdempotencyRecord(CreatedAtMixin, db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal_key", "key"),)

    id: Mapped[IdPK]
    principal_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None]
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    response_body: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def _request_hash() -> str:
    """A keyed hash (HMAC with SECRET_KEY) of the request: bodies may hold passwords, and
    a plain hash of one could be guessed back from the stored record."""
    body = request.get_data(cache=True)
    if request.is_json:
        try:  # the same JSON with other whitespace or key order is the same request
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, RecursionError):
            pass
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), digestmod=hashlib.sha256)
    for part in (request.method.encode(), request.full_path.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(principal_key: str, key: str, request_hash: str, what: str = HEADER):
    """Claim the key (`what` names it in refusals) in the request's transaction; return
    (claim, None) to run, or (None, stored) to replay."""
    for _ in range(3):
        record = IdempotencyRecord(principal_key=principal_key, key=key, request_hash=request_hash)
        db.session.add(record)
        try:
            db.session.flush()  # a twin's uncommitted claim makes this wait for its end
            return record, None
        except IntegrityError:
            # Nothing of the request is written yet (idempotent is the outermost step of
            # the view), so rolling the whole transaction back loses nothing.
            db.session.rollback()
        existing = _find(principal_key, key)
        if existing is not None:
            break
        # The twin that held the key failed and released it between our insert and
        # this read: the key is free again, so claim it anew.
    else:
        raise Conflict(f"a request with this {what} is still being processed")
    if existing.request_hash != request_hash:
        raise Conflict(f"this {what} was already used with a different request")
    if existing.status == "completed":
        return None, existing
    # In progress and committed (a use case that commits midway): take it over only if
    # it is stale (its request died). The update locks the row until this request ends.
    taken = db.session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == existing.id,
            IdempotencyRecord.status == "in_progress",
            IdempotencyRecord.created_at < utcnow() - STALE_CLAIM,
        )
        .values(created_at=utcnow())
    ).rowcount
    if taken == 1:
        return existing, None
    raise Conflict(f"a request with this {what} is still being processed")


def _find(principal_key: str, key: str) -> IdempotencyRecord | None:
    return db.session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.principal_key == principal_key, IdempotencyRecord.key == key)
    ).one_or_none()


def _release(claim_id: int) -> None:
    """The request failed: undo its work, the claim with it. A claim the use case
    committed midway is deleted and that committed, to free the key."""
    db.session.rollback()
    deleted = db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claim_id)).rowcount
    if deleted:
        commit_midway("free the Idempotency-Key of a request that failed")


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status)
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def run_once(principal_key: str, key: str, view, what: str = HEADER) -> Response:
    """`view()` once per (principal_key, key): the first call runs it and stores a
    success in the request's unit of work; a replay of the same request returns the
    stored answer; the same key with another request is a 409. An error answer (4xx,
    5xx) stores nothing and frees the key. (`idempotent` uses it for Idempotency-Key;
    cXML documents use their payloadID, per vendor; `what` names the key in refusals.)"""
    claim, stored = _claim(principal_key, key, _request_hash(), what)
    if stored is not None:
        return _replay(stored)
    claim_id = claim.id
    try:
        response = current_app.make_response(view())
        if response.status_code >= 400:
            _release(claim_id)
            return response
        _store(claim_id, response)
    except BaseException:
        _release(claim_id)
        raise
    return response


def _store(claim_id: int, response: Response) -> None:
    """The answer to replay, written in the request's unit of work: it commits with the
    change. Should the use case have rolled the claim back, the change must not commit
    without it (a retry would run it again): an error, and the edge rolls back."""
    stored = db.session.execute(
        update(IdempotencyRecord).where(IdempotencyRecord.id == claim_id).values(
            status="completed",
            response_status=response.status_code,
            response_headers={h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers},
            response_body=response.get_data(as_text=True),
            completed_at=utcnow(),
        )
    ).rowcount
    if stored != 1:
        raise RuntimeError("the use case rolled back its Idempotency-Key's claim: nothing is kept")


def idempotent(required: bool = False):
    """Decorate a MethodView method (outermost, above flask-smorest's decorators)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                if required:
                    raise Invalid(f"this request needs an {HEADER} header", status_code=428)
                return view(*args, **kwargs)
            if not KEY_PATTERN.match(key):
                raise Invalid(f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID, for example)")
            return run_once(current_principal().key, key, lambda: view(*args, **kwargs))

        wrapper._apidoc = dict(getattr(view, "_apidoc", {}))
        wrapper._apidoc["idempotency"] = {"required": required}
        return wrapper

    return decorator


def prepare_doc(doc, doc_info, **kwargs):
    """flask-smorest doc callback: document the header on idempotent operations."""
    info = doc_info.get("idempotency")
    if info is not None:
        doc.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": info["required"],
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN.pattern},
                "example": "5f0c6d1e-7d7e-4c55-9f0a-1f6f2d8b9a10",
                "description": "Replaying the same key returns the first response and "
                "creates nothing new; the same key with another body answers 409.",
            }
        )
    return doc
