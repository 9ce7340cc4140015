"""Demo data for `flask gpo seed-demo` (idempotent): enough to sign in as every kind of
user and see each feature working. Each feature adds its own section."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select

from gpo.accounts.models import Location, Mso, Organization, Practice, Provider, User, Vendor
from gpo.accounts.services import add_user
from gpo.auth.models import ApiKey
from gpo.auth.principal import SYSTEM
from gpo.auth.tokens import hash_api_key
from gpo.db import commit_midway, db, unit_of_work, utcnow
from gpo.etags import etag_for
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
        practice = _org(Practice, spec["name"], tax_id=spec["tax_id"], joined_on=dt.date(2026, 1, 1))
        slug = spec["slug"]
        lines.append(f" {practice.name} (practice {practice.id})")
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
    lines.append("Vendors:")
    for name, kind, slug in VENDORS:
        vendor = _org(Vendor, name, kind=kind)
        lines.append(f" {vendor.name} ({kind}, vendor {vendor.id})")
        lines.append(_user(vendor, f"admin@{slug}.example", f"{name} admin", ["vendor_admin"]))
        if slug == "acme":
            key_hash = hash_api_key(DEMO_VENDOR_API_KEY)
            if not db.session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first():
                db.session.add(ApiKey(
                    vendor_id=vendor.id, name="demo integration", prefix=DEMO_VENDOR_API_KEY[:8],
                    last4=DEMO_VENDOR_API_KEY[-4:], key_hash=key_hash,
                ))
                db.session.flush()
            lines.append(f"  API key: {DEMO_VENDOR_API_KEY}")
    return lines


ACME_CATALOG = [
    # sku, name, category, list price, manufacturer, part number, clinical, min qty, multiple
    ("GLV-NIT-M", "Nitrile exam gloves, medium, box of 100", "supplies", "12.9900", "Acme", "AC-100M", False, 1, 1),
    ("GLV-NIT-L", "Nitrile exam gloves, large, box of 100", "supplies", "12.9900", "Acme", "AC-100L", False, 1, 1),
    ("SYR-3ML", "Syringe 3 mL luer lock, box of 100", "supplies", "18.5000", "Becton", "BD-309657", True, 1, 1),
    ("GAU-4X4", "Gauze sponges 4x4, sleeve of 200", "supplies", "7.2500", "Acme", "AC-G44", False, 2, 2),
    ("TBL-EXAM-626", "Power exam table 626", "equipment", "6450.0000", "Midmark", "626-001", True, 1, 1),
    ("OTO-WALL", "Wall diagnostic set (otoscope, ophthalmoscope)", "equipment", "1189.0000", "Welch Allyn", "767-EXAM",
     True, 1, 1),
    ("STOOL-PNEU", "Pneumatic exam stool", "equipment", "329.0000", "Midmark", "270-001", False, 1, 1),
    ("SCALE-DIG", "Digital physician scale", "equipment", "899.0000", "Detecto", "6855DHR", False, 1, 1),
]
BOLT_CATALOG = [
    ("LAP-14-PRO", "14-inch business laptop, 16 GB, 512 GB", "it", "1249.0000", "Lenovo", "21HD0036US", False, 1, 1),
    ("MON-24", "24-inch monitor", "it", "219.9900", "Dell", "P2422H", False, 1, 1),
    ("RTR-SMB", "Small-office router with firewall", "it", "449.0000", "Ubiquiti", "UDM-PRO", False, 1, 1),
    ("SUP-HELP-HR", "Managed IT support, per hour", "services", "95.0000", "Bolt", "SVC-HR", False, 4, 1),
]


def _wait_until_done(what: str, status_query, done: tuple[str, ...], timeout: float = 120) -> None:
    """With REDIS_URL set an RQ worker runs the demo's jobs: wait for them (in-process
    jobs are already done)."""
    import time

    commit_midway(f"the demo waits for {what}: its job starts once what asked for it is committed")
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        status = db.session.scalar(status_query)
        if status in done:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} is still {status}: is a worker running (make worker)?")
        time.sleep(0.2)


def seed_catalog() -> list[str]:
    """Acme's and Bolt's catalogs, each loaded through a bulk import (as vendors do)."""
    from gpo.auth.principal import Principal
    from gpo.auth.roles import API_KEY_ROLE
    from gpo.catalog.catalog_imports import start_import
    from gpo.catalog.models import CatalogImport, Product

    lines = ["Catalog:"]
    fields = ("sku", "name", "category", "list_price", "manufacturer", "manufacturer_part_number",
              "clinical", "min_order_quantity", "order_multiple")
    for vendor_name, catalog in (("Acme Medical Supply", ACME_CATALOG), ("Bolt IT Solutions", BOLT_CATALOG)):
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        has_products = db.session.scalars(select(Product.id).where(Product.vendor_id == vendor.id)).first()
        if not has_products:
            principal = Principal(kind="system", organization_id=vendor.id, org_type="vendor",
                                  roles=frozenset({API_KEY_ROLE}), label=f"demo data for {vendor_name}")
            body = {"mode": "upsert", "products": [dict(zip(fields, row, strict=True)) for row in catalog]}
            accepted = start_import(principal, vendor.id, None, json.dumps(body).encode(), "json")
            _wait_until_done(f"catalog import {accepted.id}",
                             select(CatalogImport.status).where(CatalogImport.id == accepted.id), ("finished", "failed"))
        latest = db.session.scalars(
            select(CatalogImport).where(CatalogImport.vendor_id == vendor.id).order_by(CatalogImport.id.desc())
        ).first()
        if latest is not None:
            lines.append(f" {vendor_name}: catalog import {latest.id} {latest.status}, "
                         f"{latest.created} created (GET /api/v1/catalog-imports/{latest.id})")
    return lines


def _principal_of(email: str):
    from gpo.auth.services import principal_for_user

    return principal_for_user(db.session.scalars(select(User).where(User.email == email)).one())


def seed_contracts() -> list[str]:
    """Acme's supplies contract, negotiated and in effect; Bolt's IT contract still in
    negotiation (the vendor's counter waits for MSO procurement)."""
    from gpo.catalog.models import Product
    from gpo.contracts import services as contracts
    from gpo.contracts.models import Contract

    lines = ["Contracts:"]
    procurement = _principal_of("procurement@summit-mso.example")
    year = contracts.today().year
    specs = [
        ("Acme Medical Supply", "admin@acme.example", "Exam room supplies and equipment", "supplies",
         ["GLV-NIT-M", "GLV-NIT-L", "SYR-3ML", "GAU-4X4", "TBL-EXAM-626", "OTO-WALL"], True),
        ("Bolt IT Solutions", "admin@bolt.example", "Practice IT refresh", "it",
         ["LAP-14-PRO", "MON-24", "RTR-SMB"], False),
    ]
    for vendor_name, vendor_email, title, category, skus, agree in specs:
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        contract = db.session.scalars(select(Contract).where(Contract.title == title)).first()
        if contract is None:
            products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor.id))}
            fixed = {str(products["TBL-EXAM-626"].id): "5800.0000"} if "TBL-EXAM-626" in skus else {}
            opened = contracts.create_contract(procurement, {
                "vendor_id": vendor.id, "title": title, "category": category, "basis": "units",
                "starts_on": dt.date(year, 1, 1), "ends_on": dt.date(year + 1, 12, 31),
                "items": [products[sku].id for sku in skus],
                "proposal": {"admin_fee_percent": Decimal("2.0"), "notes": "opening offer", "tiers": [
                    {"min_volume": 0, "discount_percent": Decimal("0")},
                    {"min_volume": 100, "discount_percent": Decimal("8"), "item_prices": {}},
                    {"min_volume": 250, "discount_percent": Decimal("12.5"),
                     "item_prices": {int(k): Decimal(v) for k, v in fixed.items()}},
                ]},
            })
            vendor_side = _principal_of(vendor_email)
            contracts.counter(vendor_side, opened["id"], {
                "admin_fee_percent": Decimal("2.0"), "notes": "we can do 7.5% from 120 units", "tiers": [
                    {"min_volume": 0, "discount_percent": Decimal("0")},
                    {"min_volume": 120, "discount_percent": Decimal("7.5"), "item_prices": {}},
                    {"min_volume": 250, "discount_percent": Decimal("12.5"),
                     "item_prices": {int(k): Decimal(v) for k, v in fixed.items()}},
                ]})
            if agree:
                contracts.accept(procurement, opened["id"], 2)
            contract = db.session.get(Contract, opened["id"])
        lines.append(f" {title} ({vendor_name}): contract {contract.id}, {contract.status_on(contracts.today())}")
    return lines


def seed_purchasing() -> list[str]:
    """A past cycle closed with orders from the three practices (a clinical exam table
    approved by a physician, one order that missed the cycle waiting for approval), its
    purchase order acknowledged with a refusal and shipped; and an open cycle with
    orders in progress so tier progress shows what more volume would unlock."""
    from gpo.catalog.models import Product
    from gpo.orders import cycles, ordering, purchase_orders
    from gpo.orders.models import Cycle, PurchaseOrder

    lines = ["Purchasing:"]
    now = utcnow()
    procurement = _principal_of("procurement@summit-mso.example")
    products = {p.sku: p.id for p in db.session.scalars(select(Product))}
    locations = {p.name: db.session.scalars(select(Location).where(Location.practice_id == p.id)).first().id
                 for p in db.session.scalars(select(Practice))}

    def order(email, practice, items, submit=True):
        return ordering.place_order(_principal_of(email), {
            "location_id": locations[practice], "submit": submit,
            "lines": [{"product_id": products[sku], "quantity": qty} for sku, qty in items]})

    past = db.session.scalars(select(Cycle).where(Cycle.name == "Demo: last cycle")).first()
    if past is None:
        past = cycles.create_cycle(procurement, {"name": "Demo: last cycle", "opens_at": now - dt.timedelta(hours=2),
                                                 "closes_at": now + dt.timedelta(hours=1)})
        cycles.open_cycle(procurement, past.id)
        order("buyer@lakeside.example", "Lakeside Family Medicine", [("GLV-NIT-M", 40), ("GAU-4X4", 20)])
        order("buyer@riverbend.example", "Riverbend Pediatrics", [("GLV-NIT-M", 30), ("GLV-NIT-L", 25)])
        table = order("buyer@northside.example", "Northside Orthopedics", [("TBL-EXAM-626", 1), ("GLV-NIT-L", 30)])
        ordering.approve_order(_principal_of("dr.patel@northside.example"), table.id, {etag_for(table)})
        order("buyer@lakeside.example", "Lakeside Family Medicine", [("SYR-3ML", 10)])  # never approved: misses
        cycles.request_close(procurement, past.id)
        _wait_until_done(f"the close of cycle {past.id}", select(Cycle.status).where(Cycle.id == past.id), ("closed",))
        acme = _principal_of("admin@acme.example")
        po = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.cycle_id == past.id)).first()
        gloves_l = [line for line in po.lines if line.product_id == products["GLV-NIT-L"]]
        purchase_orders.acknowledge(acme, po.id, [
            {"line_id": line.id, "accepted_quantity": line.quantity - (5 if line is gloves_l[-1] else 0)}
            for line in po.lines])
        db.session.refresh(po)
        shippable = [line for line in po.lines if line.accepted_quantity]
        purchase_orders.ship(acme, po.id, {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "lines": [
            {"line_id": line.id, "location_id": line.location_id, "quantity": line.accepted_quantity} for line in shippable]})
    lines.append(f" {past.name}: cycle {past.id}, closed (GET /api/v1/cycles/{past.id}/results, /api/v1/purchase-orders)")

    current = db.session.scalars(select(Cycle).where(Cycle.name == "Demo: this cycle")).first()
    if current is None:
        current = cycles.create_cycle(procurement, {"name": "Demo: this cycle", "opens_at": now,
                                                    "closes_at": now + dt.timedelta(days=14)})
        cycles.open_cycle(procurement, current.id)
        order("buyer@lakeside.example", "Lakeside Family Medicine", [("GLV-NIT-M", 50), ("GAU-4X4", 10)])
        order("buyer@riverbend.example", "Riverbend Pediatrics", [("GLV-NIT-L", 40)])
        order("buyer@northside.example", "Northside Orthopedics", [("OTO-WALL", 2)])  # clinical: awaits dr.patel
    # `make demo` closes the open cycle for its own, then opens "Demo: this cycle (reopened ...)" in its place.
    current = db.session.scalars(select(Cycle).where(Cycle.status == "open")).first() or current
    lines.append(f" {current.name}: cycle {current.id}, {current.status} (GET /api/v1/contracts/1/tier-progress)")
    return lines


def seed_fees() -> list[str]:
    """The MSO's default fees (before the close, so its invoices carry the service fee)
    and one practice's negotiated override."""
    from gpo.billing import invoices

    finance = _principal_of("finance@summit-mso.example")
    if invoices.default_schedule() is None:
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("2.5"),
                                                  "monthly_membership_cents": 15000, "pmpm_cents": 2500})
        riverbend = db.session.scalars(select(Practice).where(Organization.name == "Riverbend Pediatrics")).one()
        invoices.put_fee_schedule(finance, riverbend.id, {"service_fee_percent": Decimal("1.75")})
    return ["Fees: 2.5% service fee, $150.00 membership + $25.00 PMPM (Riverbend Pediatrics: 1.75% service fee)"]


def seed_billing() -> list[str]:
    """The last cycle's invoices finalized, Acme's quarterly rebate shared out as
    credits, and this month's membership run, its invoices finalized with the credits."""
    from gpo.billing import invoices, membership, rebates
    from gpo.billing.models import BillingRun, Invoice, Rebate
    from gpo.contracts.models import Contract
    from gpo.orders.models import Cycle

    finance = _principal_of("finance@summit-mso.example")
    past = db.session.scalars(select(Cycle).where(Cycle.name == "Demo: last cycle")).one()
    for invoice_id in db.session.scalars(select(Invoice.id).where(Invoice.cycle_id == past.id, Invoice.status == "draft")):
        invoices.finalize(finance, invoice_id)
    contract = db.session.scalars(select(Contract).where(Contract.title == "Exam room supplies and equipment")).one()
    today = utcnow().date()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter_end = (quarter_start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
    if db.session.scalars(select(Rebate).where(Rebate.contract_id == contract.id)).first() is None:
        rebates.record_rebate(finance, {
            "vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": quarter_start,
            "period_end": quarter_end, "amount_cents": 50000, "retained_percent": Decimal("20"),
            "notes": "Acme's quarterly volume rebate"})
    month = f"{today:%Y-%m}"
    run = db.session.scalars(select(BillingRun).where(BillingRun.month == month)).first()
    if run is None:
        run, _ = membership.request_billing_run(finance, {"kind": "membership", "month": month})
        _wait_until_done(f"the membership run for {month}", select(BillingRun.status).where(BillingRun.id == run.id),
                         ("finished", "failed"))
    for invoice_id in db.session.scalars(select(Invoice.id).where(Invoice.kind == "membership", Invoice.status == "draft")):
        invoices.finalize(finance, invoice_id)
    issued = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.status != "draft"))
    return ["Billing:",
            f" {issued} invoices issued (GET /api/v1/invoices as finance@summit-mso.example or a practice's admin)",
            " Acme's rebate shared out as credits (GET /api/v1/practices/{id}/credits), membership for " + month,
            " make demo: a whole cycle over HTTP, paid through Stripe (localstripe)"]


def seed_insurance() -> list[str]:
    """Keystone's group program for next year: Lakeside's and Riverbend's providers
    enrolled with quotes, bound by MSO into installment invoices, then Northside's
    surgeon added after binding, pro-rata from March at the bound band."""
    from gpo.insurance import binding, programs
    from gpo.insurance.enrollments import enroll as enroll_provider
    from gpo.insurance.models import Enrollment, InsuranceProgram

    year = utcnow().date().year + 1
    name = f"Keystone physicians group program {year}"
    program = db.session.scalars(select(InsuranceProgram).where(InsuranceProgram.name == name)).first()
    if program is None:
        program = programs.create_program(_principal_of("admin@keystone.example"), {
            "name": name, "carrier_vendor_id": None,
            "period_start": dt.date(year, 1, 1), "period_end": dt.date(year, 12, 31),
            "limits_options": ["1M/3M", "2M/4M"],
            "specialty_classes": {"family_medicine": "1", "pediatrics": "1", "orthopedic_surgery": "6", "obgyn": "8"},
            "rates": [{"specialty_class": c, "limits": limits, "annual_rate_cents": cents} for c, limits, cents in (
                ("1", "1M/3M", 1200000), ("1", "2M/4M", 1500000), ("6", "1M/3M", 4100000),
                ("6", "2M/4M", 4900000), ("8", "1M/3M", 5200000), ("8", "2M/4M", 6100000))],
            "step_factors": [Decimal(f) for f in ("0.35", "0.60", "0.80", "0.90", "1.00")],
            "claims_free_credits": [{"min_years": 3, "percent": Decimal(5)}, {"min_years": 5, "percent": Decimal(10)}],
            "group_discount_bands": [{"min_providers": n, "percent": Decimal(p)} for n, p in ((0, 0), (3, 5), (5, 10), (10, 15))],
            "installment_options": [1, 4, 12],
        })
    enrollments = [  # practice admin, provider's last name, limits, fte, claims-made year, claims-free years, installments
        ("admin@lakeside.example", "Ortiz", "1M/3M", "1", 5, 6, 4),
        ("admin@lakeside.example", "Cho", "2M/4M", "0.5", 2, 2, 4),
        ("admin@riverbend.example", "Diaz", "1M/3M", "1", 4, 3, 1),
    ]

    def enroll(admin, last_name, limits, fte, year_, free, installments, **extra):
        provider = db.session.scalars(select(Provider).where(Provider.last_name == last_name)).one()
        if db.session.scalars(select(Enrollment).where(Enrollment.program_id == program.id,
                                                       Enrollment.provider_id == provider.id)).first() is None:
            enroll_provider(_principal_of(admin), program.id, {
                "provider_id": provider.id, "limits": limits, "fte": Decimal(fte), "claims_made_year": year_,
                "claims_free_years": free, "installments": installments, **extra})

    for spec in enrollments:
        enroll(*spec)
    if program.status == "open":
        binding.request_bind(_principal_of("finance@summit-mso.example"), program.id)
    _wait_until_done("binding the insurance program", select(InsuranceProgram.status).where(
        InsuranceProgram.id == program.id), ("bound", "open"))
    db.session.refresh(program)
    if program.status != "bound":
        raise RuntimeError(f"binding program {program.id} failed: see job {program.bind_job_id}")
    enroll("admin@northside.example", "Patel", "1M/3M", "1", 3, 0, 4, effective_on=dt.date(year, 3, 1))
    db.session.refresh(program)
    return ["Malpractice insurance:",
            f" {program.name} (program {program.id}), bound at {program.bound_discount_percent.normalize()}% "
            f"for {program.bound_provider_count} providers",
            f" GET /api/v1/insurance/programs/{program.id}/group-progress, .../enrollments as admin@lakeside.example "
            "(quotes, installments) or admin@keystone.example (underwriting view)",
            " Northside's surgeon was added after binding: pro-rata from March 1 at the bound band"]


STAFF = [  # name, role, clinical, hourly cost
    ("Dana Reyes", "billing_specialist", False, 3250),
    ("Eli Park", "billing_specialist", False, 3000),
    ("Mia Chen", "medical_assistant", True, 2800),
    ("Omar Haddad", "it_technician", False, 4500),
]


def _local(day: dt.date, hour: int, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.timezone.utc)


def _weekdays(first: dt.date, count: int) -> list[dt.date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def seed_staffing() -> list[str]:
    """The MSO's staff pool (weekdays 08:00-18:00), last month's worked and approved
    shifts run into staffing invoices by the month's cost run, and next week's requests:
    one booked and accepted, a clinical one waiting for a physician, one still open.
    Last month's history is written directly (the API takes only future shifts)."""
    from gpo.staffing import clock, cost_runs, shifts
    from gpo.staffing.models import Assignment, CostRun, ShiftRequest, StaffMember, Timesheet
    from gpo.staffing.staff import add_availability, create_staff

    scheduler = _principal_of("scheduler@summit-mso.example")
    if db.session.scalar(select(func.count(StaffMember.id))) == 0:
        for name, role, clinical, cents in STAFF:
            person = create_staff(scheduler, {"name": name, "role": role, "clinical": clinical,
                                              "hourly_cost_cents": cents, "active": True})
            for weekday in range(5):
                add_availability(scheduler, person.id, {"kind": "weekly", "weekday": weekday,
                                                        "start_minute": 8 * 60, "end_minute": 18 * 60})
    staff = {p.name: p for p in db.session.scalars(select(StaffMember))}
    practices = {p.name: p for p in db.session.scalars(select(Practice))}
    zone = clock.zone()
    today = clock.now().astimezone(zone).date()
    last_month_start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month = f"{last_month_start:%Y-%m}"
    if db.session.scalars(select(CostRun).where(CostRun.month == month)).first() is None:
        history = [  # practice, person, accepted by, short notice
            ("Lakeside Family Medicine", "Dana Reyes", "buyer@lakeside.example", False),
            ("Lakeside Family Medicine", "Dana Reyes", "buyer@lakeside.example", True),
            ("Lakeside Family Medicine", "Omar Haddad", "admin@lakeside.example", False),
            ("Riverbend Pediatrics", "Mia Chen", "dr.diaz@riverbend.example", False),
            ("Riverbend Pediatrics", "Eli Park", "admin@riverbend.example", False),
        ]
        for day, (practice_name, person_name, accepted_by, short) in zip(
                _weekdays(last_month_start + dt.timedelta(days=7), 5), history, strict=True):
            practice, person = practices[practice_name], staff[person_name]
            location = db.session.scalars(select(Location).where(Location.practice_id == practice.id)).first()
            starts, ends = _local(day, 9, zone), _local(day, 17, zone)
            request = ShiftRequest(practice_id=practice.id, location_id=location.id, role=person.role, starts_at=starts,
                                   ends_at=ends, short_notice=short, status="completed", requested_by=accepted_by)
            db.session.add(request)
            db.session.flush()
            booking = Assignment(shift_request_id=request.id, staff_id=person.id, practice_id=practice.id,
                                 starts_at=starts, ends_at=ends, status="completed", hourly_cost_cents=person.hourly_cost_cents,
                                 assigned_by="scheduler@summit-mso.example", accepted_by=accepted_by, accepted_at=starts)
            db.session.add(booking)
            db.session.flush()
            db.session.add(Timesheet(assignment_id=booking.id, practice_id=practice.id, started_at=starts,
                                     ended_at=ends + dt.timedelta(minutes=15), break_minutes=30, minutes=465,
                                     status="approved", recorded_by="scheduler@summit-mso.example",
                                     decided_by=accepted_by, decided_at=ends))
        db.session.flush()
        run = cost_runs.request_cost_run(_principal_of("finance@summit-mso.example"),
                                        {"month": month, "overhead_cents": 150000})
        _wait_until_done(f"the staffing cost run for {month}", select(CostRun.status).where(CostRun.id == run.id),
                         ("finished", "failed"))
    upcoming = db.session.scalar(select(func.count(ShiftRequest.id)).where(ShiftRequest.starts_at > clock.now()))
    if not upcoming:
        next_monday = today + dt.timedelta(days=7 - today.weekday())
        lakeside = shifts.create_request(_principal_of("admin@lakeside.example"), {
            "location_id": _location_of("Lakeside Family Medicine"), "role": "billing_specialist",
            "starts_at": _local(next_monday, 9, zone), "ends_at": _local(next_monday, 17, zone),
            "notes": "month-end claims backlog"})
        booked = shifts.auto_assign(scheduler, lakeside.id)
        shifts.accept(_principal_of("buyer@lakeside.example"), booked.id)
        riverbend = shifts.create_request(_principal_of("admin@riverbend.example"), {
            "location_id": _location_of("Riverbend Pediatrics"), "role": "medical_assistant",
            "starts_at": _local(next_monday + dt.timedelta(days=1), 8, zone),
            "ends_at": _local(next_monday + dt.timedelta(days=1), 16, zone), "notes": "flu clinic"})
        shifts.assign(scheduler, riverbend.id, staff["Mia Chen"].id)
        shifts.create_request(_principal_of("admin@northside.example"), {
            "location_id": _location_of("Northside Orthopedics"), "role": "it_technician",
            "starts_at": _local(next_monday + dt.timedelta(days=2), 10, zone),
            "ends_at": _local(next_monday + dt.timedelta(days=2), 14, zone), "notes": "new workstations"})
    run = db.session.scalars(select(CostRun).where(CostRun.month == month)).one()
    return ["Shared staffing:",
            f" a pool of {len(staff)} (GET /api/v1/staffing/staff as scheduler@summit-mso.example)",
            f" {month}'s cost run {run.id}: {run.invoice_count} draft staffing invoices "
            f"(GET /api/v1/staffing/cost-runs/{run.id} as finance@summit-mso.example)",
            " next week: Lakeside's shift booked and accepted; Riverbend's medical assistant waits for "
            "dr.diaz@riverbend.example to accept (CPOM); Northside's IT shift is open for auto-assign"]


def _location_of(practice_name: str) -> int:
    return db.session.scalars(select(Location.id).join(Practice, Practice.id == Location.practice_id)
                              .where(Organization.name == practice_name)).first()


def seed() -> list[str]:
    """Each section is one unit of work (the CLI command is the edge)."""
    lines: list[str] = []
    for section in (seed_accounts, seed_catalog, seed_contracts, seed_fees, seed_purchasing, seed_billing,
                    seed_insurance, seed_staffing):
        with unit_of_work():
            lines += section()
    return lines + [f"Every demo user's password: {DEMO_PASSWORD}"]
