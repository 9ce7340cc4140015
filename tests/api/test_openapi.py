"""The OpenAPI document as a generated client needs it: operationIds, the errors each
operation returns, If-Match and Idempotency-Key, and the response headers."""
import json
import re

import pytest

from gpo.openapi import operation_id

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _resolve(spec, obj):
    while "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = spec["components"][section][name]
    return obj


def _params(spec, operation):
    return {p["name"]: p for p in (_resolve(spec, p) for p in operation.get("parameters", []))}


def test_every_operation_has_a_unique_readable_operation_id(spec):
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids)) > 100
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids)
    by_id = {op["operationId"]: (m, p) for m, p, op in _operations(spec)}
    assert by_id["approve_order"] == ("post", "/api/v1/orders/{order_id}/approve")
    assert by_id["list_invoices"] == ("get", "/api/v1/invoices")
    assert by_id["create_practice_location"] == ("post", "/api/v1/practices/{practice_id}/locations")
    assert by_id["get_order"] == ("get", "/api/v1/orders/{order_id}")
    assert by_id["update_product"] == ("patch", "/api/v1/products/{product_id}")
    assert by_id["close_cycle"] == ("post", "/api/v1/cycles/{cycle_id}/close")


@pytest.mark.parametrize("method, path, expected", [
    ("get", "/api/v1/purchase-orders", "list_purchase_orders"),
    ("get", "/api/v1/vendors/{vendor_id}/users", "list_vendor_users"),
    ("post", "/api/v1/vendors/{vendor_id}/api-keys", "create_vendor_api_key"),
    ("post", "/api/v1/invoices/{invoice_id}/finalize", "finalize_invoice"),
    ("delete", "/api/v1/products/{product_id}", "deactivate_product"),
    ("post", "/api/v1/staffing/shift-requests/{request_id}/auto-assign", "auto_assign_shift_request"),
])
def test_operation_id_rule(method, path, expected):
    assert operation_id(method, path) == expected


def test_each_operation_documents_the_errors_it_returns_in_the_error_shape(spec):
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        secured = operation.get("security") != []
        where = (method, path)
        if secured:
            assert "401" in responses, where
        if secured and "{" in path:
            assert {"403", "404"} <= set(responses), where
        if "requestBody" in operation and operation["operationId"] != "receive_stripe_webhook":
            assert {"400", "413", "415", "422"} <= set(responses), where
        if secured and method != "get":
            assert "409" in responses, where
        for code, response in responses.items():
            if operation["operationId"] == "submit_cxml":  # cXML answers its errors in a cXML Response
                assert list(_resolve(spec, response)["content"]) == ["application/xml"], where
            elif code[0] in "45" or code == "default":
                body = _resolve(spec, response)
                assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, where
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == [] and {"401", "422", "429"} <= set(login["responses"])
    webhook = spec["paths"]["/api/v1/webhooks/stripe"]["post"]
    assert webhook["security"] == [] and set(webhook["responses"]) == {"200", "400", "413", "default"}
    assert _params(spec, webhook)["Stripe-Signature"]["required"] is True
    assert webhook["requestBody"]["content"]["application/json"]["schema"]["required"] == ["id", "type", "data"]


def test_if_match_is_a_required_parameter_with_412_and_428_wherever_the_version_matters(spec):
    with_if_match = set()
    for method, path, operation in _operations(spec):
        params = _params(spec, operation)
        if "If-Match" in params:
            with_if_match.add(operation["operationId"])
            assert params["If-Match"]["required"] is True
            assert {"412", "428"} <= set(operation["responses"]), (method, path)
    assert {"approve_order", "update_order", "update_product", "update_practice", "update_provider",
            "update_vendor", "update_staff_member"} <= with_if_match


def test_idempotency_key_is_declared_with_its_limits(spec):
    declared = 0
    for _, _, operation in _operations(spec):
        key = _params(spec, operation).get("Idempotency-Key")
        if key:
            declared += 1
            assert key["schema"]["maxLength"] == 255 and key["schema"]["minLength"] == 1
            assert re.fullmatch(key["schema"]["pattern"], "5f0c6d1e-7d7e-4c55-9f0a-1f6f2d8b9a10")
            assert not re.fullmatch(key["schema"]["pattern"], "two words")
        if key and key["required"]:
            assert "428" in operation["responses"], operation["operationId"]
    assert declared >= 10
    order = _params(spec, spec["paths"]["/api/v1/orders"]["post"])["Idempotency-Key"]
    assert order["required"] is True


def test_a_key_outside_the_documented_pattern_is_refused(client, world):
    response = client.post("/api/v1/cycles", headers={**world.headers["mso_admin"], "Idempotency-Key": "two words"},
                           json={"name": "x"})
    assert response.status_code == 422
    assert "visible ASCII" in response.get_json()["message"]


def test_response_headers_are_documented(spec):
    headers = spec["components"]["headers"]
    assert headers["PAGINATION"]["schema"] == {"type": "string"}
    assert json.loads(headers["PAGINATION"]["example"])["total"] == 42
    for method, path, operation in _operations(spec):
        for code, response in operation["responses"].items():
            assert "X-Request-Id" in _resolve(spec, response).get("headers", {}), (method, path, code)
    order = spec["paths"]["/api/v1/orders/{order_id}"]
    assert "ETag" in order["get"]["responses"]["200"]["headers"]
    assert "X-Pagination" in spec["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["headers"]


def test_the_pagination_header_is_the_documented_json_string(client, world):
    response = client.get("/api/v1/practices", headers=world.headers["mso_admin"])
    meta = json.loads(response.headers["X-Pagination"])
    assert {"total", "total_pages", "first_page", "last_page", "page"} <= set(meta)


def test_every_request_body_has_a_whole_example_that_fits_its_schema(spec):
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    for method, path, operation in _operations(spec):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            assert "example" in media, (method, path, media_type)
            if media_type == "application/json":
                validator = OAS30Validator({**media["schema"], "components": spec["components"]},
                                           format_checker=oas30_format_checker)
                errors = [e.message for e in validator.iter_errors(media["example"])]
                assert not errors, (method, path, errors)


def test_the_date_range_the_server_keeps_is_documented(spec):
    shift = spec["components"]["schemas"]["ShiftRequestIn"]["properties"]["starts_at"]
    assert "Between 1900-01-01 and 2999-12-31." in shift["description"]
    statement = _params(spec, spec["paths"]["/api/v1/vendors/{vendor_id}/statements"]["get"])
    assert "2999-12-31" in statement["to"]["schema"]["description"]
