"""Recognize the caller of every API request before its view runs."""
from __future__ import annotations

from flask import Flask, current_app, request

from gpo.auth.principal import Principal
from gpo.auth.services import authenticate

_PUBLIC_ENDPOINT_PREFIXES = ("api-docs.",)


def public(view):
    """Mark a view (function or MethodView class) as reachable without credentials."""
    view.public = True
    return view


def _is_public(endpoint: str) -> bool:
    if endpoint.startswith(_PUBLIC_ENDPOINT_PREFIXES):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "public", False) or getattr(getattr(view, "view_class", None), "public", False))


_KEY = "gpo.principal"


def current_principal() -> Principal:
    """The caller of the current request (kept on the request, not the app context)."""
    return request.environ[_KEY]


def init_app(app: Flask) -> None:
    @app.before_request
    def _authenticate():
        if request.endpoint is None or not request.path.startswith("/api/"):
            return  # no such route (404 follows) or not an API path
        if request.method == "OPTIONS" or _is_public(request.endpoint):
            return
        request.environ[_KEY] = authenticate(request.headers.get("Authorization"))
