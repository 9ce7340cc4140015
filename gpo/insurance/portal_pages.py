"""The vendor portal's insurance pages (WEB.md "Vendor portal pages": carriers, their
programs and enrollments): a carrier's own programs with the group's progress,
posting a program for itself (as POST /insurance/programs), and a program's
enrollments as the API shows them to the carrier: the provider it underwrites (name
and NPI), never the practice. Another carrier's program answers 404, as in the API."""
from __future__ import annotations

from flask import render_template, url_for

from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.insurance import overview, program_form, programs
from gpo.web import Waiting
from gpo.web.forms import form_data, page_args
from gpo.web.shell import page_blueprint

blp = page_blueprint("insurance_portal", __name__, "portal", url_prefix="/portal")


def _programs_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    body = render_template(
        "insurance/portal_programs.html", rows=overview.program_rows(principal, {}, page, page_size),
        page=page, page_size=page_size, may_create=programs.may_post(principal),
        installment_options=program_form.INSTALLMENT_OPTIONS,
        values=values if values is not None else program_form.defaults(today()), errors=errors)
    return body, status


@blp.get("/programs")
def programs_list():
    return _programs_page()


@blp.post("/programs")
def create():
    """The carrier posts a program for itself (another kind of vendor: 403)."""
    principal = current_principal()
    programs.check_may_post(principal)  # a supplier or a staffing vendor: 403, whatever the form holds
    values = form_data(lists=("installment_options",))
    values.pop("carrier_vendor_id", None)  # a carrier posts for itself only
    return program_form.post(principal, values, _programs_page, "insurance_portal.program_page")


@blp.get("/programs/<int:program_id>")
def program_page(program_id: int):
    page, page_size = page_args(50)
    detail = overview.program_detail(current_principal(), program_id, page, page_size)
    return render_template("insurance/portal_program.html", d=detail, program=detail.program, page=page,
                           page_size=page_size)


def waiting(principal) -> list[Waiting]:
    """A carrier's start page: its programs open for enrollment."""
    n = overview.open_program_count(principal)
    if not n:
        return []
    return [Waiting(f"{n} program{'' if n == 1 else 's'} open for enrollment", url_for("insurance_portal.programs_list"))]
