"""The web app's shell (WEB.md): sign-in and sessions, CSRF, the layout and navigation
by face and role, error pages, shared macros and filters, and static assets served by
us. Each feature's pages live beside its routes (`gpo/<feature>/pages.py`) and join
through `add_pages`, `add_nav`, `add_words` and `add_waiting` (the console's and
portal's start pages: what waits for the user) in the feature's own `register(app)`."""
from __future__ import annotations

from flask import Flask

from gpo.web import assets, errors, filters, pages, shell
from gpo.web.shell import Waiting as Waiting
from gpo.web.shell import add_nav as add_nav  # re-exported for features
from gpo.web.shell import add_pages as add_pages
from gpo.web.shell import add_waiting as add_waiting
from gpo.web.shell import add_words as add_words


def register(app: Flask) -> None:
    shell.init_app(app)
    # the shell's own pages: sign-in and sign-out, and the console's and portal's start
    app.register_blueprint(pages.blp)
    add_pages(app, pages.console)
    add_pages(app, pages.portal)
    add_nav(app, "console", "Start", "console.console_home", order=0)
    add_nav(app, "portal", "Start", "portal.portal_home", order=0)
    errors.init_app(app)
    filters.init_app(app)
    assets.init_app(app)
