"""Login, tokens, throttling, API keys and /me."""
import datetime as dt

import pytest

from gpo.audit import AuditEvent
from gpo.auth.models import ApiKey, LoginFailure
from gpo.db import db
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, UserFactory, token_for
from tests.helpers import assert_error
from tests.pages import Pages
from tests.scenarios import bearer


def login(client, email, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_login_returns_a_short_lived_bearer_token_that_works(client, world):
    response = login(client, "Practice_Buyer@Example.test")  # e-mail case does not matter
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["user"]["email"] == "practice_buyer@example.test"
    assert "password" not in str(body) and "password_hash" not in str(body)
    me = client.get("/api/v1/me", headers=bearer(body["access_token"])).get_json()
    assert me["kind"] == "user"
    assert me["organization"] == {"id": world.practice.id, "name": "Lakeside", "org_type": "practice"}
    assert me["roles"] == ["practice_buyer"]


def test_wrong_password_and_unknown_email_look_the_same(client, world):
    wrong = assert_error(login(client, "practice_buyer@example.test", "nope-nope-nope"), 401)
    unknown = assert_error(login(client, "nobody@example.test", "nope-nope-nope"), 401)
    assert wrong["message"] == unknown["message"] == "invalid e-mail or password"


def test_repeated_failures_for_one_account_are_throttled(client, world):
    for i in range(5):
        assert login(client, "practice_buyer@example.test", "wrong-password", address=f"10.0.1.{i}").status_code == 401
    # even the right password from a fresh address waits now
    response = login(client, "practice_buyer@example.test", address="10.0.2.1")
    assert_error(response, 429, contains="account")
    assert response.headers["Retry-After"] == "900"
    # other accounts are not affected
    assert login(client, "practice_admin@example.test", address="10.0.2.1").status_code == 200


def test_repeated_failures_from_one_address_are_throttled(client, world):
    for i in range(20):
        login(client, f"nobody{i}@example.test", "wrong-password", address="10.9.9.9")
    assert_error(login(client, "practice_admin@example.test", address="10.9.9.9"), 429, contains="address")
    assert login(client, "practice_admin@example.test", address="10.9.9.8").status_code == 200


def test_failures_older_than_the_window_do_not_count(client, world):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    db.session.add_all(LoginFailure(email="practice_admin@example.test", address="1.1.1.1", at=old) for _ in range(10))
    db.session.commit()
    assert login(client, "practice_admin@example.test").status_code == 200


def test_an_inactive_user_cannot_log_in(client, world):
    UserFactory(email="gone@example.test", active=False, organization_id=world.practice.id)
    assert_error(login(client, "gone@example.test"), 401)


def test_missing_malformed_expired_and_forged_tokens_are_401(client, world):
    user = world.users["practice_admin"]
    expired = token_for(user, TEST_SECRET, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2))
    forged = token_for(user, "somebody-elses-secret-somebody-elses-00")
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}, bearer("not.a.jwt"),
                    bearer(expired), bearer(forged), bearer("gpo_unknown_key")):
        response = client.get("/api/v1/me", headers=headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "expired" in client.get("/api/v1/me", headers=bearer(expired)).get_json()["message"]


def test_a_vendor_admin_creates_a_key_shown_once(client, world):
    response = client.post(
        f"/api/v1/vendors/{world.vendor.id}/api-keys", json={"name": "ERP"}, headers=world.headers["vendor_admin"]
    )
    assert response.status_code == 201
    created = response.get_json()
    key = created["key"]
    assert key.startswith("gpo_") and len(key) >= 47
    assert created["prefix"] == key[:8] and created["last4"] == key[-4:]
    stored = db.session.get(ApiKey, created["id"])
    assert stored.key_hash != key and key not in str(vars(stored))

    listed = client.get(f"/api/v1/vendors/{world.vendor.id}/api-keys", headers=world.headers["vendor_admin"])
    assert listed.status_code == 200
    assert key not in listed.get_data(as_text=True)
    assert {k["id"] for k in listed.get_json()} >= {created["id"]}

    me = client.get("/api/v1/me", headers=bearer(key)).get_json()
    assert me["kind"] == "api_key" and me["organization"]["id"] == world.vendor.id
    assert me["roles"] == ["vendor_api"] and me["user"] is None
    db.session.expire_all()
    assert db.session.get(ApiKey, created["id"]).last_used_at is not None
    events = db.session.query(AuditEvent).filter_by(action="api_key.create").all()
    assert events and key not in str([e.details for e in events])


def test_a_revoked_key_stops_working_at_once(client, world):
    headers = world.headers["vendor_key"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.delete(f"/api/v1/api-keys/{world.api_key.id}", headers=world.headers["vendor_admin"])
    assert response.status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, contains="revoked")
    assert_error(client.delete(f"/api/v1/api-keys/{world.api_key.id}", headers=world.headers["vendor_admin"]), 409)


def test_a_key_cannot_mint_keys(client, world):
    response = client.post(
        f"/api/v1/vendors/{world.vendor.id}/api-keys", json={"name": "x"}, headers=world.headers["vendor_key"]
    )
    assert_error(response, 403)


def test_an_api_key_used_only_for_a_refused_call_still_shows_its_last_use(client, world):
    from gpo.auth.models import ApiKey

    db.session.execute(ApiKey.__table__.update().values(last_used_at=None))
    db.session.commit()
    refused = client.get(f"/api/v1/vendors/{world.other_vendor.id}/api-keys", headers=world.headers["vendor_key"])
    assert refused.status_code in (403, 404)  # the request's own work rolls back...
    db.session.expire_all()
    assert db.session.get(ApiKey, world.api_key.id).last_used_at is not None  # ...its key's last use does not


def test_an_mso_admin_lists_a_vendors_keys_but_neither_creates_nor_revokes_them(client, world):
    listed = client.get(f"/api/v1/vendors/{world.vendor.id}/api-keys", headers=world.headers["mso_admin"])
    assert listed.status_code == 200
    assert [k["id"] for k in listed.get_json()] == [world.api_key.id] and "key" not in listed.get_json()[0]
    assert client.post(f"/api/v1/vendors/{world.vendor.id}/api-keys", json={"name": "x"},
                       headers=world.headers["mso_admin"]).status_code == 403
    assert client.delete(f"/api/v1/api-keys/{world.api_key.id}", headers=world.headers["mso_admin"]).status_code == 403


# --- the caller is read anew by every request (no cache): changes take effect at once ------


@pytest.fixture
def pages(app, world):
    """`pages.as_(name)`: a browser session signed in as world.users[name]."""
    return Pages(app, world)


def _set_roles(user, *roles):
    from gpo.accounts.models import UserRole

    db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == user.id))
    db.session.add_all(UserRole(user_id=user.id, role=role) for role in roles)
    db.session.commit()


def test_a_key_revoked_in_the_database_is_refused_at_the_very_next_request(client, world):
    headers = world.headers["vendor_key"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.execute(ApiKey.__table__.update().where(ApiKey.id == world.api_key.id)
                       .values(revoked_at=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, contains="revoked")
    assert_error(client.get("/api/v1/products", headers=headers), 401, contains="revoked")


def test_a_deactivated_user_is_refused_at_the_very_next_request(client, pages, world):
    user, headers = world.users["practice_admin"], world.headers["practice_admin"]
    page = pages.as_("practice_admin")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert page.get("/practice").status_code == 200
    user.active = False
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401)
    response = page.get("/practice")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_role_change_takes_effect_at_the_very_next_request(client, pages, world):
    user, headers = world.users["practice_admin"], world.headers["practice_admin"]
    users_url = f"/api/v1/practices/{world.practice.id}/users"
    page = pages.as_("practice_admin")
    assert client.get(users_url, headers=headers).status_code == 200
    assert page.get("/practice").status_code == 200

    _set_roles(user, "practice_buyer")
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["practice_buyer"]
    assert_error(client.get(users_url, headers=headers), 403)
    assert page.get("/practice").status_code == 403

    _set_roles(user, "practice_admin", "practice_physician")
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["practice_admin", "practice_physician"]
    assert client.get(users_url, headers=headers).status_code == 200
    assert page.get("/practice").status_code == 200

    _set_roles(user)  # no role at all: still the user, allowed nothing of an admin's
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == [] and me["user"]["roles"] == []
    assert_error(client.get(users_url, headers=headers), 403)


def test_a_caller_of_another_organization_still_gets_404(client, pages, world):
    from tests.factories import ProductFactory

    other_product = ProductFactory(vendor_id=world.other_vendor.id)
    db.session.commit()
    assert_error(client.get(f"/api/v1/practices/{world.practice.id}",
                            headers=world.headers["other_practice_admin"]), 404)
    assert_error(client.get(f"/api/v1/practices/{world.practice.id}/users",
                            headers=world.headers["other_practice_admin"]), 404)
    assert_error(client.get(f"/api/v1/products/{other_product.id}", headers=world.headers["vendor_key"]), 404)
    assert_error(client.get(f"/api/v1/vendors/{world.other_vendor.id}/api-keys",
                            headers=world.headers["vendor_admin"]), 404)
    assert client.get(f"/api/v1/products/{other_product.id}",
                      headers=world.headers["other_vendor_key"]).status_code == 200
    # a page signed in with another vendor's session
    page = pages.as_("other_vendor_admin")
    assert page.get(f"/portal/api-keys/{world.api_key.id}/revoke").status_code == 404


def test_me_shows_the_rows_authentication_read(client, world):
    """/me answers from the rows authentication loaded (no second read): the same values
    the database holds, for a user and for an API key."""
    me = client.get("/api/v1/me", headers=world.headers["practice_admin"]).get_json()
    user = world.users["practice_admin"]
    assert me["user"]["id"] == user.id and me["user"]["email"] == user.email and me["user"]["roles"] == ["practice_admin"]
    assert me["organization"] == {"id": world.practice.id, "name": "Lakeside", "org_type": "practice"}
    assert me["api_key"] is None
    me = client.get("/api/v1/me", headers=world.headers["vendor_key"]).get_json()
    assert me["organization"] == {"id": world.vendor.id, "name": "Acme", "org_type": "vendor"}
    assert me["api_key"]["id"] == world.api_key.id and me["user"] is None
