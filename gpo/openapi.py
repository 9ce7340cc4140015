"""The last pass over the OpenAPI document, once every blueprint is registered.

flask-smorest documents each operation from its decorators (arguments, response,
pagination, etag). What holds for every operation alike is added here, in one place,
from the operation's path, method and those decorators, so that a generated client
gets the whole contract:

- an `operationId` for every operation, in the domain's words (`approve_order`,
  `list_invoices`), derived from the path and method (see `operation_id`);
- the error responses each operation can return (401, 403, 404, 409, 412, 413, 415,
  422, 428, 429), each in the one error shape;
- the `If-Match` parameter where a version check happens, the `Idempotency-Key`
  limits, and the response headers `ETag`, `X-Pagination` and `X-Request-Id`;
- `security: []` on the operations reachable without credentials.

A test (`tests/api/test_openapi.py`) checks the result on the served document.
"""
from __future__ import annotations

import re

from flask import Flask

from gpo.api import EARLIEST_DATE, LATEST_DATE

# Segments that are not resources but the API's own namespaces.
_NAMESPACES = {"api", "v1"}
# Path segments that name a thing done to the resource before them (POST .../approve).
_VERBS = {
    "accept", "acknowledge", "approve", "assign", "auto-assign", "bind", "cancel", "close",
    "copy-to-cycle", "dispute", "finalize", "open", "pay", "reject", "release", "submit",
    "terminate", "void",
}
# Names the rule would get wrong or make clumsy (method, path after /api/v1).
_OVERRIDES = {
    ("post", "/auth/login"): "login",
    ("post", "/orders/{order_id}/copy-to-cycle"): "copy_order_to_cycle",
    ("get", "/insurance/programs/{program_id}"): "get_insurance_program",
    ("get", "/leasing/leases/{lease_id}/buyout"): "get_lease_buyout_quote",
    ("post", "/insurance/programs/{program_id}/bind"): "bind_insurance_program",
    ("get", "/staffing/shift-requests"): "list_shift_requests",
    ("post", "/staffing/shift-requests"): "request_shift",
    ("get", "/me"): "get_me",
    ("delete", "/api-keys/{api_key_id}"): "revoke_api_key",
    ("delete", "/products/{product_id}"): "deactivate_product",
    ("post", "/vendors/{vendor_id}/catalog-imports"): "import_catalog",
    ("get", "/catalog-imports/{import_id}"): "get_catalog_import",
    ("post", "/contracts/{contract_id}/proposals"): "create_proposal",
    ("get", "/contracts/{contract_id}/proposals"): "list_proposals",
    ("post", "/contracts/{contract_id}/proposals/{number}/accept"): "accept_proposal",
    ("post", "/contracts/{contract_id}/proposals/{number}/reject"): "reject_proposal",
    ("get", "/contracts/{contract_id}/tier-progress"): "get_tier_progress",
    ("get", "/cycles/{cycle_id}/results"): "get_cycle_results",
    ("post", "/purchase-orders/{purchase_order_id}/shipments"): "ship_purchase_order",
    ("post", "/invoices/{invoice_id}/credit-notes"): "create_credit_note",
    ("get", "/practices/{practice_id}/payment-method"): "get_payment_method",
    ("put", "/practices/{practice_id}/payment-method"): "set_payment_method",
    ("post", "/webhooks/stripe"): "receive_stripe_webhook",
    ("get", "/fee-schedules/default"): "get_default_fee_schedule",
    ("put", "/fee-schedules/default"): "set_default_fee_schedule",
    ("get", "/practices/{practice_id}/fee-schedule"): "get_practice_fee_schedule",
    ("put", "/practices/{practice_id}/fee-schedule"): "set_practice_fee_schedule",
    ("post", "/billing-runs"): "start_billing_run",
    ("post", "/rebates"): "record_rebate",
    ("get", "/practices/{practice_id}/credits"): "get_practice_credits",
    ("get", "/vendors/{vendor_id}/statements"): "get_vendor_statement",
    ("get", "/reports/savings"): "get_savings_report",
    ("get", "/reports/admin-fee-disclosure"): "get_admin_fee_disclosure",
    ("get", "/insurance/programs/{program_id}/group-progress"): "get_group_progress",
    ("post", "/insurance/programs/{program_id}/enrollments"): "enroll_provider",
    ("get", "/insurance/programs/{program_id}/enrollments"): "list_enrollments",
    ("delete", "/insurance/enrollments/{enrollment_id}"): "cancel_enrollment",
    ("get", "/staffing/staff"): "list_staff",
    ("post", "/staffing/staff"): "create_staff_member",
    ("get", "/staffing/staff/{staff_id}"): "get_staff_member",
    ("patch", "/staffing/staff/{staff_id}"): "update_staff_member",
    ("get", "/staffing/staff/{staff_id}/availability"): "list_availability",
    ("post", "/staffing/staff/{staff_id}/availability"): "add_availability",
    ("delete", "/staffing/availability/{availability_id}"): "delete_availability",
    ("post", "/staffing/shift-requests/{request_id}/auto-assign"): "auto_assign_shift_request",
    ("post", "/staffing/assignments/{assignment_id}/timesheet"): "record_timesheet",
    ("post", "/staffing/assignments/{assignment_id}/timesheet/approve"): "approve_timesheet",
    ("post", "/staffing/assignments/{assignment_id}/timesheet/dispute"): "dispute_timesheet",
    ("post", "/staffing/cost-runs"): "start_cost_run",
    ("get", "/jobs/{job_id}"): "get_job",
    ("get", "/leasing/leases"): "list_leases",
    ("post", "/leasing/leases"): "offer_lease",
    ("post", "/leasing/leases/{lease_id}/sign"): "sign_lease",
    ("post", "/leasing/leases/{lease_id}/withdraw"): "withdraw_lease",
}
# Errors the path and method do not tell (operationId -> statuses).
_MORE_ERRORS = {"login": {401, 429}}
# Operations whose errors are these and no others: Stripe's webhook reads the raw body
# itself, and anything it cannot verify or read is a 400.
_EXACT_ERRORS = {"receive_stripe_webhook": {400, 413}}
_METHOD_VERB = {"get": "get", "patch": "update", "put": "set", "delete": "delete"}

PAGINATION_EXAMPLE = ('{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, '
                      '"page": 1, "next_page": 2}')
HEADERS = {
    "X_REQUEST_ID": {
        "description": "The request's id, also in the server's logs and the audit trail: the "
                       "caller's own `X-Request-Id` when it is 1 to 64 of `A-Za-z0-9._:-`, else a new one.",
        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,64}$"},
        "example": "4f1c2a9e8d7b4c0e9a1b2c3d4e5f6a7b",
    },
    "PAGINATION": {
        "description": "Pagination metadata: a JSON object in a string, with `total`, `total_pages`, "
                       "`first_page`, `last_page`, `page` and, where they exist, `previous_page` "
                       "and `next_page`.",
        "schema": {"type": "string"},
        "example": PAGINATION_EXAMPLE,
    },
    "ETAG": {
        "description": "The object's version: send it back in `If-Match` to change it.",
        "schema": {"type": "string"},
        "example": '"3f786850e387550fdab836ed7e6dc881de23001b"',
    },
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The `ETag` of the version you read. Without it the answer is 428; if the object "
                   "changed since, 412; `*` is refused (428), because the version is the point.",
    "schema": {"type": "string"},
    "example": '"3f786850e387550fdab836ed7e6dc881de23001b"',
}
# The answers every error status gets in the document, in the one error shape.
ERROR_DESCRIPTIONS = {
    400: "The body is not readable (malformed JSON, or a Stripe signature that does not match).",
    401: "No credentials, or credentials that are not valid (expired token, revoked key).",
    403: "Your role may see this but not do it.",
    404: "No such object, or one outside your organization.",
    409: "The object's state does not allow it now (for example, the cycle is closed), or the "
         "Idempotency-Key was used with another request.",
    412: "The object changed since you read it: fetch it again and retry with its new ETag.",
    413: "The request body is too large.",
    415: "The body's Content-Type is not one this operation reads (JSON, unless it says otherwise).",
    422: "The request is not valid: `errors` names each field and what is wrong with it.",
    428: "This operation needs `If-Match` (or `Idempotency-Key`) and the request had none.",
    429: "Too many attempts: wait for `Retry-After` seconds.",
}
_STATUS_NAMES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                 409: "CONFLICT", 412: "PRECONDITION_FAILED", 413: "REQUEST_ENTITY_TOO_LARGE",
                 415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE_ENTITY", 428: "PRECONDITION_REQUIRED",
                 429: "TOO_MANY_REQUESTS"}
_WRITES = {"post", "put", "patch", "delete"}


def _singular(segment: str) -> str:
    word = segment.replace("-", "_")
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def operation_id(method: str, path: str) -> str:
    """A readable, stable name: `list_orders`, `create_practice_location`, `get_order`,
    `approve_order`; `_OVERRIDES` for the few the rule names badly."""
    local = path.removeprefix("/api/v1")
    if (method, local) in _OVERRIDES:
        return _OVERRIDES[(method, local)]
    parts = [p for p in local.strip("/").split("/") if p not in _NAMESPACES]
    verb = None
    if method == "post" and parts[-1] in _VERBS:
        verb = parts.pop().replace("-", "_")
    if parts[-1].startswith("{"):  # one object: /orders/{order_id}
        noun = _singular(parts[-2])
        return f"{verb or _METHOD_VERB[method]}_{noun}"
    # a collection: /orders, /practices/{practice_id}/locations, /mso/users
    owner = [p for p in parts[:-1] if not p.startswith("{")]
    prefix = "_".join(_singular(p) for p in owner[-1:])
    collection = parts[-1].replace("-", "_")
    if verb:
        return f"{verb}_{collection}"
    if method == "get":
        return "_".join(filter(None, ["list", prefix, collection]))
    return "_".join(filter(None, ["create", prefix, _singular(parts[-1])]))


def _public_paths(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of the operations reachable without credentials."""
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, "public", False) or getattr(getattr(view, "view_class", None), "public", False):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update((m.lower(), path) for m in rule.methods)
    return found


def _parameters(operation: dict) -> list[dict]:
    return [p for p in operation.get("parameters", []) if isinstance(p, dict)]


def _param_names(operation: dict, components) -> set[str]:
    names = set()
    for param in operation.get("parameters", []):
        if isinstance(param, dict) and "$ref" in param:
            names.add(components.parameters[param["$ref"].rsplit("/", 1)[1]]["name"])
        elif isinstance(param, dict):
            names.add(param["name"])
        else:
            names.add(components.parameters[param]["name"])
    return names


def _errors_of(method: str, path: str, operation: dict, components, public: bool) -> set[int]:
    params = _param_names(operation, components)
    has_body = "requestBody" in operation
    codes: set[int] = set()
    if has_body:
        codes |= {400, 413, 415, 422}
    if any(p.get("in") == "query" for p in _parameters(operation)) or "Idempotency-Key" in params:
        codes.add(422)
    if "If-Match" in params:
        codes |= {412, 428}
    if any(p.get("name") == "Idempotency-Key" and p.get("required") for p in _parameters(operation)):
        codes.add(428)
    codes |= _MORE_ERRORS.get(operation["operationId"], set())
    if public:
        return codes
    codes.add(401)
    if path == "/api/v1/me":
        return codes
    codes.add(403)
    if "{" in path or any(p.get("in") == "query" and p["name"].endswith("_id") for p in _parameters(operation)):
        codes.add(404)
    if method in _WRITES:
        codes.add(409)
    return codes


_NULL = {"type": "object", "nullable": True, "enum": [None]}


def _nullable_refs(schema: dict) -> None:
    """A nested object that may be null: marshmallow gives `nullable` beside `allOf`,
    which OpenAPI 3.0.3 validators read as "not null" (nullable applies to the schema's
    own type only); `anyOf` with a null-only schema says it for every reader."""
    for name, prop in schema.get("properties", {}).items():
        if prop.get("nullable") and len(prop.get("allOf", ())) == 1:
            rest = {k: v for k, v in prop.items() if k not in ("nullable", "allOf")}
            schema["properties"][name] = {"anyOf": [prop["allOf"][0], _NULL], **rest}


def _note_date_range(schema: dict) -> None:
    """Dates and times outside the API's calendar are refused (gpo.api): say so."""
    if schema.get("format") in ("date", "date-time"):
        note = f"Between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
        schema["description"] = f"{schema['description']} {note}" if schema.get("description") else note


def _example_of(components, schema: dict):
    """An example for a schema, built from its own or its fields' examples."""
    if "$ref" in schema:
        return _example_of(components, components.schemas[schema["$ref"].rsplit("/", 1)[1]])
    if "example" in schema:
        return schema["example"]
    for combined in ("allOf", "anyOf"):
        if schema.get(combined):
            return _example_of(components, schema[combined][0])
    if schema.get("type") == "array":
        item = _example_of(components, schema.get("items", {}))
        return [] if item is None else [item]
    if "properties" in schema:
        built = {name: _example_of(components, prop) for name, prop in schema["properties"].items()}
        return {name: value for name, value in built.items() if value is not None}
    return None


def _request_examples(components, operation: dict) -> None:
    """Every JSON request body shows a whole example (the routes give their own where a
    realistic body matters, as API.md's; the rest are built from the fields')."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is not None and "example" not in media and "examples" not in media:
        example = _example_of(components, media["schema"])
        if example is not None:
            media["example"] = example


def _replace(components, kind: str, name: str, value: dict) -> None:
    """Put our own version of a component flask-smorest registers (maybe lazily)."""
    components._subsections_lazy[kind].pop(name, None)
    components._subsections[kind][name] = value


def finish(api, app: Flask) -> None:
    """Complete every operation of `api.spec` (call once, after the last blueprint)."""
    spec = api.spec
    components = spec.components
    for name, header in HEADERS.items():
        _replace(components, "header", name, header)
    _replace(components, "parameter", "IF_MATCH", IF_MATCH)
    request_id = {"X-Request-Id": components.get_ref("header", "X_REQUEST_ID")}
    for status, name in _STATUS_NAMES.items():
        components.get_ref("response", name)  # register flask-smorest's lazy one
        components.responses[name]["description"] = ERROR_DESCRIPTIONS[status]
    if_match_ref = components.get_ref("parameter", "IF_MATCH")
    public = _public_paths(app)
    seen: dict[str, tuple[str, str]] = {}
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            op_id = operation.setdefault("operationId", operation_id(method, path))
            if op_id in seen:
                raise RuntimeError(f"operationId {op_id} of {method} {path} is also {seen[op_id]}")
            seen[op_id] = (method, path)
            if operation.pop("x-if-match", False):
                operation.setdefault("parameters", []).append(if_match_ref)
            _request_examples(components, operation)
            for param in _parameters(operation):
                _note_date_range(param.get("schema", {}))
            is_public = (method, path) in public
            if is_public:
                operation["security"] = []
            responses = operation["responses"]
            errors = _EXACT_ERRORS.get(op_id) or _errors_of(method, path, operation, components, is_public)
            for code in sorted(errors):
                responses.setdefault(str(code), components.get_ref("response", _STATUS_NAMES[code]))
            for response in responses.values():
                if "$ref" not in response:
                    response.setdefault("headers", {}).update(request_id)
    # X-Pagination is documented as the string it is, so flask-smorest's object schema
    # for it is referenced by nothing.
    components._subsections["schema"].pop("PaginationMetadata", None)
    for schema in components.schemas.values():
        _nullable_refs(schema)
        for prop in schema.get("properties", {}).values():
            _note_date_range(prop)
    components.get_ref("response", "DEFAULT_ERROR")
    for response in components.responses.values():  # every shared answer: errors, 304
        response.setdefault("headers", {}).update(request_id)
