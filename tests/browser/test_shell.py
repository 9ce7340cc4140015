"""The web shell in a real browser: signing in and out, the layout, error pages."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot


def test_sign_in_sends_each_user_to_their_face_and_sign_out_ends_the_session(web, world):
    page = web.new_page()
    page.goto("/login")
    assert_accessible(page, "the sign-in page")
    page.get_by_label("E-mail").fill(world.users["practice_buyer"].email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")

    console = web.sign_in(world.users["mso_admin"].email)
    expect(console).to_have_url(re.compile(r"/console$"))
    expect(console.get_by_role("heading", name="MSO console")).to_be_visible()
    assert_accessible(console, "the console's start page")
    console.get_by_role("button", name="Sign out").click()
    expect(console.get_by_role("status")).to_contain_text("signed out")
    console.goto("/console")
    expect(console).to_have_url(re.compile(r"/login\?next=/console"))


def test_error_pages_are_html_in_the_one_style(web, world):
    page = web.sign_in(world.users["vendor_admin"].email)
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "the 404 page")
    screenshot(page, "error-404")


def test_the_sign_in_throttle_speaks_in_the_browser(web, world, app):
    email = world.users["practice_admin"].email
    page = web.new_page()
    page.goto("/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("test-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(web, world):
    from sqlalchemy import select

    from gpo.auth.models import WebSession

    page = web.sign_in(world.users["mso_admin"].email)
    expect(page.get_by_role("heading", name="MSO console")).to_be_visible()
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="The form could not be used")).to_be_visible()
    from gpo.db import db

    assert web.query(lambda: [s.ended_at for s in db.session.scalars(select(WebSession))]) == [None]
    page.goto("/console")  # still signed in: the sign-out did not happen
    expect(page.get_by_role("heading", name="MSO console")).to_be_visible()


def test_another_faces_page_is_not_found_and_an_expired_session_signs_in_again(web, world):
    import datetime as dt

    from sqlalchemy import update

    from gpo.auth.models import WebSession
    from gpo.db import db, utcnow

    page = web.sign_in(world.users["practice_buyer"].email)
    response = page.goto("/console")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    def expire():
        db.session.execute(update(WebSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))

    web.query(expire)
    page.goto("/portal")
    expect(page).to_have_url(re.compile(r"/login\?next=/portal"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
