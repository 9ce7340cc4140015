"""The console's member pages, the audit log and the portal's API keys in a real
browser: an MSO admin admits a practice, adds its location (after a refused one) and
a user who then signs in; the audit log filtered; a vendor admin creates an API key,
sees it once (not after a reload), uses it against /api/v1/me, revokes it and it
stops working. axe-core on every page; one check at 390 px wide."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from gpo.accounts.models import Location, Organization, Practice, User
from gpo.auth.models import ApiKey
from gpo.db import db
from tests.browser.conftest import assert_accessible, screenshot

PASSWORD = "a-long-password-1"


def test_an_mso_admin_admits_a_practice_with_a_location_and_a_user(web, world):
    page = web.sign_in(world.users["mso_admin"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Member practices")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Lakeside")).to_contain_text("active member")
    assert_accessible(page, "the practice list")
    screenshot(page, "console-practices", docs=True)

    page.get_by_label("Practice name").fill("Hillcrest Family Care")
    page.get_by_label("Tax id (EIN)").fill("39-1112223")
    page.get_by_label("Member since").fill("2026-03-01")
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_role("button", name="Admit the practice").click()
    expect(page.get_by_role("status")).to_contain_text("Hillcrest Family Care is a member practice now")
    expect(page.get_by_role("heading", name="Hillcrest Family Care", level=1)).to_be_visible()

    location = page.get_by_role("form", name="Add a location")
    location.get_by_label("Location name").fill("Main clinic")
    location.get_by_label("Address", exact=True).fill("100 Hill St")
    location.get_by_label("City").fill("Madison")
    location.get_by_label("State").fill("Wisconsin")
    location.get_by_label("ZIP code").fill("53703")
    location.get_by_role("button", name="Add the location").click()
    state = page.get_by_role("form", name="Add a location").get_by_label("State")
    expect(state).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("form", name="Add a location")).to_contain_text("state must be a two-letter code")
    assert_accessible(page, "the practice page with a refused location")
    state.fill("WI")
    page.get_by_role("form", name="Add a location").get_by_role("button", name="Add the location").click()
    expect(page.get_by_role("status")).to_contain_text("Location Main clinic is added")
    expect(page.get_by_role("region", name="The practice's locations")).to_contain_text("100 Hill St, Madison, WI 53703")

    user = page.get_by_role("form", name="Add a user")
    user.get_by_label("Full name").fill("Hana Buyer")
    user.get_by_label("E-mail").fill("hana@hillcrest.test")
    user.get_by_label("First password").fill(PASSWORD)
    user.get_by_role("checkbox", name="Buyer").check()
    user.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("status")).to_contain_text("Hana Buyer (hana@hillcrest.test) can now sign in")
    expect(page.get_by_role("region", name="The practice's users")).to_contain_text("Buyer")
    assert_accessible(page, "the practice page")
    screenshot(page, "console-practice", docs=True)

    def stored():
        practice = db.session.scalars(select(Practice).where(Organization.name == "Hillcrest Family Care")).one()
        locations = db.session.scalars(select(Location.name).where(Location.practice_id == practice.id)).all()
        user = db.session.scalars(select(User).where(User.email == "hana@hillcrest.test")).one()
        return practice.time_zone, locations, user.organization_id == practice.id, user.roles

    assert web.query(stored) == ("America/New_York", ["Main clinic"], True, ["practice_buyer"])
    # the new user signs in to the storefront
    shop = web.sign_in("hana@hillcrest.test", PASSWORD)
    expect(shop).to_have_url(re.compile(r"/shop"))


def test_vendors_and_the_mso_users_pages_in_the_browser(web, world):
    page = web.sign_in(world.users["mso_admin"].email)
    page.goto("/console/practices")
    page.get_by_role("navigation", name="Members pages").get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", name="Vendors", level=1)).to_be_visible()
    page.get_by_label("Kind", exact=True).select_option("supplier")
    page.get_by_role("button", name="Show vendors").click()
    expect(page.get_by_role("row").filter(has_text="Acme")).to_be_visible()
    assert_accessible(page, "the vendor list")
    page.get_by_role("link", name="Acme").click()
    expect(page.get_by_role("heading", name="Acme", level=1)).to_be_visible()
    keys = page.get_by_role("region", name="The vendor's API keys")
    expect(keys).to_contain_text(f"{world.api_key.prefix}…{world.api_key.last4}")  # listed, never the key
    expect(page.get_by_role("main")).to_contain_text("only its own admins create and revoke them")
    assert_accessible(page, "a vendor's page")
    page.get_by_label("New kind").select_option("carrier")
    page.get_by_role("button", name="Change the kind").click()
    expect(page.get_by_role("status")).to_contain_text("Acme is now: insurance carrier")
    page.get_by_role("link", name="MSO users").click()
    expect(page.get_by_role("heading", name="MSO users")).to_be_visible()
    expect(page.get_by_role("region", name="The MSO's users")).to_contain_text(world.users["mso_finance"].email)
    assert_accessible(page, "the MSO users page")

    procurement = web.sign_in(world.users["mso_procurement"].email)
    procurement.goto(f"/console/practices/{world.practice.id}")
    expect(procurement.get_by_role("main")).to_contain_text("Only MSO admins suspend or reactivate a practice.")
    expect(procurement.get_by_role("button", name="Add the location")).to_have_count(0)
    assert_accessible(procurement, "the practice page as procurement")


def test_the_audit_log_filters(web, world, client):
    client.post(f"/api/v1/practices/{world.practice.id}/locations", headers=world.headers["mso_admin"],
                json={"name": "Annex", "line1": "2 Elm St", "city": "Madison", "state": "WI", "postal_code": "53703"})
    client.post("/api/v1/vendors", headers=world.headers["mso_procurement"], json={"name": "Keystone", "kind": "carrier"})
    page = web.sign_in(world.users["mso_admin"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    events = page.get_by_role("region", name="Audit events")
    expect(events).to_contain_text("location.create")
    expect(events).to_contain_text("vendor.create")
    assert_accessible(page, "the audit log")
    screenshot(page, "console-audit", docs=True)

    page.get_by_label("Action").fill("location.create")
    page.get_by_role("button", name="Show events").click()
    expect(events.get_by_role("row")).to_have_count(2)  # the header and the one event
    expect(events).to_contain_text("name: Annex")
    expect(events).not_to_contain_text("vendor.create")
    page.get_by_role("link", name="Clear the filters").click()
    events.get_by_role("link", name=world.users["mso_procurement"].email).first.click()
    expect(events).to_contain_text("vendor.create")
    expect(events).not_to_contain_text("location.create")
    expect(page.get_by_label("Actor (user id)")).to_have_value(str(world.users["mso_procurement"].id))

    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_label("From day").fill("2026-07-05")
    page.get_by_label("To day (included)").fill("2026-07-04")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_label("To day (included)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("main")).to_contain_text("the last day must not be before the first")
    assert_accessible(page, "the audit log with a refused filter")


def test_a_vendor_creates_a_key_sees_it_once_uses_it_and_revokes_it(web, world):
    page = web.sign_in(world.users["vendor_admin"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    assert_accessible(page, "the API keys page")

    page.get_by_label("Key name").fill("ERP integration")
    page.get_by_role("button", name="Create the key").click()
    shown = page.get_by_label("The key (copy it now)")
    expect(shown).to_be_visible()
    key = shown.input_value()
    assert key.startswith("gpo_")
    expect(page.get_by_role("main")).to_contain_text("This is the only time it is shown")
    assert_accessible(page, "the API keys page with a new key")
    screenshot(page, "portal-api-keys", docs=True)

    page.reload()  # resends the form: no second key, and the key is not shown again
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("That form was used already or is out of date")
    expect(page.get_by_label("The key (copy it now)")).to_have_count(0)
    assert key not in page.content()
    page.goto("/portal/api-keys")
    assert key not in page.content()
    assert web.query(lambda: db.session.scalar(
        select(func.count()).select_from(ApiKey).where(ApiKey.name == "ERP integration"))) == 1

    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 200 and me.json()["kind"] == "api_key" and me.json()["organization"]["name"] == "Acme"

    page.goto("/portal/api-keys")
    row = page.get_by_role("row").filter(has_text="ERP integration")
    expect(row).not_to_contain_text("never")  # used just now
    row.get_by_role("link", name=re.compile(r"^Revoke the key ERP integration")).click()
    expect(page.get_by_role("heading", name="Revoke the key “ERP integration”?")).to_be_visible()
    assert_accessible(page, "the revoke confirmation")
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_role("status")).to_contain_text("The key is revoked")
    expect(page.get_by_role("row").filter(has_text="ERP integration")).to_contain_text("revoked: no longer accepted")
    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 401


@pytest.mark.parametrize("who, path, heading", [
    ("mso_admin", "/console/practices", "Member practices"),
    ("vendor_admin", "/portal/api-keys", "API keys"),
])
def test_the_pages_work_390_px_wide(web, world, who, path, heading):
    page = web.sign_in(world.users[who].email, width=390)
    page.goto(path)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the tables scroll inside their region
    assert_accessible(page, f"{path} at 390 px")
    screenshot(page, path.strip("/").replace("/", "-") + "-390")
