"""ETags from a row's version column, so If-Match checks are exact and cheap.

Mutable models carry `version` (SQLAlchemy's version_id_col): the UPDATE itself
says `WHERE version = :seen`, so two writers holding the same ETag cannot both win.
"""
from __future__ import annotations

import hashlib
from typing import Container

from gpo.errors import DomainError, PreconditionFailed


def etag_for(obj) -> str:
    raw = f"{obj.__tablename__}:{obj.id}:{obj.version}"
    return hashlib.sha1(raw.encode()).hexdigest()


def require_match(obj, if_match: Container[str]) -> None:
    """Raise 412 unless the caller's If-Match names the object's current version.

    `If-Match: *` names no version (werkzeug's ETags would match it to anything): it
    is refused with 428 like a missing If-Match, so an update (or a physician's
    approval) always applies to the version the caller read."""
    if getattr(if_match, "star_tag", False) or "*" in getattr(if_match, "_strong", ()):
        raise DomainError(
            "If-Match: * names no version: send the ETag of the version you read", status_code=428
        )
    if etag_for(obj) not in if_match:
        raise PreconditionFailed(
            "the object changed since you read it: fetch it again and retry with its new ETag"
        )
