"""Logging in, recognizing the caller of a request, and vendor API keys."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload, with_polymorphic

from gpo import audit
from gpo.accounts.models import Organization, Practice, User, Vendor
from gpo.auth import policy
from gpo.auth.models import ApiKey, LoginFailure
from gpo.auth.passwords import verify_password
from gpo.auth.principal import Principal, expand_roles
from gpo.auth.roles import API_KEY_ROLE
from gpo.auth.tokens import (
    InvalidToken,
    hash_api_key,
    issue_access_token,
    looks_like_api_key,
    new_api_key,
    read_access_token,
)
from gpo.db import commit_midway, db, is_postgresql, paged, utcnow
from gpo.errors import Conflict, TooManyRequests, Unauthenticated

# Writing last_used_at on every request would turn reads into writes; once a minute
# is precise enough to tell a key in use from a forgotten one.
_LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def _failures_since(column, value: str, since: dt.datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(column == value, LoginFailure.at >= since)
    )


def login(email: str, password: str, address: str) -> tuple[str, User]:
    """Check the e-mail and password and issue an access token (the API's login)."""
    user = check_credentials(email, password, address)
    cfg = current_app.config
    token = issue_access_token(user.id, cfg["SECRET_KEY"], cfg["ACCESS_TOKEN_TTL_SECONDS"], utcnow())
    return token, user


def check_credentials(email: str, password: str, address: str) -> User:
    """The active user the e-mail and password name, for the API's login and the web
    pages' sign-in alike (one throttle for both).

    Raises TooManyRequests (429) after too many recent failures for the account or for
    the client address, Unauthenticated (401) for a wrong e-mail or password."""
    cfg = current_app.config
    email = email.strip().lower()
    if is_postgresql():
        # One login at a time per account and per address, so that concurrent guesses
        # are counted before they are checked (SQLite's BEGIN IMMEDIATE serializes anyway).
        for name in (f"login:{email}", f"login-address:{address}"):
            db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
    window = dt.timedelta(seconds=cfg["LOGIN_THROTTLE_WINDOW_SECONDS"])
    since = utcnow() - window
    retry_after = {"Retry-After": str(cfg["LOGIN_THROTTLE_WINDOW_SECONDS"])}
    if _failures_since(LoginFailure.email, email, since) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise TooManyRequests("too many failed logins for this account: try again later", headers=retry_after)
    if _failures_since(LoginFailure.address, address, since) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise TooManyRequests("too many failed logins from this address: try again later", headers=retry_after)

    user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or not user.active:
        db.session.add(LoginFailure(email=email, address=address))
        commit_midway("count the refused login for the throttle: the 401 rolls back the rest")
        raise Unauthenticated("invalid e-mail or password")
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    db.session.flush()
    return user


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        organization_id=user.organization_id,
        org_type=user.organization.org_type,
        roles=expand_roles(user.roles),
        user_id=user.id,
        label=user.email,
    )


@functools.cache
def users_with_roles_and_organization():
    """SELECT users with their roles and organization in the same statement (joined),
    not one statement each: authentication runs on every request. The organization
    comes with its practice's or vendor's own columns (a page shows dates in the
    practice's time zone). Built once per process (a Select is immutable; callers add
    their WHERE to a copy): building the polymorphic join was 1.4 of a /me's 2.4 ms."""
    organization = with_polymorphic(Organization, [Practice, Vendor], flat=True)
    return select(User).options(joinedload(User.organization.of_type(organization), innerjoin=True),
                                joinedload(User.role_rows))


def keep_for_request(*rows) -> None:
    """Keep the caller's rows for the rest of the request. The session's identity map
    holds rows weakly, and the principal keeps only ids: without this, the user and
    organization authentication loaded would be gone when the view asks for them
    (`db.session.get`) and loaded again. The request's session, and these with it,
    ends with the request, so the next request reads them anew (a revoked key, a
    deactivated user or a changed role takes effect at once)."""
    db.session.info.setdefault("gpo.caller_rows", []).extend(rows)


def authenticate(authorization: str | None) -> Principal:
    """The principal an Authorization header names; Unauthenticated (401) otherwise.
    One statement reads the caller (a user with its roles and organization, or an API
    key with its vendor)."""
    if not authorization:
        raise Unauthenticated("sign in: send Authorization: Bearer <access token or API key>")
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    if looks_like_api_key(credential):
        return _authenticate_api_key(credential)
    try:
        user_id = read_access_token(credential, current_app.config["SECRET_KEY"])
    except InvalidToken as exc:
        raise Unauthenticated(str(exc)) from None
    user = db.session.scalars(users_with_roles_and_organization().where(User.id == user_id)).unique().one_or_none()
    if user is None or not user.active:
        raise Unauthenticated("the access token is not valid")
    keep_for_request(user, user.organization)
    return principal_for_user(user)


def _authenticate_api_key(key: str) -> Principal:
    found = db.session.execute(
        select(ApiKey, Vendor).join(Vendor, Vendor.id == ApiKey.vendor_id)
        .where(ApiKey.key_hash == hash_api_key(key))
    ).one_or_none()
    if found is None or found.ApiKey.revoked_at is not None:
        raise Unauthenticated("the API key is not valid or has been revoked")
    api_key = found.ApiKey
    keep_for_request(api_key, found.Vendor)
    now = utcnow()
    if api_key.last_used_at is None or api_key.last_used_at < now - _LAST_USED_GRANULARITY:
        db.session.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))
        # Whatever the request answers (a 404 rolls back the rest), and without holding
        # the key's row locked for the whole request.
        commit_midway("record when the API key was last used")
    return Principal(
        kind="api_key",
        organization_id=api_key.vendor_id,
        org_type="vendor",
        roles=frozenset({API_KEY_ROLE}),
        api_key_id=api_key.id,
        label=f"api key {api_key.prefix}...{api_key.last4}",
    )


def list_api_keys(principal: Principal, vendor_id: int, page: int, page_size: int):
    vendor = policy.load(principal, Vendor, vendor_id, "api_key.list")
    stmt = select(ApiKey).where(ApiKey.vendor_id == vendor.id).order_by(ApiKey.id)
    return paged(stmt, page, page_size)


def get_api_key(principal: Principal, api_key_id: int) -> ApiKey:
    """One of the vendor's keys (never the key itself): 404 for another vendor's."""
    return policy.load(principal, ApiKey, api_key_id, "api_key.list")


@dataclass(frozen=True)
class CreatedApiKey:
    """A key just created, as its answer shows it (ApiKeyCreatedSchema): the stored
    row's values, read through, and, this once, the key itself (never stored)."""

    api_key: ApiKey
    key: str

    def __getattr__(self, name: str):  # the stored row's own values
        if name == "api_key":
            raise AttributeError(name)
        return getattr(self.api_key, name)


def create_api_key(principal: Principal, vendor_id: int, name: str) -> CreatedApiKey:
    """A new key for the vendor. The key is returned this once and stored only hashed."""
    vendor = policy.load(principal, Vendor, vendor_id, "api_key.create")
    key = new_api_key()
    api_key = ApiKey(
        vendor_id=vendor.id,
        name=name,
        prefix=key[:8],
        last4=key[-4:],
        key_hash=hash_api_key(key),
        created_by_user_id=principal.user_id,
    )
    db.session.add(api_key)
    audit.record(principal, "api_key.create", api_key, details={"name": name, "prefix": api_key.prefix})
    db.session.flush()
    return CreatedApiKey(api_key, key)


def revoke_api_key(principal: Principal, api_key_id: int) -> None:
    api_key = policy.load(principal, ApiKey, api_key_id, "api_key.revoke", for_update=True)
    if api_key.revoked_at is not None:
        raise Conflict(f"API key {api_key.id} is already revoked")
    api_key.revoked_at = utcnow()
    audit.record(principal, "api_key.revoke", api_key, details={"prefix": api_key.prefix})
    db.session.flush()


def describe(principal: Principal) -> dict:
    """What GET /me shows of the caller: the rows authentication loaded, from the
    session's identity map (no statement)."""
    org = db.session.get(Organization, principal.organization_id)
    return {
        "kind": principal.kind,
        "organization": {"id": org.id, "name": org.name, "org_type": org.org_type},
        "roles": sorted(principal.roles),
        "user": db.session.get(User, principal.user_id) if principal.user_id else None,
        "api_key": db.session.get(ApiKey, principal.api_key_id) if principal.api_key_id else None,
    }
