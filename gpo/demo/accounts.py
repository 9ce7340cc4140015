"""The demo's organizations and users: the MSO's staff, three practices (a location and
providers each), four vendors, and Acme's API key."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gpo.accounts.models import Location, Mso, Organization, Practice, Provider, User, Vendor
from gpo.accounts.services import add_user
from gpo.auth.models import ApiKey
from gpo.auth.principal import SYSTEM
from gpo.auth.tokens import hash_api_key
from gpo.db import db
from gpo.identifiers import npi_with_check_digit

DEMO_PASSWORD = "gpo-demo-password"
# A fixed key so the demo can print it on every run; never use a fixed key in production.
DEMO_VENDOR_API_KEY = "gpo_demo_acme_medical_supply_key_0001"

MSO_USERS = [
    ("admin@summit-mso.example", "Morgan Admin", ["mso_admin"]),
    ("procurement@summit-mso.example", "Priya Procurement", ["mso_procurement"]),
    ("finance@summit-mso.example", "Frank Finance", ["mso_finance"]),
    ("scheduler@summit-mso.example", "Sasha Scheduler", ["mso_scheduler"]),
]

PRACTICES = [
    {
        "name": "Lakeside Family Medicine", "tax_id": "39-1234567", "slug": "lakeside",
        "location": ("Main clinic", "100 Lake St", "Madison", "WI", "53703"),
        "providers": [("Ana", "Ortiz", "123456789", "family_medicine"), ("Ben", "Cho", "123456790", "family_medicine")],
    },
    {
        "name": "Riverbend Pediatrics", "tax_id": "39-7654321", "slug": "riverbend",
        "location": ("Riverbend office", "12 River Rd", "Middleton", "WI", "53562"),
        "providers": [("Carla", "Diaz", "123456791", "pediatrics")],
    },
    {
        "name": "Northside Orthopedics", "tax_id": "39-5550123", "slug": "northside",
        "location": ("Surgery center", "8 North Ave", "Sun Prairie", "WI", "53590"),
        "providers": [("Dev", "Patel", "123456792", "orthopedic_surgery")],
    },
]

VENDORS = [
    ("Acme Medical Supply", "supplier", "acme"),
    ("Bolt IT Solutions", "supplier", "bolt"),
    ("Keystone Mutual Insurance", "carrier", "keystone"),
    ("StaffRight Health", "staffing", "staffright"),
]


def _org(model, name: str, **fields):
    org = db.session.scalars(select(model).where(Organization.name == name)).first()
    if org is None:
        org = model(name=name, **fields)
        db.session.add(org)
        db.session.flush()
    return org


def _user(org, email: str, name: str, roles: list[str]) -> str:
    if db.session.scalars(select(User).where(User.email == email)).first() is None:
        add_user(SYSTEM, org, email, name, DEMO_PASSWORD, roles)
    return f"  {email:<40} {', '.join(roles)}"


def seed_accounts() -> list[str]:
    lines = ["MSO staff:"]
    mso = db.session.scalars(select(Mso)).one_or_none() or _org(Mso, "Summit Physicians MSO")
    lines += [_user(mso, *u) for u in MSO_USERS]

    lines.append("Practices:")
    for spec in PRACTICES:
        lines += _seed_practice(spec)
    lines.append("Vendors:")
    for name, kind, slug in VENDORS:
        lines += _seed_vendor(name, kind, slug)
    return lines


def _seed_practice(spec: dict) -> list[str]:
    """A practice with its admin, buyer and first provider's user, its location and providers."""
    practice = _org(Practice, spec["name"], tax_id=spec["tax_id"], joined_on=dt.date(2026, 1, 1))
    slug = spec["slug"]
    lines = [f" {practice.name} (practice {practice.id})"]
    lines.append(_user(practice, f"admin@{slug}.example", f"{practice.name} admin", ["practice_admin"]))
    lines.append(_user(practice, f"buyer@{slug}.example", f"{practice.name} buyer", ["practice_buyer"]))
    first, last, _, _ = spec["providers"][0]
    lines.append(_user(practice, f"dr.{last.lower()}@{slug}.example", f"Dr. {first} {last}", ["practice_physician"]))
    loc_name, line1, city, state, zip_code = spec["location"]
    if not db.session.scalars(select(Location).where(Location.practice_id == practice.id)).first():
        db.session.add(Location(practice_id=practice.id, name=loc_name, line1=line1, city=city, state=state,
                                postal_code=zip_code))
    for first, last, npi9, specialty in spec["providers"]:
        npi = npi_with_check_digit(npi9)
        exists = db.session.scalars(
            select(Provider).where(Provider.practice_id == practice.id, Provider.npi == npi)
        ).first()
        if not exists:
            db.session.add(Provider(
                practice_id=practice.id, first_name=first, last_name=last, npi=npi,
                specialty=specialty, active_from=dt.date(2026, 1, 1),
            ))
    db.session.flush()
    return lines


def _seed_vendor(name: str, kind: str, slug: str) -> list[str]:
    """A vendor with its admin (and, for Acme, the demo's API key)."""
    vendor = _org(Vendor, name, kind=kind)
    lines = [f" {vendor.name} ({kind}, vendor {vendor.id})"]
    lines.append(_user(vendor, f"admin@{slug}.example", f"{name} admin", ["vendor_admin"]))
    if slug == "acme":
        _add_demo_api_key(vendor)
        lines.append(f"  API key: {DEMO_VENDOR_API_KEY}")
    return lines


def _add_demo_api_key(vendor: Vendor) -> None:
    key_hash = hash_api_key(DEMO_VENDOR_API_KEY)
    if not db.session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first():
        db.session.add(ApiKey(
            vendor_id=vendor.id, name="demo integration", prefix=DEMO_VENDOR_API_KEY[:8],
            last4=DEMO_VENDOR_API_KEY[-4:], key_hash=key_hash,
        ))
        db.session.flush()
