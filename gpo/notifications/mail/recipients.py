"""Who receives an e-mail: the active users of the right organization holding the
right roles. Every query is bound to the organization the event names (its practice,
its vendor, or the MSO), so a user of another practice or vendor is never a recipient
whatever the roles (tenancy)."""
from __future__ import annotations

from sqlalchemy import select

from gpo.accounts.models import Organization, User, UserRole
from gpo.db import db
from gpo.notifications.models import OutboxEvent

# "MSO finance": the users holding mso_finance. An MSO admin acts in every MSO role but
# is not sent every practice's failed payment; only when the MSO has no active finance
# user do its admins receive what finance would (someone must hear of an essential one).
MSO_FINANCE = frozenset({"mso_finance"})
MSO_FINANCE_FALLBACK = frozenset({"mso_admin"})


def users_with_roles(organization_id: int | None, roles) -> list[User]:
    """Active users of the organization holding any of `roles`, by id."""
    if organization_id is None or not roles:
        return []
    holders = select(UserRole.user_id).where(UserRole.role.in_(sorted(roles)))
    return list(db.session.scalars(
        select(User).where(User.organization_id == organization_id, User.active.is_(True), User.id.in_(holders))
        .order_by(User.id)))


def of_practice(event: OutboxEvent, roles) -> list[User]:
    return users_with_roles(event.practice_id, roles)


def of_vendor(event: OutboxEvent, roles) -> list[User]:
    return users_with_roles(event.vendor_id, roles)


def mso_finance() -> list[User]:
    mso_id = db.session.scalar(select(Organization.id).where(Organization.org_type == "mso"))
    return users_with_roles(mso_id, MSO_FINANCE) or users_with_roles(mso_id, MSO_FINANCE_FALLBACK)


def named_user_of_practice(event: OutboxEvent, key: str = "user_id") -> User | None:
    """The user `event.data[key]` names, if active and of the event's practice (an id
    from another organization is ignored, never mailed)."""
    user_id = (event.data or {}).get(key)
    if not isinstance(user_id, int) or event.practice_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.organization_id != event.practice_id:
        return None
    return user
