"""A small world of organizations and principals for API tests."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import TEST_SECRET
from tests.factories import (
    LocationFactory,
    MsoFactory,
    PracticeFactory,
    ProviderFactory,
    UserFactory,
    VendorFactory,
    api_key_with_secret,
    token_for,
)


@dataclass
class World:
    """Two practices, two vendors, MSO staff; `headers[name]` signs in as each."""

    mso: object
    practice: object
    other_practice: object
    vendor: object
    other_vendor: object
    location: object
    provider: object
    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    api_key: object = None


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(db_ctx) -> World:
    mso = MsoFactory()
    practice = PracticeFactory(name="Lakeside")
    other_practice = PracticeFactory(name="Riverbend")
    vendor = VendorFactory(name="Acme")
    other_vendor = VendorFactory(name="Bolt")
    w = World(
        mso=mso, practice=practice, other_practice=other_practice, vendor=vendor, other_vendor=other_vendor,
        location=LocationFactory(practice=practice), provider=ProviderFactory(practice_id=practice.id),
    )
    people = {
        "mso_admin": (mso, ["mso_admin"]),
        "mso_procurement": (mso, ["mso_procurement"]),
        "mso_finance": (mso, ["mso_finance"]),
        "practice_admin": (practice, ["practice_admin"]),
        "practice_buyer": (practice, ["practice_buyer"]),
        "practice_physician": (practice, ["practice_physician"]),
        "other_practice_admin": (other_practice, ["practice_admin"]),
        "vendor_admin": (vendor, ["vendor_admin"]),
        "other_vendor_admin": (other_vendor, ["vendor_admin"]),
    }
    for name, (org, roles) in people.items():
        user = UserFactory(organization_id=org.id, roles=roles, email=f"{name}@example.test")
        w.users[name] = user
        w.headers[name] = bearer(token_for(user, TEST_SECRET))
    w.api_key, plain = api_key_with_secret(vendor.id)
    w.headers["vendor_key"] = bearer(plain)
    other_key, other_plain = api_key_with_secret(other_vendor.id)
    w.headers["other_vendor_key"] = bearer(other_plain)
    return w
