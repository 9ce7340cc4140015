"""The console's catalog in a real browser: MSO procurement searches the whole catalog,
marks a product clinical (CPOM), and a practice buyer's order of it then waits for a
physician's approval; a form left open on an older version is refused with the API's
412 message; finance sees why it may not, at 390 px wide. axe-core on every page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gpo.catalog.models import Product
from gpo.db import db
from gpo.orders.models import Order
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import ProductFactory
from tests.scenarios import Market


@pytest.fixture
def market(client, world):
    m = Market(client, world, None)
    m.gloves.name, m.masks.name, m.table.name = "Nitrile exam gloves", "Surgical masks", "Exam table"
    ProductFactory(vendor_id=world.other_vendor.id, sku="LAP-14", name="Business laptop", category="it")
    db.session.commit()
    return m


def test_procurement_marks_gloves_clinical_and_a_buyers_order_then_waits_for_a_physician(web, world, market):
    location = world.location.name  # read now: the browser's requests must not wait for the test's transaction
    page = web.sign_in(world.users["mso_procurement"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="Active products")
    expect(table.get_by_role("row").filter(has_text="Business laptop")).to_contain_text("Bolt")
    expect(table.get_by_role("row").filter(has_text="Exam table")).to_contain_text("marked by its vendor")
    assert_accessible(page, "the console's catalog")

    page.get_by_label("Search products").fill("gloves")
    page.get_by_label("Vendor").select_option(label="Acme")
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.get_by_role("table", name="Active products").get_by_role("row").filter(has_text="Nitrile exam gloves")
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("$19.99")
    expect(page.get_by_role("table", name="Active products")).not_to_contain_text("Business laptop")
    screenshot(page, "console-products", docs=True)
    page.get_by_role("button", name="Mark clinical: Nitrile exam gloves (GLV)").click()
    expect(page.get_by_role("status").filter(has_text="is clinical now")).to_contain_text(
        "Nitrile exam gloves (GLV) is clinical now")
    expect(page.get_by_label("Search products")).to_have_value("gloves")  # back to the same search
    row = page.get_by_role("table", name="Active products").get_by_role("row").filter(has_text="Nitrile exam gloves")
    expect(row).to_contain_text("marked by the MSO")
    expect(row.get_by_role("button", name="Unmark clinical: Nitrile exam gloves (GLV)")).to_be_visible()
    assert_accessible(page, "the console's catalog after marking")
    gloves = web.query(lambda: db.session.get(Product, market.gloves.id))
    assert gloves.clinical and gloves.clinical_marked_by_mso

    # A practice buyer sees the badge in the shop, and the order waits for a physician.
    buyer = web.sign_in(world.users["practice_buyer"].email)
    buyer.get_by_label("Search products").fill("gloves")
    buyer.get_by_role("button", name="Search", exact=True).click()
    card = buyer.get_by_role("article", name="Nitrile exam gloves")
    expect(card).to_contain_text("Clinical")
    card.get_by_label("Quantity of Nitrile exam gloves").fill("10")
    card.get_by_role("button", name="Add to cart").click()
    expect(buyer.get_by_role("status").filter(has_text="Added")).to_be_visible()
    buyer.get_by_role("link", name="Cart").click()
    buyer.get_by_role("region", name=f"Ship to {location}").get_by_role(
        "button", name="Submit order").click()
    expect(buyer.get_by_role("status").filter(has_text="submitted")).to_contain_text(
        "awaiting a physician's approval")
    statuses = web.query(lambda: db.session.scalars(
        select(Order.status).where(Order.practice_id == world.practice.id)).all())
    assert statuses == ["awaiting_approval"]


def test_a_form_left_open_on_an_older_version_is_refused_and_nothing_changes(web, world, market):
    page = web.sign_in(world.users["mso_admin"].email)
    page.goto("/console/products?q=masks")
    other = web.sign_in(world.users["mso_procurement"].email)
    other.goto("/console/products?q=masks")
    other.get_by_role("button", name="Mark clinical: Surgical masks (MSK)").click()
    expect(other.get_by_role("status").filter(has_text="is clinical now")).to_be_visible()
    version = web.query(lambda: db.session.get(Product, market.masks.id).version)

    page.get_by_role("button", name="Mark clinical: Surgical masks (MSK)").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Nothing was changed: the object changed since you read it: fetch it again and retry with its new ETag.")
    expect(page.get_by_role("button", name="Unmark clinical: Surgical masks (MSK)")).to_be_visible()
    assert_accessible(page, "the console's catalog with a stale form refused")
    masks = web.query(lambda: db.session.get(Product, market.masks.id))
    assert masks.clinical and masks.version == version  # as procurement left it


def test_finance_sees_why_it_may_not_mark_at_390_px(web, world, market):
    page = web.sign_in(world.users["mso_finance"].email, width=390)
    page.goto("/console/products")
    expect(page.get_by_role("main")).to_contain_text("Only MSO procurement or an MSO admin marks products clinical.")
    expect(page.get_by_role("button", name="Mark clinical: Nitrile exam gloves (GLV)")).to_have_count(0)
    assert_accessible(page, "the console's catalog for finance, 390 px wide")
    screenshot(page, "console-products-390")
