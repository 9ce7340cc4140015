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
