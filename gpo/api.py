"""Our flask-smorest base classes and the API-wide plumbing: the one error shape,
pagination, ETags and request ids.

Every error, whether a domain exception, a validation failure, Flask's own 404/405/413
or an unexpected crash, answers
    {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}
and never a stack trace.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from http import HTTPStatus

import marshmallow as ma
from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.etag import _get_etag_ctx
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from gpo import docs
from gpo.errors import DomainError
from gpo.etags import etag_for
from gpo.money import PRICE_PLACES
from gpo.request_context import current_request_id

log = logging.getLogger("gpo")

API_PREFIX = "/api/v1"


MAX_ID = 2**63 - 1  # BIGINT

# Every date and time the API accepts lies in these years:
# a sentinel like 9999-12-31 would overflow the first day added to it.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
_DATE_RANGE_MESSAGE = f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def _within_calendar(value) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(day, dt.date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ma.ValidationError(_DATE_RANGE_MESSAGE)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):  # a JSON object, or the query string's MultiDict
        multi = getattr(value, "getlist", None)
        return any(_has_nul(k) or _has_nul(multi(k) if multi else value[k]) for k in value)
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class Schema(ma.Schema):
    """Base schema: unknown fields in a request body are an error (422), not ignored;
    NUL characters are refused (no database stores them in text); dates and times
    outside EARLIEST_DATE..LATEST_DATE are refused (422), in bodies and query strings."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        if isinstance(field_obj, (ma.fields.Date, ma.fields.DateTime)) and _within_calendar not in field_obj.validators:
            field_obj.validators.append(_within_calendar)

    @ma.pre_load(pass_collection=True)
    def _refuse_nul(self, data, **kwargs):
        if _has_nul(data):
            raise ma.ValidationError("text must not contain NUL characters", "_schema")
        return data


class WholeNumber(ma.fields.Integer):
    """An integer, also written as a string of digits (query strings, CSV cells); never a
    fraction or a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = value.strip() if isinstance(value, str) else None
        digits = text[1:] if text and text[0] in "+-" else text
        if isinstance(value, bool) or not (isinstance(value, int) or (digits and digits.isascii() and digits.isdigit())):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(ma.fields.Boolean):
    """JSON's true or false only (marshmallow's Boolean also takes 1, 0, "yes", "on"):
    a body that says `"enabled": 0` is refused, as its schema says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Id(WholeNumber):
    """An object id: a positive integer that fits the database's BIGINT."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class DecimalString(ma.fields.Decimal):
    """An exact decimal, a string on the wire ("12.5") both ways, as documented
    (`type: string, format: decimal`): a JSON number is refused, since a client's float
    (0.1 + 0.2) is not the price it meant; digits must be ASCII."""

    default_error_messages = {"invalid": "Not a valid decimal: send it as a string of digits, \"12.5\"."}

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not value.isascii():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Price(DecimalString):
    """A unit price, sent with its 4 places ("12.5000"). Loading never rounds:
    validators refuse more than 4 places."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(Decimal(value).quantize(PRICE_PLACES), "f")


class ErrorSchema(Schema):
    """The one error shape. `errors` is there when fields are at fault: by location
    (`json`, `query`, `headers`), then field, then messages."""

    code = ma.fields.Integer(required=True, metadata={"example": 422})
    status = ma.fields.String(required=True, metadata={"example": "Unprocessable Entity"})
    message = ma.fields.String(required=True, metadata={"example": "npi: not a valid NPI (check digit)"})
    errors = ma.fields.Dict(metadata={"example": {"json": {"npi": ["Not a valid NPI."]}}})


class ArgumentsParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req) and req.get_data(cache=True):
            # A body the route would read as JSON, sent as text/plain (or form, or no
            # type): 415, not a 422 about missing fields. Bodyless requests are fine.
            raise UnsupportedMediaType(
                f"send the body as application/json, not {req.mimetype or 'without a Content-Type'}"
            )
        try:
            return super()._raw_load_json(req)
        except RecursionError:  # absurdly nested JSON: 400 like any unreadable body
            return self._handle_invalid_json_error(json.JSONDecodeError("nested too deeply", "", 0), req)


class Blueprint(SmorestBlueprint):
    """flask-smorest Blueprint with our pagination defaults and version-based ETags."""

    ARGUMENTS_PARSER = ArgumentsParser()

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from gpo.idempotency import prepare_doc

        self._prepare_doc_cbks.append(prepare_doc)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """flask-smorest's, and a JSON body the spec marks required is required: no body
        at all is a 422 (not an empty object that leaves every optional field out). A
        route whose body may be left out says `required=False`, and the spec says so."""
        decorator = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorator

        def wrap(func):
            parsed = decorator(func)

            @functools.wraps(parsed)
            def view(*args, **kw):
                if not request.get_data(cache=True).strip():
                    raise DomainError("this request needs a JSON body", status_code=422,
                                      errors={"json": {"_schema": ["a JSON object is required"]}})
                return parsed(*args, **kw)

            return view

        return wrap

    def set_etag_for(self, obj) -> None:
        """Send the object's version ETag (and answer 304 to a matching If-None-Match)."""
        etag = etag_for(obj)
        self._check_not_modified(etag)
        _get_etag_ctx()["etag"] = etag

    def _verify_check_etag(self):
        # If-Match is checked inside the service, in the same transaction as the
        # update (see gpo/etags.py), not by flask-smorest's check_etag.
        return None


def page_of(result, pagination_parameters):
    """A list view's return value from a service's Paged result (sets X-Pagination)."""
    pagination_parameters.item_count = result.total
    return result.items


def wants_csv() -> bool:
    """The client asked for CSV (`Accept: text/csv`) rather than JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


# OWASP CSV injection: a cell a spreadsheet could read as a formula starts with one of
# these (TAB, CR and LF too), possibly after leading whitespace.
_FORMULA_STARTS = frozenset("=+-@\t\r\n")


def csv_safe(value):
    """A cell that no spreadsheet runs as a formula: text starting with = + - @, TAB,
    CR or LF (or with = + - @ after leading whitespace) gets a leading single quote.
    Numbers, and other text, are left as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in _FORMULA_STARTS or value.lstrip()[:1] in _FORMULA_STARTS:
        return f"'{value}"
    return value


def csv_response(rows: list[dict], columns: list[str], filename: str) -> Response:
    """Rows as a CSV download (statements and reports), every cell through csv_safe
    (names come from users). Money stays in integer cents. The one CSV writer: every
    CSV export goes through here."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_doc(schema, example: str) -> dict:
    """OpenAPI: the 200 answer is JSON (`schema`), or CSV with `Accept: text/csv`."""
    return {"responses": {"200": {"description": "OK (JSON, or CSV with `Accept: text/csv`)", "content": {
        "application/json": {"schema": schema},
        "text/csv": {"schema": {"type": "string"}, "example": example}}}}}


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    phrase = HTTPStatus(status).phrase
    body = {"code": status, "status": phrase, "message": message or phrase}
    if errors:
        body["errors"] = errors
    return body


class GpoApi(Api):
    ERROR_SCHEMA = ErrorSchema  # a class attribute: flask-smorest registers it in __init__

    def handle_http_exception(self, error: HTTPException):
        """Flask's and webargs' HTTP errors, and crashes, in the one error shape."""
        if error.code == 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error("unhandled error (request %s)", current_request_id(), exc_info=original)
        data = getattr(error, "data", None) or {}
        message = data.get("message")
        if message is None:
            # A validation failure names its fields in `errors`; otherwise werkzeug's
            # own description, which never contains internals.
            message = "the request is not valid: see errors" if data.get("messages") else error.description
        response = jsonify(error_body(error.code, message, data.get("messages")))
        response.status_code = error.code
        # werkzeug's own headers for the error: `Allow` on a 405, for example.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response


class BoundedIntConverter(IntegerConverter):
    """<int:...> path parts larger than a BIGINT are no route (404), not a crash."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # absurdly nested: a bad request (400), not a crash
            raise ValueError("the JSON is nested too deeply") from None


# The document's own parts (info, servers, security); flask-smorest adds the paths.
SPEC_OPTIONS = {
    "info": {
        "description": (
            "Purchasing and shared-services back office of a healthcare MSO. "
            "Every error has the shape of the Error schema. Lists page with "
            "`page` and `page_size` (at most 100) and return `X-Pagination`. "
            "Updates need `If-Match` with the ETag last read."
        )
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A user's access token from POST /api/v1/auth/login, "
                "or a vendor API key (gpo_...).",
            }
        }
    },
    "security": [{"bearer": []}],
}


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "gpo: MSO purchasing and shared services")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "api/v1/openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "/docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", docs.SWAGGER_UI_URL)  # our own copy: works offline
    app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", {"validatorUrl": None})  # no badge from another host
    app.config.setdefault("API_SPEC_OPTIONS", copy.deepcopy(SPEC_OPTIONS))  # apispec may add to it
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies the client address (login throttling) comes from X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"])
    docs.init_app(app)
    api = GpoApi(app)
    api.register_field(DecimalString, "string", "decimal")
    api.register_field(Price, "string", "decimal")

    _answer_errors_and_ids(app)
    return api


def _answer_errors_and_ids(app: Flask) -> None:
    """Domain errors in the one error shape; every response names its request id."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        response = jsonify(error_body(error.status_code, error.message, error.errors))
        response.status_code = error.status_code
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 401:
            response.headers.setdefault("WWW-Authenticate", "Bearer")
        return response

    @app.before_request
    def _assigncurrent_request_id():
        current_request_id()

    @app.after_request
    def _send_request_id(response):
        response.headers["X-Request-Id"] = current_request_id()
        return response
