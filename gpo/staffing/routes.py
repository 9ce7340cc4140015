"""The shared staffing pool (API.md "Staffing")."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.staffing import cost_runs, shifts, staff, timesheets
from gpo.staffing.schemas import (
    SHIFT_REQUEST_EXAMPLE,
    STAFF_CREATE_EXAMPLE,
    TIMESHEET_EXAMPLE,
    AssignInSchema,
    AssignmentSchema,
    AvailabilityCreateSchema,
    AvailabilitySchema,
    CancelInSchema,
    CostRunInSchema,
    CostRunSchema,
    DisputeInSchema,
    ReleaseInSchema,
    ShiftRequestInSchema,
    ShiftRequestQuerySchema,
    ShiftRequestSchema,
    StaffCreateSchema,
    StaffQuerySchema,
    StaffSchema,
    StaffUpdateSchema,
    TimesheetInSchema,
)

blp = Blueprint("staffing", __name__, url_prefix="/api/v1",
                description="Shared staff: the pool, shift requests, assignments, timesheets, monthly cost runs")


@blp.route("/staffing/staff")
class Staff(MethodView):
    @blp.arguments(StaffQuerySchema, location="query")
    @blp.response(200, StaffSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """The pool (MSO staff)."""
        pp = pagination_parameters
        return page_of(staff.list_staff(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(StaffCreateSchema, example=STAFF_CREATE_EXAMPLE)
    @blp.response(201, StaffSchema)
    def post(self, data):
        """Add a person to the pool (MSO scheduler)."""
        return staff.create_staff(current_principal(), data)


@blp.route("/staffing/staff/<int:staff_id>")
@blp.etag
class StaffItem(MethodView):
    @blp.response(200, StaffSchema)
    def get(self, staff_id):
        person = staff.get_staff(current_principal(), staff_id)
        blp.set_etag_for(person)
        return person

    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    def patch(self, data, staff_id):
        """Edit a person (MSO scheduler, If-Match): name, role, clinical, hourly cost,
        active. Shifts already booked keep the hourly cost they were booked at."""
        person = staff.update_staff(current_principal(), staff_id, data, request.if_match)
        blp.set_etag_for(person)
        return person


@blp.route("/staffing/staff/<int:staff_id>/availability")
class StaffAvailability(MethodView):
    @blp.response(200, AvailabilitySchema(many=True))
    def get(self, staff_id):
        """A person's weekly windows and dated exceptions."""
        return staff.list_availability(current_principal(), staff_id)

    @blp.arguments(AvailabilityCreateSchema)
    @blp.response(201, AvailabilitySchema)
    def post(self, data, staff_id):
        """Add a weekly window or a dated exception (MSO scheduler)."""
        return staff.add_availability(current_principal(), staff_id, data)


@blp.route("/staffing/availability/<int:availability_id>")
class AvailabilityItem(MethodView):
    @blp.response(204)
    def delete(self, availability_id):
        """Remove a window or exception (MSO scheduler); booked shifts stay booked."""
        staff.delete_availability(current_principal(), availability_id)


@blp.route("/staffing/shift-requests")
class ShiftRequests(MethodView):
    @blp.arguments(ShiftRequestQuerySchema, location="query")
    @blp.response(200, ShiftRequestSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Shift requests by start (a practice: its own; MSO: all)."""
        pp = pagination_parameters
        return page_of(shifts.list_requests(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(ShiftRequestInSchema, example=SHIFT_REQUEST_EXAMPLE)
    @blp.response(201, ShiftRequestSchema)
    def post(self, data):
        """Request a person of a role at one of the practice's locations: in the future,
        at most 16 hours, a role the pool has. Less than 48 hours ahead it is short-notice."""
        return shifts.create_request(current_principal(), data)


@blp.route("/staffing/shift-requests/<int:request_id>")
class ShiftRequestItem(MethodView):
    @blp.response(200, ShiftRequestSchema)
    def get(self, request_id):
        return shifts.get_request(current_principal(), request_id)


@blp.route("/staffing/shift-requests/<int:request_id>/cancel")
class CancelShiftRequest(MethodView):
    @blp.arguments(CancelInSchema)
    @blp.response(200, ShiftRequestSchema)
    def post(self, data, request_id):
        """Withdraw a shift before it starts (the practice, or MSO scheduling)."""
        return shifts.cancel_request(current_principal(), request_id, data["reason"])


@blp.route("/staffing/shift-requests/<int:request_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignInSchema)
    @blp.response(201, AssignmentSchema)
    def post(self, data, request_id):
        """Book a person (MSO scheduler): active, of the role, available, and not booked
        for an overlapping shift (409; the database refuses double booking)."""
        return shifts.assign(current_principal(), request_id, data["staff_id"])


@blp.route("/staffing/shift-requests/<int:request_id>/auto-assign")
class AutoAssign(MethodView):
    @blp.response(201, AssignmentSchema)
    def post(self, request_id):
        """Book the available, free person of the role with the fewest hours booked this
        month (MSO scheduler); 409 when nobody is free."""
        return shifts.auto_assign(current_principal(), request_id)


@blp.route("/staffing/assignments/<int:assignment_id>")
class AssignmentItem(MethodView):
    @blp.response(200, AssignmentSchema)
    def get(self, assignment_id):
        return shifts.get_assignment(current_principal(), assignment_id)


@blp.route("/staffing/assignments/<int:assignment_id>/accept")
class Accept(MethodView):
    @blp.response(200, AssignmentSchema)
    def post(self, assignment_id):
        """The practice accepts the person; clinical staff only by a physician of the
        practice (CPOM)."""
        return shifts.accept(current_principal(), assignment_id)


@blp.route("/staffing/assignments/<int:assignment_id>/release")
class Release(MethodView):
    @blp.arguments(ReleaseInSchema)
    @blp.response(200, AssignmentSchema(many=True))
    def post(self, data, assignment_id):
        """The practice releases the person from this future shift (or all of theirs:
        `all_future`), at any time before it starts."""
        return shifts.release(current_principal(), assignment_id, data)


@blp.route("/staffing/assignments/<int:assignment_id>/timesheet")
class RecordTimesheet(MethodView):
    @blp.arguments(TimesheetInSchema, example=TIMESHEET_EXAMPLE)
    @blp.response(200, AssignmentSchema)
    def post(self, data, assignment_id):
        """Record the times worked, after the shift (MSO scheduler); a disputed timesheet
        is corrected the same way and goes back to the practice."""
        return timesheets.record_timesheet(current_principal(), assignment_id, data)


@blp.route("/staffing/assignments/<int:assignment_id>/timesheet/approve")
class ApproveTimesheet(MethodView):
    @blp.response(200, AssignmentSchema)
    def post(self, assignment_id):
        """The practice approves the timesheet: its minutes are billed by the month's cost run."""
        return timesheets.approve_timesheet(current_principal(), assignment_id)


@blp.route("/staffing/assignments/<int:assignment_id>/timesheet/dispute")
class DisputeTimesheet(MethodView):
    @blp.arguments(DisputeInSchema)
    @blp.response(200, AssignmentSchema)
    def post(self, data, assignment_id):
        """The practice disputes the timesheet, with a reason."""
        return timesheets.dispute_timesheet(current_principal(), assignment_id, data["reason"])


@blp.route("/staffing/cost-runs")
class CostRuns(MethodView):
    @blp.arguments(CostRunInSchema)
    @blp.response(202, CostRunSchema)
    def post(self, data):
        """Run an ended month's staffing costs (MSO finance; once per month, 409 after): a
        job drafts one staffing invoice per practice: approved hours per person and role
        at their hourly cost (+ the short-notice premium), and its share of the overhead
        by approved minutes."""
        return cost_runs.request_cost_run(current_principal(), data)


@blp.route("/staffing/cost-runs/<int:run_id>")
class CostRunItem(MethodView):
    @blp.response(200, CostRunSchema)
    def get(self, run_id):
        """A run with each practice's minutes, labor, overhead share and invoice."""
        return cost_runs.get_cost_run(current_principal(), run_id)
