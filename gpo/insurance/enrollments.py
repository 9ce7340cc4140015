"""Enrollments (DOMAIN.md "Malpractice insurance group program"): practices enroll
their providers and see quotes at the band the group reaches now; after binding an
enrollment's premium is final at once, pro-rata at the bound band, and invoiced; a
cancellation after binding credits the unused days."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Practice, Provider
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.invoices import today
from gpo.billing.models import Credit
from gpo.db import Paged, db, flush_or_conflict, lock_row, paged
from gpo.errors import Conflict, Invalid
from gpo.identifiers import is_valid_npi
from gpo.insurance import premium as rule
from gpo.insurance.binding import practice_invoices
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.programs import active_count
from gpo.insurance.quotes import current_discount, make_final, premium_of
from gpo.insurance.rules import rate_table


class NewEnrollment(TypedDict):
    """A provider's enrollment (EnrollmentInSchema)."""

    provider_id: int
    limits: str
    fte: Decimal
    claims_made_year: int
    claims_free_years: int
    installments: int
    effective_on: dt.date | None


class EnrollmentFilters(TypedDict, total=False):
    """The enrollments' list filters (EnrollmentQuerySchema)."""

    status: str
    practice_id: int


class Cancellation(TypedDict):
    """When an enrollment ends and why (CancelSchema)."""

    effective_on: dt.date | None
    reason: str | None


def enrollment_visible(principal: Principal, enrollment: Enrollment) -> bool:
    """MSO staff, the practice, and the program's carrier (for underwriting)."""
    return principal.is_mso or principal.organization_id in (enrollment.practice_id, enrollment.program.carrier_vendor_id)



def enrollment_view(principal: Principal, enrollment: Enrollment, discount: Decimal | None = None) -> dict:
    """An enrollment as its reader may see it. Its practice and MSO: everything, with
    the quote (or the final premium) and its installments. The carrier: what
    underwriting needs (the provider's name, NPI and specialty, the limits and rating
    facts, the premium), nothing else of the practice."""
    program = enrollment.program
    provider = enrollment.provider
    if enrollment.final:
        discount = enrollment.group_discount_percent
    elif discount is None:
        discount = current_discount(program)
    p = premium_of(program, enrollment, discount)
    view = {
        "id": enrollment.id, "program_id": program.id, "status": enrollment.status,
        "provider_id": provider.id, "provider_name": f"{provider.first_name} {provider.last_name}",
        "npi": provider.npi, "specialty": enrollment.specialty, "specialty_class": enrollment.specialty_class,
        "limits": enrollment.limits, "fte": enrollment.fte, "claims_made_year": enrollment.claims_made_year,
        "claims_free_years": enrollment.claims_free_years, "effective_on": enrollment.effective_on,
        "cancelled_on": enrollment.cancelled_on, "final": enrollment.final,
        "annual_premium_cents": p.annual_cents, "premium_cents": p.premium_cents,
    }
    if principal.org_type == "vendor":
        return view
    schedule = []
    if enrollment.status == "active" or enrollment.final:
        schedule = rule.installment_schedule(program.period_start, program.period_end, enrollment.installments,
                                             enrollment.effective_on, p.premium_cents)
    return {
        **view, "practice_id": enrollment.practice_id, "installments": enrollment.installments,
        "quote": {
            "base_rate_cents": p.base_rate_cents, "step_factor": p.step_factor, "fte": p.fte,
            "claims_free_percent": p.claims_free_percent, "group_discount_percent": p.group_discount_percent,
            "annual_cents": p.annual_cents, "days_covered": p.days_covered, "days_in_period": p.days_in_period,
            "premium_cents": p.premium_cents,
        },
        "installment_schedule": [{"due_on": due, "amount_cents": cents} for due, cents in schedule],
        "credited_cents": enrollment.credited_cents, "credit_id": enrollment.credit_id,
        "cancel_reason": enrollment.cancel_reason, "enrolled_by": enrollment.enrolled_by,
        "created_at": enrollment.created_at,
    }



def _provider_of(principal: Principal, provider_id: int) -> Provider:
    provider = db.session.get(Provider, provider_id)
    if provider is None or provider.practice_id != principal.organization_id:
        raise Invalid.of_field("provider_id", f"provider {provider_id} is not a provider of your practice")
    if not is_valid_npi(provider.npi):
        raise Invalid.of_field("provider_id", f"provider {provider_id}'s NPI {provider.npi} is not a valid NPI")
    return provider


def _coverage_start(program: InsuranceProgram, requested: dt.date | None) -> dt.date:
    """Before binding, coverage runs from the period's start unless the practice names a
    later day; after binding it starts today at the earliest (no back-dated cover)."""
    bound = program.status == "bound"
    earliest = max(program.period_start, today()) if bound else program.period_start
    start = requested or earliest
    if start < earliest:
        raise Invalid.of_field("effective_on", f"coverage can start on {earliest} at the earliest"
                       + (" (the program is bound: no back-dated cover)" if bound else ""))
    if start > program.period_end:
        raise Invalid.of_field("effective_on", f"the program's period ends on {program.period_end}")
    return start


def _checked(principal: Principal, program: InsuranceProgram, data: NewEnrollment) -> tuple[Provider, str, dt.date]:
    """What enrolling and quoting both refuse: the provider, its specialty's class and
    the first day of cover, or the field that is wrong."""
    if program.period_end < today():
        raise Conflict(f"program {program.id}'s period ended on {program.period_end}: it takes no enrollments")
    provider = _provider_of(principal, data["provider_id"])
    practice = db.session.get(Practice, provider.practice_id)
    if practice.status != "active":
        raise Conflict(f"practice {practice.id} is {practice.status}: it cannot enroll providers")
    specialty_class = program.specialty_classes.get(provider.specialty)
    if specialty_class is None:
        raise Invalid.of_field("provider_id", f"specialty {provider.specialty!r} of provider {provider.id} has no class "
                       f"in this program (classes exist for: {', '.join(sorted(program.specialty_classes))})")
    if data["limits"] not in program.limits_options:
        raise Invalid.of_field("limits", f"limits {data['limits']!r} are not offered "
                                         f"(offered: {', '.join(program.limits_options)})")
    if data["installments"] not in program.installment_options:
        raise Invalid.of_field("installments", "installments must be one of "
                       + ", ".join(str(n) for n in program.installment_options))
    start = _coverage_start(program, data.get("effective_on"))
    if provider.active_from > start or (provider.active_to is not None and provider.active_to < start):
        raise Invalid.of_field("provider_id", f"provider {provider.id} is not active on {start}")
    return provider, specialty_class, start


def enroll(principal: Principal, program_id: int, data: NewEnrollment) -> dict:
    """Enroll one of the practice's active providers. The database refuses a second
    active enrollment of the same provider in the program (409). After binding, the
    premium is final at once (pro-rata at the bound band) and its installments are
    invoiced; nobody else is re-rated."""
    policy.load(principal, InsuranceProgram, program_id, "enrollment.create")
    # The program's lock: enrollments and binding take turns, so binding counts every
    # enrollment made before it and prices every one made after it.
    program = lock_row(InsuranceProgram, program_id)
    provider, specialty_class, start = _checked(principal, program, data)
    practice = db.session.get(Practice, provider.practice_id)
    enrollment = Enrollment(
        program_id=program.id, practice_id=practice.id, provider_id=provider.id, specialty=provider.specialty,
        specialty_class=specialty_class, limits=data["limits"], fte=data["fte"],
        claims_made_year=data["claims_made_year"], claims_free_years=data["claims_free_years"],
        installments=data["installments"], effective_on=start, status="active", enrolled_by=principal.label)
    db.session.add(enrollment)
    flush_or_conflict(f"provider {provider.id} is already enrolled in program {program.id}")
    if program.status == "bound":
        make_final(program, enrollment, program.bound_discount_percent)
        practice_invoices(program, practice.id, [enrollment], f"enrollment:{enrollment.id}")
    audit.record(principal, "enrollment.create", enrollment, details={
        "program_id": program.id, "provider_id": provider.id, "limits": enrollment.limits,
        "fte": str(enrollment.fte), "effective_on": str(start), "premium_cents": enrollment.premium_cents})
    db.session.flush()
    return enrollment_view(principal, enrollment)


def list_enrollments(principal: Principal, program_id: int, filters: EnrollmentFilters, page: int, page_size: int) -> Paged:
    """A practice: its own enrollments in the program; the carrier and MSO: all of them."""
    program = policy.load(principal, InsuranceProgram, program_id, "enrollment.read")
    stmt = select(Enrollment).where(Enrollment.program_id == program.id)
    if principal.org_type == "practice":
        stmt = stmt.where(Enrollment.practice_id == principal.organization_id)
    if filters.get("status") is not None:
        stmt = stmt.where(Enrollment.status == filters["status"])
    if filters.get("practice_id") is not None:
        if principal.org_type == "vendor":  # it would tell the carrier whose providers they are
            raise Invalid.of_field("practice_id", "carriers do not filter enrollments by practice")
        stmt = stmt.where(Enrollment.practice_id == filters["practice_id"])
    result = paged(stmt.order_by(Enrollment.id), page, page_size)
    discount = current_discount(program)  # once for the page, not per enrollment
    return Paged(items=[enrollment_view(principal, e, discount) for e in result.items], total=result.total)


def get_enrollment(principal: Principal, enrollment_id: int) -> dict:
    return enrollment_view(principal, policy.load(principal, Enrollment, enrollment_id, "enrollment.read"))


def cancel(principal: Principal, enrollment_id: int, data: Cancellation) -> dict:
    """End an enrollment. Bound: the unused days, from the first day no longer
    covered to the period's end, come back as a credit on the practice's next invoices,
    `round_half_up(annual * unused_days / days_in_period)` at the bound band. Before
    binding there is nothing billed to credit. Nobody else is re-rated."""
    enrollment = policy.load(principal, Enrollment, enrollment_id, "enrollment.cancel")
    program = lock_row(InsuranceProgram, enrollment.program_id)  # the order enroll and bind lock in
    enrollment = lock_row(Enrollment, enrollment_id)
    if enrollment.status == "cancelled":
        raise Conflict(f"enrollment {enrollment.id} was already cancelled on {enrollment.cancelled_on}")
    last_day = program.period_end + dt.timedelta(days=1)  # cancelled from here on: nothing unused
    earliest = min(max(enrollment.effective_on, today()) if enrollment.final else enrollment.effective_on, last_day)
    ends = data.get("effective_on") or max(earliest, min(today(), last_day))
    if ends < earliest:
        raise Invalid.of_field("effective_on", f"the cancellation can take effect on {earliest} at the earliest"
                       + (" (no back-dated credit once premiums are billed)" if enrollment.final else ""))
    if ends > last_day:
        raise Invalid.of_field("effective_on", f"the program's period ends on {program.period_end}")
    enrollment.status, enrollment.cancelled_on = "cancelled", ends
    enrollment.cancel_reason = data.get("reason") or None
    if enrollment.final:
        p = premium_of(program, enrollment, enrollment.group_discount_percent)
        unused = rule.days_between(ends, program.period_end)
        credit_cents = rule.prorated_cents(p.annual_exact, unused, program.days_in_period)
        if credit_cents > 0:
            provider = enrollment.provider
            credit = Credit(practice_id=enrollment.practice_id, source="insurance_cancellation",
                            amount_cents=credit_cents, remaining_cents=credit_cents,
                            description=f"{program.name}: {provider.first_name} {provider.last_name} cancelled "
                                        f"from {ends}, {unused} unused days")
            db.session.add(credit)
            db.session.flush()
            enrollment.credited_cents, enrollment.credit_id = credit_cents, credit.id
    db.session.flush()
    audit.record(principal, "enrollment.cancel", enrollment, details={
        "cancelled_on": str(ends), "credited_cents": enrollment.credited_cents})
    db.session.flush()
    return enrollment_view(principal, enrollment)


def quote(principal: Principal, program_id: int, data: NewEnrollment) -> dict:
    """What enrolling the provider on these terms would cost, computed and not stored:
    the same checks and premium as `enroll` (practice admin; the same refusals), at the
    band the group would reach with this provider enrolled (the bound band once bound,
    pro-rata for the days left), with the installments it would be billed in. A
    provider already enrolled is quoted too: the answer says so, and enrolling again
    would be refused (409)."""
    program = policy.load(principal, InsuranceProgram, program_id, "enrollment.create")
    provider, specialty_class, start = _checked(principal, program, data)
    already = db.session.scalar(select(Enrollment.id).where(
        Enrollment.program_id == program.id, Enrollment.provider_id == provider.id, Enrollment.status == "active"))
    if program.bound_discount_percent is not None:
        discount = program.bound_discount_percent
    else:
        count = active_count(program.id) + (0 if already else 1)
        discount = rule.percent_reached(rate_table(program).group_discount_bands, count)
    # A transient enrollment (never added to the session): the premium reads its terms.
    draft = Enrollment(program_id=program.id, practice_id=provider.practice_id, provider_id=provider.id,
                       specialty=provider.specialty, specialty_class=specialty_class, limits=data["limits"],
                       fte=data["fte"], claims_made_year=data["claims_made_year"],
                       claims_free_years=data["claims_free_years"], installments=data["installments"],
                       effective_on=start)
    p = premium_of(program, draft, discount)
    schedule = rule.installment_schedule(program.period_start, program.period_end, data["installments"], start,
                                         p.premium_cents)
    return {
        "program_id": program.id, "provider_id": provider.id,
        "provider_name": f"{provider.first_name} {provider.last_name}", "specialty": provider.specialty,
        "specialty_class": specialty_class, "limits": data["limits"], "effective_on": start,
        "installments": data["installments"], "already_enrolled_id": already,
        "base_rate_cents": p.base_rate_cents, "step_factor": p.step_factor, "fte": p.fte,
        "claims_free_percent": p.claims_free_percent, "group_discount_percent": p.group_discount_percent,
        "annual_cents": p.annual_cents, "days_covered": p.days_covered, "days_in_period": p.days_in_period,
        "premium_cents": p.premium_cents,
        "installment_schedule": [{"due_on": due, "amount_cents": cents} for due, cents in schedule],
    }
