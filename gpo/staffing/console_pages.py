"""The console's staffing board (WEB.md "Console pages"): the week per staff member
with availability and bookings, the shift requests waiting (assign a person or
auto-assign, the service's reason shown at the field when a person cannot be booked),
the pool (people and their availability), timesheets to record, and the monthly cost
runs. MSO roles read; scheduling acts (finance runs costs), as gpo.auth.policy says.
Each form is parsed with the API's schema and handed to the use case the API calls."""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from marshmallow import fields

from gpo.api import Schema
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError, Invalid
from gpo.etags import etag_for
from gpo.money import NotDollars, parse_dollars
from gpo.staffing import board, cost_runs, shifts, staff, timesheets
from gpo.staffing.pages import ROLES
from gpo.staffing.schemas import (
    AssignInSchema,
    AvailabilityCreateSchema,
    CostRunInSchema,
    StaffCreateSchema,
    StaffUpdateSchema,
    TimesheetInSchema,
)
from gpo.web.filters import NoSuchLocalTime, local_input_as_utc, time_zone
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("staffing_console", __name__, "console", url_prefix="/console")

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
KINDS = [("weekly", "Every week"), ("available", "Available on dates (an extra day)"),
         ("unavailable", "Unavailable on dates (leave)")]


class WeekQuerySchema(Schema):
    week = fields.Date(metadata={"example": "2027-01-11"})


@blp.app_template_filter("staffing_time")
def staffing_time(value: dt.datetime) -> str:
    """An instant as the page's local time of day: "9:00 AM"."""
    local = value.astimezone(time_zone())
    return f"{local:%I:%M %p}".lstrip("0")


@blp.app_template_filter("clock_minutes")
def clock_minutes(minutes: int) -> str:
    """Minutes from local midnight as a time of day: 480 -> "8:00 AM", 1440 -> "midnight"."""
    if minutes in (0, 1440):
        return "midnight"
    return f"{dt.time(minutes // 60, minutes % 60):%I:%M %p}".lstrip("0")


@blp.app_template_filter("hours")
def hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60} h {minutes % 60:02d} min"


def _local_input(value: dt.datetime | None) -> str:
    """An instant as a `datetime-local` value in the page's zone."""
    return "" if value is None else f"{value.astimezone(time_zone()):%Y-%m-%dT%H:%M}"


def _utc_fields(data: dict, *names: str) -> None:
    """`datetime-local` fields (the page's zone) as the UTC instants the schema reads."""
    for name in names:
        try:
            data[name] = local_input_as_utc(data.get(name))
        except NoSuchLocalTime as exc:
            raise Invalid.of_field(name, str(exc)) from None
        if data[name] is None:
            data.pop(name)


def _cents(data: dict, name: str, key: str) -> None:
    """A dollars field ("32.50", "$1,500") as the integer cents the API's schema takes
    in `key`, exactly (`gpo.money.parse_dollars`; a refusal is shown at the field)."""
    raw = data.pop(name, None)
    if raw is None:
        return
    try:
        data[key] = parse_dollars(raw)
    except NotDollars as exc:
        raise Invalid.of_field(name, str(exc)) from None


def _shown_as(errors: FormErrors, renames: dict[str, str]) -> FormErrors:
    """The schema's field names as the form's (hourly_cost_cents -> hourly_cost)."""
    return FormErrors(errors.message, {renames.get(k, k): v for k, v in errors.fields.items()})


# --- the week ------------------------------------------------------------------------------


def _week_arg() -> tuple[dt.date | None, FormErrors]:
    raw = {"week": request.values.get("week")} if request.values.get("week") else {}
    try:
        return load(WeekQuerySchema(), raw).get("week"), FormErrors()
    except DomainError as exc:
        return None, errors_of(exc)


def _week_page(*, request_errors: dict | None = None, status: int = 200):
    principal = current_principal()
    zone = time_zone()
    monday, week_errors = _week_arg()
    if week_errors:
        status = 422
    the_week = board.week(principal, monday or board.this_week(zone), zone)
    return render_template(
        "staffing/console_week.html", week=the_week, week_errors=week_errors, request_errors=request_errors or {},
        zone=zone.key, may_assign=policy.may(principal, "shift_request.assign"), roles=ROLES), status


def _back_to_week(request_id: int | None = None):
    week = request.values.get("week")
    target = url_for("staffing_console.week", week=week) if week else url_for("staffing_console.week")
    return redirect(target + (f"#request-{request_id}" if request_id else ""))


@blp.get("/staffing")
def week():
    return _week_page()


def _refused_booking(exc: DomainError, request_id: int):
    """The week again, the service's reason at the request's person field (a double
    booking is a 409 without a field: its message is the reason)."""
    errors = refusal(exc, (409, 422))
    reason = errors.fields.get("staff_id") or errors.message
    errors = FormErrors("The shift is not booked: the reason is at the person.", {**errors.fields, "staff_id": reason})
    return _week_page(request_errors={request_id: errors}, status=exc.status_code)


@blp.post("/staffing/requests/<int:request_id>/assign")
def assign(request_id: int):
    try:
        data = load(AssignInSchema(), {k: v for k, v in form_data().items() if k == "staff_id"})
        booked = shifts.assign(current_principal(), request_id, data["staff_id"])
    except DomainError as exc:
        return _refused_booking(exc, request_id)
    flash(f"{booked.staff.name} is booked for the shift; the practice is asked to accept them.", "success")
    return _back_to_week()


@blp.post("/staffing/requests/<int:request_id>/auto-assign")
def auto_assign(request_id: int):
    try:
        booked = shifts.auto_assign(current_principal(), request_id)
    except DomainError as exc:
        return _refused_booking(exc, request_id)
    flash(f"{booked.staff.name} is booked for the shift (the free person with the fewest hours this month); "
          "the practice is asked to accept them.", "success")
    return _back_to_week()


# --- the pool --------------------------------------------------------------------------------

_STAFF_FIELDS = ("name", "role", "clinical", "hourly_cost", "active", "vendor_id")


def _staff_form() -> dict:
    return {k: v for k, v in form_data().items() if k in _STAFF_FIELDS}


def _staff_list_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args(50)
    pool = staff.list_staff(principal, {}, page, page_size)
    may_manage = policy.may(principal, "staff.manage")
    vendors = board.staffing_vendors(principal)
    return render_template(
        "staffing/console_staff.html", staff=pool.items, total=pool.total, page=page, page_size=page_size,
        may_manage=may_manage, vendor_options=[(v.id, v.name) for v in vendors],
        vendor_names={v.id: v.name for v in vendors},
        role_options=list(ROLES.items()), values=values or {"active": "true"}, errors=errors or FormErrors()), status


@blp.get("/staffing/staff")
def staff_list():
    return _staff_list_page()


@blp.post("/staffing/staff")
def staff_create():
    values = _staff_form()
    try:
        data = dict(values)
        _cents(data, "hourly_cost", "hourly_cost_cents")
        data.setdefault("active", "false")
        person = staff.create_staff(current_principal(), load(StaffCreateSchema(), data))
    except DomainError as exc:
        errors = _shown_as(refusal(exc, (409, 422)), {"hourly_cost_cents": "hourly_cost"})
        return _staff_list_page(values=values, errors=errors, status=exc.status_code)
    flash(f"{person.name} joins the pool; add when they work.", "success")
    return redirect(url_for("staffing_console.staff_detail", staff_id=person.id))


def _person_page(staff_id: int, *, values=None, errors=None, availability_values=None, availability_errors=None,
                 status: int = 200):
    principal = current_principal()
    person = staff.get_staff(principal, staff_id)
    may_manage = policy.may(principal, "staff.manage")
    vendors = board.staffing_vendors(principal)
    return render_template(
        "staffing/console_person.html", person=person, etag=etag_for(person), may_manage=may_manage,
        vendor_options=[(v.id, v.name) for v in vendors], vendor_names={v.id: v.name for v in vendors},
        role_options=list(ROLES.items()), weekdays=list(enumerate(WEEKDAYS)), kinds=KINDS,
        values=values, errors=errors or FormErrors(), availability_values=availability_values or {},
        availability_errors=availability_errors or FormErrors(), zone=time_zone().key), status


@blp.get("/staffing/staff/<int:staff_id>")
def staff_detail(staff_id: int):
    return _person_page(staff_id)


@blp.post("/staffing/staff/<int:staff_id>")
def staff_update(staff_id: int):
    """The edit form carries the ETag of the version it was read at (If-Match)."""
    values = _staff_form()
    etag = request.form.get("etag", "").strip()
    try:
        data = dict(values)
        _cents(data, "hourly_cost", "hourly_cost_cents")
        data.setdefault("clinical", "false")
        data.setdefault("active", "false")
        changes = load(StaffUpdateSchema(), data)
        changes.setdefault("vendor_id", None)  # "the MSO's own" is the blank choice
        person = staff.update_staff(current_principal(), staff_id, changes, [etag] if etag else [])
    except DomainError as exc:
        errors = _shown_as(refusal(exc, (409, 412, 422, 428)), {"hourly_cost_cents": "hourly_cost"})
        return _person_page(staff_id, values=values, errors=errors, status=exc.status_code)
    flash(f"{person.name} is saved.", "success")
    return redirect(url_for("staffing_console.staff_detail", staff_id=staff_id))


@blp.post("/staffing/staff/<int:staff_id>/availability")
def availability_add(staff_id: int):
    values = {k: v for k, v in form_data().items()
              if k in ("kind", "weekday", "start", "end", "starts_at", "ends_at", "note")}
    try:
        data = dict(values)
        if data.get("kind") == "weekly":
            data.pop("starts_at", None), data.pop("ends_at", None)
        else:
            data.pop("weekday", None), data.pop("start", None), data.pop("end", None)
            _utc_fields(data, "starts_at", "ends_at")
        staff.add_availability(current_principal(), staff_id, load(AvailabilityCreateSchema(), data))
    except DomainError as exc:
        errors = refusal(exc, (409, 422))
        return _person_page(staff_id, availability_values=values, availability_errors=errors, status=exc.status_code)
    flash("The availability is added.", "success")
    return redirect(url_for("staffing_console.staff_detail", staff_id=staff_id) + "#availability")


@blp.post("/staffing/staff/<int:staff_id>/availability/<int:availability_id>/delete")
def availability_remove(staff_id: int, availability_id: int):
    staff.delete_availability(current_principal(), availability_id)
    flash("The availability is removed; shifts already booked stay booked.", "success")
    return redirect(url_for("staffing_console.staff_detail", staff_id=staff_id) + "#availability")


# --- timesheets ------------------------------------------------------------------------------


def _timesheets_page(*, sheet_values=None, sheet_errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    to_record, recorded = board.timesheets(principal, page, page_size)
    return render_template(
        "staffing/console_timesheets.html", to_record=to_record, recorded=recorded.items, total=recorded.total,
        page=page, page_size=page_size, may_record=policy.may(principal, "timesheet.record"),
        sheet_values=sheet_values or {}, sheet_errors=sheet_errors or {}, local_input=_local_input,
        zone=time_zone().key), status


@blp.get("/staffing/timesheets")
def timesheet_list():
    return _timesheets_page()


@blp.post("/staffing/assignments/<int:assignment_id>/timesheet")
def timesheet_record(assignment_id: int):
    values = {k: v for k, v in form_data().items() if k in ("started_at", "ended_at", "break_minutes")}
    try:
        data = dict(values)
        _utc_fields(data, "started_at", "ended_at")
        recorded = timesheets.record_timesheet(current_principal(), assignment_id, load(TimesheetInSchema(), data))
    except DomainError as exc:
        errors = refusal(exc, (409, 422))
        return _timesheets_page(sheet_values={assignment_id: values}, sheet_errors={assignment_id: errors},
                                status=exc.status_code)
    flash(f"The timesheet of {recorded.staff.name} is recorded ({hours(recorded.timesheet.minutes)}): "
          "the practice is asked to approve or dispute it.", "success")
    return redirect(url_for("staffing_console.timesheet_list"))


# --- cost runs -------------------------------------------------------------------------------


def _cost_runs_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    may_read = policy.may(principal, "cost_run.read")
    runs = board.cost_runs(principal) if may_read else None
    return render_template(
        "staffing/console_cost_runs.html", runs=runs, may_read=may_read,
        may_run=policy.may(principal, "cost_run.create"), values=values or {}, errors=errors or FormErrors()), status


@blp.get("/staffing/cost-runs")
def cost_run_list():
    return _cost_runs_page()


@blp.post("/staffing/cost-runs")
def cost_run_create():
    values = {k: v for k, v in form_data().items() if k in ("month", "overhead")}
    try:
        data = dict(values)
        _cents(data, "overhead", "overhead_cents")
        run = cost_runs.request_cost_run(current_principal(), load(CostRunInSchema(), data))
    except DomainError as exc:
        errors = _shown_as(refusal(exc, (409, 422)), {"overhead_cents": "overhead"})
        return _cost_runs_page(values=values, errors=errors, status=exc.status_code)
    flash(f"The cost run of {run.month} is started: one draft staffing invoice per practice.", "success")
    return redirect(url_for("staffing_console.cost_run_list"))


def waiting(principal) -> list:
    """The scheduler's start page: requests to assign, timesheets to record (one query)."""
    from gpo.web import Waiting

    to_assign, earliest, to_record = board.waiting_counts(principal)
    found = []
    if to_assign:
        # the week of the earliest waiting request: the clash the scheduler resolves is on that board
        week = board.monday_of(earliest.astimezone(time_zone()).date()).isoformat() if earliest else None
        found.append(Waiting(f"{to_assign} shift request{'' if to_assign == 1 else 's'} to assign",
                             url_for("staffing_console.week", week=week) + "#waiting-heading"))
    if to_record:
        found.append(Waiting(f"{to_record} timesheet{'' if to_record == 1 else 's'} to record",
                             url_for("staffing_console.timesheet_list")))
    return found
