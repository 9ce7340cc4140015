"""Routes of the shared infrastructure: audit events and job status."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from gpo import audit, jobs
from gpo.api import Blueprint, Id, Schema, page_of
from gpo.auth.request import current_principal

blp = Blueprint("platform", __name__, url_prefix="/api/v1", description="Audit trail and background jobs")


class AuditQuerySchema(Schema):
    object_type = fields.String(metadata={"example": "practices"})
    object_id = Id()
    actor_user_id = Id()
    action = fields.String(metadata={"example": "practice.update"})
    organization_id = Id()
    since = fields.AwareDateTime(metadata={"example": "2026-11-01T00:00:00Z"})
    until = fields.AwareDateTime()


class AuditEventSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 5012})
    at = fields.DateTime(required=True, metadata={"example": "2026-11-02T15:04:05+00:00"})
    actor_type = fields.String(required=True, metadata={"example": "user", "description": "user, api_key or system"})
    actor_user_id = fields.Integer(required=True, allow_none=True, metadata={"example": 1})
    actor_api_key_id = fields.Integer(required=True, allow_none=True, metadata={"example": None})
    actor_label = fields.String(required=True, metadata={"example": "admin@summit-mso.example"})
    organization_id = fields.Integer(required=True, allow_none=True, metadata={"example": 3})
    action = fields.String(required=True, metadata={"example": "practice.update"})
    object_type = fields.String(required=True, metadata={"example": "practices"})
    object_id = fields.Integer(required=True, allow_none=True, metadata={"example": 3})
    request_id = fields.String(required=True, allow_none=True, metadata={"example": "5f0c8e7a9b2d4c1e8f3a6b7c9d0e1f2a"})
    details = fields.Dict(required=True, metadata={"example": {"status": ["active", "suspended"]}})


class JobSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 42})
    kind = fields.String(required=True, metadata={"example": "catalog.import"})
    status = fields.String(required=True, metadata={"example": "finished", "description": "queued, started, finished or failed"})
    result = fields.Raw(required=True, allow_none=True, metadata={"example": {"created": 120}})
    error = fields.String(required=True, allow_none=True, metadata={"example": None})
    attempts = fields.Integer(required=True, metadata={"example": 1})
    created_at = fields.DateTime(required=True, metadata={"example": "2026-11-02T15:04:05+00:00"})
    started_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-11-02T15:04:06+00:00"})
    finished_at = fields.DateTime(required=True, allow_none=True, metadata={"example": "2026-11-02T15:04:09+00:00"})


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Who changed what, newest first (MSO admin: all; an organization's admin: its own
        organization's events about objects its roles may read, e.g. no rebates for a vendor)."""
        pp = pagination_parameters
        result = audit.list_events(current_principal(), filters, pp.page, pp.page_size)
        return page_of(result, pp)


@blp.route("/jobs/<int:job_id>")
class JobItem(MethodView):
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A background job's status, for whoever started it."""
        return jobs.get_job(current_principal(), job_id)


def register(app) -> None:
    """The audit trail and job status routes and the housekeeping job (the console's
    audit log registers itself: gpo.audit_pages)."""
    from gpo import features, maintenance

    features.add_blueprint(app, blp)
    jobs.register("maintenance.purge_expired", maintenance.purge_expired)
