"""Binding a program (DOMAIN.md "Malpractice insurance group program"): MSO asks once;
a job fixes the group band from the active enrollments, makes every premium final
and issues each practice's installment invoices. Its life is `BINDING`, a
`jobs.RunLifecycle` on the program's row: open -> binding -> bound, and a binding
that fails for good goes back to open, to be asked again."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.invoices import draft_invoice, issue, today
from gpo.db import db, lock_row, utcnow
from gpo.errors import Conflict
from gpo.insurance import premium as rule
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.programs import active_count
from gpo.insurance.quotes import make_final
from gpo.insurance.rules import rate_table
from gpo.jobs import RunLifecycle
from gpo.money import format_dollars

# `failed` is "open": a program whose binding failed for good is open, and only an
# open program may be asked to bind (`may_run_again`).
BINDING = RunLifecycle(
    kind="insurance.bind", model=InsuranceProgram, id_arg="program_id", waiting="binding", done="bound",
    failed="open", job_attribute="bind_job_id",
    summary=lambda program: {"status": "bound", "providers": program.bound_provider_count})


def request_bind(principal: Principal, program_id: int) -> InsuranceProgram:
    """open -> binding; a job fixes the band and invoices. Asking again is 409."""
    policy.load(principal, InsuranceProgram, program_id, "insurance_program.bind")
    program = lock_row(InsuranceProgram, program_id)
    if not BINDING.may_run_again(program):
        raise Conflict(f"program {program.id} is {program.status}: it is bound once")
    if program.period_end < today():
        raise Conflict(f"program {program.id}'s period ended on {program.period_end}")
    if active_count(program.id) == 0:
        raise Conflict(f"program {program.id} has no active enrollments to bind")
    BINDING.start(principal, program)
    audit.record(principal, "insurance_program.bind", program, details={"job_id": program.bind_job_id})
    db.session.flush()
    return program


def practice_invoices(program: InsuranceProgram, practice_id: int, enrollments: list[Enrollment], source: str) -> int:
    """Issue a practice's insurance invoices: its enrollments' installments, one invoice
    per due date (quarterly and monthly payers share the dates they have in common).
    Each invoice's key names what it bills, so running this again creates nothing."""
    by_due: dict[dt.date, list[dict]] = defaultdict(list)
    for enrollment in enrollments:
        schedule = rule.installment_schedule(program.period_start, program.period_end, enrollment.installments,
                                             enrollment.effective_on, enrollment.premium_cents)
        provider = enrollment.provider
        for number, (due, cents) in enumerate(schedule, start=1):
            by_due[due].append({
                "kind": "premium", "amount_cents": cents,
                "description": f"{provider.first_name} {provider.last_name} (NPI {provider.npi}), "
                               f"{enrollment.limits}, installment {number} of {len(schedule)}"[:300]})
    created = 0
    for due in sorted(by_due):
        invoice = draft_invoice(practice_id, "insurance", f"insurance:program:{program.id}:{source}:due:{due}",
                                f"{program.name}: premium due {due}"[:200], by_due[due],
                                period_start=program.period_start, period_end=program.period_end)
        if invoice is not None:
            issue(invoice, SYSTEM, due_on=due)
            created += 1
    return created


def back_to_open(program: InsuranceProgram) -> None:
    """BINDING failed for good (the job's retries are spent): the program, locked and
    still binding, is open again and can be bound again."""
    program.status = "open"
    audit.record(SYSTEM, "insurance_program.bind_failed", program)
    db.session.flush()


def bind_program(program: InsuranceProgram) -> dict:
    """The job's work on its locked, binding program: fix the band from the active
    enrollments, make every premium final and issue each practice's installment
    invoices, in one transaction (the job's): a crash leaves nothing half-done."""
    enrollments = db.session.scalars(select(Enrollment).where(
        Enrollment.program_id == program.id, Enrollment.status == "active")
        .order_by(Enrollment.practice_id, Enrollment.id).with_for_update()).all()
    discount = rule.percent_reached(rate_table(program).group_discount_bands, len(enrollments))
    by_practice: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        make_final(program, enrollment, discount)
        by_practice[enrollment.practice_id].append(enrollment)
    invoices = sum(practice_invoices(program, practice_id, members, f"practice:{practice_id}")
                   for practice_id, members in sorted(by_practice.items()))
    total = sum(e.premium_cents for e in enrollments)
    program.status, program.bound_at = BINDING.done, utcnow()
    program.bound_provider_count, program.bound_discount_percent = len(enrollments), discount
    audit.record(SYSTEM, "insurance_program.bound", program, details={
        "providers": len(enrollments), "discount_percent": str(discount), "invoices": invoices,
        "premium_cents": total})
    db.session.flush()
    return {"status": "bound", "providers": len(enrollments), "discount_percent": str(discount),
            "invoices": invoices, "premium_cents": total, "premium": format_dollars(total)}


def bind(program_id: int) -> dict:
    """The binding job for one program, as the job system runs it (tests call it too)."""
    return BINDING.run_once(program_id)
