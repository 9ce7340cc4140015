"""Front-end files served by the app itself: our own stylesheet and script
(gpo/web/static) and the packages `make install` installs from npm into
node_modules/ (package-lock.json pins them). No CDN: every page loads only from us.

A vendored file's URL carries its package version, so a new pin never meets an old
cached copy, and it is served with a long cache lifetime."""
from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, abort, send_from_directory

from gpo.auth.request import public
from gpo.config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
log = logging.getLogger("gpo.web.assets")

# name in the URL -> (npm package, file inside it)
VENDORED = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
}


def package_version(package: str) -> str:
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "missing"


def init_app(app: Flask) -> None:
    blueprint = Blueprint("assets", __name__, static_folder="static", static_url_path="/static/gpo")
    versions = {name: package_version(package) for name, (package, _) in VENDORED.items()}
    missing = [VENDORED[name][0] for name, version in versions.items() if version == "missing"]
    if missing:
        log.warning("front-end packages missing from node_modules/ (%s): run `make install`; pages still work "
                    "without them, only less interactively", ", ".join(missing))

    @blueprint.route("/static/vendor/<version>/<name>")
    @public
    def vendored(version: str, name: str):
        if name not in VENDORED or versions[name] != version:
            abort(404)
        package, path = VENDORED[name]
        return send_from_directory(NODE_MODULES / package, path, max_age=365 * 24 * 3600)

    @app.context_processor
    def _vendor_urls():
        from flask import url_for

        def vendor_url(name: str) -> str:
            return url_for("assets.vendored", version=versions[name], name=name)

        return {"vendor_url": vendor_url}

    app.register_blueprint(blueprint)
