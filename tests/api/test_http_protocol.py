"""HTTP itself: a 405 says which methods the path allows (`Allow`), and a JSON route
given another media type answers 415, both in the one error shape."""
import json
import re

import pytest
from sqlalchemy import func, select

from gpo.accounts.models import Practice
from gpo.db import db
from tests.factories import CycleFactory
from tests.helpers import assert_error

PRACTICE = {"name": "Hilltop", "tax_id": "12-3456789"}


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/v1/practices", {"GET", "POST"}),
    ("PUT", "/api/v1/orders", {"GET", "POST"}),
    ("GET", "/api/v1/auth/login", {"POST"}),
])
def test_a_405_carries_allow(client, world, method, path, allowed):
    response = client.open(path, method=method, headers=world.headers["mso_admin"])
    assert_error(response, 405)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}, response.headers
    assert method not in response.headers["Allow"]


def _practices():
    return db.session.scalar(select(func.count()).select_from(Practice))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv", None])
def test_json_sent_as_another_media_type_is_415_and_writes_nothing(client, world, content_type):
    before = _practices()
    headers = {**world.headers["mso_admin"], **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/api/v1/practices", data=json.dumps(PRACTICE), headers=headers)
    body = assert_error(response, 415, contains="application/json")
    assert body["status"] == "Unsupported Media Type"
    assert _practices() == before


def test_an_edit_sent_as_text_plain_is_415(client, world):
    url = f"/api/v1/practices/{world.practice.id}"
    etag = client.get(url, headers=world.headers["practice_admin"]).headers["ETag"]
    response = client.patch(url, data=json.dumps({"name": "X"}), content_type="text/plain",
                            headers={**world.headers["practice_admin"], "If-Match": etag})
    assert_error(response, 415)
    assert db.session.get(Practice, world.practice.id).name == "Lakeside"


def test_json_with_a_charset_and_bodyless_posts_still_work(client, world):
    created = client.post("/api/v1/practices", data=json.dumps(PRACTICE),
                          content_type="application/json; charset=utf-8", headers=world.headers["mso_admin"])
    assert created.status_code == 201, created.get_data(as_text=True)
    cycle = CycleFactory()
    for extra in ({}, {"Content-Type": "text/plain"}):
        response = client.post(f"/api/v1/cycles/{cycle.id}/close", headers={**world.headers["mso_procurement"], **extra})
        assert response.status_code in (202, 200), response.get_data(as_text=True)


def test_the_catalog_import_still_takes_csv(client, world):
    csv_body = "sku,name,category,list_price\nCSV-1,Gauze,supplies,3.5000\n"
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", data=csv_body,
                           content_type="text/csv", headers=world.headers["vendor_key"])
    assert response.status_code == 202, response.get_data(as_text=True)
    assert_error(client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", data=csv_body,
                             content_type="text/plain", headers=world.headers["vendor_key"]), 415)



def test_every_route_whose_body_is_required_answers_422_without_one(client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body or not body.get("required") or operation["operationId"] in (
                    "receive_stripe_webhook", "import_catalog", "submit_cxml"):
                continue
            # (the catalog import reads JSON or CSV itself: no body is a 415 there; POST /cxml
            # reads XML and answers in cXML, tests/notifications/test_cxml_hostile.py)
            url = re.sub(r"\{[^}]+\}", "1", path)
            headers = {**world.headers["mso_admin"], "Idempotency-Key": f"no-body-{checked}", "If-Match": '"x"'}
            response = client.open(url, method=method.upper(), headers=headers)
            error = assert_error(response, 422, contains="needs a JSON body")
            assert error["errors"] == {"json": {"_schema": ["a JSON object is required"]}}, (method, path)
            checked += 1
    assert checked >= 40
