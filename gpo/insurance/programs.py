"""Malpractice group programs (DOMAIN.md "Malpractice insurance group program"):
carriers post their programs (terms validated whole), everyone concerned reads them,
and the group's progress shows the band it reaches now and how far the next is."""
from __future__ import annotations

from typing import TypedDict

from sqlalchemy import func, select

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.invoices import today
from gpo.db import Paged, db, paged
from gpo.errors import Forbidden, Invalid
from gpo.insurance import premium as rule
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.rules import ProgramTerms, rate_table, terms_json, validate_program


class NewProgram(ProgramTerms):
    """A program as ProgramCreateSchema loads it: its name, carrier and terms."""

    name: str
    carrier_vendor_id: int | None


class ProgramFilters(TypedDict, total=False):
    """The programs' list filters (ProgramQuerySchema)."""

    status: str


def program_visible(principal: Principal, program: InsuranceProgram) -> bool:
    """MSO staff, the carrier that posted it, and every practice (they enroll in it).
    Other vendors: 404."""
    return principal.is_mso or principal.org_type == "practice" or principal.organization_id == program.carrier_vendor_id



def check_may_post(principal: Principal) -> Vendor | None:
    """403 unless the principal may post programs: by role, and a vendor only when it
    is an insurance carrier (then that carrier)."""
    policy.authorize(principal, "insurance_program.create")
    if principal.org_type != "vendor":
        return None
    own = db.session.get(Vendor, principal.organization_id)
    if own.kind != "carrier":
        raise Forbidden("only an insurance carrier posts malpractice programs")
    return own


def may_post(principal: Principal) -> bool:
    """Whether `create_program` would let the principal post at all (a page's form)."""
    try:
        check_may_post(principal)
    except Forbidden:
        return False
    return True


def create_program(principal: Principal, data: NewProgram) -> InsuranceProgram:
    """A carrier posts its own program; MSO staff post one for a carrier they name."""
    own = check_may_post(principal)
    if own is not None:
        if data.get("carrier_vendor_id") not in (None, own.id):
            raise Invalid.of_field("carrier_vendor_id", "a carrier posts programs for itself only")
        carrier_id = own.id
    else:
        carrier_id = data.get("carrier_vendor_id")
        carrier = db.session.get(Vendor, carrier_id) if carrier_id is not None else None
        if carrier is None or carrier.kind != "carrier":
            raise Invalid.of_field("carrier_vendor_id", f"vendor {carrier_id} is not an insurance carrier")
    validate_program(data)
    if data["period_end"] < today():
        raise Invalid.of_field("period_end", f"the period ended on {data['period_end']}")
    program = InsuranceProgram(carrier_vendor_id=carrier_id, name=data["name"], period_start=data["period_start"],
                               period_end=data["period_end"], status="open", created_by=principal.label,
                               **terms_json(data))
    db.session.add(program)
    db.session.flush()
    audit.record(principal, "insurance_program.create", program, details={
        "name": program.name, "period_start": str(program.period_start), "period_end": str(program.period_end)})
    db.session.flush()
    return program


def list_programs(principal: Principal, filters: ProgramFilters, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "insurance_program.read")
    stmt = select(InsuranceProgram)
    if principal.org_type == "vendor":
        stmt = stmt.where(InsuranceProgram.carrier_vendor_id == principal.organization_id)
    if filters.get("status") is not None:
        stmt = stmt.where(InsuranceProgram.status == filters["status"])
    return paged(stmt.order_by(InsuranceProgram.period_start.desc(), InsuranceProgram.id.desc()), page, page_size)


def get_program(principal: Principal, program_id: int) -> InsuranceProgram:
    return policy.load(principal, InsuranceProgram, program_id, "insurance_program.read")


def active_count(program_id: int) -> int:
    """The program's active enrollments, across the whole MSO."""
    return db.session.scalar(select(func.count(Enrollment.id)).where(
        Enrollment.program_id == program_id, Enrollment.status == "active"))


def group_progress(principal: Principal, program_id: int) -> dict:
    """How many providers the group has, the band that gives, and how far the next is.
    Once bound, the band is the one binding fixed."""
    program = get_program(principal, program_id)
    return progress_of(program, active_count(program.id))


def programs_with_progress(principal: Principal, filters: ProgramFilters, page: int,
                           page_size: int) -> list[tuple[InsuranceProgram, dict]]:
    """A page of `list_programs`, each program with its `group_progress`: the active
    enrollments of every program on the page counted by one aggregate (the same
    statements for any number of programs)."""
    listed = list_programs(principal, filters, page, page_size).items
    counts = dict(db.session.execute(
        select(Enrollment.program_id, func.count(Enrollment.id))
        .where(Enrollment.program_id.in_([p.id for p in listed]), Enrollment.status == "active")
        .group_by(Enrollment.program_id)).all()) if listed else {}
    return [(program, progress_of(program, counts.get(program.id, 0))) for program in listed]


def progress_of(program: InsuranceProgram, enrolled: int) -> dict:
    """The group's progress (GroupProgressSchema) with `enrolled` active enrollments."""
    bands = rate_table(program).group_discount_bands
    current = rule.reached(bands, enrolled)
    following = rule.next_threshold(bands, enrolled)
    return {
        "program_id": program.id, "status": program.status, "enrolled": enrolled,
        "current_band": {"min_providers": current.minimum, "percent": current.percent},
        "next_band": {"min_providers": following.minimum, "percent": following.percent} if following else None,
        "providers_to_next_band": following.minimum - enrolled if following else None,
        "bound_provider_count": program.bound_provider_count,
        "bound_discount_percent": program.bound_discount_percent,
    }

