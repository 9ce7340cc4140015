"""Malpractice insurance (API.md "Insurance")."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.insurance import binding, enrollments, programs
from gpo.insurance.schemas import (
    ENROLLMENT_EXAMPLE,
    PROGRAM_CREATE_EXAMPLE,
    CancelSchema,
    EnrollmentInSchema,
    EnrollmentQuerySchema,
    EnrollmentSchema,
    GroupProgressSchema,
    ProgramCreateSchema,
    ProgramQuerySchema,
    ProgramSchema,
)

blp = Blueprint("insurance", __name__, url_prefix="/api/v1",
                description="Malpractice group programs, enrollments, binding")


@blp.route("/insurance/programs")
class Programs(MethodView):
    @blp.arguments(ProgramQuerySchema, location="query")
    @blp.response(200, ProgramSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Programs, newest period first (a carrier: its own; MSO and practices: all)."""
        pp = pagination_parameters
        return page_of(programs.list_programs(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(ProgramCreateSchema, example=PROGRAM_CREATE_EXAMPLE)
    @blp.response(201, ProgramSchema)
    def post(self, data):
        """Post a program (a carrier, by user or API key, for itself; MSO procurement for
        a carrier it names). The terms are validated whole and never change after."""
        return programs.create_program(current_principal(), data)


@blp.route("/insurance/programs/<int:program_id>")
class ProgramItem(MethodView):
    @blp.response(200, ProgramSchema)
    def get(self, program_id):
        """A program's terms and binding status."""
        return programs.get_program(current_principal(), program_id)


@blp.route("/insurance/programs/<int:program_id>/group-progress")
class GroupProgress(MethodView):
    @blp.response(200, GroupProgressSchema)
    def get(self, program_id):
        """Providers enrolled across the MSO, the band that gives, the next band and how
        many more providers reach it."""
        return programs.group_progress(current_principal(), program_id)


@blp.route("/insurance/programs/<int:program_id>/enrollments")
class Enrollments(MethodView):
    @blp.arguments(EnrollmentQuerySchema, location="query")
    @blp.response(200, EnrollmentSchema(many=True))
    @blp.paginate()
    def get(self, filters, program_id, pagination_parameters):
        """Enrollments with their quotes (a practice: its own; the carrier: underwriting
        fields of all; MSO: all)."""
        pp = pagination_parameters
        return page_of(enrollments.list_enrollments(current_principal(), program_id, filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(EnrollmentInSchema, example=ENROLLMENT_EXAMPLE)
    @blp.response(201, EnrollmentSchema)
    def post(self, data, program_id):
        """Enroll one of the practice's active providers (practice admin). Answers with its
        quote at the band the group reaches now. After binding the premium is final at
        once: pro-rata for the days left, at the bound band, invoiced per installment.
        A provider is enrolled once per program (409)."""
        return enrollments.enroll(current_principal(), program_id, data)


@blp.route("/insurance/enrollments/<int:enrollment_id>")
class EnrollmentItem(MethodView):
    @blp.response(200, EnrollmentSchema)
    def get(self, enrollment_id):
        """An enrollment with its quote or final premium and installments."""
        return enrollments.get_enrollment(current_principal(), enrollment_id)

    @blp.arguments(CancelSchema, location="query")
    @blp.response(200, EnrollmentSchema)
    def delete(self, data, enrollment_id):
        """Cancel an enrollment (practice admin, or MSO). Once premiums are billed the
        unused days come back as a credit on the practice's next invoices; nobody else
        is re-rated. Cancelling twice is 409."""
        return enrollments.cancel(current_principal(), enrollment_id, data)


@blp.route("/insurance/programs/<int:program_id>/bind")
class Bind(MethodView):
    @blp.response(202, ProgramSchema)
    def post(self, program_id):
        """Bind the program (MSO): a background job fixes the group band from the active
        enrollments, makes every premium final and issues each practice's installment
        invoices. A program is bound once (409 after)."""
        return binding.request_bind(current_principal(), program_id)
