"""What the accounts use cases take: exactly the keys their request schemas load
(gpo/accounts/schemas.py). `total=False`: a partial update, each key optional."""
from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict


class PracticeInput(TypedDict):
    """PracticeCreateSchema (it loads `status` as active and `joined_on` as today when
    the body leaves them out)."""

    name: str
    tax_id: str
    status: str
    joined_on: dt.date
    time_zone: NotRequired[str]


class PracticeChanges(TypedDict, total=False):
    """PracticeUpdateSchema (partial): only an MSO admin changes `status`."""

    name: str
    tax_id: str
    status: str
    joined_on: dt.date
    time_zone: str


class LocationInput(TypedDict):
    """LocationCreateSchema."""

    name: str
    line1: str
    line2: str | None  # loaded as null when absent
    city: str
    state: str
    postal_code: str


class ProviderInput(TypedDict):
    """ProviderCreateSchema: `active_to` null while the provider is with the practice."""

    first_name: str
    last_name: str
    npi: str
    specialty: str
    active_from: dt.date
    active_to: dt.date | None  # loaded as null when absent


class ProviderChanges(TypedDict, total=False):
    """ProviderUpdateSchema (partial)."""

    first_name: str
    last_name: str
    npi: str
    specialty: str
    active_from: dt.date
    active_to: dt.date | None


class UserInput(TypedDict):
    """UserCreateSchema: roles of the organization's kind (gpo/auth/roles.py)."""

    email: str
    name: str
    password: str
    roles: list[str]


class VendorInput(TypedDict):
    """VendorCreateSchema."""

    name: str
    kind: str


class VendorChanges(TypedDict, total=False):
    """VendorUpdateSchema (partial)."""

    name: str
    kind: str
