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


# The demo's equipment leases: the asset (bought, or bought from a practice for a
# sale-leaseback), the practice it is leased to, how many days ago it commenced (None:
# offered to start in two weeks, not signed), who signed it, and its terms.
LEASES = {
    # Lakeside's ultrasound: clinical, so Dr. Ortiz signs (CPOM)
    "ultrasound": ({"description": "Portable ultrasound (GE Venue Go)", "category": "medical_equipment",
                    "clinical": True, "serial_number": "VG-2026-0419", "cost_cents": 6200000,
                    "fair_value_cents": 6200000, "economic_life_months": 120},
                   "Lakeside Family Medicine", 75, "dr.ortiz@lakeside.example",
                   {"term_months": 60, "annual_rate_percent": Decimal("7.5"), "residual_cents": 620000,
                    "advance_payments": 1, "down_payment_cents": 500000}),
    # Riverbend's own X-ray unit, bought for $48,000 (credited to Riverbend) and leased back
    "xray": ({"description": "Digital X-ray unit (Carestream DRX-Compass), Riverbend's",
              "category": "medical_equipment", "clinical": True, "serial_number": "DRX-88213",
              "cost_cents": 4800000, "fair_value_cents": 5200000, "economic_life_months": 84,
              "sold_by": "Riverbend Pediatrics"},
             "Riverbend Pediatrics", 40, "dr.diaz@riverbend.example",
             {"term_months": 48, "annual_rate_percent": Decimal("9"), "residual_cents": 480000,
              "advance_payments": 0, "down_payment_cents": 0}),
    # an EKG lent to Northside for four months while its own is replaced: it ends within weeks
    "ekg": ({"description": "Portable EKG machine (Philips PageWriter TC30)", "category": "medical_equipment",
             "clinical": True, "serial_number": "TC30-5521", "cost_cents": 850000, "fair_value_cents": 850000,
             "economic_life_months": 72},
            "Northside Orthopedics", 100, "dr.patel@northside.example",
            {"term_months": 4, "annual_rate_percent": Decimal("5"), "residual_cents": 700000,
             "advance_payments": 1, "down_payment_cents": 0}),
    # a server offered to Northside: not clinical, so its admin may sign it in the storefront
    "server": ({"description": "Practice server and 6 workstations (Dell)", "category": "it", "clinical": False,
                "serial_number": None, "cost_cents": 1800000, "fair_value_cents": 1800000,
                "economic_life_months": 60},
               "Northside Orthopedics", None, None,
               {"term_months": 36, "annual_rate_percent": Decimal("6"), "residual_cents": 100000,
                "advance_payments": 1, "down_payment_cents": 0}),
}


def _lease(name: str) -> Lease:
    """LEASES[name], created once: the asset bought (on the day the lease commenced),
    the lease offered and, unless it is left as an offer, signed."""
    asset_fields, practice, days_ago, signer, lease_terms = LEASES[name]
    asset = _asset(asset_fields["description"])
    if asset is not None:
        return _lease_of(asset)
    started = utcnow() - dt.timedelta(days=days_ago or 0)
    with as_of(started):
        on = utcnow().date()
        fields = {k: v for k, v in asset_fields.items() if k != "sold_by"}
        seller = asset_fields.get("sold_by")
        created = assets.create_asset(principal_of(FINANCE), {
            **fields, "specialized": False, "acquired_on": on,
            **({"sold_by_practice_id": _practice_id(seller)} if seller else {})})
        lease = _offer(created["id"], practice, on if days_ago else on + dt.timedelta(days=14), **lease_terms)
        return leases.sign(principal_of(signer), lease.id) if signer else lease


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
    ultrasound, xray, ekg, server = (_lease(name) for name in ("ultrasound", "xray", "ekg", "server"))
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
