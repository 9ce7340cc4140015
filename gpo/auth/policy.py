"""The one place that decides what a principal may see and do.

Two questions, in this order:
1. May the principal see the object at all? Tenancy: MSO staff see every
   organization's objects; everyone else only their own organization's. An object
   the principal may not see answers 404, exactly as if it did not exist.
2. May the principal's roles do the action? If not: 403.

Every list query is narrowed with `scope()`; every object a use case touches is
loaded with `load()` or checked with `authorize()`.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from gpo.auth.principal import Principal
from gpo.auth.roles import API_KEY_ROLE, MSO_ROLES, PRACTICE_ROLES, VENDOR_ROLES
from gpo.db import db
from gpo.errors import Forbidden, NotFound

MSO_ANY = frozenset(MSO_ROLES)
PRACTICE_ANY = frozenset(PRACTICE_ROLES)
VENDOR_ANY = frozenset({*VENDOR_ROLES, API_KEY_ROLE})
MSO_BILLING = frozenset({"mso_admin", "mso_finance"})
MSO_SCHEDULING = frozenset({"mso_admin", "mso_scheduler"})
ORG_ADMINS = frozenset({"mso_admin", "practice_admin", "vendor_admin"})
EVERYONE = MSO_ANY | PRACTICE_ANY | VENDOR_ANY

# action -> roles that may do it (on objects they can see).
ACTIONS: dict[str, frozenset[str]] = {
    "practice.list": MSO_ANY | PRACTICE_ANY,
    "practice.read": MSO_ANY | PRACTICE_ANY,
    "practice.create": frozenset({"mso_admin"}),
    "practice.update": frozenset({"mso_admin", "practice_admin"}),
    "practice.change_status": frozenset({"mso_admin"}),
    "location.list": MSO_ANY | PRACTICE_ANY,
    "location.create": frozenset({"mso_admin", "practice_admin"}),
    "provider.list": MSO_ANY | PRACTICE_ANY,
    "provider.create": frozenset({"mso_admin", "practice_admin"}),
    "provider.update": frozenset({"mso_admin", "practice_admin"}),
    "user.list": ORG_ADMINS,
    "user.create": ORG_ADMINS,
    "vendor.list": MSO_ANY | VENDOR_ANY,
    "vendor.read": MSO_ANY | VENDOR_ANY,
    "vendor.create": frozenset({"mso_admin", "mso_procurement"}),
    "vendor.update": frozenset({"mso_admin", "mso_procurement", "vendor_admin"}),
    "vendor.change_kind": frozenset({"mso_admin", "mso_procurement"}),
    "api_key.list": frozenset({"vendor_admin", "mso_admin"}),  # the MSO admin oversees, never creates
    "api_key.create": frozenset({"vendor_admin"}),
    "api_key.revoke": frozenset({"vendor_admin"}),
    "audit.list": ORG_ADMINS,
    "job.read": EVERYONE,
    "product.read": EVERYONE,
    "product.create": VENDOR_ANY,
    "product.update": VENDOR_ANY,
    "product.mark_clinical": frozenset({"mso_admin", "mso_procurement"}),
    "catalog_import.create": VENDOR_ANY,
    "catalog_import.read": VENDOR_ANY | MSO_ANY,
    "contract.read": EVERYONE,
    "contract.create": frozenset({"mso_admin", "mso_procurement"}),
    "contract.negotiate": frozenset({"mso_admin", "mso_procurement"}) | VENDOR_ANY,
    "contract.thread": MSO_ANY | VENDOR_ANY,
    "contract.terminate": frozenset({"mso_admin", "mso_procurement"}),
    "cycle.read": EVERYONE,
    "cycle.manage": frozenset({"mso_admin", "mso_procurement"}),
    "order.read": MSO_ANY | PRACTICE_ANY,
    "order.place": PRACTICE_ANY | frozenset({"mso_admin", "mso_procurement"}),
    "order.edit": PRACTICE_ANY | frozenset({"mso_admin", "mso_procurement"}),
    "order.approve": frozenset({"practice_physician"}),
    "saved_list.read": MSO_ANY | PRACTICE_ANY,
    "saved_list.manage": frozenset({"practice_admin", "practice_buyer"}),
    "purchase_order.read": MSO_ANY | VENDOR_ANY,
    "purchase_order.acknowledge": VENDOR_ANY,
    "purchase_order.ship": VENDOR_ANY,
    # billing
    "fee_schedule.read_default": MSO_ANY,
    "fee_schedule.read": MSO_ANY | frozenset({"practice_admin"}),
    "fee_schedule.update": MSO_BILLING,
    "invoice.read": MSO_BILLING | PRACTICE_ANY,
    "invoice.finalize": MSO_BILLING,
    "invoice.void": MSO_BILLING,
    "invoice.credit": MSO_BILLING,
    "invoice.pay": MSO_BILLING | frozenset({"practice_admin"}),
    "payment_method.read": MSO_BILLING | frozenset({"practice_admin"}),
    "payment_method.update": frozenset({"practice_admin"}),
    "billing_run.create": MSO_BILLING,
    "billing_run.read": MSO_BILLING,
    "rebate.create": MSO_BILLING,
    "rebate.read": MSO_ANY,
    "credit.read": MSO_ANY | PRACTICE_ANY,
    "vendor_statement.read": MSO_ANY | VENDOR_ANY,
    "disclosure.read": MSO_ANY | PRACTICE_ANY,
    "savings_report.read": MSO_ANY | PRACTICE_ANY,
    # malpractice insurance: visibility in gpo/insurance/programs.py and enrollments.py
    "insurance_program.read": EVERYONE,
    "insurance_program.create": frozenset({"mso_admin", "mso_procurement"}) | VENDOR_ANY,
    "insurance_program.bind": frozenset({"mso_admin", "mso_procurement", "mso_finance"}),
    "enrollment.read": EVERYONE,
    "enrollment.create": frozenset({"practice_admin"}),
    "enrollment.cancel": frozenset({"practice_admin", "mso_admin"}),
    # the shared staffing pool (accepting clinical staff: a physician, in the service)
    "staff.read": MSO_ANY | frozenset({"vendor_admin"}),  # a staffing vendor: its own people (tenancy)
    "staff.manage": MSO_SCHEDULING,
    "shift_request.read": MSO_ANY | PRACTICE_ANY,
    "shift_request.create": PRACTICE_ANY,
    "shift_request.cancel": PRACTICE_ANY | MSO_SCHEDULING,
    "shift_request.assign": MSO_SCHEDULING,
    "assignment.read": MSO_ANY | PRACTICE_ANY,
    "assignment.accept": PRACTICE_ANY,
    "assignment.release": frozenset({"practice_admin", "practice_physician"}),
    "timesheet.record": MSO_SCHEDULING,
    "timesheet.approve": frozenset({"practice_admin", "practice_physician"}),
    "timesheet.dispute": frozenset({"practice_admin", "practice_physician"}),
    "cost_run.create": MSO_BILLING,
    "cost_run.read": MSO_BILLING | frozenset({"mso_scheduler"}),
    # leasing: a practice sees the assets and leases offered to it (gpo/leasing); signing a
    # lease of clinical equipment takes a physician, in the service (CPOM)
    "leasing_asset.read": MSO_ANY | PRACTICE_ANY,
    "leasing_asset.create": MSO_BILLING,
    "lease_quote.create": MSO_BILLING | frozenset({"practice_admin"}),
    "lease.read": MSO_ANY | PRACTICE_ANY,
    "lease.offer": MSO_BILLING,
    "lease.withdraw": MSO_BILLING,
    "lease.sign": frozenset({"practice_admin", "practice_physician"}),
    "lease.buyout": MSO_BILLING | frozenset({"practice_admin", "practice_physician"}),
    "lease.end": MSO_BILLING,
    "space.read": MSO_ANY | PRACTICE_ANY,  # a practice: the suites it occupies
    "space.manage": MSO_BILLING,
    # after the close (gpo/orders, gpo/receiving, gpo/payables): a practice decides the
    # substitutes and backorders of its own locations, a physician where either product is
    # clinical (CPOM, in the service); substitutions, backorders, shipments and claims are
    # seen by their practice and their vendor (visibility rules, not plain tenancy)
    "substitution.read": EVERYONE,
    "substitution.decide": frozenset({"practice_admin", "practice_buyer", "practice_physician"}),
    "backorder.read": EVERYONE,
    "backorder.cancel": frozenset({"practice_admin", "practice_buyer", "practice_physician"}) | VENDOR_ANY,
    "shipment.read": EVERYONE,
    "receipt.create": frozenset({"practice_admin", "practice_buyer", "practice_physician"}),
    "claim.read": EVERYONE,
    "claim.resolve": VENDOR_ANY,
    "vendor_invoice.read": MSO_ANY | VENDOR_ANY,
    "vendor_invoice.create": VENDOR_ANY,
    "vendor_invoice.decide": MSO_BILLING,
    "vendor_settlement.read": MSO_BILLING | frozenset({"vendor_admin"}),
    "vendor_settlement.create": MSO_BILLING,
    "vendor_settlement.send": MSO_BILLING,
    "admin_fee_remittance.read": MSO_BILLING | frozenset({"vendor_admin"}),
    "admin_fee_remittance.create": MSO_BILLING,
    "vendor_scorecard.read": MSO_ANY | VENDOR_ANY,
    # Telling people and systems: a vendor's webhook endpoints (the MSO oversees and may
    # set one up; only the vendor rotates its secret), every delivery and attempt.
    "webhook_endpoint.read": MSO_ANY | frozenset({"vendor_admin"}),
    "webhook_endpoint.create": frozenset({"vendor_admin", "mso_admin"}),
    "webhook_endpoint.update": frozenset({"vendor_admin", "mso_admin"}),
    "webhook_endpoint.delete": frozenset({"vendor_admin", "mso_admin"}),
    "webhook_endpoint.rotate_secret": frozenset({"vendor_admin"}),
    "webhook_delivery.read": MSO_ANY | frozenset({"vendor_admin"}),
    "webhook_delivery.retry": frozenset({"vendor_admin", "mso_admin"}),
    # Which e-mails a person receives: every user (an API key has no mailbox).
    "notification_setting.read": MSO_ANY | PRACTICE_ANY | frozenset(VENDOR_ROLES),
    "notification_setting.update": MSO_ANY | PRACTICE_ANY | frozenset(VENDOR_ROLES),
    # cXML documents from a vendor's system (its API key) or its admin.
    "cxml.submit": VENDOR_ANY,
}

# Object types whose visibility is not plain tenancy register a rule here
# (for example: every signed-in user may see active products).
Visibility = Callable[[Principal, object], bool]
_VISIBILITY: dict[type, Visibility] = {}


def register_visibility(model: type, rule: Visibility) -> None:
    _VISIBILITY[model] = rule


def tenancy(principal: Principal, obj) -> bool:
    return principal.is_mso or principal.organization_id == obj.tenant_id


def can_see(principal: Principal, obj) -> bool:
    rule = _VISIBILITY.get(type(obj), tenancy)
    return rule(principal, obj)


def noun(model: type) -> str:
    return getattr(model, "__noun__", model.__name__.lower())


# How a 403 names an action: "your role may not list API keys". Each action reads as
# "<verb> <the noun's plural>" unless it has its own phrase here.
_PLURALS = {
    "api_key": "API keys", "staff": "the staff pool", "disclosure": "admin-fee disclosures",
    "audit": "audit events", "webhook_delivery": "webhook deliveries",
}
_PHRASES = {
    "practice.change_status": "change the status of practices",
    "vendor.change_kind": "change the kind of vendors",
    "product.mark_clinical": "mark products clinical",
    "contract.thread": "read the negotiation thread of contracts",
    "fee_schedule.read_default": "see the MSO's default fee schedule",
    "invoice.credit": "issue credit notes on invoices",
    "shift_request.assign": "assign staff to shift requests",
    "cycle.manage": "manage purchasing cycles",
    "webhook_endpoint.rotate_secret": "rotate the secrets of webhook endpoints",
}
_VERBS = {"read": "see"}


def action_phrase(action: str) -> str:
    """An action as English words: "api_key.list" -> "list API keys"."""
    if action in _PHRASES:
        return _PHRASES[action]
    noun, verb = action.split(".", 1)
    plural = _PLURALS.get(noun) or noun.replace("_", " ") + ("" if noun.endswith("s") else "s")
    return f"{_VERBS.get(verb, verb.replace('_', ' '))} {plural}"


def may(principal: Principal, action: str) -> bool:
    return bool(principal.roles & ACTIONS[action])


def authorize(principal: Principal, action: str, obj=None) -> None:
    """404 if `obj` is outside what the principal may see, 403 if its roles may not
    do `action`."""
    if obj is not None and not can_see(principal, obj):
        raise NotFound(f"{noun(type(obj))} {obj.id} not found")
    if not may(principal, action):
        raise Forbidden(f"your role may not {action_phrase(action)}")


def load(principal: Principal, model: type, ident: int, action: str, *, for_update=False, options=()):
    """Load `model` #ident for `action`: 404 when missing or not visible, 403 by role.
    `options` are loader options (what the answer needs, loaded in the same statement)."""
    stmt = select(model).where(model.id == ident).options(*options)
    if for_update:
        # FOR NO KEY UPDATE: serializes writers of the row without blocking inserts
        # that merely reference it (foreign keys take KEY SHARE locks).
        # populate_existing: once the lock is ours, read the row as it is now, even if
        # this session loaded it before the lock was granted.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    obj = db.session.scalars(stmt).unique().one_or_none()  # unique(): a joined collection's rows
    if obj is None:
        raise NotFound(f"{noun(model)} {ident} not found")
    authorize(principal, action, obj)
    return obj


def scope(principal: Principal, stmt, tenant_column):
    """Narrow a list query to what the principal's organization may see."""
    if principal.is_mso:
        return stmt
    return stmt.where(tenant_column == principal.organization_id)
