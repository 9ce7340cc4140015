"""Append-only audit events, written in the same transaction as the change they record.

Details are chosen by each service and never carry secrets (passwords, tokens, keys).
Rows are never updated or deleted: the ORM refuses it here, and on PostgreSQL a
trigger (see the first migration) refuses it in the database too.
"""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gpo.auth.principal import Principal
from gpo.db import BigId, IdPK, UTCDateTime, db, utcnow
from gpo.request_context import current_request_id

JsonType = JSON().with_variant(JSONB(), "postgresql")

# Never written to an audit event, whatever a service passes.
_SECRET_FIELDS = {"password", "password_hash", "key", "key_hash", "access_token", "token"}


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_organization_at", "organization_id", "at"),
    )

    id: Mapped[IdPK]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    actor_api_key_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("api_keys.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    # The organization the change was made for (whose data it is).
    organization_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organizations.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(BigId)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JsonType, default=dict)

    @property
    def tenant_id(self) -> int | None:
        return self.organization_id


def apply_changes(obj, data: dict) -> dict:
    """Set fields on obj; return {field: [old, new]} for what changed (an edit's audit details)."""
    changes = {}
    for field, value in data.items():
        old = getattr(obj, field)
        if old != value:
            changes[field] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(obj, field, value)
    return changes


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


def _clean(details: dict | None) -> dict:
    return {k: v for k, v in (details or {}).items() if k not in _SECRET_FIELDS}


def record(
    principal: Principal,
    action: str,
    obj,
    *,
    organization_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event for `action` on `obj` to the current transaction.

    `obj` must be flushed (have an id). `organization_id` defaults to the object's
    tenant, so each organization's admin sees what was done to its data.
    """
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    if organization_id is None and obj is not None:
        organization_id = getattr(obj, "tenant_id", None)
    event_row = AuditEvent(
        actor_type=principal.kind,
        actor_user_id=principal.user_id,
        actor_api_key_id=principal.api_key_id,
        actor_label=principal.label,
        organization_id=organization_id,
        action=action,
        object_type=getattr(obj, "__tablename__", "none") if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        request_id=current_request_id(),
        details=_clean(details),
    )
    db.session.add(event_row)
    return event_row


# Who may see an event about an object: whoever may read that kind of object (the
# object's own read action). Kinds not listed here (and events about no object) are
# seen by the MSO's admins only.
READ_ACTIONS: dict[str, str] = {
    "practices": "practice.read",
    "vendors": "vendor.read",
    "locations": "location.list",
    "providers": "provider.list",
    "users": "user.list",
    "api_keys": "api_key.list",
    "products": "product.read",
    "catalog_imports": "catalog_import.read",
    "contracts": "contract.read",
    "contract_proposals": "contract.thread",
    "cycles": "cycle.read",
    "orders": "order.read",
    "purchase_orders": "purchase_order.read",
    "fee_schedules": "fee_schedule.read",
    "invoices": "invoice.read",
    "billing_runs": "billing_run.read",
    "rebates": "rebate.read",
    "insurance_programs": "insurance_program.read",
    "insurance_enrollments": "enrollment.read",
    "staff_members": "staff.read",
    "shift_requests": "shift_request.read",
    "staff_assignments": "assignment.read",
    "staffing_cost_runs": "cost_run.read",
    "leasing_assets": "leasing_asset.read",
    "leases": "lease.read",
    "substitutions": "substitution.read",
    "receipts": "shipment.read",
    "claims": "claim.read",
    "purchase_order_lines": "backorder.read",
    "vendor_invoices": "vendor_invoice.read",
    "vendor_settlements": "vendor_settlement.read",
    "admin_fee_remittances": "admin_fee_remittance.read",
    "leasing_spaces": "space.read",
    "leasing_occupancies": "space.read",
    "webhook_endpoints": "webhook_endpoint.read",
    "webhook_deliveries": "webhook_delivery.read",
}


def readable_object_types(principal: Principal) -> list[str]:
    """The kinds of object whose audit events the principal's roles may read."""
    from gpo.auth import policy

    return sorted(kind for kind, action in READ_ACTIONS.items() if policy.may(principal, action))


class AuditFilters(TypedDict, total=False):
    """What GET /audit-events filters on (all optional)."""

    object_type: str
    object_id: int
    actor_user_id: int
    action: str
    organization_id: int
    since: dt.datetime
    until: dt.datetime


def list_events(principal: Principal, filters: AuditFilters, page: int, page_size: int):
    """Audit events, newest first. The MSO's admins (the platform's auditors) see all.
    Anyone else sees an event only when it is about their own organization's data
    (tenancy: what each object's visibility rule grants its own organization) and
    their roles may read that kind of object: a vendor admin sees no rebate's event,
    as it gets 403 on the rebate itself."""
    from sqlalchemy import select

    from gpo.auth import policy
    from gpo.db import paged

    policy.authorize(principal, "audit.list")
    stmt = policy.scope(principal, select(AuditEvent), AuditEvent.organization_id)
    if not (principal.is_mso and "mso_admin" in principal.roles):
        stmt = stmt.where(AuditEvent.object_type.in_(readable_object_types(principal)))
    for field in ("object_type", "object_id", "actor_user_id", "action", "organization_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(AuditEvent, field) == filters[field])
    if filters.get("since") is not None:
        stmt = stmt.where(AuditEvent.at >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(AuditEvent.at < filters["until"])
    return paged(stmt.order_by(AuditEvent.id.desc()), page, page_size)


def events_with_organizations(principal: Principal, filters: AuditFilters, page: int, page_size: int):
    """list_events, and the names of the organizations the page's events are about
    ({id: name}, one query for the page), for the console's audit log."""
    from sqlalchemy import select

    from gpo.accounts.models import Organization

    result = list_events(principal, filters, page, page_size)
    ids = {e.organization_id for e in result.items if e.organization_id is not None}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all()) \
        if ids else {}
    return result, names
