"""Who reaches the console, in a real browser: a practice's user or a vendor opening a
console page gets the 404 page (the console is not their face, as another
organization's object in the API), and a page link to it is nowhere in their
navigation; an MSO role the page is not for gets the 403 page saying who it is for.
The paths include console pages other areas add (any /console path is the console's
face), so the check holds for every console page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

CONSOLE_PATHS = ("/console", "/console/practices", "/console/practices/{practice}", "/console/vendors",
                 "/console/users", "/console/audit")


@pytest.mark.parametrize("who, home", [("practice_buyer", "/shop"), ("practice_admin", "/shop"),
                                       ("vendor_admin", "/portal")])
def test_a_practice_user_or_a_vendor_opening_a_console_page_gets_404(web, world, who, home):
    page = web.sign_in(world.users[who].email)
    for template in CONSOLE_PATHS:
        path = template.format(practice=world.practice.id)
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(f"Your pages start at {home}")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_have_count(0)
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(0)
    assert_accessible(page, "the console's 404 page for another face")


def test_a_vendor_posting_to_a_console_form_gets_404_and_nothing_changes(web, world):
    from sqlalchemy import func, select

    from gpo.accounts.models import Practice
    from gpo.db import db

    page = web.sign_in(world.users["vendor_admin"].email)
    page.goto("/portal")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post("/console/practices", form={
        "csrf_token": token, "name": "Sneaky Clinic", "tax_id": "39-0000001"})
    assert response.status == 404
    assert web.query(lambda: db.session.scalar(select(func.count()).select_from(Practice))) == 2


@pytest.mark.parametrize("who", ["mso_procurement", "mso_finance"])
def test_an_mso_role_the_page_is_not_for_gets_403_saying_who_it_is_for(web, world, who):
    page = web.sign_in(world.users[who].email)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(0)
    response = page.goto("/console/audit")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot do this")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("The audit log is read by MSO admins")
    assert_accessible(page, "the console's 403 page")
    response = page.goto("/console/users")
    assert response.status == 403
    expect(page.get_by_role("main")).to_contain_text("The MSO's users are managed by MSO admins")
    response = page.goto("/console/practices")  # the Members pages are every MSO role's
    assert response.status == 200
