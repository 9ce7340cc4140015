"""Signing in to the web pages from tests and reading what they show.

`Pages(app, world).as_("practice_buyer")` is a Flask test client with a browser
session: it signed in through the sign-in form (CSRF token included), and `post`
sends the page's CSRF token with every form, as a browser would. `Statements` and
`same_count` check that a page sends as many SQL statements with more rows."""
from __future__ import annotations

import re
from html import unescape

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and spaces collapsed (for `in` checks)."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class PageClient:
    """Each request runs in its own app context, as on a server. (The suite's tests
    hold one app context open; a request inside it would share its `g`, where
    Flask-WTF caches the CSRF token, with every other client's requests.)"""

    def __init__(self, client):
        self.client = client
        self.token = None

    def _open(self, method: str, path: str, **kwargs):
        from flask import has_app_context

        from gpo.db import db

        if has_app_context():
            db.session.commit()  # the test's own transaction ends, as in tests.conftest.Client
        with self.client.application.app_context():
            return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **kwargs):
        response = self._open("get", path, **kwargs)
        body = response.get_data(as_text=True)
        if 'name="csrf_token"' in body:
            self.token = csrf_of(body)
        return response

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        """POST a form; the CSRF token of the last page read (or of `path`'s page) is sent."""
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.token is None:
                self.get("/login")
            data["csrf_token"] = self.token
        return self._open("post", path, data=data, **kwargs)


class Pages:
    def __init__(self, app, world):
        self.app, self.world = app, world

    def anonymous(self) -> PageClient:
        return PageClient(self.app.test_client())

    def as_(self, name: str, password: str = PASSWORD) -> PageClient:
        return self.sign_in(self.world.users[name].email, password)

    def sign_in(self, email: str, password: str = PASSWORD) -> PageClient:
        page = self.anonymous()
        page.get("/login")
        response = page.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, text_of(response.get_data(as_text=True))[:500]
        page.get(response.headers["Location"])  # the start page (and its CSRF token)
        return page


class Statements:
    """The SQL statements one page request sends (every connection of the engine)."""

    def __init__(self, page):
        self.page = page

    def __call__(self, path: str) -> int:
        from sqlalchemy import event

        from gpo.db import db

        db.session.commit()  # the test's own rows are written before counting
        assert self.page.get(path).status_code == 200  # warm: what the first request alone does
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = self.page.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert seen, f"{path}: no statement counted (every page reads its session): the count is broken"
        self.last = seen
        return len(seen)


def same_count(statements: Statements, path: str, grow) -> None:
    """`path` sends as many statements before `grow()` adds rows as after."""
    before = statements(path)
    small = statements.last
    grow()
    after = statements(path)
    assert after == before, (f"{path}: {before} statements, then {after} with more rows:\n"
                             + "\n".join(" ".join(s.split())[:200] for s in statements.last)
                             + "\n\nwere:\n" + "\n".join(" ".join(s.split())[:200] for s in small))
