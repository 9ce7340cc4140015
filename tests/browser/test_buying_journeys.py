"""Buying in a real browser: search the shop, add to the cart, see the savings,
submit (a clinical line waits for a physician); quick order with mistakes, all listed
and nothing added (at 390 px wide, by the keyboard)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from gpo.catalog.models import ProductPrice
from gpo.db import db, utcnow
from gpo.orders.models import Order
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import UserFactory
from tests.scenarios import Market


@pytest.fixture
def market(client, world):
    m = Market(client, world, None)
    m.gloves.name, m.masks.name, m.table.name = "Nitrile exam gloves", "Surgical masks", "Exam table"
    m.gloves.description = "Powder-free nitrile gloves, 100 a box"
    now = utcnow()
    for days, price in ((120, "3650.00"), (60, "3550.00"), (20, "3400.00")):
        db.session.execute(update(ProductPrice).where(ProductPrice.product_id == m.table.id,
                                                      ProductPrice.effective_to.is_(None))
                           .values(effective_to=now - dt.timedelta(days=days)))
        db.session.add(ProductPrice(product_id=m.table.id, list_price=D(price),
                                    effective_from=now - dt.timedelta(days=days), changed_by="vendor"))
        db.session.flush()
    db.session.commit()
    # Another practice's confirmed order takes the contract to its 10% tier.
    assert m.order([(m.gloves, 100)], who="other_practice_admin", location=m.other_location).status_code == 201
    db.session.commit()
    return m


def _add(page, name: str, quantity: str):
    card = page.get_by_role("article", name=name)
    card.get_by_label(f"Quantity of {name}").fill(quantity)
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added")).to_contain_text(f"Added {quantity} to the cart")


def _search(page, words: str):
    page.get_by_label("Search products").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("article", name=re.compile(words, re.I)).first).to_be_visible()


def test_a_buyer_searches_adds_three_products_sees_the_savings_and_submits(web, world, market):
    email = world.users["practice_buyer"].email
    page = web.sign_in(email)
    expect(page.get_by_role("heading", name="Shop")).to_be_visible()
    expect(page.get_by_role("article", name="Nitrile exam gloves")).to_contain_text(re.compile(r"Your price now\s*\$17\.991"))
    assert_accessible(page, "the shop")
    screenshot(page, "shop", docs=True)

    _search(page, "gloves")
    _add(page, "Nitrile exam gloves", "20")
    _search(page, "masks")
    _add(page, "Surgical masks", "15")
    _search(page, "table")
    card = page.get_by_role("article", name="Exam table")
    expect(card).to_contain_text("Clinical")
    card.get_by_role("link", name="Exam table").click()
    expect(page.get_by_role("heading", name="Tier progress")).to_be_visible()
    expect(page.get_by_text("150 more units unlock 12.5% off for everyone")).to_be_visible()
    expect(page.get_by_role("table", name="List price history")).to_contain_text("$3,550.00")
    expect(page.get_by_role("img", name=re.compile("Line chart of the list price"))).to_be_visible()
    assert_accessible(page, "a product's page")
    screenshot(page, "product", docs=True)
    page.get_by_label("Quantity of Exam table").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added")).to_be_visible()

    page.get_by_role("link", name="Cart").click()
    cart = page.get_by_role("region", name=f"Ship to {world.location.name}")
    expect(cart.get_by_role("table")).to_contain_text("Nitrile exam gloves")
    expect(cart.get_by_role("table")).to_contain_text("Exam table")
    # list $399.80 + $60.75 + $3,400.00; at 10% off: $359.82 + $54.68 (15 x $3.645) + $3,060.00
    expect(cart).to_contain_text("Estimated total $3,474.50 · you save $386.05 against list price")
    expect(page.get_by_text("Estimated savings")).to_be_visible()
    assert_accessible(page, "the cart")
    screenshot(page, "cart", docs=True)
    cart.get_by_role("button", name="Submit order").click()
    expect(page.get_by_role("status").filter(has_text="submitted")).to_contain_text(
        "awaiting a physician's approval")
    orders = web.query(lambda: db.session.execute(
        select(Order.id, Order.status).where(Order.practice_id == world.practice.id)).all())
    assert [status for _, status in orders] == ["awaiting_approval"]
    order_id = orders[0][0]

    # The whole journey: a physician of the same practice approves it (CPOM) ...
    physician = web.sign_in(world.users["practice_physician"].email)
    physician.get_by_role("link", name="Approvals").click()
    waiting = physician.get_by_role("region", name=f"Order {order_id} for")
    expect(waiting.get_by_role("rowheader", name=re.compile("Exam table"))).to_be_visible()
    physician.get_by_role("button", name=f"Approve order {order_id}").click()
    expect(physician.get_by_role("status")).to_contain_text(f"Order {order_id} is approved")
    assert web.query(lambda: db.session.get(Order, order_id).status) == "confirmed"
    # ... and a physician of another practice never sees it.
    UserFactory(organization_id=world.other_practice.id, roles=["practice_physician"], email="doc@riverbend.test")
    db.session.commit()
    stranger = web.sign_in("doc@riverbend.test")
    stranger.goto("/approvals")
    expect(stranger.get_by_text("Nothing waits for a physician's approval.")).to_be_visible()
    assert stranger.goto(f"/orders/{order_id}").status == 404


def test_a_quick_order_with_an_unknown_sku_and_a_bad_multiple_lists_both_and_adds_nothing(web, world, market):
    email = world.users["practice_buyer"].email
    page = web.sign_in(email, width=390)
    page.goto("/cart")
    expect(page.get_by_role("heading", name="Quick order")).to_be_visible()
    box = page.get_by_label("Paste SKU, quantity lines")
    box.focus()
    page.keyboard.type("GLV, 20\nNOPE-42, 5\nMSK, 12")
    page.keyboard.press("Tab")  # to the ship-to choice
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    problems = page.get_by_role("table", name="Problems in the pasted lines")
    expect(problems).to_contain_text("NOPE-42")
    expect(problems).to_contain_text("unknown SKU")
    expect(problems).to_contain_text("quantity must be a multiple of 5")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was added to the cart: fix the 2 problems")
    expect(page.get_by_label("Paste SKU, quantity lines")).to_have_value("GLV, 20\nNOPE-42, 5\nMSK, 12")
    assert_accessible(page, "the cart with quick-order problems, 390 px wide")
    screenshot(page, "cart-quick-order-390")
    orders = web.query(lambda: db.session.scalars(select(Order.id).where(Order.practice_id == world.practice.id)).all())
    assert orders == []


def test_enter_in_a_quantity_field_updates_the_cart_and_removes_nothing(web, world, market):
    from gpo.auth.services import principal_for_user
    from gpo.db import transactional
    from gpo.orders import cart

    transactional(cart.add_to_cart)(principal_for_user(world.users["practice_buyer"]), world.location.id,
                                    [{"product_id": market.gloves.id, "quantity": 2},
                                     {"product_id": market.masks.id, "quantity": 10}])
    page = web.sign_in(world.users["practice_buyer"].email)
    page.goto("/cart")
    quantity = page.get_by_label("Quantity of Surgical masks")
    quantity.fill("20")
    quantity.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Cart updated")
    lines = web.query(lambda: sorted((line.product_id, line.quantity) for line in db.session.scalars(
        select(Order).where(Order.practice_id == world.practice.id)).one().lines))
    assert lines == sorted([(market.gloves.id, 2), (market.masks.id, 20)])
