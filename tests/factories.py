"""factory-boy factories: one line builds a valid, committed object."""
from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from gpo.accounts.models import Location, Mso, Practice, Provider, User, UserRole, Vendor
from gpo.auth.models import ApiKey
from gpo.auth.passwords import hash_password
from gpo.auth.principal import SYSTEM
from gpo.auth.tokens import hash_api_key, issue_access_token
from gpo.billing.invoices import issue
from gpo.billing.models import Invoice, InvoiceLine
from gpo.catalog.models import Product
from gpo.contracts.models import Contract, ContractItem
from gpo.db import db, unit_of_work, utcnow
from gpo.identifiers import npi_with_check_digit
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.leasing import rules as lease_rules
from gpo.leasing import terms as lease_terms
from gpo.leasing.models import Asset, Lease, Occupancy, Space
from gpo.orders.models import Cycle, Order, OrderLine
from gpo.staffing.models import SHORT_NOTICE, ShiftRequest

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


# --- orders ------------------------------------------------------------------------------


def _open_cycle() -> Cycle:
    """The open cycle (at most one is), or a new one."""
    return db.session.scalars(select(Cycle).where(Cycle.status == "open")).first() or CycleFactory()


def _a_product_on_a_contract() -> list[tuple[Product, int]]:
    product = ProductFactory()
    ContractFactory(vendor_id=product.vendor_id, products=[product])
    return [(product, 10)]


def _contract_of(product: Product) -> int:
    """The contract in effect the product is on, as an order line records it."""
    contract_id = db.session.scalar(
        select(Contract.id).join(ContractItem, ContractItem.contract_id == Contract.id)
        .where(ContractItem.product_id == product.id, Contract.in_effect_on(utcnow().date())).order_by(Contract.id))
    if contract_id is None:
        raise ValueError(f"product {product.id} is on no contract in effect: ContractFactory(products=[...]) first")
    return contract_id


class OrderFactory(Base):
    """A submitted order in the open cycle, for a location of its practice, as placing it
    over the API leaves it: one line per (product, quantity) of `items`, at the
    product's list price, on the contract in effect the product is on. Confirmed, or
    awaiting a physician when a line is clinical. Without `items`, ten units of a new
    product on a new contract; without `location`, a new practice's:

        OrderFactory(location=world.location, items=[(gloves, 60), (masks, 10)])
    """

    class Meta:
        model = Order

    class Params:
        location = factory.SubFactory(LocationFactory)
        cycle = factory.LazyFunction(_open_cycle)
        items = factory.LazyFunction(_a_product_on_a_contract)

    practice_id = factory.LazyAttribute(lambda o: o.location.practice_id)
    location_id = factory.LazyAttribute(lambda o: o.location.id)
    cycle_id = factory.LazyAttribute(lambda o: o.cycle.id)
    status = factory.LazyAttribute(
        lambda o: "awaiting_approval" if any(product.clinical for product, _ in o.items) else "confirmed")
    placed_by = "buyer@example.test"
    submitted_at = factory.LazyFunction(utcnow)
    lines = factory.LazyAttribute(lambda o: [
        OrderLine(product_id=product.id, contract_id=_contract_of(product), quantity=quantity,
                  list_price=product.list_price, clinical=product.clinical)
        for product, quantity in o.items])

    @factory.post_generation
    def counted(obj, create, extracted, **kwargs):  # noqa: N805
        """A confirmed order counts in its cycle's running volumes, as placing it does."""
        if create:
            from gpo.orders.running_volumes import move

            move(obj, Counter())
            db.session.commit()


# --- invoices ----------------------------------------------------------------------------


class InvoiceFactory(Base):
    """A draft membership invoice with one line per amount of `amounts` (cents) and the
    totals a draft has (gpo/billing/invoices.py recompute(): subtotal = the lines' sum,
    no credits yet, total = subtotal). `issued=True` finalizes it the app's way
    (billing.invoices.issue: the practice's credits applied, the year's next number,
    issue and due dates; open, or paid when credits cover it):

        InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)
    """

    class Meta:
        model = Invoice

    class Params:
        amounts = (15000,)

    practice_id = factory.LazyFunction(lambda: PracticeFactory().id)
    kind = "membership"
    status = "draft"
    source_key = factory.Sequence(lambda n: f"membership:factory:{n}")
    description = "Membership"
    lines = factory.LazyAttribute(lambda o: [
        InvoiceLine(kind="membership", description=f"Membership, part {i + 1}", quantity=Decimal(1), amount_cents=cents)
        for i, cents in enumerate(o.amounts)])
    service_fee_cents = 0
    subtotal_cents = factory.LazyAttribute(lambda o: sum(o.amounts))
    credits_applied_cents = 0
    total_cents = factory.SelfAttribute("subtotal_cents")

    @factory.post_generation
    def issued(obj, create, extracted, **kwargs):  # noqa: N805
        if extracted:
            with unit_of_work():  # as an edge would: issuing tells the practice (an outbox event)
                issue(obj, SYSTEM)


# --- insurance ---------------------------------------------------------------------------


class InsuranceProgramFactory(Base):
    """An open program of a carrier for a year starting in 40 days, its terms stored as
    gpo/insurance/rules.py terms_json() stores valid ones (every class has a rate at
    every limit; factors ascend; bands from 0)."""

    class Meta:
        model = InsuranceProgram

    carrier_vendor_id = factory.LazyFunction(lambda: VendorFactory(kind="carrier").id)
    name = factory.Sequence(lambda n: f"Group program {n}")
    period_start = factory.LazyFunction(lambda: utcnow().date() + dt.timedelta(days=40))
    period_end = factory.LazyAttribute(lambda o: o.period_start + dt.timedelta(days=364))
    limits_options = factory.LazyFunction(lambda: ["1M/3M", "2M/4M"])
    specialty_classes = factory.LazyFunction(lambda: {"family_medicine": "1", "pediatrics": "1", "obgyn": "8"})
    rates = factory.LazyFunction(lambda: [
        {"specialty_class": c, "limits": limits, "annual_rate_cents": cents}
        for c, by_limits in (("1", (1200000, 1500000)), ("8", (1234567, 1600000)))
        for limits, cents in zip(("1M/3M", "2M/4M"), by_limits, strict=True)])
    step_factors = factory.LazyFunction(lambda: ["0.35", "0.60", "0.80", "0.90", "1.00"])
    claims_free_credits = factory.LazyFunction(lambda: [{"min_years": 3, "percent": "5"}, {"min_years": 5, "percent": "10"}])
    group_discount_bands = factory.LazyFunction(lambda: [{"min_providers": 0, "percent": "0"},
                                                         {"min_providers": 3, "percent": "5"}])
    installment_options = factory.LazyFunction(lambda: [1, 4, 12])
    status = "open"
    created_by = "carrier@example.test"


class EnrollmentFactory(Base):
    """An active enrollment of a provider in an open program, as the practice's enrolling
    leaves it before binding (a quote, no final premium yet): the provider's specialty
    and the program's class for it, the first limits offered, full time, cover from
    the period's start."""

    class Meta:
        model = Enrollment

    program = factory.SubFactory(InsuranceProgramFactory)
    provider = factory.SubFactory(ProviderFactory)
    program_id = factory.SelfAttribute("program.id")
    provider_id = factory.SelfAttribute("provider.id")
    practice_id = factory.SelfAttribute("provider.practice_id")
    specialty = factory.SelfAttribute("provider.specialty")
    specialty_class = factory.LazyAttribute(lambda o: o.program.specialty_classes[o.provider.specialty])
    limits = factory.LazyAttribute(lambda o: o.program.limits_options[0])
    fte = Decimal("1")
    claims_made_year = 5
    claims_free_years = 0
    installments = 1
    effective_on = factory.SelfAttribute("program.period_start")
    status = "active"
    enrolled_by = "admin@example.test"


# --- staffing ----------------------------------------------------------------------------


class ShiftRequestFactory(Base):
    """An open request for a billing specialist at a location of its practice: an
    eight-hour shift a week ahead (so not short-notice), unless told otherwise."""

    class Meta:
        model = ShiftRequest

    class Params:
        location = factory.SubFactory(LocationFactory)
        asked_at = factory.LazyFunction(utcnow)

    practice_id = factory.LazyAttribute(lambda o: o.location.practice_id)
    location_id = factory.LazyAttribute(lambda o: o.location.id)
    role = "billing_specialist"
    starts_at = factory.LazyAttribute(
        lambda o: (o.asked_at + dt.timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=8))
    notes = ""
    short_notice = factory.LazyAttribute(lambda o: o.starts_at - o.asked_at < SHORT_NOTICE)
    status = "open"
    requested_by = "admin@example.test"


# --- leasing -----------------------------------------------------------------------------


class AssetFactory(Base):
    """An MSO-owned ultrasound bought this year: $62,000 at cost and fair value, a
    15-year economic life, clinical."""

    class Meta:
        model = Asset

    description = factory.Sequence(lambda n: f"Portable ultrasound {n}")
    category = "medical_equipment"
    clinical = True
    specialized = False
    cost_cents = 6200000
    fair_value_cents = factory.SelfAttribute("cost_cents")
    acquired_on = factory.LazyFunction(lambda: utcnow().date() - dt.timedelta(days=10))
    economic_life_months = 180
    created_by = "finance@example.test"


def _lease_figures(o) -> dict:
    terms = lease_rules.LeaseTerms(o.cost_cents, o.term_months, o.annual_rate_percent, o.residual_cents,
                                   o.advance_payments, o.down_payment_cents)
    rent = lease_rules.rent_cents(terms)
    c = lease_rules.classify(terms, rent, fair_value_cents=o.fair_value_cents,
                             remaining_life_months=o.asset.economic_life_months,
                             economic_life_months=o.asset.economic_life_months)
    return {"rent_cents": rent, "classification": c.kind,
            "classification_tests": [{"name": t.name, "passed": t.passed, "explanation": t.explanation,
                                      "figures": t.figures} for t in c.tests]}


class LeaseFactory(Base):
    """A lease offered to a practice on a new asset: 60 months at 8% with one rent in
    advance, no residual, starting in a week; its rent and classification from
    gpo/leasing/rules.py. `signed_lease()` signs one (schedule written, no invoice)."""

    class Meta:
        model = Lease
        exclude = ("figures",)

    asset = factory.SubFactory(AssetFactory)
    asset_id = factory.SelfAttribute("asset.id")
    practice_id = factory.LazyFunction(lambda: PracticeFactory().id)
    status = "offered"
    cost_cents = factory.SelfAttribute("asset.cost_cents")
    fair_value_cents = factory.SelfAttribute("asset.fair_value_cents")
    term_months = 60
    annual_rate_percent = Decimal("8")
    residual_cents = 0
    advance_payments = 1
    down_payment_cents = 0
    commences_on = factory.LazyFunction(lambda: utcnow().date() + dt.timedelta(days=7))
    figures = factory.LazyAttribute(_lease_figures)
    rent_cents = factory.LazyAttribute(lambda o: o.figures["rent_cents"])
    classification = factory.LazyAttribute(lambda o: o.figures["classification"])
    classification_tests = factory.LazyAttribute(lambda o: o.figures["classification_tests"])
    offered_by = "finance@example.test"


def signed_lease(**fields) -> Lease:
    """An active lease (LeaseFactory's terms unless told) with its schedule written, as
    signing leaves it, without the commencement invoice."""
    lease = LeaseFactory(**fields)
    lease_terms.write_schedule(lease)
    lease.status, lease.signed_at, lease.signed_by = "active", utcnow(), "physician@example.test"
    db.session.commit()
    return lease


class SpaceFactory(Base):
    """A 2,500 sq ft suite at $10,000 a month, rising 3% a year, since January 2025."""

    class Meta:
        model = Space

    name = factory.Sequence(lambda n: f"Suite {100 + n}")
    address = "1 Medical Plaza"
    square_feet = 2500
    base_rent_cents = 1000000
    escalation_percent = Decimal("3")
    starts_on = dt.date(2025, 1, 1)
    created_by = "finance@example.test"


class OccupancyFactory(Base):
    class Meta:
        model = Occupancy

    space = factory.SubFactory(SpaceFactory)
    space_id = factory.SelfAttribute("space.id")
    practice_id = factory.LazyFunction(lambda: PracticeFactory().id)
    square_feet = 1200
    starts_on = factory.SelfAttribute("space.starts_on")
    ends_on = None
    created_by = "finance@example.test"
