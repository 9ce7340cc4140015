"""The vendor portal's API keys page (WEB.md "Vendor portal pages": API keys, create,
shown once, revoke), for a vendor's admins: the vendor's keys (prefix and last four
characters, created, last used, status), a form to create one, and revoking with a
confirmation step.

The key itself is shown once: in the answer to the POST that created it, never
stored, never put in the session cookie, never shown by a GET. Reloading that answer
sends the form again; the form carries a one-time token (kept in the session and used
up by the first create), so the resend creates no second key and shows no key: it
goes back to the list."""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, session, url_for

from gpo.auth import services
from gpo.auth.request import current_principal
from gpo.auth.schemas import ApiKeyCreateSchema
from gpo.errors import DomainError
from gpo.web.forms import form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("api_key_portal", __name__, "portal", url_prefix="/portal")

KEY_WORDS = {"active": "active", "revoked": "revoked: no longer accepted"}
_FORM_TOKEN = "api_key_form"
NO_STORE = {"Cache-Control": "no-store"}  # a page with a key, or a form's one-time token


def _form_token() -> str:
    """The create form's one-time token: the same until a key is created with it."""
    if _FORM_TOKEN not in session:
        session[_FORM_TOKEN] = secrets.token_urlsafe(16)
    return session[_FORM_TOKEN]


def _page(*, created=None, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    result = services.list_api_keys(principal, principal.organization_id, page, page_size)
    body = render_template("auth/portal_api_keys.html", keys=result.items, total=result.total, page=page,
                           page_size=page_size, created=created, values=values or {}, errors=errors,
                           form_token=_form_token())
    return body, status, NO_STORE


@blp.get("/api-keys")
def api_keys():
    return _page()


@blp.post("/api-keys")
def create_api_key():
    values = form_data()
    token = values.pop("form_token", "")
    expected = session.get(_FORM_TOKEN)
    if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
        # the form was used already (a reload of the page that showed its key) or is out of date
        flash("That form was used already or is out of date, so no key was created by it. A key is shown "
              "only once, when it is created: if it was not copied, revoke it and create another.", "info")
        return redirect(url_for("api_key_portal.api_keys"), 303)
    principal = current_principal()
    try:
        data = load(ApiKeyCreateSchema(), values)
        created = services.create_api_key(principal, principal.organization_id, data["name"])
    except DomainError as exc:
        return _page(values=values, errors=refusal(exc, (409, 422)), status=exc.status_code)
    session.pop(_FORM_TOKEN)  # used up: a resend of this form creates nothing
    return _page(created=created, status=201)


@blp.get("/api-keys/<int:api_key_id>/revoke")
def confirm_revoke(api_key_id: int):
    """The confirmation step: which key, and what revoking it does."""
    api_key = services.get_api_key(current_principal(), api_key_id)
    return render_template("auth/portal_api_key_revoke.html", key=api_key, errors=None)


@blp.post("/api-keys/<int:api_key_id>/revoke")
def revoke(api_key_id: int):
    principal = current_principal()
    try:
        services.revoke_api_key(principal, api_key_id)
    except DomainError as exc:
        errors = refusal(exc, (409,))
        return render_template("auth/portal_api_key_revoke.html", key=services.get_api_key(principal, api_key_id),
                               errors=errors), exc.status_code
    flash("The key is revoked: requests sending it are refused from now on.", "success")
    return redirect(url_for("api_key_portal.api_keys", _anchor=f"key-{api_key_id}"))

