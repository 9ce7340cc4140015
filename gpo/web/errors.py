"""Error pages (404, 403, 500, ...) in the one visual style, for page requests. API
requests keep the JSON error shape: each handler hands those to the API's own."""
from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from gpo.errors import DomainError
from gpo.request_context import current_request_id
from gpo.web.shell import is_page_request

log = logging.getLogger("gpo.web")

_HEADLINES = {
    400: "The form could not be used",
    401: "Please sign in",
    403: "You cannot do this",
    404: "Page not found",
    405: "Not allowed here",
    409: "That changed meanwhile",
    413: "That upload is too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


def render_error(status: int, message: str, headers: dict | None = None):
    headline = _HEADLINES.get(status) or HTTPStatus(status).phrase
    body = render_template("web/error.html", status=status, headline=headline, message=message,
                           request_id=current_request_id())
    return body, status, headers or {}


def init_app(app: Flask) -> None:
    spec = app.error_handler_spec[None][None]
    api_domain_error = spec[DomainError]
    api_http_error = spec[HTTPException]

    def domain_error(error: DomainError):
        if not is_page_request():
            return api_domain_error(error)
        return render_error(error.status_code, error.message, error.headers)

    def http_error(error: HTTPException):
        if not is_page_request():
            return api_http_error(error)
        if error.code == 500:
            original = getattr(error, "original_exception", None)
            log.error("unhandled error on a page (request %s)", current_request_id(), exc_info=original)
            message = "The error is logged. Nothing you did was saved. Please try again in a moment."
        elif error.code == 400 and error.__class__.__name__ == "CSRFError":
            message = ("This form had expired or did not come from this site, so nothing was changed. "
                       "Go back, reload the page and try again.")
        else:
            message = error.description
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return render_error(error.code or 500, message, headers)

    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(HTTPException, http_error)
