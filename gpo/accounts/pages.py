"""The storefront's practice page (WEB.md `/practice`), for practice admins: the
practice's locations, providers (NPI checked by the API's own ProviderCreateSchema)
and users with their roles, each with a form to add one through the use case the API
calls. Other practice roles get a 403 page saying who the page is for."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.accounts import services
from gpo.accounts.models import Practice
from gpo.accounts.schemas import LocationCreateSchema, ProviderCreateSchema, UserCreateSchema
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.auth.roles import PRACTICE_ROLES
from gpo.errors import DomainError, Forbidden
from gpo.web.forms import form_data, load, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("practice_pages", __name__, "storefront")

ROLE_WORDS = {"practice_admin": "Practice admin", "practice_buyer": "Buyer", "practice_physician": "Physician"}
FOR_ADMINS = ("The practice page is for practice admins: they add the practice's locations, providers and users. "
              "Ask your practice admin for a change.")


def _admin():
    principal = current_principal()
    if not policy.may(principal, "practice.update"):  # who changes the practice's own setup
        raise Forbidden(FOR_ADMINS)
    return principal


def _page(*, form: str | None = None, values=None, errors=None, status: int = 200):
    principal = _admin()
    practice_id = principal.organization_id
    body = render_template(
        "accounts/practice.html",
        practice=services.get_practice(principal, practice_id),
        locations=services.list_locations(principal, practice_id, 1, 100).items,
        providers=services.list_providers(principal, practice_id, 1, 100).items,
        users=services.list_users(principal, Practice, practice_id, 1, 100).items,
        role_words=ROLE_WORDS, roles=PRACTICE_ROLES,
        # each form shows its own values and errors only
        values={form: values or {}} if form else {}, errors={form: errors} if form else {})
    return body, status


def _refused(exc: DomainError, form: str, values: dict):
    """The page again with the refusal at its field; what the use case did before it
    refused is discarded first, so the lists read the practice as it was."""
    return _page(form=form, values=values, errors=refusal(exc, (409, 422)), status=exc.status_code)


@blp.get("/practice")
def practice():
    return _page()


@blp.post("/practice/locations")
def add_location():
    principal = _admin()
    values = form_data()
    try:
        location = services.create_location(principal, principal.organization_id,
                                            load(LocationCreateSchema(), values))
    except DomainError as exc:
        return _refused(exc, "location", values)
    flash(f"Location {location.name} is added.", "success")
    return redirect(url_for("practice_pages.practice") + "#locations")


@blp.post("/practice/providers")
def add_provider():
    principal = _admin()
    values = form_data()
    try:
        provider = services.create_provider(principal, principal.organization_id,
                                            load(ProviderCreateSchema(), values))
    except DomainError as exc:
        return _refused(exc, "provider", values)
    flash(f"{provider.first_name} {provider.last_name} (NPI {provider.npi}) is added.", "success")
    return redirect(url_for("practice_pages.practice") + "#providers")


@blp.post("/practice/users")
def add_user():
    principal = _admin()
    values = form_data(lists=("roles",))
    try:
        user = services.create_user(principal, Practice, principal.organization_id, load(UserCreateSchema(), values))
    except DomainError as exc:
        values.pop("password", None)  # never sent back to the browser
        return _refused(exc, "user", values)
    flash(f"{user.name} ({user.email}) can now sign in.", "success")
    return redirect(url_for("practice_pages.practice") + "#users")
