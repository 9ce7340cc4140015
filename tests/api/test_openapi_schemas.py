"""The OpenAPI document's schemas are fit for generated clients: request bodies and
answers are separate schemas, an answer lists in `required` what the server always
sends, every schema has examples and every example fits its schema."""
from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

# Components flask-smorest itself registers (the error body and the X-Pagination
# header), documented by the API plumbing, not by gpo/*/schemas.py.
PLUMBING: set[str] = set()
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(app):
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _refs(node, out: set) -> set:
    if isinstance(node, dict):
        if "$ref" in node:
            out.add(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


def _closure(spec, names: set) -> set:
    schemas, seen, todo = spec["components"]["schemas"], set(), list(names)
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo.extend(_refs(schemas[name], set()))
    return seen


def _response_schemas(spec) -> set:
    roots = set()
    for _, op in _operations(spec):
        for response in op["responses"].values():
            _refs(response.get("content", {}).get("application/json", {}), roots)
    return _closure(spec, roots) - PLUMBING


def _request_schemas(spec) -> set:
    roots = set()
    for _, op in _operations(spec):
        _refs(op.get("requestBody", {}), roots)
    return _closure(spec, roots)


def _is_ref(prop: dict) -> bool:
    """A (nullable) reference or a list of them: the referenced schema has the examples."""
    if "$ref" in prop:
        return True
    if len(prop.get("allOf", [])) == 1 and "$ref" in prop["allOf"][0]:
        return True
    if len(prop.get("anyOf", [])) == 2 and "$ref" in prop["anyOf"][0] and prop["anyOf"][1].get("enum") == [None]:
        return True
    return prop.get("type") == "array" and _is_ref(prop.get("items", {}))


def _validator(spec, schema: dict) -> OAS30Validator:
    return OAS30Validator({**schema, "components": spec["components"]}, format_checker=oas30_format_checker)


def test_requests_and_answers_are_separate_schemas(spec):
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            # readOnly/writeOnly would mean one schema for both directions: a generated
            # model then requires (or sends) what only one direction has.
            assert not prop.get("readOnly") and not prop.get("writeOnly"), (name, field)
    shared = _response_schemas(spec) & _request_schemas(spec)
    assert shared <= {"Rate", "ClaimsFreeCredit", "GroupBand"}, shared  # the same fields both ways
    assert "password" not in spec["components"]["schemas"]["User"]["properties"]
    assert "password" in spec["components"]["schemas"]["UserCreate"]["required"]


def test_every_answer_lists_what_is_always_sent_as_required(spec):
    schemas = spec["components"]["schemas"]
    for name in _response_schemas(spec):
        schema = schemas[name]
        assert schema.get("required"), f"{name}: no required fields"
        assert set(schema["required"]) <= set(schema["properties"]), name
    user = schemas["User"]
    assert set(user["required"]) == set(user["properties"])
    invoice = schemas["Invoice"]
    assert {"number", "subtotal_cents", "lines"} <= set(invoice["required"])
    assert invoice["properties"]["number"]["nullable"] is True
    # the carrier sees only underwriting fields: the rest are optional
    enrollment = schemas["Enrollment"]
    assert "premium_cents" in enrollment["required"] and "quote" not in enrollment["required"]


def test_me_is_typed(spec):
    me = spec["components"]["schemas"]["Me"]["properties"]
    for field, target in (("user", "User"), ("api_key", "ApiKey")):
        ref, null = me[field]["anyOf"]
        assert ref == {"$ref": f"#/components/schemas/{target}"}, field
        assert null == {"type": "object", "nullable": True, "enum": [None]} and "allOf" not in me[field]
        # a strict OpenAPI 3.0 validator takes null, and refuses what is neither null nor the object
        assert _validator(spec, me[field]).is_valid(None)
        assert not _validator(spec, me[field]).is_valid("x")
    assert {"user", "api_key"} <= set(spec["components"]["schemas"]["Me"]["required"])


def test_every_schema_has_examples_that_fit(spec):
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        if name in PLUMBING:
            continue
        props = schema.get("properties", {})
        assert "example" in schema or (props and all("example" in p or _is_ref(p) for p in props.values())), name
        for field, prop in props.items():
            if "example" in prop:
                errors = [e.message for e in _validator(spec, prop).iter_errors(prop["example"])]
                assert not errors, (name, field, errors)


def test_every_request_body_has_an_example_that_fits(spec):
    schemas = spec["components"]["schemas"]
    for operation, op in _operations(spec):
        for media_type, content in op.get("requestBody", {}).get("content", {}).items():
            schema = content["schema"]
            if "example" in content:
                errors = [e.message for e in _validator(spec, schema).iter_errors(content["example"])]
                assert not errors, (operation, media_type, errors)
            else:
                assert "$ref" in schema, (operation, media_type)
                assert schemas[schema["$ref"].rsplit("/", 1)[-1]].get("properties"), operation


def test_decimals_are_strings_and_money_is_cents(spec):
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if field.endswith("_cents"):
                assert prop["type"] == "integer", (name, field)
            if prop.get("format") == "decimal":
                assert prop["type"] == "string", (name, field)
    invoice = spec["components"]["schemas"]["Invoice"]["properties"]
    assert invoice["service_fee_percent"]["format"] == "decimal"
    assert "fee lines included" in invoice["subtotal_cents"]["description"]


def test_the_csv_catalog_import_is_documented_beside_the_typed_json_body(spec):
    body = spec["paths"]["/api/v1/vendors/{vendor_id}/catalog-imports"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ImportRequest"}
    products = spec["components"]["schemas"]["ImportRequest"]["properties"]["products"]
    assert products["items"] == {"$ref": "#/components/schemas/ProductCreate"}
    csv = body["content"]["text/csv"]
    assert csv["schema"]["type"] == "string" and csv["schema"]["format"] == "binary"
    assert csv["example"].startswith("sku,name,category,list_price")
