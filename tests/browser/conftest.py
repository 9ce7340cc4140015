"""Browser tests: Playwright for Python drives Debian's Chromium (/usr/bin/chromium,
or CHROMIUM_PATH) against the app on a live loopback server, with localstripe.

Tests drive pages by role and accessible name, take a screenshot of each main page
into test-artifacts/ (docs/ keeps the ones README shows), and check each page with
axe-core. They skip, saying why, only when Chromium is missing; CI installs it."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# The flags a closed network needs (no background connections, no updates).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always runs the browser tests
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web(browser, live_server, app, stripe_url, db_ctx):
    """`web.sign_in(email)`: a new browser context signed in as that user.

    The live server runs in this process, on the same database. On SQLite a
    transaction takes the write lock when it starts (BEGIN IMMEDIATE), so the test's
    own session must not sit in one while the browser waits for a page: objects keep
    their loaded values after a commit (no lazy reload that would open one), and
    `web.settle()` (called before every navigation the helpers make) ends the test's
    transaction. Read the database after browser actions with `web.query(fn)`."""
    from gpo.db import db

    db.session().expire_on_commit = False
    session = WebSession(browser, live_server, app)
    yield session
    session.close()
    db.session().expire_on_commit = True


class WebSession:
    def __init__(self, browser, base_url, app):
        self.browser, self.base_url, self.app = browser, base_url, app
        self.contexts = []
        # What the pages asked before an action that cannot be taken back (data-confirm),
        # and how the user answers: OK unless a test sets `web.confirm = False`.
        self.dialogs: list[str] = []
        self.confirm = True

    def settle(self) -> None:
        """End the test's own transaction (see the `web` fixture)."""
        from gpo.db import db

        db.session.commit()

    def query(self, fn):
        """fn() read in a fresh transaction, ended at once (what the server committed)."""
        from gpo.db import db

        db.session.commit()
        db.session.expire_all()
        try:
            return fn()
        finally:
            db.session.commit()

    def new_page(self, width: int = 1280, height: int = 900):
        self.settle()
        context = self.browser.new_context(base_url=self.base_url, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self._answer)
        return page

    def _answer(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept() if self.confirm else dialog.dismiss()

    def sign_in(self, email: str, password: str = PASSWORD, width: int = 1280):
        page = self.new_page(width=width)
        self.settle()
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def screenshot(page, name: str, docs: bool = False) -> Path:
    """A full-page PNG in test-artifacts/ (and docs/screenshots/ for README's)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs:
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / f"{name}.png")
    return path


def assert_accessible(page, where: str = "") -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    detail = "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                       f"{[n['target'] for n in v['nodes']][:3]}" for v in bad)
    assert not bad, f"axe-core on {where or page.url}: {detail}"
