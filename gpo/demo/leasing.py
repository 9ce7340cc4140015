"""The demo's leasing (DOMAIN.md "Equipment and space leasing"): an ultrasound the MSO
bought and leased to Lakeside two and a half months ago, with its schedule and its
first invoices; Riverbend's X-ray unit bought from it and leased back (the price
credited to Riverbend); a short EKG lease to Northside whose term ends within weeks;
a server offered to Northside, waiting for its signature; and Suite 200 shared by
Lakeside and Northside with 500 square feet vacant. The lease billing runs of the
months since bill the rents due and the suite's shares; finance finalized the past
months' invoices, this month's wait as drafts."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Organization
from gpo.billing import invoices, membership
from gpo.billing.models import BillingRun, Invoice
from gpo.billing.rules import month_bounds
from gpo.db import db, utcnow
from gpo.demo.clock import as_of
from gpo.demo.common import principal_of, wait_until_done
from gpo.leasing import assets, leases, spaces
from gpo.leasing.models import Asset, Lease, Space
from gpo.leasing.rules import add_months

FINANCE = "finance@summit-mso.example"
SUITE = "Suite 200"


def _practice_id(name: str) -> int:
    return db.session.scalars(select(Organization.id).where(Organization.name == name)).one()


def _asset(description: str) -> Asset | None:
    return db.session.scalars(select(Asset).where(Asset.description == description)).first()


def _lease_of(asset: Asset) -> Lease | None:
    return db.session.scalars(select(Lease).where(Lease.asset_id == asset.id).order_by(Lease.id)).first()


def _offer(asset_id: int, practice: str, on: dt.date, **lease_terms) -> Lease:
    return leases.offer(principal_of(FINANCE), {
        "asset_id": asset_id, "practice_id": _practice_id(practice), "commences_on": on,
        "residual_guarantee": "none", "transfers_ownership": False, "purchase_option_reasonably_certain": False,
        "early_termination_fee_percent": Decimal("2"), **lease_terms})


def _ultrasound(start: dt.datetime) -> Lease:
    """Bought by the MSO and leased to Lakeside from `start`; signed by Dr. Ortiz (a
    clinical asset: a physician signs, CPOM)."""
    description = "Portable ultrasound (GE Venue Go)"
    asset = _asset(description)
    if asset is not None:
        return _lease_of(asset)
    with as_of(start):
        on = utcnow().date()
        created = assets.create_asset(principal_of(FINANCE), {
            "description": description, "category": "medical_equipment", "clinical": True, "specialized": False,
            "serial_number": "VG-2026-0419", "cost_cents": 6200000, "fair_value_cents": 6200000, "acquired_on": on,
            "economic_life_months": 120})
        lease = _offer(created["id"], "Lakeside Family Medicine", on, term_months=60,
                       annual_rate_percent=Decimal("7.5"), residual_cents=620000, advance_payments=1,
                       down_payment_cents=500000)
        return leases.sign(principal_of("dr.ortiz@lakeside.example"), lease.id)


def _xray_leaseback(start: dt.datetime) -> Lease:
    """Riverbend's X-ray unit, bought by the MSO for $48,000 (credited to Riverbend)
    and leased back to it from `start`, signed by Dr. Diaz."""
    description = "Digital X-ray unit (Carestream DRX-Compass), Riverbend's"
    asset = _asset(description)
    if asset is not None:
        return _lease_of(asset)
    with as_of(start):
        on = utcnow().date()
        created = assets.create_asset(principal_of(FINANCE), {
            "description": description, "category": "medical_equipment", "clinical": True, "specialized": False,
            "serial_number": "DRX-88213", "cost_cents": 4800000, "fair_value_cents": 5200000, "acquired_on": on,
            "economic_life_months": 84, "sold_by_practice_id": _practice_id("Riverbend Pediatrics")})
        lease = _offer(created["id"], "Riverbend Pediatrics", on, term_months=48, annual_rate_percent=Decimal("9"),
                       residual_cents=480000, advance_payments=0, down_payment_cents=0)
        return leases.sign(principal_of("dr.diaz@riverbend.example"), lease.id)


def _ekg(start: dt.datetime) -> Lease:
    """A portable EKG lent to Northside for four months from `start` while its own is
    replaced: its term ends within weeks (the console lists it), signed by Dr. Patel."""
    description = "Portable EKG machine (Philips PageWriter TC30)"
    asset = _asset(description)
    if asset is not None:
        return _lease_of(asset)
    with as_of(start):
        on = utcnow().date()
        created = assets.create_asset(principal_of(FINANCE), {
            "description": description, "category": "medical_equipment", "clinical": True, "specialized": False,
            "serial_number": "TC30-5521", "cost_cents": 850000, "fair_value_cents": 850000, "acquired_on": on,
            "economic_life_months": 72})
        lease = _offer(created["id"], "Northside Orthopedics", on, term_months=4, annual_rate_percent=Decimal("5"),
                       residual_cents=700000, advance_payments=1, down_payment_cents=0)
        return leases.sign(principal_of("dr.patel@northside.example"), lease.id)


def _server_offer() -> Lease:
    """A server and workstations offered to Northside, starting in two weeks: its admin
    signs it in the storefront (not clinical: no physician needed)."""
    description = "Practice server and 6 workstations (Dell)"
    asset = _asset(description)
    if asset is not None:
        return _lease_of(asset)
    today = utcnow().date()
    created = assets.create_asset(principal_of(FINANCE), {
        "description": description, "category": "it", "clinical": False, "specialized": False,
        "serial_number": None, "cost_cents": 1800000, "fair_value_cents": 1800000, "acquired_on": today,
        "economic_life_months": 60})
    return _offer(created["id"], "Northside Orthopedics", today + dt.timedelta(days=14), term_months=36,
                  annual_rate_percent=Decimal("6"), residual_cents=100000, advance_payments=1, down_payment_cents=0)


def _suite() -> Space:
    """Suite 200, rented by the MSO since the first of the month 25 months ago (in its
    third year: the rent has risen 3% twice), 1,200 sq ft to Lakeside, 800 to
    Northside, 500 vacant."""
    space = db.session.scalars(select(Space).where(Space.name == SUITE)).first()
    if space is not None:
        return space
    finance = principal_of(FINANCE)
    starts = add_months(utcnow().date().replace(day=1), -25)
    space = spaces.create_space(finance, {
        "name": SUITE, "address": "1 Medical Plaza, Madison, WI", "square_feet": 2500, "base_rent_cents": 1000000,
        "escalation_percent": Decimal("3"), "starts_on": starts})
    for practice, feet in (("Lakeside Family Medicine", 1200), ("Northside Orthopedics", 800)):
        spaces.add_occupancy(finance, space.id, {"practice_id": _practice_id(practice), "square_feet": feet,
                                                 "starts_on": starts, "ends_on": None})
    return space


def _lease_run(month: str) -> BillingRun:
    run, _created = membership.request_billing_run(principal_of(FINANCE), {"kind": "lease", "month": month})
    wait_until_done(f"the lease billing run for {month}", select(BillingRun.status).where(BillingRun.id == run.id),
                    ("finished", "failed"))
    return db.session.get(BillingRun, run.id)


def seed_leasing() -> list[str]:
    now = utcnow()
    ultrasound = _ultrasound(now - dt.timedelta(days=75))
    xray = _xray_leaseback(now - dt.timedelta(days=40))
    ekg = _ekg(now - dt.timedelta(days=100))
    server = _server_offer()
    suite = _suite()
    # The lease runs of the last three months and this one: rents due and the suite's shares.
    months = [f"{add_months(now.date().replace(day=1), -back):%Y-%m}" for back in (3, 2, 1, 0)]
    runs = [_lease_run(month) for month in months]
    # Finance finalized the past months' lease invoices; this month's wait as drafts.
    finance = principal_of(FINANCE)
    past_end = month_bounds(months[-2])[1]
    drafts = db.session.scalars(select(Invoice.id).where(
        Invoice.kind == "lease", Invoice.status == "draft", Invoice.period_end <= past_end)
        .order_by(Invoice.id)).all()
    for invoice_id in drafts:
        invoices.finalize(finance, invoice_id)
    db.session.flush()
    return ["Leasing:",
            f" {ultrasound.asset.description}: lease {ultrasound.id} to Lakeside, "
            f"{ultrasound.term_months} months at {ultrasound.annual_rate_percent.normalize()}%, signed by "
            "dr.ortiz@lakeside.example (clinical: a physician signs); its schedule and invoices at "
            f"/leasing/leases/{ultrasound.id}",
            f" {xray.asset.description}: bought from Riverbend (a $48,000 credit) and leased back, lease {xray.id}",
            f" {ekg.asset.description}: lease {ekg.id} to Northside, its 4-month term ending soon "
            f"(the console's start page says so; /console/leasing/leases/{ekg.id}/end once it is over)",
            f" {server.asset.description}: offered to Northside (lease {server.id}), waiting for "
            "admin@northside.example to sign at /leasing",
            f" {suite.name}: 1,200 sq ft Lakeside, 800 Northside, 500 vacant; at /console/leasing/spaces/{suite.id}",
            f" lease billing runs {', '.join(months)}: runs {', '.join(str(r.id) for r in runs)} "
            "(finance@summit-mso.example at /console/billing-runs)"]
