"""The fee-schedule PUTs do what the OpenAPI document says. The MSO default: every
field required, none null. A practice: every field optional, null or absent inherits
the default, `{}` inherits every default; the body (a JSON object) is required."""
from tests.helpers import assert_error

DEFAULT = "/api/v1/fee-schedules/default"


def _spec_body(client, path):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"][path]["put"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    return body, spec["components"]["schemas"][ref]


def test_the_default_needs_every_field_in_the_spec_and_on_the_server(billing):  # noqa: F811
    body, schema = _spec_body(billing.client, DEFAULT)
    assert body["required"] is True
    assert set(schema["required"]) == {"service_fee_percent", "monthly_membership_cents", "pmpm_cents"}
    assert not any(p.get("nullable") for p in schema["properties"].values())
    no_body = assert_error(billing.client.put(DEFAULT, headers=billing.finance), 422, contains="needs a JSON body")
    assert no_body["errors"] == {"json": {"_schema": ["a JSON object is required"]}}
    for sent in ({}, {"service_fee_percent": None, "monthly_membership_cents": 0, "pmpm_cents": 0}):
        response = billing.client.put(DEFAULT, json=sent, headers=billing.finance)
        errors = assert_error(response, 422)["errors"]["json"]
        assert "service_fee_percent" in errors
    assert billing.client.get(DEFAULT, headers=billing.finance).get_json()["service_fee_percent"] == "2.5000"


def test_a_practice_inherits_what_it_leaves_out_as_the_spec_says(billing):  # noqa: F811
    path = "/api/v1/practices/{practice_id}/fee-schedule"
    body, schema = _spec_body(billing.client, path)
    assert body["required"] is True and "inherits the MSO default" in body["description"]
    assert "required" not in schema
    assert all(schema["properties"][f]["nullable"] for f in ("service_fee_percent", "monthly_membership_cents",
                                                             "pmpm_cents"))
    url = f"/api/v1/practices/{billing.world.other_practice.id}/fee-schedule"
    assert billing.client.get(url, headers=billing.finance).get_json()["overridden"] == ["service_fee_percent"]
    # no body at all: 422, and the overrides stay
    assert_error(billing.client.put(url, headers=billing.finance), 422, contains="needs a JSON body")
    assert_error(billing.client.put(url, data="", content_type="application/json", headers=billing.finance), 422)
    assert billing.client.get(url, headers=billing.finance).get_json()["overridden"] == ["service_fee_percent"]
    # {}: every default
    inherited = billing.client.put(url, json={}, headers=billing.finance)
    assert inherited.status_code == 200
    assert inherited.get_json() == {"practice_id": billing.world.other_practice.id, "service_fee_percent": "2.5000",
                                    "monthly_membership_cents": 15000, "pmpm_cents": 2500, "overridden": []}


def test_a_decimal_sent_as_a_json_number_is_refused_as_the_spec_says(billing):  # noqa: F811
    # The spec says `type: string, format: decimal`; a float (0.1 + 0.2) is not the fee meant.
    for number in (0, 2.5, 0.30000000000000004):
        sent = {"service_fee_percent": number, "monthly_membership_cents": 0, "pmpm_cents": 0}
        errors = assert_error(billing.client.put(DEFAULT, json=sent, headers=billing.finance), 422)["errors"]
        assert "send it as a string" in errors["json"]["service_fee_percent"][0]
    assert billing.client.get(DEFAULT, headers=billing.finance).get_json()["service_fee_percent"] == "2.5000"
    sent = {"service_fee_percent": "3", "monthly_membership_cents": 0, "pmpm_cents": 0}
    assert billing.client.put(DEFAULT, json=sent, headers=billing.finance).get_json()["service_fee_percent"] == "3.0000"
