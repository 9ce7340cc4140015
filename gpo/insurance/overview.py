"""What the console's and the portal's insurance pages read (WEB.md "Console pages",
"Vendor portal pages"): the programs with their carrier and group progress, one
program with its enrollments and its binding, and what waits on the start pages.
Each read goes through the use cases' own rules (`programs.list_programs`,
`enrollments.list_enrollments`, `jobs.get_job`) and adds what a page shows beside
them in a fixed number of statements, whatever the number of rows.

A carrier reads enrollments exactly as the API shows them to it (`enrollment_view`:
the provider it underwrites, by name and NPI, and never the practice)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gpo import jobs
from gpo.accounts.models import Organization, Vendor
from gpo.auth.principal import Principal
from gpo.billing.invoices import today
from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import Paged, db
from gpo.errors import Forbidden, NotFound
from gpo.insurance import enrollments, programs
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.programs import ProgramFilters


@dataclass(frozen=True)
class ProgramRow:
    """A program in a list: its carrier's name and the group's progress."""

    program: InsuranceProgram
    carrier_name: str
    progress: dict


@dataclass(frozen=True)
class BindOutcome:
    """What binding left: the installment invoices it issued and what they bill."""

    providers: int | None
    discount_percent: object
    invoices: int
    installments: int
    premium_cents: int


@dataclass(frozen=True)
class ProgramDetail:
    program: InsuranceProgram
    carrier_name: str
    progress: dict
    enrollments: Paged  # enrollment views; MSO: with "practice_name"
    bind_job: jobs.Job | None  # the binding's job, when this reader may follow it
    outcome: BindOutcome | None  # once bound (MSO only)


def _names(ids) -> dict[int, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


def program_rows(principal: Principal, filters: ProgramFilters, page: int, page_size: int) -> Paged:
    """A page of `programs.list_programs` (a carrier: its own), each a ProgramRow: the
    active enrollments of the page's programs counted by one aggregate, the carriers'
    names by one query."""
    listed = programs.list_programs(principal, filters, page, page_size)
    ids = [p.id for p in listed.items]
    counts = dict(db.session.execute(
        select(Enrollment.program_id, func.count(Enrollment.id))
        .where(Enrollment.program_id.in_(ids), Enrollment.status == "active")
        .group_by(Enrollment.program_id)).all()) if ids else {}
    names = _names(p.carrier_vendor_id for p in listed.items)
    return Paged(items=[ProgramRow(p, names.get(p.carrier_vendor_id, ""), programs.progress_of(p, counts.get(p.id, 0)))
                        for p in listed.items], total=listed.total)


def carrier_options() -> list[tuple[int, str]]:
    """The insurance carriers MSO staff may post a program for, by name."""
    return [(row.id, row.name) for row in db.session.execute(
        select(Vendor.id, Vendor.name).where(Vendor.kind == "carrier").order_by(Vendor.name, Vendor.id))]


def _bind_job(principal: Principal, program: InsuranceProgram) -> jobs.Job | None:
    """The binding's job if this reader may follow it (`jobs.get_job`: whoever asked
    for it, or an admin), else None."""
    if program.bind_job_id is None:
        return None
    try:
        return jobs.get_job(principal, program.bind_job_id)
    except (Forbidden, NotFound):
        return None


def bind_outcome(program: InsuranceProgram) -> BindOutcome | None:
    """A bound program's installment invoices as binding issued them (their keys name
    the program and the practice: `binding.practice_invoices`), in one aggregate."""
    if program.status != "bound":
        return None
    prefix = f"insurance:program:{program.id}:practice:"
    invoices, installments, cents = db.session.execute(
        select(func.count(func.distinct(Invoice.id)), func.count(InvoiceLine.id),
               func.coalesce(func.sum(InvoiceLine.amount_cents), 0))
        .select_from(Invoice).join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.kind == "insurance", Invoice.source_key.startswith(prefix, autoescape=True))).one()
    return BindOutcome(program.bound_provider_count, program.bound_discount_percent, invoices, installments, int(cents))


def program_detail(principal: Principal, program_id: int, page: int, page_size: int) -> ProgramDetail:
    """One program as its reader may see it (another carrier's: 404): the group's
    progress, a page of its enrollments, the binding's job and what it left. MSO
    staff read each enrollment's practice by name; a carrier reads the API's carrier
    view (the provider it underwrites, never the practice)."""
    program = programs.get_program(principal, program_id)
    progress = programs.group_progress(principal, program_id)
    listed = enrollments.list_enrollments(principal, program_id, {}, page, page_size)
    if principal.org_type == "vendor":
        return ProgramDetail(program, _names([program.carrier_vendor_id]).get(program.carrier_vendor_id, ""),
                             progress, listed, None, None)
    names = _names([program.carrier_vendor_id, *(view["practice_id"] for view in listed.items)])
    views = [{**view, "practice_name": names.get(view["practice_id"], "")} for view in listed.items]
    return ProgramDetail(program, names.get(program.carrier_vendor_id, ""), progress, Paged(views, listed.total),
                         _bind_job(principal, program), bind_outcome(program) if principal.is_mso else None)


# --- the start pages' "Waiting for you" ---------------------------------------------------


def programs_to_bind(principal: Principal) -> list[dict]:
    """Open programs that have active enrollments (and whose period has not ended), in
    one query: id, name, period start and the number of enrollments."""
    rows = db.session.execute(
        select(InsuranceProgram.id, InsuranceProgram.name, InsuranceProgram.period_start,
               func.count(Enrollment.id))
        .join(Enrollment, Enrollment.program_id == InsuranceProgram.id)
        .where(InsuranceProgram.status == "open", InsuranceProgram.period_end >= today(),
               Enrollment.status == "active")
        .group_by(InsuranceProgram.id, InsuranceProgram.name, InsuranceProgram.period_start)
        .order_by(InsuranceProgram.period_start, InsuranceProgram.id).limit(5)).all()
    return [{"id": r[0], "name": r[1], "period_start": r[2], "enrollments": r[3]} for r in rows]


def open_program_count(principal: Principal) -> int:
    """The carrier's own programs open for enrollment (0 for any other vendor)."""
    return db.session.scalar(select(func.count(InsuranceProgram.id)).where(
        InsuranceProgram.carrier_vendor_id == principal.organization_id, InsuranceProgram.status == "open"))
