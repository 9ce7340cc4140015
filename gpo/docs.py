"""Swagger UI's files, served by the app itself so `/docs` works without internet.

flask-smorest renders `/docs` (its template loads swagger-ui.css,
swagger-ui-standalone-preset.js and swagger-ui-bundle.js from OPENAPI_SWAGGER_UI_URL);
the files come from the pinned `flask-swagger-ui` package (requirements.txt), which
ships Swagger UI's own distribution. Only its files are used, not its blueprint. The
version is in the URL, so a new pin never meets an old cached copy.
"""
from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Flask

_DIST = files("flask_swagger_ui") / "dist"
SWAGGER_UI_VERSION = (_DIST / "VERSION").read_text().strip().removeprefix("v")  # the release it ships: "5.34.0"
SWAGGER_UI_URL = f"/docs/swagger-ui-{SWAGGER_UI_VERSION}/"
SWAGGER_UI_DIST = str(_DIST)


def init_app(app: Flask) -> None:
    app.register_blueprint(Blueprint(
        "swagger_ui_assets", __name__, static_folder=SWAGGER_UI_DIST, static_url_path="",
        url_prefix=SWAGGER_UI_URL.rstrip("/")))
