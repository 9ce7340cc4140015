"""factory-boy factories: one line builds a valid, committed object."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from gpo.accounts.models import Location, Mso, Practice, Provider, User, UserRole, Vendor
from gpo.auth.models import ApiKey
from gpo.auth.passwords import hash_password
from gpo.auth.tokens import hash_api_key, issue_access_token
from gpo.catalog.models import Product
from gpo.contracts.models import Contract, ContractItem
from gpo.db import db, utcnow
from gpo.identifiers import npi_with_check_digit
from gpo.orders.models import Cycle

PASSWORD = "test-password-123"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once
_npis = itertools.count(100000001)
_keys = itertools.count(1)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class MsoFactory(Base):
    class Meta:
        model = Mso
        sqlalchemy_get_or_create = ("name",)

    name = "Test MSO"


class PracticeFactory(Base):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    tax_id = factory.Sequence(lambda n: f"{10 + n % 89:02d}-{n:07d}")
    status = "active"
    joined_on = dt.date(2026, 1, 1)


class VendorFactory(Base):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    kind = "supplier"


class LocationFactory(Base):
    class Meta:
        model = Location

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")
    line1 = "1 Main St"
    city = "Madison"
    state = "WI"
    postal_code = "53703"


class ProviderFactory(Base):
    class Meta:
        model = Provider

    practice_id = factory.LazyFunction(lambda: PracticeFactory().id)
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Provider{n}")
    npi = factory.LazyFunction(lambda: npi_with_check_digit(str(next(_npis))))
    specialty = "family_medicine"
    active_from = dt.date(2026, 1, 1)


class UserFactory(Base):
    class Meta:
        model = User

    class Params:
        roles = ("practice_admin",)

    organization_id = factory.LazyFunction(lambda: PracticeFactory().id)
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Sequence(lambda n: f"User {n}")
    password_hash = _PASSWORD_HASH
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=r) for r in o.roles])


class ApiKeyFactory(Base):
    """A key whose plain text is `gpo_test_key_<id-ish>`; use api_key_with_secret() to
    get the usable key too."""

    class Meta:
        model = ApiKey

    class Params:
        plain = factory.Sequence(lambda n: f"gpo_test_key_{n:032d}")

    vendor_id = factory.LazyFunction(lambda: VendorFactory().id)
    name = "integration"
    prefix = factory.LazyAttribute(lambda o: o.plain[:8])
    last4 = factory.LazyAttribute(lambda o: o.plain[-4:])
    key_hash = factory.LazyAttribute(lambda o: hash_api_key(o.plain))


def api_key_with_secret(vendor_id: int) -> tuple[ApiKey, str]:
    plain = f"gpo_test_key_{next(_keys):032d}"
    return ApiKeyFactory(vendor_id=vendor_id, plain=plain), plain


def token_for(user: User, secret: str, ttl: int = 900, now: dt.datetime | None = None) -> str:
    return issue_access_token(user.id, secret, ttl, now or utcnow())


class ProductFactory(Base):
    class Meta:
        model = Product

    vendor_id = factory.LazyFunction(lambda: VendorFactory().id)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "supplies"
    manufacturer = "Acme"
    manufacturer_part_number = factory.Sequence(lambda n: f"MPN-{n}")
    unit_of_measure = "box"
    list_price = Decimal("19.9900")
    clinical = False
    min_order_quantity = 1
    order_multiple = 1
    active = True


class ContractFactory(Base):
    """A contract in effect (accepted, today inside its term) unless told otherwise."""

    class Meta:
        model = Contract

    vendor_id = factory.LazyFunction(lambda: VendorFactory().id)
    title = factory.Sequence(lambda n: f"Contract {n}")
    category = "supplies"
    basis = "units"
    starts_on = factory.LazyFunction(lambda: utcnow().date() - dt.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: utcnow().date() + dt.timedelta(days=335))
    tiers = factory.LazyFunction(lambda: [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
                                          {"min_volume": 100, "discount_percent": "10", "item_prices": {}}])
    admin_fee_percent = Decimal("2.0")
    accepted_proposal_number = 1
    accepted_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def products(obj, create, extracted, **kwargs):  # noqa: N805
        """ContractFactory(products=[p1, p2]) puts them on the contract."""
        for product in extracted or []:
            obj.items.append(ContractItem(product_id=product.id))
        if create and extracted:
            db.session.commit()


class CycleFactory(Base):
    """An open cycle (closes in a week) unless told otherwise."""

    class Meta:
        model = Cycle

    name = factory.Sequence(lambda n: f"Cycle {n}")
    opens_at = factory.LazyFunction(lambda: utcnow() - dt.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: utcnow() + dt.timedelta(days=7))
    status = "open"
