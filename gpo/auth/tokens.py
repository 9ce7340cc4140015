"""Short-lived JWT access tokens for users; `gpo_` API keys for vendors."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import jwt

API_KEY_PREFIX = "gpo_"
_ALGORITHM = "HS256"


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
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise InvalidToken("the access token is not valid")
    return int(claims["sub"])


def new_api_key() -> str:
    """`gpo_` and 256 random bits (base64url)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)
