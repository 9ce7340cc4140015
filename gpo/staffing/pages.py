"""The storefront's staffing page (WEB.md `/staffing`): request a shift (times entered
in the practice's own time zone, stored in UTC), the practice's requests with the
person booked for each, accepting (clinical staff: a physician, CPOM) or releasing
the person, and approving or disputing timesheets. Each form is parsed with the API's
schema and handed to the one use case the API calls."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.accounts import services as accounts
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError, Invalid
from gpo.staffing import shifts, timesheets
from gpo.staffing.schemas import DisputeInSchema, ReleaseInSchema, ShiftRequestInSchema
from gpo.web.filters import NoSuchLocalTime, local_input_as_utc, time_zone
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("staffing_pages", __name__, "storefront")

# The pool's roles as a practice asks for them (the service refuses a role nobody in
# the pool has, at the field).
ROLES = {
    "billing_specialist": "Billing specialist",
    "credentialing_coordinator": "Credentialing coordinator",
    "it_technician": "IT technician",
    "front_desk_float": "Front-desk float",
    "medical_assistant": "Medical assistant (clinical)",
}


def _page(*, values=None, errors=None, dispute_errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    requests = shifts.list_requests(principal, {}, page, page_size)
    sheets = timesheets.timesheets_of(principal, 1, 50).items  # waiting for a decision first
    locations = accounts.list_locations(principal, principal.organization_id, 1, 100).items
    body = render_template(
        "staffing/index.html", requests=requests.items, total=requests.total, page=page, page_size=page_size,
        sheets=[r for r in sheets if r.assignment is not None and r.assignment.timesheet is not None],
        location_options=[(loc.id, loc.name) for loc in locations], role_options=list(ROLES.items()),
        values=values or {}, errors=errors, dispute_errors=dispute_errors or {}, zone=time_zone().key,
        is_physician="practice_physician" in principal.roles,
        may_create=policy.may(principal, "shift_request.create"),
        may_release=policy.may(principal, "assignment.release"),
        may_decide=policy.may(principal, "timesheet.approve"))
    return body, status


def _refused(exc: DomainError, **kwargs):
    """The page again with the refusal at its field; what the use case did before it
    refused is discarded first, so the page reads the practice as it was."""
    refusal(exc, (409, 422))  # the errors shown are the caller's (kwargs)
    return _page(status=exc.status_code, **kwargs)


@blp.get("/staffing")
def staffing():
    return _page()


@blp.post("/staffing/requests")
def create_request():
    values = form_data()
    data = dict(values)
    for name in ("starts_at", "ends_at"):
        try:
            data[name] = local_input_as_utc(values.get(name))
        except NoSuchLocalTime as exc:
            refusal = Invalid.of_field(name, str(exc))
            return _refused(refusal, values=values, errors=errors_of(refusal))
    try:
        made = shifts.create_request(current_principal(), load(ShiftRequestInSchema(), {
            k: v for k, v in data.items() if v is not None}))
    except DomainError as exc:
        return _refused(exc, values=values, errors=errors_of(exc))
    flash(f"Your request for {shifts.a_role(made.role)} is sent to MSO scheduling"
          + (" (short notice: less than 48 hours ahead)." if made.short_notice else "."), "success")
    return redirect(url_for("staffing_pages.staffing"))


@blp.post("/staffing/assignments/<int:assignment_id>/accept")
def accept(assignment_id: int):
    assignment = shifts.accept(current_principal(), assignment_id)
    flash(f"{assignment.staff.name} is accepted for the shift.", "success")
    return redirect(url_for("staffing_pages.staffing"))


@blp.post("/staffing/assignments/<int:assignment_id>/release")
def release(assignment_id: int):
    released = shifts.release(current_principal(), assignment_id, load(ReleaseInSchema(), form_data()))
    flash(f"{released[0].staff.name} is released from {len(released)} shift{'' if len(released) == 1 else 's'}.",
          "success")
    return redirect(url_for("staffing_pages.staffing"))


@blp.post("/staffing/assignments/<int:assignment_id>/timesheet/approve")
def approve(assignment_id: int):
    assignment = timesheets.approve_timesheet(current_principal(), assignment_id)
    flash(f"The timesheet of {assignment.staff.name} is approved.", "success")
    return redirect(url_for("staffing_pages.staffing"))


@blp.post("/staffing/assignments/<int:assignment_id>/timesheet/dispute")
def dispute(assignment_id: int):
    values = form_data()
    try:
        reason = load(DisputeInSchema(), values)["reason"]
        assignment = timesheets.dispute_timesheet(current_principal(), assignment_id, reason)
    except DomainError as exc:
        errors = errors_of(exc)
        return _refused(exc, dispute_errors={assignment_id: FormErrors(errors.message, errors.fields)})
    flash(f"The timesheet of {assignment.staff.name} is disputed: MSO scheduling is asked to correct it.", "success")
    return redirect(url_for("staffing_pages.staffing") + f"#timesheet-{assignment_id}")

