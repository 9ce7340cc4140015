"""Our flask-smorest base classes and the API-wide plumbing: the one error shape,
pagination, ETags and request ids.

Every error, whether a domain exception, a validation failure, Flask's own 404/405/413
or an unexpected crash, answers
    {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}
and never a stack trace.
"""
from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus

import marshmallow as ma
from flask import Flask, has_request_context, jsonify, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.etag import _get_etag_ctx
from werkzeug.exceptions import HTTPException

from gpo.errors import DomainError
from gpo.etags import etag_for

log = logging.getLogger("gpo")

API_PREFIX = "/api/v1"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Schema(ma.Schema):
    """Base schema: unknown fields in a request body are an error (422), not ignored."""

    class Meta:
        unknown = ma.RAISE


class ErrorSchema(Schema):
    code = ma.fields.Integer(metadata={"example": 422})
    status = ma.fields.String(metadata={"example": "Unprocessable Entity"})
    message = ma.fields.String(metadata={"example": "npi: not a valid NPI (check digit)"})
    errors = ma.fields.Dict(metadata={"example": {"json": {"npi": ["Not a valid NPI."]}}})


class Blueprint(SmorestBlueprint):
    """flask-smorest Blueprint with our pagination defaults and version-based ETags."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from gpo.idempotency import prepare_doc

        self._prepare_doc_cbks.append(prepare_doc)

    def set_etag_for(self, obj) -> None:
        """Send the object's version ETag (and answer 304 to a matching If-None-Match)."""
        etag = etag_for(obj)
        self._check_not_modified(etag)
        _get_etag_ctx()["etag"] = etag

    def _verify_check_etag(self):
        # If-Match is checked inside the service, in the same transaction as the
        # update (see gpo/etags.py), not by flask-smorest's check_etag.
        return None


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    phrase = HTTPStatus(status).phrase
    body = {"code": status, "status": phrase, "message": message or phrase}
    if errors:
        body["errors"] = errors
    return body


def current_request_id() -> str | None:
    """The request's id: the caller's X-Request-Id if it is safe, else a new one."""
    if not has_request_context():
        return None
    rid = request.environ.get("gpo.request_id")
    if rid is None:
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.environ["gpo.request_id"] = rid
    return rid


class GpoApi(Api):
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
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "gpo: MSO purchasing and shared services")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "api/v1/openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "/docs")
    app.config.setdefault(
        "OPENAPI_SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
    )
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
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
        },
    )
    api = GpoApi(app)
    api.ERROR_SCHEMA = ErrorSchema

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

    return api
