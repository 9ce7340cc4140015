"""The portal's API keys page without a browser: a vendor admin lists the vendor's
keys (never the key), creates one and sees it once, in the answer to the POST only
(not on a later GET, not after a reload that resends the form, never in the session
cookie), uses it, and revokes it after a confirmation step; another vendor's key is
404; another face's user gets 404; a bad name is refused at its field."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gpo.auth.models import ApiKey
from gpo.db import db
from tests.factories import api_key_with_secret
from tests.pages import text_of
from tests.scenarios import bearer

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_KEY = re.compile(r'id="new-key" type="text" readonly value="(gpo_[^"]+)"')


def html(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    return text_of(html(response))


def keys(**where) -> int:
    db.session.commit()
    stmt = select(func.count()).select_from(ApiKey)
    for name, value in where.items():
        stmt = stmt.where(getattr(ApiKey, name) == value)
    return db.session.scalar(stmt)


def form_token(page) -> str:
    return _TOKEN.search(html(page.get("/portal/api-keys"))).group(1)


def session_of(page, app) -> dict:
    """What the session cookie holds (signed, not encrypted: anything in it is readable)."""
    cookie = page.client.get_cookie("gpo_session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def me(client, key: str):
    return client.get("/api/v1/me", headers=bearer(key))


def test_a_vendor_admin_lists_the_vendors_keys_never_the_keys(pages, world):
    other_key, _ = api_key_with_secret(world.other_vendor.id)
    db.session.commit()
    response = pages.as_("vendor_admin").get("/portal/api-keys")
    assert response.status_code == 200
    assert '<a href="/portal/api-keys" aria-current="page">API keys</a>' in html(response)
    assert response.headers["Cache-Control"] == "no-store"
    body = text(response)
    key = world.api_key
    assert f"{key.name} {key.prefix}…{key.last4}" in body and "never active Revoke" in body
    assert f"{other_key.prefix}…{other_key.last4}" not in body
    assert 'id="new-key"' not in html(response)


def test_a_key_is_shown_once_and_works(pages, world, app, client):
    page = pages.as_("vendor_admin")
    token = form_token(page)
    response = page.post("/portal/api-keys", {"name": "ERP integration", "form_token": token})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    key = _KEY.search(html(response)).group(1)
    assert "This is the only time it is shown" in text(response)
    row = db.session.scalars(select(ApiKey).where(ApiKey.name == "ERP integration")).one()
    assert row.vendor_id == world.vendor.id and key.startswith(row.prefix) and key.endswith(row.last4)
    assert key not in str(session_of(page, app))  # never in the cookie
    # it works, as the vendor's key
    answer = me(client, key)
    assert answer.status_code == 200
    assert answer.get_json()["kind"] == "api_key" and answer.get_json()["organization"]["id"] == world.vendor.id
    # a GET never shows it again; the list shows its prefix and that it was used
    again = page.get("/portal/api-keys")
    assert key not in html(again) and 'id="new-key"' not in html(again)
    assert f"ERP integration {row.prefix}…{row.last4}" in text(again)
    assert "never" not in text(again).split("ERP integration", 1)[1].split("Revoke", 1)[0]


def test_a_reload_of_the_answer_creates_no_second_key_and_shows_none(pages, world, app):
    page = pages.as_("vendor_admin")
    body = {"name": "ERP integration", "form_token": form_token(page)}
    first = page.post("/portal/api-keys", body)
    key = _KEY.search(html(first)).group(1)
    resent = page.post("/portal/api-keys", body)  # what the browser's reload sends
    assert resent.status_code == 303 and resent.headers["Location"] == "/portal/api-keys"
    assert keys(name="ERP integration") == 1
    shown = page.get("/portal/api-keys")
    assert key not in html(shown) and "That form was used already or is out of date, so no key was created by it." in text(shown)
    # without the form's token at all: nothing either
    assert page.post("/portal/api-keys", {"name": "Another"}).status_code == 303
    assert page.post("/portal/api-keys", {"name": "Another", "form_token": "é"}).status_code == 303
    assert keys(name="Another") == 0
    # a new form has a new token, which creates a key
    assert page.post("/portal/api-keys", {"name": "Another", "form_token": form_token(page)}).status_code == 201
    assert keys(vendor_id=world.vendor.id) == 3


@pytest.mark.parametrize("name, message", [("", "Missing data for required field."),
                                           ("x" * 101, "Length must be between 1 and 100.")])
def test_a_bad_name_is_refused_at_the_field_and_the_form_still_works(pages, world, name, message):
    page = pages.as_("vendor_admin")
    token = form_token(page)
    before = keys()
    response = page.post("/portal/api-keys", {"name": name, "form_token": token})
    assert response.status_code == 422
    assert ('id="key-name" name="name" type="text" value="' + name + '" aria-describedby="key-name-hint '
            'key-name-error" aria-invalid="true"') in html(response)
    assert f'id="key-name-error">{message}' in html(response) and 'id="new-key"' not in html(response)
    assert keys() == before
    assert page.post("/portal/api-keys", {"name": "Fixed", "form_token": token}).status_code == 201


def test_revoking_asks_first_then_the_key_stops_working(pages, world, client):
    key_row, plain = api_key_with_secret(world.vendor.id)
    db.session.commit()
    assert me(client, plain).status_code == 200
    page = pages.as_("vendor_admin")
    listing = html(page.get("/portal/api-keys"))
    assert f'href="/portal/api-keys/{key_row.id}/revoke"' in listing
    confirm = page.get(f"/portal/api-keys/{key_row.id}/revoke")
    assert confirm.status_code == 200
    assert f"Revoke the key “{key_row.name}”?" in text(confirm) and f"{key_row.prefix}…{key_row.last4}" in text(confirm)
    assert "This cannot be undone" in text(confirm)
    assert keys(id=key_row.id, revoked_at=None) == 1  # asking changes nothing
    response = page.post(f"/portal/api-keys/{key_row.id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/api-keys#key-{key_row.id}"
    assert "The key is revoked" in text(page.get("/portal/api-keys"))
    assert me(client, plain).status_code == 401
    listed = text(page.get("/portal/api-keys"))
    assert "revoked: no longer accepted on" in listed
    # revoked already: said on the confirmation page, and a second revoke is the API's 409
    assert "This key is revoked already" in text(page.get(f"/portal/api-keys/{key_row.id}/revoke"))
    again = page.post(f"/portal/api-keys/{key_row.id}/revoke")
    assert again.status_code == 409 and f"API key {key_row.id} is already revoked" in text(again)


def test_another_vendors_key_is_not_found_and_stays_active(pages, world, client):
    other_key, plain = api_key_with_secret(world.other_vendor.id)
    db.session.commit()
    page = pages.as_("vendor_admin")
    assert page.get(f"/portal/api-keys/{other_key.id}/revoke").status_code == 404
    page.get("/portal/api-keys")
    assert page.post(f"/portal/api-keys/{other_key.id}/revoke").status_code == 404
    assert keys(id=other_key.id, revoked_at=None) == 1 and me(client, plain).status_code == 200


@pytest.mark.parametrize("who", ("mso_admin", "practice_admin"))
def test_another_faces_user_gets_404_and_creates_nothing(pages, world, who):
    page = pages.as_(who)
    assert page.get("/portal/api-keys").status_code == 404
    assert page.get(f"/portal/api-keys/{world.api_key.id}/revoke").status_code == 404
    before = keys()
    assert page.post("/portal/api-keys", {"name": "Sneaky"}).status_code == 404
    assert page.post(f"/portal/api-keys/{world.api_key.id}/revoke").status_code == 404
    assert keys() == before and keys(id=world.api_key.id, revoked_at=None) == 1


def test_a_form_without_its_csrf_token_changes_nothing(pages, world):
    page = pages.as_("vendor_admin")
    token = form_token(page)
    assert page.post("/portal/api-keys", {"name": "Forged", "form_token": token}, csrf=False).status_code == 400
    assert page.post(f"/portal/api-keys/{world.api_key.id}/revoke", csrf=False).status_code == 400
    assert keys(name="Forged") == 0 and keys(id=world.api_key.id, revoked_at=None) == 1
