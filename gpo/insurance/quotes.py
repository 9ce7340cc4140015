"""An enrollment's premium at a group discount (the quote before binding, the final
premium after), read by enrolling, cancelling and binding alike."""
from __future__ import annotations

from decimal import Decimal

from gpo.insurance import premium as rule
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.programs import active_count
from gpo.insurance.rules import rate_table


def premium_of(program: InsuranceProgram, enrollment: Enrollment, discount: Decimal) -> rule.Premium:
    """The enrollment's premium at `discount`, pro-rata from its first day of cover."""
    return rule.premium(
        rate_table(program), specialty=enrollment.specialty, limits=enrollment.limits, fte=enrollment.fte,
        claims_made_year=enrollment.claims_made_year, claims_free_years=enrollment.claims_free_years,
        group_discount_percent=discount,
        days_covered=rule.days_between(enrollment.effective_on, program.period_end),
        days_in_period=program.days_in_period)


def current_discount(program: InsuranceProgram) -> Decimal:
    """The band the group reaches now (the bound one once bound)."""
    if program.bound_discount_percent is not None:
        return program.bound_discount_percent
    return rule.percent_reached(rate_table(program).group_discount_bands, active_count(program.id))


def make_final(program: InsuranceProgram, enrollment: Enrollment, discount: Decimal) -> None:
    """Fix the enrollment's premium at `discount` (binding, or enrolling once bound)."""
    p = premium_of(program, enrollment, discount)
    enrollment.group_discount_percent = discount
    enrollment.annual_premium_cents, enrollment.premium_cents = p.annual_cents, p.premium_cents

