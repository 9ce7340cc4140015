"""The vendor portal's catalog in a real browser: a supplier's admin uploads a CSV with
two bad rows, watches the import finish, reads the two rows on the page and in the
downloaded error report, then edits a product and deactivates it; a stale edit form
is refused with the API's 412 message; the catalog at 390 px. axe-core on every page."""
from __future__ import annotations

import csv
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from gpo.catalog.models import CatalogImport, Product
from gpo.db import db, utcnow
from gpo.jobs import Job
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import ProductFactory

TWO_BAD_ROWS = (
    "sku,name,category,list_price,unit_of_measure\n"
    "GLV-NEW,Nitrile gloves small,supplies,11.5000,box\n"
    "BAD-PRICE,Broken price,supplies,-3,box\n"
    "BAD-CAT,Broken category,toys,5.00,box\n"
)


@pytest.fixture
def catalog(world):
    """Acme's gloves and a clinical mask; Bolt's laptop (never on Acme's pages)."""
    gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV-NIT-M", name="Nitrile exam gloves, medium",
                            list_price=D("12.9900"), unit_of_measure="box")
    ProductFactory(vendor_id=world.vendor.id, sku="MSK-N95", name="N95 respirator", list_price=D("1.2345"),
                   unit_of_measure="each", clinical=True, clinical_marked_by_mso=True)
    ProductFactory(vendor_id=world.other_vendor.id, sku="LAP-14", name="Business laptop")
    db.session.commit()
    return {"gloves": gloves}


def _watch_until(page, text: str, tries: int = 30) -> None:
    """The import page follows the job (htmx reloads it when the job ends); with a real
    worker the job may still be running: wait for the result to show."""
    main = page.get_by_role("main")
    for _ in range(tries):
        try:
            expect(main).to_contain_text(text, timeout=2000)
            return
        except AssertionError:
            page.reload()
    expect(main).to_contain_text(text)


def test_a_vendor_uploads_a_csv_with_two_bad_rows_downloads_the_report_edits_and_deactivates(
        web, world, catalog, tmp_path):
    page = web.sign_in(world.users["vendor_admin"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", name="Your catalog")).to_be_visible()
    table = page.get_by_role("table", name="Active products")
    expect(table.get_by_role("row").filter(has_text="GLV-NIT-M")).to_contain_text("$12.99")
    expect(table.get_by_role("row").filter(has_text="MSK-N95")).to_contain_text("Clinical")
    expect(table).not_to_contain_text("Business laptop")
    expect(page.get_by_role("main")).to_contain_text("Only MSO procurement marks a product clinical")
    assert_accessible(page, "the portal's catalog")
    screenshot(page, "portal-catalog", docs=True)

    # upload the file
    page.get_by_role("navigation", name="Catalog pages").get_by_role("link", name="Imports and uploads").click()
    expect(page.get_by_role("heading", name="Catalog imports")).to_be_visible()
    assert_accessible(page, "the imports page")
    file = tmp_path / "acme-catalog.csv"
    file.write_text(TWO_BAD_ROWS)
    page.get_by_label("Catalog file (CSV or JSON)").set_input_files(file)
    page.get_by_label("What to do with products the file does not list").select_option("upsert")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("main")).to_contain_text("has started")
    expect(page.get_by_role("heading", name="Catalog import #")).to_be_visible()

    # watch it finish, see the two rows named
    _watch_until(page, "finished: 1 created, 0 updated, 0 unchanged, 0 deactivated, 2 failed")
    report = page.get_by_role("table", name="Rejected rows")
    expect(report.get_by_role("row")).to_have_count(3)  # the header and the two bad rows
    expect(report.get_by_role("row").filter(has_text="BAD-PRICE")).to_contain_text(
        "list_price must be greater than 0")
    expect(report.get_by_role("row").filter(has_text="BAD-CAT")).to_contain_text(
        "Must be one of: equipment, it, supplies, services.")
    assert_accessible(page, "the import's page")
    screenshot(page, "portal-catalog-import", docs=True)

    # download the error report: its CSV names them
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    download = info.value
    assert download.suggested_filename.endswith("-errors.csv")
    with open(download.path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["row", "sku", "field", "message"],
                    ["3", "BAD-PRICE", "list_price", "list_price must be greater than 0"],
                    ["4", "BAD-CAT", "category", "Must be one of: equipment, it, supplies, services."]]

    # the start page says so too
    page.goto("/portal")
    expect(page.get_by_role("link", name="finished with 2 errors")).to_be_visible()
    assert_accessible(page, "the portal's start page")

    # edit a product
    page.goto("/portal/catalog")
    page.get_by_role("link", name="Nitrile exam gloves, medium").click()
    expect(page.get_by_role("heading", name="Nitrile exam gloves, medium")).to_be_visible()
    expect(page.get_by_label("List price (US dollars)")).to_have_value("12.99")
    assert_accessible(page, "the product's page")
    screenshot(page, "portal-product", docs=True)
    page.get_by_label("List price (US dollars)").fill("13.49")
    page.get_by_label("Unit of measure").fill("box of 100")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="GLV-NIT-M is saved.")).to_be_visible()
    expect(page.get_by_role("table", name="List prices, newest first")).to_contain_text("$13.49")

    # and deactivate it
    page.get_by_role("button", name="Deactivate product").click()
    expect(page.get_by_role("status").filter(has_text="is deactivated")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate product")).to_be_visible()
    assert_accessible(page, "the deactivated product's page")

    def stored():
        product = db.session.get(Product, catalog["gloves"].id)
        return product.list_price, product.unit_of_measure, product.active

    assert web.query(stored) == (D("13.4900"), "box of 100", False)
    assert web.query(lambda: db.session.query(CatalogImport).count()) == 1


def test_a_stale_edit_form_is_refused_with_the_412_message_and_shows_the_current_values(web, world, catalog):
    page = web.sign_in(world.users["vendor_admin"].email)
    page.goto(f"/portal/catalog/products/{catalog['gloves'].id}")
    other = web.sign_in(world.users["vendor_admin"].email)  # the same product open in another tab
    other.goto(f"/portal/catalog/products/{catalog['gloves'].id}")
    other.get_by_label("Name").fill("Gloves renamed in the other tab")
    other.get_by_role("button", name="Save changes").click()
    expect(other.get_by_role("status").filter(has_text="is saved")).to_be_visible()

    page.get_by_label("List price (US dollars)").fill("99.00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("the object changed since you read it")
    expect(page.get_by_label("Name")).to_have_value("Gloves renamed in the other tab")
    expect(page.get_by_label("List price (US dollars)")).to_have_value("12.99")
    assert_accessible(page, "the refused edit")
    assert web.query(lambda: db.session.get(Product, catalog["gloves"].id).list_price) == D("12.9900")


def test_the_import_page_follows_a_running_job_and_shows_the_result_when_it_ends(web, world, catalog):
    """A worker elsewhere runs the import: the page polls the job (htmx) and reloads
    itself with the result once it ends."""
    job = Job(kind="catalog.import", status="started", args={}, organization_id=world.vendor.id,
              created_by=f"user:{world.users['vendor_admin'].id}", max_attempts=3, attempts=1)
    db.session.add(job)
    db.session.flush()
    running = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="csv", status="running",
                            row_count=3, payload=TWO_BAD_ROWS, errors=[], job_id=job.id, created_by="worker test")
    db.session.add(running)
    db.session.commit()
    page = web.sign_in(world.users["vendor_admin"].email)
    page.goto(f"/portal/catalog/imports/{running.id}")
    expect(page.get_by_role("status").filter(has_text="Catalog import (job")).to_contain_text("running")
    expect(page.get_by_role("progressbar", name="Catalog import in progress")).to_be_visible()
    assert_accessible(page, "a running import")

    def finish():  # what the worker's job does, in short
        catalog_import = db.session.get(CatalogImport, running.id)
        catalog_import.status, catalog_import.created, catalog_import.failed = "finished", 1, 2
        catalog_import.errors = [{"line": 3, "sku": "BAD-PRICE", "errors": {"list_price": ["too low"]}},
                                 {"line": 4, "sku": "BAD-CAT", "errors": {"category": ["unknown"]}}]
        catalog_import.finished_at = utcnow()
        ended = db.session.get(Job, job.id)
        ended.status, ended.finished_at = "finished", utcnow()

    web.query(finish)
    expect(page.get_by_role("main")).to_contain_text("finished: 1 created", timeout=10_000)  # no reload by us
    expect(page.get_by_role("table", name="Rejected rows")).to_contain_text("BAD-CAT")
    expect(page.get_by_role("progressbar")).to_have_count(0)


def test_a_file_that_is_not_csv_or_json_is_refused_at_the_field(web, world, catalog, tmp_path):
    page = web.sign_in(world.users["vendor_admin"].email)
    page.goto("/portal/catalog/imports")
    file = tmp_path / "notes.txt"
    file.write_text("not a catalog\n")
    page.get_by_label("Catalog file (CSV or JSON)").set_input_files(file)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("alert")).to_contain_text("The file was not imported; nothing was written.")
    field = page.get_by_label("Catalog file (CSV or JSON)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("The file notes.txt is not a CSV"))
    assert_accessible(page, "the refused upload")
    assert web.query(lambda: db.session.query(CatalogImport).count()) == 0


def test_the_catalog_at_390_px(web, world, catalog):
    page = web.sign_in(world.users["vendor_admin"].email, width=390)
    page.goto("/portal/catalog")
    expect(page.get_by_role("heading", name="Your catalog")).to_be_visible()
    expect(page.get_by_label("Search your products")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert_accessible(page, "the catalog at 390 px")
    screenshot(page, "portal-catalog-390")
