"""The console's member pages (WEB.md "Console pages": practices and vendors), for MSO
staff: the member practices with their locations, providers and users; the vendors
with their users (and why their API keys are not shown); the MSO's own users. Each
page parses with the API's schemas, calls the use case the API calls, and renders;
what a role may not do is said where the form would be (policy.may decides), and a
POST sent anyway answers the service's 403 with nothing written."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from gpo.accounts import services
from gpo.accounts.models import PRACTICE_STATUSES, VENDOR_KINDS, Mso, Practice, Vendor
from gpo.accounts.schemas import (
    LocationCreateSchema,
    PracticeCreateSchema,
    PracticeQuerySchema,
    PracticeUpdateSchema,
    ProviderCreateSchema,
    UserCreateSchema,
    VendorCreateSchema,
    VendorKindQuerySchema,
    VendorUpdateSchema,
)
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.auth.roles import MSO_ROLES, PRACTICE_ROLES, VENDOR_ROLES
from gpo.billing import invoices
from gpo.db import Paged
from gpo.errors import DomainError, Forbidden, Invalid
from gpo.etags import etag_for
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("accounts_console", __name__, "console", url_prefix="/console")

PRACTICE_WORDS = {"active": "active member", "suspended": "suspended: left out of membership billing"}
VENDOR_KIND_WORDS = {"supplier": "supplier", "carrier": "insurance carrier", "staffing": "staffing agency"}
ROLE_WORDS = {
    "mso_admin": "MSO admin", "mso_procurement": "Procurement", "mso_finance": "Finance",
    "mso_scheduler": "Scheduler", "practice_admin": "Practice admin", "practice_buyer": "Buyer",
    "practice_physician": "Physician", "vendor_admin": "Vendor admin",
}
# Refusals shown at their form: bad input (422), a duplicate (409), a stale version (412).
AT_FORM = (409, 412, 422)

# Why a form is not offered, for the roles that see the page but may not use it.
WHY_NOT = {
    "practice.create": "Only MSO admins admit a member practice.",
    "practice.change_status": "Only MSO admins suspend or reactivate a practice.",
    "location.create": "Only MSO admins (and the practice's own admin, on its practice page) add locations.",
    "provider.create": "Only MSO admins (and the practice's own admin, on its practice page) add providers.",
    "user.list": "Only MSO admins see and add an organization's users.",
    "vendor.create": "Only MSO admins and procurement add vendors.",
    "vendor.change_kind": "Only MSO admins and procurement change what kind of vendor it is.",
}


def _may(*actions: str) -> dict[str, bool]:
    principal = current_principal()
    return {action: policy.may(principal, action) for action in actions}


def _forms(form: str | None, values, errors) -> dict:
    """Each form on a page shows its own values and errors only."""
    return {"values": {form: values or {}} if form else {}, "errors": {form: errors} if form else {}}


def _query(schema, names: tuple[str, ...]) -> tuple[dict, dict]:
    """The list's filters from the query string: what was typed, and what the schema loaded."""
    raw = {k: request.args[k].strip() for k in names if request.args.get(k, "").strip()}
    return raw, load(schema, raw)


def _filtered(schema, names: tuple[str, ...], fetch) -> tuple[dict, FormErrors, int | None, Paged]:
    """A list page's rows, fetch(filters) with the filters the query string gives: what
    was typed, the filters' errors, the refusal's status (None where there is none) and
    the rows (none where the filters are refused, the refusal shown at them)."""
    try:
        raw, filters = _query(schema, names)
        return raw, FormErrors(), None, fetch(filters)
    except DomainError as exc:
        undo_refused()
        raw = {k: request.args.get(k, "") for k in names}
        return raw, errors_of(exc), exc.status_code, Paged([], 0)


def _fee_schedules_url() -> str | None:
    """The console's fee schedules page, where another area of the console provides one."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/console/fee-schedules") and not rule.arguments:
            return rule.rule
    return None


# --- practices -------------------------------------------------------------------------


def _practices_page(form=None, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    raw, filter_errors, refused, result = _filtered(
        PracticeQuerySchema(), ("status", "q"),
        lambda filters: services.list_practices(principal, page, page_size, status=filters.get("status"),
                                                name=filters.get("q")))
    status = refused or status
    body = render_template("accounts/console_practices.html", practices=result.items, total=result.total,
                           page=page, page_size=page_size, filters=raw, filter_errors=filter_errors,
                           statuses=PRACTICE_STATUSES, may=_may("practice.create", "user.list"), why=WHY_NOT,
                           **_forms(form, values, errors))
    return body, status


@blp.get("/practices")
def practices():
    return _practices_page()


@blp.post("/practices")
def create_practice():
    values = form_data()
    try:
        practice = services.create_practice(current_principal(), load(PracticeCreateSchema(), values))
    except DomainError as exc:
        return _practices_page("practice", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{practice.name} is a member practice now. Add its locations and users.", "success")
    return redirect(url_for("accounts_console.practice", practice_id=practice.id))


def _practice_page(practice_id: int, form=None, values=None, errors=None, status: int = 200):
    principal = current_principal()
    overview = services.practice_overview(principal, practice_id)
    fees = invoices.get_fee_schedule(principal, practice_id)
    body = render_template(
        "accounts/console_practice.html", overview=overview, practice=overview.practice,
        etag=etag_for(overview.practice), fees=fees, fee_schedules_url=_fee_schedules_url(),
        statuses=PRACTICE_STATUSES, roles=PRACTICE_ROLES, role_words=ROLE_WORDS, why=WHY_NOT,
        may=_may("practice.change_status", "location.create", "provider.create", "user.list", "user.create"),
        **_forms(form, values, errors))
    return body, status


@blp.get("/practices/<int:practice_id>")
def practice(practice_id: int):
    return _practice_page(practice_id)


def _back_to_practice(practice_id: int, anchor: str):
    return redirect(url_for("accounts_console.practice", practice_id=practice_id) + anchor)


@blp.post("/practices/<int:practice_id>/locations")
def add_location(practice_id: int):
    values = form_data()
    try:
        location = services.create_location(current_principal(), practice_id, load(LocationCreateSchema(), values))
    except DomainError as exc:
        return _practice_page(practice_id, "location", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"Location {location.name} is added.", "success")
    return _back_to_practice(practice_id, "#locations")


@blp.post("/practices/<int:practice_id>/providers")
def add_provider(practice_id: int):
    values = form_data()
    try:
        provider = services.create_provider(current_principal(), practice_id, load(ProviderCreateSchema(), values))
    except DomainError as exc:
        return _practice_page(practice_id, "provider", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{provider.first_name} {provider.last_name} (NPI {provider.npi}) is added.", "success")
    return _back_to_practice(practice_id, "#providers")


@blp.post("/practices/<int:practice_id>/users")
def add_practice_user(practice_id: int):
    values = form_data(lists=("roles",))
    try:
        user = services.create_user(current_principal(), Practice, practice_id, load(UserCreateSchema(), values))
    except DomainError as exc:
        values.pop("password", None)  # never sent back to the browser
        return _practice_page(practice_id, "user", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{user.name} ({user.email}) can now sign in.", "success")
    return _back_to_practice(practice_id, "#users")


@blp.post("/practices/<int:practice_id>/status")
def change_practice_status(practice_id: int):
    """Suspend or reactivate, applied to the version the form was rendered from (its
    ETag in a hidden field; a stale one is refused with the API's 412)."""
    values = form_data()
    etag = values.pop("etag", "")
    try:
        data = load(PracticeUpdateSchema(partial=True, only=("status",)), values)
        if "status" not in data:
            raise Invalid.of_field("status", "Choose a status.")
        practice = services.update_practice(current_principal(), practice_id, data, [etag])
    except DomainError as exc:
        return _practice_page(practice_id, "status", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"The status of {practice.name} is now: {PRACTICE_WORDS[practice.status]}.", "success")
    return _back_to_practice(practice_id, "#status")


# --- vendors ----------------------------------------------------------------------------


def _vendors_page(form=None, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    raw, filter_errors, refused, result = _filtered(
        VendorKindQuerySchema(), ("kind",),
        lambda filters: services.list_vendors(principal, filters.get("kind"), page, page_size))
    status = refused or status
    body = render_template("accounts/console_vendors.html", vendors=result.items, total=result.total,
                           page=page, page_size=page_size, filters=raw, filter_errors=filter_errors,
                           kinds=VENDOR_KINDS, may=_may("vendor.create", "user.list"), why=WHY_NOT,
                           **_forms(form, values, errors))
    return body, status


@blp.get("/vendors")
def vendors():
    return _vendors_page()


@blp.post("/vendors")
def create_vendor():
    values = form_data()
    try:
        vendor = services.create_vendor(current_principal(), load(VendorCreateSchema(), values))
    except DomainError as exc:
        return _vendors_page("vendor", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{vendor.name} is added ({VENDOR_KIND_WORDS[vendor.kind]}). Add its first user.", "success")
    return redirect(url_for("accounts_console.vendor", vendor_id=vendor.id))


def _vendor_page(vendor_id: int, form=None, values=None, errors=None, status: int = 200):
    overview = services.vendor_overview(current_principal(), vendor_id)
    body = render_template(
        "accounts/console_vendor.html", overview=overview, vendor=overview.vendor, etag=etag_for(overview.vendor),
        kinds=VENDOR_KINDS, roles=VENDOR_ROLES, role_words=ROLE_WORDS, why=WHY_NOT,
        may=_may("vendor.change_kind", "user.list", "user.create", "audit.list"),
        **_forms(form, values, errors))
    return body, status


@blp.get("/vendors/<int:vendor_id>")
def vendor(vendor_id: int):
    return _vendor_page(vendor_id)


@blp.post("/vendors/<int:vendor_id>/users")
def add_vendor_user(vendor_id: int):
    values = form_data(lists=("roles",))
    try:
        user = services.create_user(current_principal(), Vendor, vendor_id, load(UserCreateSchema(), values))
    except DomainError as exc:
        values.pop("password", None)
        return _vendor_page(vendor_id, "user", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{user.name} ({user.email}) can now sign in to the vendor portal.", "success")
    return redirect(url_for("accounts_console.vendor", vendor_id=vendor_id) + "#users")


@blp.post("/vendors/<int:vendor_id>/kind")
def change_vendor_kind(vendor_id: int):
    values = form_data()
    etag = values.pop("etag", "")
    try:
        data = load(VendorUpdateSchema(only=("kind",)), values)
        if "kind" not in data:
            raise Invalid.of_field("kind", "Choose a kind.")
        vendor = services.update_vendor(current_principal(), vendor_id, data, [etag])
    except DomainError as exc:
        return _vendor_page(vendor_id, "kind", values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{vendor.name} is now: {VENDOR_KIND_WORDS[vendor.kind]}.", "success")
    return redirect(url_for("accounts_console.vendor", vendor_id=vendor_id) + "#kind")


# --- the MSO's own users ------------------------------------------------------------------


def _mso_users_page(values=None, errors=None, status: int = 200):
    principal = current_principal()
    if not policy.may(principal, "user.list"):
        raise Forbidden("The MSO's users are managed by MSO admins. Ask one of them to add or change a user.")
    page, page_size = page_args(50)
    result = services.list_users(principal, Mso, None, page, page_size)
    body = render_template("accounts/console_mso_users.html", users=result.items, total=result.total, page=page,
                           page_size=page_size, roles=MSO_ROLES, role_words=ROLE_WORDS,
                           may=_may("user.create", "user.list"), **_forms("user", values, errors))
    return body, status


@blp.get("/users")
def mso_users():
    return _mso_users_page()


@blp.post("/users")
def add_mso_user():
    values = form_data(lists=("roles",))
    try:
        user = services.create_user(current_principal(), Mso, None, load(UserCreateSchema(), values))
    except DomainError as exc:
        values.pop("password", None)
        return _mso_users_page(values, refusal(exc, AT_FORM), exc.status_code)
    flash(f"{user.name} ({user.email}) can now sign in to the console.", "success")
    return redirect(url_for("accounts_console.mso_users"))
