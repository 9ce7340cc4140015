"""Short-lived JWT access tokens for users; `gpo_` API keys for vendors."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import jwt

API_KEY_PREFIX = "gpo_"
_ALGORITHM = "HS256"
_MAX_USER_ID = 2**63 - 1  # BIGINT


class InvalidToken(Exception):
    pass


def issue_access_token(user_id: int, secret: str, ttl_seconds: int, now: dt.datetime) -> str:
    claims = {
        "sub": str(user_id),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_access_token(token: str, secret: str) -> int:
    """The user id a valid, unexpired token names; InvalidToken otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the access token has expired: log in again") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the access token is not valid") from exc
    sub = claims["sub"]
    # ASCII digits only ("\u0663".isdigit() is true and int() reads it as 3), and an id
    # that fits the database's BIGINT (a longer one would crash the user lookup).
    if (claims.get("typ") != "access" or not isinstance(sub, str) or not (sub.isascii() and sub.isdigit())
            or not 1 <= int(sub) <= _MAX_USER_ID):
        raise InvalidToken("the access token is not valid")
    return int(sub)


def new_api_key() -> str:
    """`gpo_` and 256 random bits (base64url)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)
