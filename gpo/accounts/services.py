"""Use cases of accounts: practices, their locations and providers, vendors, users."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Container

from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.inputs import (
    LocationInput,
    PracticeChanges,
    PracticeInput,
    ProviderChanges,
    ProviderInput,
    UserInput,
    VendorChanges,
    VendorInput,
)
from gpo.accounts.models import (
    Location,
    Mso,
    Organization,
    Practice,
    Provider,
    User,
    UserRole,
    Vendor,
)
from gpo.auth import policy
from gpo.auth.passwords import hash_password
from gpo.auth.principal import Principal
from gpo.auth.roles import ROLES_BY_ORG_TYPE
from gpo.auth.services import list_api_keys
from gpo.db import Paged, db, flush_or_conflict, paged
from gpo.errors import Invalid, NotFound
from gpo.etags import require_match

# --- practices ---------------------------------------------------------------------


def list_practices(principal: Principal, page: int, page_size: int, *, status: str | None = None,
                   name: str | None = None) -> Paged:
    """Member practices by id; the console narrows them by `status` and by a part of
    the `name` (any case)."""
    policy.authorize(principal, "practice.list")
    stmt = policy.scope(principal, select(Practice).order_by(Practice.id), Practice.id)
    if status:
        stmt = stmt.where(Practice.status == status)
    if name:
        pattern = "%" + name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(func.lower(Practice.name).like(pattern, escape="\\"))
    return paged(stmt, page, page_size)


def get_practice(principal: Principal, practice_id: int) -> Practice:
    return policy.load(principal, Practice, practice_id, "practice.read")


def create_practice(principal: Principal, data: PracticeInput) -> Practice:
    policy.authorize(principal, "practice.create")
    practice = Practice(**data)
    db.session.add(practice)
    db.session.flush()
    audit.record(principal, "practice.create", practice, details={"name": practice.name})
    db.session.flush()
    return practice


def update_practice(principal: Principal, practice_id: int, data: PracticeChanges, if_match: Container[str]) -> Practice:
    """Edit a practice. Only MSO admins change its status (suspend or reactivate)."""
    practice = policy.load(principal, Practice, practice_id, "practice.update", for_update=True)
    if "status" in data and data["status"] != practice.status:
        policy.authorize(principal, "practice.change_status", practice)
    require_match(practice, if_match)
    changes = audit.apply_changes(practice, data)
    if changes:
        audit.record(principal, "practice.update", practice, details=changes)
    db.session.flush()
    return practice


@dataclass(frozen=True)
class PracticeOverview:
    """A practice as the console shows it: its first `shown` locations, providers and
    users (each a Paged, so the page can say how many there are in all). `users` is
    None when the principal's roles may not list users (only an organization's admins
    and the MSO's may)."""

    practice: Practice
    locations: Paged
    providers: Paged
    users: Paged | None


def practice_overview(principal: Principal, practice_id: int, shown: int = 100) -> PracticeOverview:
    """The practice with its locations, providers and (for who may list them) users.
    404 outside the principal's tenancy, as get_practice."""
    practice = get_practice(principal, practice_id)
    users = (list_users(principal, Practice, practice.id, 1, shown)
             if policy.may(principal, "user.list") else None)
    return PracticeOverview(practice, list_locations(principal, practice.id, 1, shown),
                            list_providers(principal, practice.id, 1, shown), users)


# --- locations ---------------------------------------------------------------------


def list_locations(principal: Principal, practice_id: int, page: int, page_size: int) -> Paged:
    practice = policy.load(principal, Practice, practice_id, "location.list")
    stmt = select(Location).where(Location.practice_id == practice.id).order_by(Location.id)
    return paged(stmt, page, page_size)


def create_location(principal: Principal, practice_id: int, data: LocationInput) -> Location:
    practice = policy.load(principal, Practice, practice_id, "location.create")
    location = Location(practice_id=practice.id, **data)
    db.session.add(location)
    flush_or_conflict(f"practice {practice.id} already has a location named {data['name']!r}")
    audit.record(principal, "location.create", location, details={"name": location.name})
    db.session.flush()
    return location


# --- providers ---------------------------------------------------------------------


def list_providers(principal: Principal, practice_id: int, page: int, page_size: int) -> Paged:
    practice = policy.load(principal, Practice, practice_id, "provider.list")
    stmt = select(Provider).where(Provider.practice_id == practice.id).order_by(Provider.id)
    return paged(stmt, page, page_size)


def get_provider(principal: Principal, provider_id: int) -> Provider:
    return policy.load(principal, Provider, provider_id, "provider.list")


def create_provider(principal: Principal, practice_id: int, data: ProviderInput) -> Provider:
    practice = policy.load(principal, Practice, practice_id, "provider.create")
    provider = Provider(practice_id=practice.id, **data)
    db.session.add(provider)
    flush_or_conflict(f"NPI {data['npi']} is already a provider of practice {practice.id}")
    audit.record(principal, "provider.create", provider, details={"npi": provider.npi})
    db.session.flush()
    return provider


def update_provider(principal: Principal, provider_id: int, data: ProviderChanges, if_match: Container[str]) -> Provider:
    provider = policy.load(principal, Provider, provider_id, "provider.update", for_update=True)
    require_match(provider, if_match)
    changes = audit.apply_changes(provider, data)
    if provider.active_to is not None and provider.active_to < provider.active_from:
        raise Invalid("active_to must not be before active_from", {"json": {"active_to": ["before active_from"]}})
    flush_or_conflict(f"NPI {provider.npi} is already a provider of practice {provider.practice_id}")
    if changes:
        audit.record(principal, "provider.update", provider, details=changes)
    db.session.flush()
    return provider


# --- users -------------------------------------------------------------------------


def the_mso() -> Mso:
    mso = db.session.scalars(select(Mso)).one_or_none()
    if mso is None:
        raise NotFound("the MSO has not been set up: run flask gpo create-admin")
    return mso


def _organization(principal: Principal, model: type, org_id: int | None, action: str) -> Organization:
    if model is Mso:
        org_id = the_mso().id
    return policy.load(principal, model, org_id, action)


def list_users(principal: Principal, model: type, org_id: int | None, page: int, page_size: int) -> Paged:
    org = _organization(principal, model, org_id, "user.list")
    stmt = select(User).where(User.organization_id == org.id).order_by(User.id)
    return paged(stmt, page, page_size)


def create_user(principal: Principal, model: type, org_id: int | None, data: UserInput) -> User:
    """Add a user to an organization with roles of that organization's kind."""
    org = _organization(principal, model, org_id, "user.create")
    allowed = ROLES_BY_ORG_TYPE[org.org_type]
    wrong = sorted(set(data["roles"]) - set(allowed))
    if wrong:
        raise Invalid(
            f"roles {', '.join(wrong)} do not belong to a {org.org_type}; allowed: {', '.join(allowed)}",
            {"json": {"roles": [f"not a {org.org_type} role: {r}" for r in wrong]}},
        )
    return add_user(principal, org, data["email"], data["name"], data["password"], data["roles"])


EMAIL_UNAVAILABLE = "this e-mail address cannot be used for a new user: choose another"


def add_user(principal: Principal, org: Organization, email: str, name: str, password: str, roles) -> User:
    """Create the user (also used by the CLI). A taken e-mail answers 409 with one
    message, whichever organization holds it, naming neither the address nor its
    owner: e-mails are unique across tenants (they sign in), and an admin must not
    learn who another tenant's users are."""
    user = User(
        organization_id=org.id,
        email=email.strip().lower(),
        name=name,
        password_hash=hash_password(password),
        role_rows=[UserRole(role=r) for r in sorted(set(roles))],
    )
    db.session.add(user)
    flush_or_conflict(EMAIL_UNAVAILABLE)
    audit.record(principal, "user.create", user, details={"email": user.email, "roles": user.roles})
    db.session.flush()
    return user


# --- vendors -----------------------------------------------------------------------


def list_vendors(principal: Principal, kind: str | None, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "vendor.list")
    stmt = policy.scope(principal, select(Vendor).order_by(Vendor.id), Vendor.id)
    if kind:
        stmt = stmt.where(Vendor.kind == kind)
    return paged(stmt, page, page_size)


def get_vendor(principal: Principal, vendor_id: int) -> Vendor:
    return policy.load(principal, Vendor, vendor_id, "vendor.read")


@dataclass(frozen=True)
class VendorOverview:
    """A vendor as the console shows it: its users and its API keys, each None when
    the principal's roles may not list them (API keys: only the vendor's own admins,
    policy's api_key.list; a key's prefix and status are not widened to the MSO)."""

    vendor: Vendor
    users: Paged | None
    api_keys: Paged | None


def vendor_overview(principal: Principal, vendor_id: int, shown: int = 100) -> VendorOverview:
    vendor = get_vendor(principal, vendor_id)
    users = list_users(principal, Vendor, vendor.id, 1, shown) if policy.may(principal, "user.list") else None
    keys = list_api_keys(principal, vendor.id, 1, shown) if policy.may(principal, "api_key.list") else None
    return VendorOverview(vendor, users, keys)


def create_vendor(principal: Principal, data: VendorInput) -> Vendor:
    policy.authorize(principal, "vendor.create")
    vendor = Vendor(**data)
    db.session.add(vendor)
    db.session.flush()
    audit.record(principal, "vendor.create", vendor, details={"name": vendor.name, "kind": vendor.kind})
    db.session.flush()
    return vendor


def update_vendor(principal: Principal, vendor_id: int, data: VendorChanges, if_match: Container[str]) -> Vendor:
    """Edit a vendor; only MSO staff change what kind of vendor it is."""
    vendor = policy.load(principal, Vendor, vendor_id, "vendor.update", for_update=True)
    if "kind" in data and data["kind"] != vendor.kind:
        policy.authorize(principal, "vendor.change_kind", vendor)
    require_match(vendor, if_match)
    changes = audit.apply_changes(vendor, data)
    if changes:
        audit.record(principal, "vendor.update", vendor, details=changes)
    db.session.flush()
    return vendor
