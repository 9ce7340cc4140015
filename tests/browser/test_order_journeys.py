"""Orders in a real browser: a physician approves a buyer's clinical order (CPOM), by
mouse and by keyboard alone, and a physician of another practice cannot see it; after
the close the buyer reads final prices and savings and copies a missed order to the
next cycle (at 390 px wide); a saved list goes into the cart at once."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gpo.db import db
from gpo.orders.models import Order
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CycleFactory, UserFactory
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def clinical_order(market) -> int:
    response = market.order([(market.table, 1), (market.gloves, 10)])
    assert response.status_code == 201 and response.get_json()["status"] == "awaiting_approval"
    return response.get_json()["id"]


def other_physician(world) -> str:
    UserFactory(organization_id=world.other_practice.id, roles=["practice_physician"], email="doc@riverbend.test")
    db.session.commit()
    return "doc@riverbend.test"


def status_of(web, order_id: int) -> str:
    return web.query(lambda: db.session.get(Order, order_id).status)


def test_a_physician_approves_a_buyers_clinical_order_and_another_practices_cannot_see_it(web, world, market):
    order_id = clinical_order(market)
    stranger = other_physician(world)
    physician = world.users["practice_physician"].email

    page = web.sign_in(physician)
    page.goto("/orders")  # the start page (/shop) is another branch's; our nav from here
    page.get_by_role("link", name="Approvals").click()
    section = page.get_by_role("region", name=f"Order {order_id} for")
    expect(section.get_by_role("cell", name="practice_buyer@example.test")).to_be_visible()
    expect(section.get_by_role("rowheader", name=re.compile(market.table.name))).to_be_visible()
    assert_accessible(page, "approvals")
    screenshot(page, "approvals", docs=True)
    page.get_by_role("button", name=f"Approve order {order_id}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Order {order_id} is approved")
    assert status_of(web, order_id) == "confirmed"
    page.get_by_role("link", name="Orders").click()
    page.get_by_role("link", name=f"Order {order_id}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Order {order_id}")).to_be_visible()
    expect(page.locator("[data-status]").first).to_have_text("confirmed")
    assert_accessible(page, "an open order")

    page = web.sign_in(stranger)
    page.goto("/approvals")
    expect(page.get_by_text("Nothing waits for a physician's approval.")).to_be_visible()
    assert page.goto(f"/orders/{order_id}").status == 404


def test_a_buyer_sees_what_waits_and_why_only_a_physician_approves(web, world, market):
    order_id = clinical_order(market)
    page = web.sign_in(world.users["practice_buyer"].email)
    page.goto("/orders")  # the start page (/shop) is another branch's; our nav from here
    page.get_by_role("link", name="Approvals").click()
    expect(page.get_by_text("only a physician of the practice can approve")).to_be_visible()
    expect(page.get_by_role("region", name=f"Order {order_id} for")).to_be_visible()
    expect(page.get_by_role("button", name=f"Approve order {order_id}")).to_have_count(0)
    assert_accessible(page, "approvals for a buyer")


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible name is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            return e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent)
                   || e.textContent || ''; }""")
        if focused.strip() == name:
            return
    raise AssertionError(f"{name!r} was not reached with Tab")


def test_the_approval_with_the_keyboard_alone(web, world, market):
    order_id = clinical_order(market)
    physician = world.users["practice_physician"].email
    page = web.new_page()
    page.goto("/login?next=/orders")
    tab_to(page, "E-mail")
    page.keyboard.type(physician)
    tab_to(page, "Password")
    page.keyboard.type("test-password-123")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Orders", level=1)).to_be_visible()
    tab_to(page, "Approvals")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    tab_to(page, f"Approve order {order_id}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Order {order_id} is approved")
    assert status_of(web, order_id) == "confirmed"


def test_after_the_close_the_buyer_sees_final_prices_and_copies_a_missed_order(web, world, market):
    priced = market.order([(market.gloves, 100), (market.masks, 10)]).get_json()["id"]
    missed = market.order([(market.gloves, 5)], submit=False, key="draft").get_json()["id"]
    market.close()
    CycleFactory(name="Next cycle")
    db.session.commit()

    page = web.sign_in(world.users["practice_buyer"].email, width=390)
    page.goto("/lists")
    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", name="Orders", level=1)).to_be_visible()
    assert_accessible(page, "orders")
    screenshot(page, "orders", docs=True)
    page.get_by_role("link", name=f"Order {priced}", exact=True).click()
    expect(page.locator("[data-status]").first).to_have_text("priced at the close")
    expect(page.get_by_text("$203.95 saved")).to_be_visible()
    expect(page.get_by_role("cell", name="$1,799.10")).to_be_visible()
    assert_accessible(page, "a priced order")
    screenshot(page, "order-detail", docs=True)

    page.goto(f"/orders/{missed}")
    expect(page.get_by_role("note")).to_contain_text("missed its cycle: never submitted before the cycle closed")
    assert_accessible(page, "a missed order")
    page.get_by_role("button", name="Copy to next cycle").click()
    expect(page.get_by_role("status")).to_contain_text(f"Order {missed} is copied into the open cycle")
    copy = web.query(lambda: db.session.scalars(
        db.select(Order).where(Order.copied_from_order_id == missed)).one().status)
    assert copy == "draft"


def test_a_saved_list_is_made_and_added_to_the_cart(web, world, market):
    page = web.sign_in(world.users["practice_buyer"].email)
    page.goto("/orders")
    page.get_by_role("link", name="Lists").click()
    assert_accessible(page, "saved lists (none yet)")
    page.get_by_label("List name").fill("Exam room")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("heading", name="Exam room", level=1)).to_be_visible()
    page.get_by_label("SKU").fill("MSK")
    page.get_by_label("Quantity").fill("7")
    page.get_by_role("button", name="Add to list").click()
    expect(page.get_by_label("Quantity")).to_have_accessible_description(re.compile("minimum order quantity is 10"))
    assert_accessible(page, "a refused item")
    page.get_by_label("Quantity").fill("10")
    page.get_by_role("button", name="Add to list").click()
    page.get_by_label("SKU").fill("GLV")
    page.get_by_label("Quantity").fill("4")
    page.get_by_role("button", name="Add to list").click()
    expect(page.get_by_role("button", name=f"Remove {market.gloves.name}")).to_be_visible()
    page.get_by_label("Ship to").select_option(label=market.annex.name)
    page.get_by_role("button", name="Add all to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Every line of the list is in your cart")
    assert_accessible(page, "a saved list")
    screenshot(page, "lists", docs=True)
    lines = web.query(lambda: sorted((line.product_id, line.quantity) for line in db.session.scalars(
        db.select(Order).where(Order.status == "draft")).one().lines))
    assert lines == sorted([(market.gloves.id, 4), (market.masks.id, 10)])
