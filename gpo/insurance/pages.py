"""The storefront's insurance page (WEB.md `/insurance`): the group programs, the
group's progress to the next band, the practice's enrollments with their quotes and
installments, and enrolling a provider after a live quote. Every form is parsed with
the API's own EnrollmentInSchema / CancelSchema and handed to one use case."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.accounts import services as accounts
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.insurance import enrollments, programs
from gpo.insurance.schemas import CancelSchema, EnrollmentInSchema
from gpo.money import format_dollars
from gpo.web.forms import form_data, load, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("insurance_pages", __name__, "storefront")

ENROLL_DEFAULTS = {"fte": "1.0", "claims_made_year": "1", "claims_free_years": "0"}


@blp.get("/insurance")
def insurance():
    """Every program open to the practice, with the group's progress."""
    principal = current_principal()
    return render_template("insurance/index.html", programs=programs.programs_with_progress(principal, {}, 1, 50))


def _program_page(program_id: int, *, values=None, errors=None, quote=None, status: int = 200):
    principal = current_principal()
    program = programs.get_program(principal, program_id)
    progress = programs.group_progress(principal, program_id)
    mine = enrollments.list_enrollments(principal, program_id, {}, 1, 100)
    may_enroll = policy.may(principal, "enrollment.create")
    providers = accounts.list_providers(principal, principal.organization_id, 1, 100).items if may_enroll else []
    body = render_template("insurance/program.html", program=program, progress=progress, enrollments=mine.items,
                           may_enroll=may_enroll,
                           provider_options=[(p.id, f"{p.first_name} {p.last_name} (NPI {p.npi}, "
                                                    f"{p.specialty.replace('_', ' ')})") for p in providers],
                           limits_options=[(option, option) for option in program.limits_options],
                           installment_options=[(n, "1 payment" if n == 1 else f"{n} payments")
                                                for n in program.installment_options],
                           may_cancel=policy.may(principal, "enrollment.cancel"),
                           values={**ENROLL_DEFAULTS, **(values or {})}, errors=errors, quote=quote)
    return body, status


def _refused(exc: DomainError, program_id: int, values: dict):
    """The form again with the refusal at its field. What the use case did before it
    refused is discarded first (the answer's status discards it anyway), so the page
    reads the practice as it was."""
    return _program_page(program_id, values=values, errors=refusal(exc, (409, 422)), status=exc.status_code)


@blp.get("/insurance/programs/<int:program_id>")
def program_page(program_id: int):
    return _program_page(program_id)


@blp.post("/insurance/programs/<int:program_id>/quote")
def quote(program_id: int):
    """The premium on these terms, shown and not stored ("Get quote")."""
    values = form_data()
    try:
        result = enrollments.quote(current_principal(), program_id, load(EnrollmentInSchema(), values))
    except DomainError as exc:
        return _refused(exc, program_id, values)
    return _program_page(program_id, values=values, quote=result)


@blp.post("/insurance/programs/<int:program_id>/enroll")
def enroll(program_id: int):
    values = form_data()
    try:
        result = enrollments.enroll(current_principal(), program_id, load(EnrollmentInSchema(), values))
    except DomainError as exc:
        return _refused(exc, program_id, values)
    flash(f"{result['provider_name']} is enrolled: {result['limits']}, premium "
          f"{format_dollars(result['premium_cents'])}.", "success")
    return redirect(url_for("insurance_pages.program_page", program_id=program_id))


@blp.post("/insurance/enrollments/<int:enrollment_id>/cancel")
def cancel(enrollment_id: int):
    data = load(CancelSchema(), form_data())
    result = enrollments.cancel(current_principal(), enrollment_id, data)
    credit = f" {format_dollars(result['credited_cents'])} is credited for the unused days." if result["credited_cents"] else ""
    flash(f"The enrollment of {result['provider_name']} is cancelled from {result['cancelled_on']}.{credit}", "success")
    return redirect(url_for("insurance_pages.program_page", program_id=result["program_id"]))
