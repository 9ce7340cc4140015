"""Notification settings in a real browser: Lakeside's admin opens Notifications from
the navigation, finds failed payments always on (and why), turns invoices off, saves,
and sees it saved, also after a reload; Acme's admin finds the portal's own page.
axe-core on each page."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.db import db
from gpo.notifications.models import NotificationSetting
from tests.browser.conftest import assert_accessible, screenshot


def test_a_practice_admin_turns_invoice_emails_off(web, world):
    page = web.sign_in("practice_admin@example.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    failed_payments = page.get_by_role("checkbox", name="Failed payments")
    expect(failed_payments).to_be_checked()
    expect(failed_payments).to_be_disabled()
    expect(page.get_by_role("main")).to_contain_text("Always sent: A failed payment needs someone to act")
    assert_accessible(page, "the storefront's notification settings")
    invoices = page.get_by_role("checkbox", name="Invoices issued")
    expect(invoices).to_be_checked()
    invoices.uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved. Turned off: Invoices issued.")
    expect(page.get_by_role("checkbox", name="Invoices issued")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Substitutes to decide")).to_be_checked()
    screenshot(page, "storefront-notification-settings")
    page.reload()
    expect(page.get_by_role("checkbox", name="Invoices issued")).not_to_be_checked()
    stored = web.query(lambda: [(s.user_id, s.kind, s.enabled) for s in db.session.scalars(select(NotificationSetting))])
    assert stored == [(world.users["practice_admin"].id, "invoice.issued", False)]


def test_a_vendor_admin_finds_the_portals_page_with_purchase_orders_always_on(web, world):
    page = web.sign_in("vendor_admin@example.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page).to_have_url(f"{web.base_url}/portal/settings/notifications")
    purchase_orders = page.get_by_role("checkbox", name="New purchase orders")
    expect(purchase_orders).to_be_checked()
    expect(purchase_orders).to_be_disabled()
    assert_accessible(page, "the portal's notification settings")
