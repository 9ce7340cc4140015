"""What every endpoint shares: the error shape, request ids, the OpenAPI document."""
from openapi_spec_validator import validate

from tests.helpers import assert_error


def test_unknown_paths_and_methods_answer_in_the_error_shape(client, world):
    assert_error(client.get("/api/v1/no-such-thing", headers=world.headers["mso_admin"]), 404)
    assert_error(client.delete("/api/v1/practices", headers=world.headers["mso_admin"]), 405)
    assert_error(client.get("/api/v1/practices/999999", headers=world.headers["mso_admin"]), 404, contains="practice 999999")


def test_every_response_carries_a_request_id(client, world):
    generated = client.get("/api/v1/me", headers=world.headers["mso_admin"])
    assert len(generated.headers["X-Request-Id"]) == 32
    echoed = client.get("/api/v1/me", headers={**world.headers["mso_admin"], "X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    unsafe = client.get("/api/v1/me", headers={**world.headers["mso_admin"], "X-Request-Id": "<script>"})
    assert unsafe.headers["X-Request-Id"] != "<script>"
    assert client.get("/api/v1/nope").headers["X-Request-Id"]


def test_a_crash_is_a_500_in_the_error_shape_without_internals(test_config, db_ctx):
    from gpo import create_app

    app = create_app({**test_config, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/api/v1/boom")
    def boom():
        raise RuntimeError("password=hunter2 at /secret/path.py line 3")

    app.view_functions["boom"].public = True
    response = app.test_client().get("/api/v1/boom")
    body = assert_error(response, 500)
    assert "hunter2" not in response.get_data(as_text=True)
    assert body["status"] == "Internal Server Error"
    assert response.headers["X-Request-Id"]


def test_the_openapi_document_validates_and_documents_errors(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert "/api/v1/auth/login" in spec["paths"]
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == []
    params = {p["name"] for p in spec["paths"]["/api/v1/practices"]["post"]["parameters"]}
    assert "Idempotency-Key" in params
    assert "Error" in spec["components"]["schemas"]
    example = spec["components"]["schemas"]["Practice"]["properties"]["tax_id"]["example"]
    assert example == "12-3456789"
    # exact decimals travel as strings, and the spec says so (clients must not read floats)
    for schema, field in (("Product", "list_price"), ("Tier", "discount_percent"), ("Contract", "admin_fee_percent"),
                          ("Enrollment", "fte"), ("Quote", "step_factor"), ("GroupBand", "percent")):
        assert spec["components"]["schemas"][schema]["properties"][field]["type"] == "string", (schema, field)
    program = spec["components"]["schemas"]["Program"]["properties"]
    assert program["step_factors"]["example"] == ["0.35", "0.60", "0.80", "0.90", "1.00"]
    assert spec["paths"]["/api/v1/insurance/programs/{program_id}/bind"]["post"]["responses"]["202"]
    assert spec["paths"]["/api/v1/staffing/cost-runs"]["post"]["responses"]["202"]
    assert spec["components"]["schemas"]["ShiftRequestIn"]["properties"]["starts_at"]["example"] == "2027-01-12T14:00:00Z"


def test_swagger_ui_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()
