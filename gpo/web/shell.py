"""Faces, page blueprints, sessions and CSRF.

A page blueprint belongs to one face (WEB.md "Three faces, one app"): the storefront
for practices, the console for the MSO, the portal for vendors. Before any of its
pages runs, the signed-in principal is recognized from the session cookie (no
session: to the sign-in page) and must belong to that face's kind of organization
(another face's page answers 404, as another organization's object does in the API).
Past that, the page calls the same service as the API with the same principal, so
tenancy (404) and role (403) rules are the API's own."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from gpo.auth import sessions
from gpo.auth.request import current_principal
from gpo.errors import NotFound

FACES = {"storefront": "practice", "console": "mso", "portal": "vendor"}
HOME = {"practice": "/shop", "mso": "/console", "vendor": "/portal"}
_WHO = {"practice": "a practice's users", "mso": "MSO staff", "vendor": "a vendor's users"}
_PRINCIPAL = "gpo.principal"  # the same request slot the API's authentication fills
_PAGE_BLUEPRINTS = "gpo.web.page_blueprints"
_NAV = "gpo.web.nav"
_WORDS = "gpo.web.words"
_WAITING = "gpo.web.waiting"
SESSION_TOKEN = "token"

csrf = CSRFProtect()


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[str] | None  # None: every role of the face
    order: int
    vendor_kinds: frozenset[str] | None = None  # portal only: None, every kind of vendor


def page_blueprint(name: str, import_name: str, face: str, url_prefix: str = "") -> Blueprint:
    """A blueprint of `face`'s pages, with the feature's templates/ folder."""
    if face not in FACES:
        raise ValueError(f"unknown face {face!r}")
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix or None, template_folder="templates")
    blueprint.face = face

    @blueprint.before_request
    def _signed_in_to_this_face():
        principal = request.environ.get(_PRINCIPAL)
        if principal is None:
            return redirect(url_for("web.login", next=_local_path(request.full_path)))
        if principal.org_type != FACES[face]:
            # 404, as another organization's object in the API; the message only says
            # where this user's own pages are (the faces themselves are no secret).
            raise NotFound(f"There is no such page for {_WHO[principal.org_type]}. "
                           f"Your pages start at {home_for(principal)}.")

    return blueprint


def add_pages(app: Flask, blueprint: Blueprint) -> None:
    """Register a feature's page blueprint (made with `page_blueprint`)."""
    app.extensions[_PAGE_BLUEPRINTS].add(blueprint.name)
    app.register_blueprint(blueprint)


def add_nav(app: Flask, face: str, label: str, endpoint: str, *, roles=None, order: int = 100,
            vendor_kinds=None) -> None:
    """Put a link to `endpoint` in `face`'s navigation, for `roles` (None: all) and, in
    the portal, for `vendor_kinds` ("supplier", "carrier", "staffing"; None: all)."""
    items = app.extensions[_NAV].setdefault(face, [])
    items.append(NavItem(label, endpoint, frozenset(roles) if roles else None, order,
                         frozenset(vendor_kinds) if vendor_kinds else None))
    items.sort(key=lambda item: item.order)


def add_words(app: Flask, kind: str, words: dict[str, str]) -> None:
    """How a status of `kind` reads on a page ("awaiting a physician's approval")."""
    app.extensions[_WORDS].setdefault(kind, {}).update(words)


@dataclass(frozen=True)
class Waiting:
    """One line of a start page's "Waiting for you": a sentence and where to act."""
    text: str
    url: str


def add_waiting(app: Flask, face: str, fn, *, roles=None, order: int = 100) -> None:
    """A console or portal start page asks `fn(principal)` what waits for this user (a
    list of `Waiting`, usually from one count query) when a role of `roles` (None: all)
    signs in: "2 draft invoices to finalize", "a counter-proposal to answer"."""
    items = app.extensions[_WAITING].setdefault(face, [])
    items.append((order, frozenset(roles) if roles else None, fn))
    items.sort(key=lambda item: item[0])


def waiting_for(face: str, principal) -> list[Waiting]:
    found: list[Waiting] = []
    for _, roles, fn in current_app.extensions[_WAITING].get(face, []):
        if roles is None or roles & principal.roles:
            found.extend(fn(principal) or [])
    return found


def words_for(kind: str, value: str | None) -> str:
    if value is None:
        return ""
    return current_app.extensions[_WORDS].get(kind, {}).get(value) or value.replace("_", " ")


def nav_for(principal, organization=None) -> list[NavItem]:
    face = next((f for f, org_type in FACES.items() if org_type == principal.org_type), None)
    kind = getattr(organization, "kind", None)  # a vendor's kind; practices and the MSO have none
    return [item for item in current_app.extensions[_NAV].get(face, [])
            if (item.roles is None or item.roles & principal.roles)
            and (item.vendor_kinds is None or kind in item.vendor_kinds)]


def is_page_request() -> bool:
    """Pages answer in HTML; the API (and its docs) in JSON."""
    return not request.path.startswith(("/api/", "/docs"))


def _local_path(path: str | None) -> str:
    """`path` if it stays on this site (no scheme, no host, no `//`), else "/"."""
    if not path:
        return "/"
    path = path.rstrip("?")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def init_app(app: Flask) -> None:
    production = app.config.get("GPO_ENV") == "production"
    # Flask's defaults exist for these keys, so they are set, not defaulted.
    app.config["SESSION_COOKIE_NAME"] = "gpo_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = production
    # CSRF is checked by us, on page requests only: the bearer-token API needs none
    # (a browser never sends its Authorization header by itself).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.extensions[_PAGE_BLUEPRINTS] = set()
    app.extensions[_NAV] = {}
    app.extensions[_WORDS] = {}
    app.extensions[_WAITING] = {}
    csrf.init_app(app)

    @app.before_request
    def _page_principal():
        if not is_page_request() or request.endpoint is None:
            return
        if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # a missing or wrong token: 400, nothing changes
        if recognize_session() is None and SESSION_TOKEN in session:
            session.pop(SESSION_TOKEN)  # expired or signed out elsewhere



def recognize_session():
    """The principal of this request's session cookie, recognized once per request (also
    from an error handler that runs before the shell's own step, as a 413 upload does)."""
    principal = request.environ.get(_PRINCIPAL)
    if principal is None:
        principal = sessions.principal_for_token(session.get(SESSION_TOKEN))
        if principal is not None:
            request.environ[_PRINCIPAL] = principal
    return principal


def signed_in():
    """The signed-in principal of this page request, or None."""
    return request.environ.get(_PRINCIPAL)


def home_for(principal) -> str:
    return HOME.get(principal.org_type, "/login")


__all__ = ["Waiting", "add_nav", "add_pages", "add_waiting", "add_words", "current_principal", "page_blueprint", "signed_in"]
