"""The console's insurance pages (WEB.md "Console pages": insurance programs,
enrollments, bind): every program with its carrier and the group's progress, posting
one for a carrier (MSO admins and procurement, as POST /insurance/programs), and a
program's page with its bands, its enrollments by practice and provider, and "Bind
program" (as POST .../bind) with the binding job's live progress and what it left.
Each page parses, calls the use cases of gpo.insurance, and renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import DomainError
from gpo.insurance import binding, overview, program_form, programs
from gpo.web import Waiting
from gpo.web.filters import local_date
from gpo.web.forms import form_data, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("insurance_console", __name__, "console", url_prefix="/console")

NOT_CREATE = "Only MSO admins and procurement post programs for a carrier."
NOT_BIND = "Only MSO admins, procurement and finance bind programs."


def _programs_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    rows = overview.program_rows(principal, {}, page, page_size)
    may_create = programs.may_post(principal)
    body = render_template(
        "insurance/console_programs.html", rows=rows, page=page, page_size=page_size, may_create=may_create,
        not_create=NOT_CREATE, carriers=overview.carrier_options() if may_create else [],
        installment_options=program_form.INSTALLMENT_OPTIONS,
        values=values if values is not None else program_form.defaults(today()), errors=errors)
    return body, status


@blp.get("/insurance")
def programs_list():
    return _programs_page()


@blp.post("/insurance/programs")
def create():
    """Post a program for the carrier chosen; refused terms are shown at their fields."""
    principal = current_principal()
    programs.check_may_post(principal)  # a role that may not: 403, whatever the form holds
    values = form_data(lists=("installment_options",))
    return program_form.post(principal, values, _programs_page, "insurance_console.program_page")


def _program_page(program_id: int, *, bind_errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args(50)
    detail = overview.program_detail(principal, program_id, page, page_size)
    body = render_template("insurance/console_program.html", d=detail, program=detail.program, page=page,
                           page_size=page_size, may_bind=policy.may(principal, "insurance_program.bind"),
                           not_bind=NOT_BIND, bind_errors=bind_errors)
    return body, status


@blp.get("/insurance/programs/<int:program_id>")
def program_page(program_id: int):
    return _program_page(program_id)


@blp.post("/insurance/programs/<int:program_id>/bind")
def bind(program_id: int):
    """Ask for the binding (a job). A program is bound once: asking again shows the
    API's 409 and starts nothing."""
    try:
        program = binding.request_bind(current_principal(), program_id)
    except DomainError as exc:
        return _program_page(program_id, bind_errors=refusal(exc, (409,)), status=exc.status_code)
    flash(f"Binding {program.name} (job #{program.bind_job_id}): the band is fixed from the active "
          "enrollments, premiums become final and each practice's installment invoices are issued.", "success")
    return redirect(url_for("insurance_console.program_page", program_id=program_id))


def waiting(principal) -> list[Waiting]:
    """The console's start page: open programs with enrollments, ready to bind."""
    found = []
    for row in overview.programs_to_bind(principal):
        n = row["enrollments"]
        when = (f"to bind before cover starts on {local_date(row['period_start'])}"
                if row["period_start"] > today() else "ready to bind")
        found.append(Waiting(f"{row['name']}: {n} enrollment{'' if n == 1 else 's'}, {when}",
                             url_for("insurance_console.program_page", program_id=row["id"])))
    return found
