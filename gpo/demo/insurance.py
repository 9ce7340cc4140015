"""The demo's malpractice insurance: Keystone's group program for next year, its
enrollments, its binding, and an enrollment added after binding; and Keystone's
excess-limits program, its enrollments left ready for MSO staff to bind in the console."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Provider
from gpo.db import db, utcnow
from gpo.demo.common import principal_of, wait_until_done
from gpo.insurance import binding, programs
from gpo.insurance.enrollments import enroll as enroll_provider
from gpo.insurance.models import Enrollment, InsuranceProgram

ENROLLMENTS = [  # practice admin, provider's last name, limits, fte, claims-made year, claims-free years, installments
    ("admin@lakeside.example", "Ortiz", "1M/3M", "1", 5, 6, 4),
    ("admin@lakeside.example", "Cho", "2M/4M", "0.5", 2, 2, 4),
    ("admin@riverbend.example", "Diaz", "1M/3M", "1", 4, 3, 1),
]

# The excess-limits program's enrollments, left open for MSO staff to bind.
EXCESS_ENROLLMENTS = [
    ("admin@lakeside.example", "Ortiz", "3M/5M", "1", 5, 6, 4),
    ("admin@riverbend.example", "Diaz", "3M/5M", "1", 4, 3, 12),
    ("admin@northside.example", "Patel", "3M/5M", "0.8", 3, 0, 4),
]


def seed_insurance() -> list[str]:
    """Keystone's group program for next year: Lakeside's and Riverbend's providers
    enrolled with quotes, bound by MSO into installment invoices, then Northside's
    surgeon added after binding, pro-rata from March at the bound band."""
    year = utcnow().date().year + 1
    program = _keystone_program(year)
    for spec in ENROLLMENTS:
        _enroll(program, *spec)
    _bind(program)
    _enroll(program, "admin@northside.example", "Patel", "1M/3M", "1", 3, 0, 4, effective_on=dt.date(year, 3, 1))
    db.session.refresh(program)
    excess = _keystone_program(year, excess=True)
    for spec in EXCESS_ENROLLMENTS:
        _enroll(excess, *spec)
    return ["Malpractice insurance:",
            f" {program.name} (program {program.id}), bound at {program.bound_discount_percent.normalize()}% "
            f"for {program.bound_provider_count} providers",
            f" GET /api/v1/insurance/programs/{program.id}/group-progress, .../enrollments as admin@lakeside.example "
            "(quotes, installments) or admin@keystone.example (underwriting view)",
            " Northside's surgeon was added after binding: pro-rata from March 1 at the bound band",
            f" {excess.name} (program {excess.id}): {len(EXCESS_ENROLLMENTS)} enrollments ready to bind at "
            f"/console/insurance/programs/{excess.id} (procurement@ or finance@summit-mso.example); "
            "admin@keystone.example sees it at /portal/programs"]


def _keystone_program(year: int, excess: bool = False) -> InsuranceProgram:
    """Keystone's physicians group program for `year` (or its excess-limits program),
    created by Keystone once."""
    name = f"Keystone {'excess limits' if excess else 'physicians group'} program {year}"
    program = db.session.scalars(select(InsuranceProgram).where(InsuranceProgram.name == name)).first()
    if program is None:
        terms = _program_terms(name, year)
        if excess:
            terms = {**terms, "limits_options": ["3M/5M"], "rates": [
                {"specialty_class": c, "limits": "3M/5M", "annual_rate_cents": cents}
                for c, cents in (("1", 1890000), ("6", 6425000), ("8", 7980000))]}
        program = programs.create_program(principal_of("admin@keystone.example"), terms)
    return program


def _program_terms(name: str, year: int) -> dict:
    """The program's period, limits, rates by specialty class, step factors, credits,
    group discount bands and installment options."""
    return {
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
    }


def _enroll(program: InsuranceProgram, admin: str, last_name: str, limits: str, fte: str, year_: int, free: int,
            installments: int, **extra) -> None:
    """The practice admin enrolls their provider in the program, once."""
    provider = db.session.scalars(select(Provider).where(Provider.last_name == last_name)).one()
    if db.session.scalars(select(Enrollment).where(Enrollment.program_id == program.id,
                                                   Enrollment.provider_id == provider.id)).first() is None:
        enroll_provider(principal_of(admin), program.id, {
            "provider_id": provider.id, "limits": limits, "fte": Decimal(fte), "claims_made_year": year_,
            "claims_free_years": free, "installments": installments, **extra})


def _bind(program: InsuranceProgram) -> None:
    """MSO finance binds the open program (a job: wait for it); it must end bound."""
    if program.status == "open":
        binding.request_bind(principal_of("finance@summit-mso.example"), program.id)
    wait_until_done("binding the insurance program", select(InsuranceProgram.status).where(
        InsuranceProgram.id == program.id), ("bound", "open"))
    db.session.refresh(program)
    if program.status != "bound":
        raise RuntimeError(f"binding program {program.id} failed: see job {program.bind_job_id}")
