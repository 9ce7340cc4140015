"""The console's audit log (WEB.md "Console pages": the audit log with filters): who
changed what, newest first, filtered as GET /audit-events filters (actor, object type
and id, action, organization) and by days in the console's time zone, for the roles
policy lets read it (audit.list: among MSO staff, the MSO's admins)."""
from __future__ import annotations

import datetime as dt

from flask import render_template, request
from marshmallow import ValidationError, fields, validates_schema

from gpo import audit
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError, Forbidden, Invalid
from gpo.platform import AuditQuerySchema
from gpo.web.filters import NoSuchLocalTime, local_to_utc, time_zone
from gpo.web.forms import FormErrors, errors_of, load, page_args, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("audit_console", __name__, "console", url_prefix="/console")

FILTERS = ("actor_user_id", "object_type", "object_id", "action", "organization_id", "from", "to")
FOR_WHOM = "The audit log is read by MSO admins, the platform's auditors. Ask one of them what changed."


class AuditLogQuerySchema(AuditQuerySchema):
    """GET /audit-events' filters, with days (`from`, `to`, both included) instead of instants."""

    from_ = fields.Date(data_key="from", metadata={"example": "2026-11-01"})
    to = fields.Date(metadata={"example": "2026-11-30"})

    @validates_schema
    def _days(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("the last day must not be before the first", "to")


def _midnight(day: dt.date, field: str) -> dt.datetime:
    """The instant the console's day begins (its time zone's midnight), in UTC."""
    try:
        return local_to_utc(dt.datetime.combine(day, dt.time()), time_zone())
    except NoSuchLocalTime as exc:
        raise Invalid.of_field(field, str(exc)) from None


def _filters(raw: dict) -> audit.AuditFilters:
    data = load(AuditLogQuerySchema(exclude=("since", "until")), raw)
    first, last = data.pop("from_", None), data.pop("to", None)
    if first:
        data["since"] = _midnight(first, "from")
    if last:
        data["until"] = _midnight(last + dt.timedelta(days=1), "to")
    return data


@blp.get("/audit")
def audit_log():
    principal = current_principal()
    if not policy.may(principal, "audit.list"):
        raise Forbidden(FOR_WHOM)
    page, page_size = page_args(50)
    raw = {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}
    errors, status = FormErrors(), 200
    try:
        result, organizations = audit.events_with_organizations(principal, _filters(raw), page, page_size)
    except DomainError as exc:
        undo_refused()
        errors, status, result, organizations = errors_of(exc), exc.status_code, None, {}
    body = render_template("audit/console_audit.html", events=result.items if result else [],
                           total=result.total if result else 0, page=page, page_size=page_size,
                           organizations=organizations, filters=raw, errors=errors, zone=time_zone().key,
                           object_types=sorted({*audit.READ_ACTIONS, *([raw["object_type"]] if raw.get("object_type") else [])}))
    return body, status


def register(app) -> None:
    """The console's audit log and its navigation item (for the roles that may list it)."""
    from gpo import web
    from gpo.auth.policy import ACTIONS
    from gpo.auth.roles import MSO_ROLES

    web.add_pages(app, blp)
    web.add_nav(app, "console", "Audit log", "audit_console.audit_log",
                roles={r for r in MSO_ROLES if r in ACTIONS["audit.list"]}, order=80)
