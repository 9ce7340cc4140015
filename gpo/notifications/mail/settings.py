"""Each user's choice of e-mails (`GET/PUT /me/notifications` and the settings page of
every face): the kinds they could receive given their organization and roles, each on
unless they turned it off; an essential kind is always on.

Only a user has a mailbox: an API key's role holds no `notification_setting.*` action,
so policy answers 403 (the route exists; the key may not use it).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import User
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.db import db, lock_row
from gpo.errors import Forbidden, Invalid
from gpo.notifications.mail import kinds as kinds_registry
from gpo.notifications.mail.kinds import Kind
from gpo.notifications.models import NotificationSetting


@dataclass(frozen=True)
class Setting:
    kind: str
    label: str
    description: str
    essential: bool
    enabled: bool
    essential_reason: str | None


def _user_of(principal: Principal, action: str) -> None:
    policy.authorize(principal, action)
    if principal.kind != "user" or principal.user_id is None:
        raise Forbidden("only a user receives e-mails: sign in as one")


def kinds_for(principal: Principal) -> list[Kind]:
    return kinds_registry.kinds_for(principal.org_type, principal.roles)


def turned_off(user_ids, kind_name: str) -> set[int]:
    """Which of these users turned `kind_name` off (an essential kind is never off)."""
    kind = kinds_registry.BY_NAME.get(kind_name)
    ids = sorted(set(user_ids))
    if kind is None or kind.essential or not ids:
        return set()
    return set(db.session.scalars(select(NotificationSetting.user_id).where(
        NotificationSetting.user_id.in_(ids), NotificationSetting.kind == kind_name,
        NotificationSetting.enabled.is_(False))))


def _settings(principal: Principal) -> list[Setting]:
    off = set(db.session.scalars(select(NotificationSetting.kind).where(
        NotificationSetting.user_id == principal.user_id, NotificationSetting.enabled.is_(False))))
    return [Setting(kind=k.name, label=k.label, description=k.description, essential=k.essential,
                    enabled=k.essential or k.name not in off, essential_reason=k.essential_reason or None)
            for k in kinds_for(principal)]


def notification_settings(principal: Principal) -> list[Setting]:
    """Every kind the user could receive, with whether it is on."""
    _user_of(principal, "notification_setting.read")
    return _settings(principal)


def _refusals(principal: Principal, choices: list[dict]) -> dict[int, dict]:
    """Per refused choice (by its index): the field at fault and why."""
    mine = {k.name: k for k in kinds_for(principal)}
    refused: dict[int, dict] = {}
    seen: set[str] = set()
    for index, choice in enumerate(choices):
        name = choice["kind"]
        kind = mine.get(name)
        if name not in kinds_registry.BY_NAME:
            why = f"{name!r} is not a kind of e-mail: the kinds are {', '.join(kinds_registry.BY_NAME)}"
        elif kind is None:
            why = f"{name} is not an e-mail your organization and roles receive"
        elif kind.essential and not choice["enabled"]:
            why = f"{name} is essential and cannot be turned off: {kind.essential_reason}"
        elif name in seen:
            why = f"{name} is named twice"
        else:
            seen.add(name)
            continue
        refused[index] = {"kind": [why]}
    return refused


def update_notification_settings(principal: Principal, choices: list[dict]) -> list[Setting]:
    """Turn the named kinds on or off (kinds left out keep their setting). Refused whole,
    422 at each choice's field, when one names an unknown kind, a kind this user does
    not receive, or turns an essential kind off. The change is audited on the user."""
    _user_of(principal, "notification_setting.update")
    refused = _refusals(principal, choices)
    if refused:
        first = next(iter(refused.values()))["kind"][0]
        raise Invalid(first, {"json": {"notifications": refused}})
    user = lock_row(User, principal.user_id)  # one user's changes take turns
    changes: dict[str, list[bool]] = {}
    for choice in choices:
        kind = kinds_registry.BY_NAME[choice["kind"]]
        if kind.essential:
            continue  # on, and staying on
        row = db.session.get(NotificationSetting, (user.id, kind.name))
        before = True if row is None else row.enabled
        if before == choice["enabled"]:
            continue
        if row is None:
            db.session.add(NotificationSetting(user_id=user.id, kind=kind.name, enabled=choice["enabled"]))
        else:
            row.enabled = choice["enabled"]
        changes[kind.name] = [before, choice["enabled"]]
    if changes:
        db.session.flush()
        audit.record(principal, "notification_setting.update", user, details={"changes": changes})
    return _settings(principal)
