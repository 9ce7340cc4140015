"""Input meant to break things gets a clear 4xx in the error shape, never a 500."""
import hashlib
import json

import pytest
from sqlalchemy import select, text

from gpo.db import db
from gpo.idempotency import IdempotencyRecord
from tests.helpers import assert_error

HUGE = 99999999999999999999


@pytest.mark.parametrize("path, status", [
    (f"/api/v1/products/{HUGE}", 404),
    (f"/api/v1/practices/{HUGE}/locations", 404),
    (f"/api/v1/products?vendor_id={HUGE}", 422),
    (f"/api/v1/audit-events?object_id={HUGE}", 422),
    ("/api/v1/products?vendor_id=1.5", 422),
    ("/api/v1/products?vendor_id=true", 422),
])
def test_ids_too_large_for_the_database(client, world, path, status):
    assert_error(client.get(path, headers=world.headers["mso_admin"]), status)


def test_an_absurd_page_is_just_empty(client, world):
    response = client.get(f"/api/v1/products?page={2**62}", headers=world.headers["mso_admin"])
    assert response.status_code == 200 and response.get_json() == []


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/practices"])
def test_deeply_nested_json_is_400(client, world, path):
    response = client.post(path, data="[" * 100_000, content_type="application/json", headers=world.headers["mso_admin"])
    assert_error(response, 400)


def test_deeply_nested_json_import_is_refused(client, world):
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", data="[" * 100_000,
                           content_type="application/json", headers=world.headers["vendor_key"])
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/v1/auth/login", {"email": "a\u0000b@example.test", "password": "x"}),
    ("POST", "/api/v1/practices", {"name": "Bad\u0000Name", "tax_id": "12-3456789"}),
])
def test_nul_characters_are_refused(client, world, method, path, body):
    assert_error(client.open(path, method=method, json=body, headers=world.headers["mso_admin"]), 422, contains="NUL")


def test_nul_in_a_search_is_refused(client, world):
    assert_error(client.get("/api/v1/products?q=a%00b", headers=world.headers["practice_buyer"]), 422)


@pytest.mark.parametrize("field, value", [("npi", "1\u00b234567893"), ("npi", "\u0661234567893")])
def test_non_ascii_digits_in_an_npi(client, world, field, value):
    body = {"first_name": "A", "last_name": "B", "npi": value, "specialty": "pediatrics", "active_from": "2026-01-01"}
    assert_error(client.post(f"/api/v1/practices/{world.practice.id}/providers", json=body,
                             headers=world.headers["practice_admin"]), 422)


PRODUCT = {"sku": "X-1", "name": "X", "category": "supplies", "list_price": "12.5"}


@pytest.mark.parametrize("field, value", [
    ("gtin", "0001234567890\u00b2"), ("order_multiple", 1.5), ("min_order_quantity", "2.5"),
    ("order_multiple", True), ("list_price", 12.123456), ("list_price", "\u0661\u0662"), ("list_price", "\uff11\uff12"),
    ("list_price", True), ("list_price", "100000000"),
])
def test_product_fields_that_would_be_silently_mangled(client, world, field, value):
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/products", json={**PRODUCT, field: value},
                           headers=world.headers["vendor_key"])
    assert_error(response, 422)


def test_prices_come_back_with_their_four_places_even_when_replayed(client, world):
    headers = {**world.headers["vendor_key"], "Idempotency-Key": "price-1"}
    first = client.post(f"/api/v1/vendors/{world.vendor.id}/products", json=PRODUCT, headers=headers)
    again = client.post(f"/api/v1/vendors/{world.vendor.id}/products", json=PRODUCT, headers=headers)
    assert first.get_json()["list_price"] == again.get_json()["list_price"] == "12.5000"
    assert again.headers["Idempotent-Replayed"] == "true"


def test_sqlite_keeps_prices_exact_not_as_floats(client, world):
    client.post(f"/api/v1/vendors/{world.vendor.id}/products", json={**PRODUCT, "list_price": "0.1001"},
                headers=world.headers["vendor_key"])
    if db.engine.dialect.name == "sqlite":
        kind, stored = db.session.execute(text("SELECT typeof(list_price), list_price FROM products")).one()
        assert (kind, stored) == ("integer", 1001)
    else:
        kind = db.session.execute(text("SELECT pg_typeof(list_price)::text FROM products")).scalar()
        assert kind == "numeric"


def test_api_keys_are_never_stored_for_replay(client, world):
    headers = {**world.headers["vendor_admin"], "Idempotency-Key": "key-1"}
    url = f"/api/v1/vendors/{world.vendor.id}/api-keys"
    first = client.post(url, json={"name": "ERP"}, headers=headers).get_json()["key"]
    second = client.post(url, json={"name": "ERP"}, headers=headers).get_json()["key"]
    assert first != second
    stored = db.session.scalars(select(IdempotencyRecord.response_body)).all()
    assert not any("gpo_" in (body or "") for body in stored)


def test_stored_request_hashes_are_keyed(client, world):
    body = {"email": "new@example.test", "name": "N", "password": "long-enough-password", "roles": ["practice_buyer"]}
    client.post(f"/api/v1/practices/{world.practice.id}/users", json=body,
                headers={**world.headers["practice_admin"], "Idempotency-Key": "u-1"})
    record = db.session.scalars(select(IdempotencyRecord)).one()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert record.request_hash != hashlib.sha256(canonical).hexdigest()
    assert "long-enough-password" not in (record.response_body or "")
