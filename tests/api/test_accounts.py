"""Practices, locations, providers, users and vendors over HTTP, with their bad input."""
from sqlalchemy import func, select

from gpo.accounts.models import Practice, Provider, User
from gpo.audit import AuditEvent
from gpo.db import db
from gpo.identifiers import npi_with_check_digit
from tests.factories import PracticeFactory
from tests.helpers import assert_error

PRACTICE = {"name": "Hilltop Internal Medicine", "tax_id": "12-3456789", "joined_on": "2026-03-01"}
LOCATION = {"name": "Hilltop", "line1": "5 Hill Rd", "city": "Verona", "state": "WI", "postal_code": "53593"}
PROVIDER = {"first_name": "Eve", "last_name": "Ng", "npi": "1234567893", "specialty": "internal_medicine",
            "active_from": "2026-01-01"}


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_mso_admin_admits_a_practice_and_it_is_audited(client, world):
    response = client.post("/api/v1/practices", json=PRACTICE, headers=world.headers["mso_admin"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == PRACTICE["name"] and body["status"] == "active" and body["joined_on"] == "2026-03-01"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.create")).one()
    assert event.object_id == body["id"] and event.actor_user_id == world.users["mso_admin"].id
    assert event.organization_id == body["id"] and event.request_id == response.headers["X-Request-Id"]


def test_practice_users_see_only_their_practice_in_lists(client, world):
    PracticeFactory.create_batch(3)
    mine = client.get("/api/v1/practices", headers=world.headers["practice_buyer"]).get_json()
    assert [p["id"] for p in mine] == [world.practice.id]
    response = client.get("/api/v1/practices?page_size=2", headers=world.headers["mso_finance"])
    assert len(response.get_json()) == 2
    assert '"total": 5' in response.headers["X-Pagination"]


def test_page_size_is_capped_at_100(client, world):
    assert_error(client.get("/api/v1/practices?page_size=101", headers=world.headers["mso_admin"]), 422)
    assert client.get("/api/v1/practices?page_size=100", headers=world.headers["mso_admin"]).status_code == 200


def test_updating_needs_the_current_etag(client, world):
    url = f"/api/v1/practices/{world.practice.id}"
    headers = world.headers["practice_admin"]
    etag = client.get(url, headers=headers).headers["ETag"]
    assert_error(client.patch(url, json={"name": "Lakeside FM"}, headers=headers), 428)
    ok = client.patch(url, json={"name": "Lakeside FM"}, headers={**headers, "If-Match": etag})
    assert ok.status_code == 200 and ok.get_json()["name"] == "Lakeside FM"
    assert ok.headers["ETag"] != etag
    stale = client.patch(url, json={"name": "Again"}, headers={**headers, "If-Match": etag})
    assert_error(stale, 412)
    assert db.session.get(Practice, world.practice.id).name == "Lakeside FM"


def test_only_mso_admins_suspend_a_practice(client, world):
    url = f"/api/v1/practices/{world.practice.id}"
    etag = client.get(url, headers=world.headers["practice_admin"]).headers["ETag"]
    assert_error(
        client.patch(url, json={"status": "suspended"}, headers={**world.headers["practice_admin"], "If-Match": etag}),
        403,
    )
    response = client.patch(url, json={"status": "suspended"}, headers={**world.headers["mso_admin"], "If-Match": etag})
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.update")).one()
    assert event.details == {"status": ["active", "suspended"]}


def test_practice_admin_adds_locations_and_providers(client, world):
    pid = world.practice.id
    headers = world.headers["practice_admin"]
    loc = client.post(f"/api/v1/practices/{pid}/locations", json=LOCATION, headers=headers)
    assert loc.status_code == 201 and loc.get_json()["practice_id"] == pid
    dup = client.post(f"/api/v1/practices/{pid}/locations", json=LOCATION, headers=headers)
    assert_error(dup, 409)
    prov = client.post(f"/api/v1/practices/{pid}/providers", json=PROVIDER, headers=headers)
    assert prov.status_code == 201 and prov.get_json()["npi"] == "1234567893"
    assert_error(client.post(f"/api/v1/practices/{pid}/providers", json=PROVIDER, headers=headers), 409)
    listed = client.get(f"/api/v1/practices/{pid}/providers", headers=world.headers["practice_buyer"]).get_json()
    assert "1234567893" in [p["npi"] for p in listed]


def test_invalid_npi_and_dates_are_refused_and_write_nothing(client, world):
    pid = world.practice.id
    headers = world.headers["practice_admin"]
    before = count(Provider)
    for bad in ({"npi": "1234567890"}, {"npi": "12345"}, {"npi": 1234567893},
                {"active_to": "2025-01-01"}, {"specialty": "Family Medicine!"}):
        body = assert_error(client.post(f"/api/v1/practices/{pid}/providers", json={**PROVIDER, **bad}, headers=headers), 422)
        assert body["errors"]
    assert count(Provider) == before


def test_provider_leaves_with_active_to(client, world):
    url = f"/api/v1/providers/{world.provider.id}"
    headers = world.headers["practice_admin"]
    etag = client.get(url, headers=headers).headers["ETag"]
    response = client.patch(url, json={"active_to": "2026-06-30"}, headers={**headers, "If-Match": etag})
    assert response.status_code == 200 and response.get_json()["active_to"] == "2026-06-30"
    etag = response.headers["ETag"]
    bad = client.patch(url, json={"active_to": "2025-06-30"}, headers={**headers, "If-Match": etag})
    assert_error(bad, 422)


def test_org_admins_add_users_with_roles_of_their_kind(client, world):
    pid = world.practice.id
    body = {"email": "New.Buyer@Example.test", "name": "New Buyer", "password": "long-enough-password",
            "roles": ["practice_buyer"]}
    response = client.post(f"/api/v1/practices/{pid}/users", json=body, headers=world.headers["practice_admin"])
    assert response.status_code == 201
    created = response.get_json()
    assert created["email"] == "new.buyer@example.test" and created["roles"] == ["practice_buyer"]
    assert "password" not in created
    user = db.session.get(User, created["id"])
    assert user.password_hash.startswith("$argon2id$")
    assert_error(client.post(f"/api/v1/practices/{pid}/users", json=body, headers=world.headers["practice_admin"]), 409)
    wrong_kind = {**body, "email": "x@example.test", "roles": ["mso_admin"]}
    assert_error(client.post(f"/api/v1/practices/{pid}/users", json=wrong_kind, headers=world.headers["practice_admin"]),
                 422, contains="mso_admin")
    secrets = db.session.scalars(select(AuditEvent.details)).all()
    assert "long-enough-password" not in str(secrets)


def test_mso_and_vendor_users(client, world):
    mso_user = {"email": "sched@example.test", "name": "S", "password": "long-enough-password", "roles": ["mso_scheduler"]}
    assert client.post("/api/v1/mso/users", json=mso_user, headers=world.headers["mso_admin"]).status_code == 201
    assert len(client.get("/api/v1/mso/users", headers=world.headers["mso_admin"]).get_json()) == 4
    assert_error(client.get("/api/v1/mso/users", headers=world.headers["practice_admin"]), 404)
    vendor_user = {**mso_user, "email": "v2@example.test", "roles": ["vendor_admin"]}
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/users", json=vendor_user, headers=world.headers["vendor_admin"])
    assert response.status_code == 201


def test_vendors_are_managed_by_mso_and_see_only_themselves(client, world):
    response = client.post("/api/v1/vendors", json={"name": "Keystone Mutual", "kind": "carrier"},
                           headers=world.headers["mso_procurement"])
    assert response.status_code == 201 and response.get_json()["kind"] == "carrier"
    assert len(client.get("/api/v1/vendors?kind=carrier", headers=world.headers["mso_admin"]).get_json()) == 1
    mine = client.get("/api/v1/vendors", headers=world.headers["vendor_key"]).get_json()
    assert [v["id"] for v in mine] == [world.vendor.id]
    url = f"/api/v1/vendors/{world.vendor.id}"
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    assert_error(client.patch(url, json={"kind": "carrier"}, headers={**world.headers["vendor_admin"], "If-Match": etag}), 403)
    ok = client.patch(url, json={"name": "Acme Medical"}, headers={**world.headers["vendor_admin"], "If-Match": etag})
    assert ok.status_code == 200 and ok.get_json()["name"] == "Acme Medical"
    assert_error(client.post("/api/v1/vendors", json={"name": "X", "kind": "bank"}, headers=world.headers["mso_admin"]), 422)


def test_bad_bodies_get_their_4xx_and_write_nothing(client, world):
    headers = world.headers["mso_admin"]
    before = count(Practice)
    cases = [
        (b"{not json", "application/json", 400),
        (b'{"name": 5, "tax_id": "12-3456789"}', "application/json", 422),
        (b'{"name": "A", "tax_id": "123"}', "application/json", 422),
        (b'{"name": "A", "tax_id": "12-3456789", "owner": "me"}', "application/json", 422),
        (b'["not", "an", "object"]', "application/json", 422),
        (b'{"name": "' + b"x" * 300 + b'", "tax_id": "12-3456789"}', "application/json", 422),
    ]
    for data, content_type, status in cases:
        assert_error(client.post("/api/v1/practices", data=data, content_type=content_type, headers=headers), status)
    assert count(Practice) == before


def test_an_oversized_body_is_413(client, world, app):
    huge = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    response = client.post("/api/v1/practices", data=huge, content_type="application/json", headers=world.headers["mso_admin"])
    assert_error(response, 413)


def test_npi_helper_matches_the_validator():
    assert npi_with_check_digit("123456789") == "1234567893"
