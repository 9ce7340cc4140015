"""The vendor portal's catalog pages without a browser: the supplier's products (search,
active or inactive, clinical read-only), uploading a CSV or JSON file (a bad type, an
empty file, a file too large, a bad header refused at the field with nothing written),
the import's result and error report (on the page and as an exact, formula-safe CSV),
editing a product under If-Match (a stale form answers the API's 412 and shows the
current values), deactivating and reactivating; tenancy (another vendor's product or
import: 404) and the other faces (404)."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.catalog.models import CatalogImport, Product
from gpo.db import db
from gpo.jobs import Job
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.pages import Statements, same_count, text_of

TWO_BAD_ROWS = (
    "sku,name,category,list_price,unit_of_measure\n"
    "GLV-NEW,Nitrile gloves small,supplies,11.5000,box\n"
    "BAD-PRICE,Broken price,supplies,-3,box\n"
    "BAD-CAT,Broken category,toys,5.00,box\n"
)
TWO_BAD_ROWS_REPORT = (
    "row,sku,field,message\r\n"
    "3,BAD-PRICE,list_price,list_price must be greater than 0\r\n"
    '4,BAD-CAT,category,"Must be one of: equipment, it, supplies, services."\r\n'
)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _rows() -> dict[str, int]:
    """Every table's row count (a refused form leaves them all as they were)."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def _upload(page, content: bytes | str, filename: str = "catalog.csv", mode: str | None = "upsert",
            content_type: str | None = None):
    page.get("/portal/catalog/imports")
    body = content.encode() if isinstance(content, str) else content
    upload = (io.BytesIO(body), filename, content_type) if content_type else (io.BytesIO(body), filename)
    data = {"file": upload}
    if mode is not None:
        data["mode"] = mode
    return page.post("/portal/catalog/imports", data, content_type="multipart/form-data")


def _imports() -> list[CatalogImport]:
    db.session.expire_all()
    return db.session.scalars(select(CatalogImport).order_by(CatalogImport.id)).all()


def _field_error(html: str, field: str) -> str:
    """The message shown at a field (its aria-describedby error paragraph)."""
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html, re.S), f"{field} is not marked invalid"
    match = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', html, re.S)
    assert match, f"no error at {field}"
    return text_of(match.group(1))


@pytest.fixture
def catalog(world):
    """Acme's gloves ($12.99, active), mask (clinical by the MSO) and an inactive stool;
    Bolt's laptop."""
    vendor = world.vendor.id
    gloves = ProductFactory(vendor_id=vendor, sku="GLV-NIT-M", name="Nitrile exam gloves, medium",
                            list_price=D("12.9900"), unit_of_measure="box")
    mask = ProductFactory(vendor_id=vendor, sku="MSK-N95", name="N95 respirator", list_price=D("1.2345"),
                          unit_of_measure="each", clinical=True, clinical_marked_by_mso=True)
    stool = ProductFactory(vendor_id=vendor, sku="STOOL-1", name="Exam stool", list_price=D("329.0000"),
                           active=False)
    laptop = ProductFactory(vendor_id=world.other_vendor.id, sku="LAP-14", name="Business laptop",
                            list_price=D("1249.0000"))
    db.session.commit()
    return {"gloves": gloves, "mask": mask, "stool": stool, "laptop": laptop}


@pytest.fixture
def finished(pages, catalog, run_jobs):
    """Acme's vendor admin uploaded TWO_BAD_ROWS: the import finished, 1 created, 2 failed."""
    page = pages.as_("vendor_admin")
    response = _upload(page, TWO_BAD_ROWS)
    assert response.status_code == 302, text_of(_html(response))[:500]
    [started] = _imports()
    run_jobs(started.job_id)
    return page, started.id


# --- the products ---------------------------------------------------------------------------


def test_the_catalog_lists_the_vendors_own_products_with_price_unit_and_clinical(pages, catalog):
    page = pages.as_("vendor_admin")
    response = page.get("/portal/catalog")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200
    assert "GLV-NIT-M Nitrile exam gloves, medium Supplies box $12.99" in text
    assert "MSK-N95 N95 respirator Supplies each $1.2345 Clinical marked by the MSO" in text
    assert "Business laptop" not in text  # Bolt's
    assert "Exam stool" not in text  # inactive: on the inactive list
    assert "2 active products" in text
    assert f'href="/portal/catalog/products/{catalog["gloves"].id}"' in html
    assert "Only MSO procurement marks a product clinical" in text  # the vendor may not, and is told why
    assert '<a href="/portal/catalog" aria-current="page">Catalog</a>' in html


def test_the_catalog_searches_and_lists_inactive_products(pages, catalog):
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get("/portal/catalog?q=gloves")))
    assert "Nitrile exam gloves" in text and "N95" not in text and "1 active product matches" in text
    text = text_of(_html(page.get("/portal/catalog?active=false")))
    assert "Exam stool" in text and "Inactive" in text and "Nitrile" not in text
    assert "No product matches" in text_of(_html(page.get("/portal/catalog?q=laptop")))  # not Bolt's
    refused = page.get("/portal/catalog?active=maybe")
    assert refused.status_code == 422 and _field_error(_html(refused), "active") == "Not a valid boolean."


def test_the_catalog_is_paginated(pages, world):
    for n in range(30):
        ProductFactory(vendor_id=world.vendor.id, name=f"Item {n:02d}")
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get("/portal/catalog")))
    assert "Page 1 of 2 (30 in all)" in text and "Item 24" in text and "Item 25" not in text
    assert "Item 29" in text_of(_html(page.get("/portal/catalog?page=2")))


def test_other_faces_get_404_and_no_session_goes_to_sign_in(pages, catalog, finished):
    _, import_id = finished
    paths = ["/portal/catalog", "/portal/catalog/imports", f"/portal/catalog/imports/{import_id}",
             f"/portal/catalog/imports/{import_id}/errors.csv", f"/portal/catalog/products/{catalog['gloves'].id}"]
    for who in ("practice_admin", "mso_procurement", "mso_admin"):
        page = pages.as_(who)
        for path in paths:
            assert page.get(path).status_code == 404, (who, path)
        before = _rows()
        assert page.post(f"/portal/catalog/products/{catalog['gloves'].id}/deactivate").status_code == 404
        assert _upload(page, TWO_BAD_ROWS).status_code == 404
        assert _rows() == before
    anonymous = pages.anonymous()
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_carrier_has_no_catalog_in_its_navigation(pages, app):
    carrier = VendorFactory(kind="carrier", name="Keystone")
    user = UserFactory(organization_id=carrier.id, roles=["vendor_admin"], email="carrier@example.test")
    db.session.commit()
    page = pages.sign_in(user.email, PASSWORD)
    assert 'href="/portal/catalog"' not in _html(page.get("/portal"))


# --- another vendor's objects: 404, nothing written ----------------------------------------------


def test_another_vendors_product_and_import_are_not_found_and_nothing_changes(pages, catalog, finished):
    _, import_id = finished
    page = pages.as_("other_vendor_admin")
    gloves = catalog["gloves"].id
    assert page.get(f"/portal/catalog/products/{gloves}").status_code == 404
    assert page.get(f"/portal/catalog/imports/{import_id}").status_code == 404
    assert page.get(f"/portal/catalog/imports/{import_id}/errors.csv").status_code == 404
    before = _rows()
    page.get("/portal/catalog")
    assert page.post(f"/portal/catalog/products/{gloves}", {"name": "Mine now", "etag": "x"}).status_code == 404
    assert page.post(f"/portal/catalog/products/{gloves}/deactivate").status_code == 404
    assert page.post(f"/portal/catalog/products/{catalog['stool'].id}/reactivate").status_code == 404
    assert _rows() == before
    db.session.expire_all()
    product = db.session.get(Product, gloves)
    assert (product.name, product.active, product.version) == ("Nitrile exam gloves, medium", True, 1)
    assert f"Import #{import_id}" not in text_of(_html(page.get("/portal/catalog/imports")))


# --- uploading -------------------------------------------------------------------------------------


def test_an_upload_with_two_bad_rows_imports_the_rest_and_lists_the_bad_ones(pages, finished):
    page, import_id = finished
    response = page.get(f"/portal/catalog/imports/{import_id}")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200
    assert f"Import #{import_id} finished: 1 created, 0 updated, 0 unchanged, 0 deactivated, 2 failed." in text
    assert "Rows created 1" in text and "Rows failed 2" in text
    assert "Row SKU Field Message 3 BAD-PRICE list_price list_price must be greater than 0 " \
           "4 BAD-CAT category Must be one of: equipment, it, supplies, services." in text
    assert f'href="/portal/catalog/imports/{import_id}/errors.csv"' in html
    assert "Download the error report (CSV)" in text
    created = db.session.scalars(select(Product).where(Product.sku == "GLV-NEW")).one()
    assert created.list_price == D("11.5000") and created.unit_of_measure == "box"
    listing = text_of(_html(page.get("/portal/catalog/imports")))
    assert f"Import #{import_id}" in listing and "CSV, upsert finished 3 1 0 0 0 2" in listing


def test_the_upload_redirects_to_the_import_page_which_follows_the_job(pages, catalog):
    page = pages.as_("vendor_admin")
    response = _upload(page, TWO_BAD_ROWS)
    [started] = _imports()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/catalog/imports/{started.id}"
    assert started.job_id is not None
    job = db.session.get(Job, started.job_id)
    assert job.kind == "catalog.import"


def test_a_running_import_shows_the_jobs_live_progress(pages, catalog, world):
    """An import whose job has not run yet (a worker busy elsewhere): its page polls the job."""
    job = Job(kind="catalog.import", status="queued", args={}, organization_id=world.vendor.id,
              created_by="user:1", max_attempts=3)
    db.session.add(job)
    db.session.flush()
    queued = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="csv", status="queued",
                           row_count=3, payload=TWO_BAD_ROWS, errors=[], job_id=job.id, created_by="test")
    db.session.add(queued)
    db.session.commit()
    page = pages.as_("vendor_admin")
    html = _html(page.get(f"/portal/catalog/imports/{queued.id}"))
    assert f'hx-get="/jobs/{job.id}/progress?label=Catalog+import"' in html
    assert f"Catalog import (job {job.id}): waiting to start" in text_of(html)
    assert "Its result shows here when it ends" in text_of(html)


def test_a_failed_import_says_nothing_was_applied_and_why_its_job_stopped(pages, catalog, world):
    job = Job(kind="catalog.import", status="failed", args={}, organization_id=world.vendor.id,
              created_by="user:1", max_attempts=3, attempts=3, error="OperationalError: the database went away")
    db.session.add(job)
    db.session.flush()
    failed = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="csv", status="failed",
                           row_count=3, payload=TWO_BAD_ROWS, errors=[], job_id=job.id, created_by="test")
    db.session.add(failed)
    db.session.commit()
    html = _html(pages.as_("vendor_admin").get(f"/portal/catalog/imports/{failed.id}"))
    text = text_of(html)
    assert "This import failed: nothing of it was applied." in text
    assert "Why it stopped: OperationalError: the database went away" in text and "hx-get" not in html


def test_the_error_report_csv_names_the_bad_rows_exactly(pages, finished):
    page, import_id = finished
    response = page.get(f"/portal/catalog/imports/{import_id}/errors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="catalog-import-{import_id}-errors.csv"'
    assert response.get_data(as_text=True) == TWO_BAD_ROWS_REPORT


def test_the_error_report_csv_is_safe_from_spreadsheet_formulas(pages, catalog, run_jobs):
    page = pages.as_("vendor_admin")
    rows = ["sku,name,category,list_price",
            '=HYPERLINK("http://evil.example"),Formula,supplies,0',
            "+SUM(A1),Plus,toys,1.00",
            "-2+3,Minus,supplies,abc",
            "@cmd,At,supplies,-1"]
    assert _upload(page, "\n".join(rows) + "\n").status_code == 302
    [started] = _imports()
    run_jobs(started.job_id)
    body = page.get(f"/portal/catalog/imports/{started.id}/errors.csv").get_data(as_text=True)
    assert body == (
        "row,sku,field,message\r\n"
        "2,\"'=HYPERLINK(\"\"http://evil.example\"\")\",list_price,list_price must be greater than 0\r\n"
        "3,'+SUM(A1),category,\"Must be one of: equipment, it, supplies, services.\"\r\n"
        "4,'-2+3,list_price,\"Not a valid decimal: send it as a string of digits, \"\"12.5\"\".\"\r\n"
        "5,'@cmd,list_price,list_price must be greater than 0\r\n"
    )


def test_a_json_file_is_imported_with_its_own_mode(pages, catalog, run_jobs):
    page = pages.as_("vendor_admin")
    body = {"mode": "replace", "products": [
        {"sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "category": "supplies", "list_price": "13.49"},
        {"sku": "MSK-N95", "name": "N95 respirator", "category": "supplies", "list_price": "1.2345",
         "clinical": True},
    ]}
    assert _upload(page, json.dumps(body), "catalog.json", mode="upsert").status_code == 302
    [started] = _imports()
    run_jobs(started.job_id)
    text = text_of(_html(page.get(f"/portal/catalog/imports/{started.id}")))
    assert "1 created" not in text and "1 updated, 1 unchanged, 0 deactivated, 0 failed" in text
    assert "Every row was accepted." in text and "JSON, 2 rows" in text
    db.session.expire_all()
    assert db.session.get(Product, catalog["gloves"].id).list_price == D("13.4900")


@pytest.mark.parametrize(("content", "filename", "status", "message"), [
    ("sku,name\n", "notes.txt", 415, "The file notes.txt is not a CSV (.csv) or JSON (.json) file."),
    ("", "empty.csv", 422, "The file is empty."),
    ("  \n", "blank.json", 422, "The file is empty."),
    ("sku,name,category,list_price\n", "header-only.csv", 422, "The file has a header but no products."),
    ("sku,name,price\nA,B,1\n", "wrong.csv", 422,
     "The CSV header must name the columns sku,name,category,list_price,description,manufacturer,"
     "manufacturer_part_number,gtin,unit_of_measure,clinical,min_order_quantity,order_multiple,active "
     "(the first four required) (missing: category, list_price; unknown: price)."),
    ('{"products": 3}', "bad.json", 422,
     'The body must be {"mode": "upsert" or "replace", "products": [ {...}, ... ]}.'),
    (b"sku,name,category,list_price\n\xff\xfe,x,supplies,1\n", "latin.csv", 422,
     "The body is not UTF-8 (byte 29 cannot be decoded)."),
])
def test_a_bad_file_is_refused_at_the_file_field_and_nothing_is_written(pages, catalog, content, filename,
                                                                        status, message):
    page = pages.as_("vendor_admin")
    before = _rows()
    response = _upload(page, content, filename)
    html = _html(response)
    assert response.status_code == status, text_of(html)[:400]
    assert _field_error(html, "file") == message
    assert "The file was not imported; nothing was written." in text_of(html)
    assert _rows() == before


def test_no_file_chosen_is_refused_at_the_field(pages, catalog):
    page = pages.as_("vendor_admin")
    page.get("/portal/catalog/imports")
    before = _rows()
    response = page.post("/portal/catalog/imports", {"mode": "upsert"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert _field_error(_html(response), "file") == "Choose a CSV or JSON file to upload."
    assert _rows() == before


def test_a_bad_mode_is_refused_at_its_field(pages, catalog):
    page = pages.as_("vendor_admin")
    before = _rows()
    response = _upload(page, TWO_BAD_ROWS, mode="merge")
    assert response.status_code == 422
    assert _field_error(_html(response), "mode") == "must be upsert or replace"
    assert _rows() == before


def test_a_file_too_large_is_refused_at_the_field_and_nothing_is_written(pages, catalog, app, monkeypatch):
    page = pages.as_("vendor_admin")
    page.get("/portal/catalog/imports")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    before = _rows()
    big = TWO_BAD_ROWS + "".join(f"SKU-{n:07d},Bulk item {n},supplies,1.00,box\n" for n in range(80_000))
    response = _upload(page, big)
    html = _html(response)
    assert response.status_code == 413
    assert _field_error(html, "file") == ("The file is larger than 2 MB, the most one import takes: "
                                           "split it into smaller files.")
    assert "Upload and import" in text_of(html) and "Sign out" in text_of(html)  # the vendor's own page
    assert _rows() == before


def test_the_start_page_says_which_imports_finished_with_errors(pages, finished):
    page, import_id = finished
    html = _html(page.get("/portal"))
    assert f'<a href="/portal/catalog/imports/{import_id}">Import #{import_id} finished with 2 errors</a>' in html


# --- one product ------------------------------------------------------------------------------------


def _product_form(page, product_id: int) -> dict:
    """The edit form as the page rendered it (every field, the ETag)."""
    html = _html(page.get(f"/portal/catalog/products/{product_id}"))
    form = html.split('id="edit-heading"')[1].split("</form>")[0]
    values = dict(re.findall(r'name="([a-z_]+)" type="[a-z]+" value="([^"]*)"', form))
    values["etag"] = re.search(r'name="etag" value="([^"]+)"', form).group(1)
    values["description"] = re.search(r'name="description"[^>]*>([^<]*)</textarea>', form).group(1)
    values["category"] = re.search(r'<option value="([a-z]+)" selected>', form).group(1)
    values.pop("csrf_token", None)
    return values


def test_the_product_page_shows_the_form_the_price_history_and_clinical_read_only(pages, catalog):
    page = pages.as_("vendor_admin")
    mask = catalog["mask"]
    response = page.get(f"/portal/catalog/products/{mask.id}")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200
    form = _product_form(page, mask.id)
    assert form["sku"] == "MSK-N95" and form["list_price"] == "1.2345" and form["unit_of_measure"] == "each"
    assert 'name="clinical"' not in html  # not offered to the vendor ...
    assert "Clinical: Yes (marked by MSO procurement)" in text and "Only MSO procurement marks" in text  # ... and why
    assert "Deactivate product" in text and "Reactivate product" not in text


def test_editing_a_product_saves_it_under_its_etag(pages, catalog):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    form = _product_form(page, gloves.id)
    response = page.post(f"/portal/catalog/products/{gloves.id}",
                         {**form, "name": "Nitrile gloves, medium, box of 100", "list_price": "13.49", "gtin": ""})
    assert response.status_code == 302 and response.headers["Location"] == f"/portal/catalog/products/{gloves.id}"
    db.session.expire_all()
    product = db.session.get(Product, gloves.id)
    assert (product.name, product.list_price, product.version) == ("Nitrile gloves, medium, box of 100", D("13.4900"), 2)
    text = text_of(_html(page.get(f"/portal/catalog/products/{gloves.id}")))
    assert "GLV-NIT-M is saved." in text and "$13.49" in text
    again = page.post(f"/portal/catalog/products/{gloves.id}", _product_form(page, gloves.id))
    assert again.status_code == 302
    assert "Nothing changed" in text_of(_html(page.get(f"/portal/catalog/products/{gloves.id}")))


def test_a_stale_form_is_refused_with_the_apis_412_and_shows_the_current_values(pages, catalog):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    form = _product_form(page, gloves.id)
    product = db.session.get(Product, gloves.id)
    product.name = "Renamed by the integration"  # another writer, meanwhile
    db.session.commit()
    before = _rows()
    response = page.post(f"/portal/catalog/products/{gloves.id}", {**form, "list_price": "99.00"})
    html = _html(response)
    assert response.status_code == 412
    assert ("Nothing was saved: the object changed since you read it: fetch it again and retry with its new "
            "ETag.") in text_of(html)
    current = _product_form(page, gloves.id)
    assert 'value="Renamed by the integration"' in html and 'value="12.99"' in html  # as it is now
    assert re.search(r'name="etag" value="([^"]+)"', html).group(1) == current["etag"] != form["etag"]
    assert _rows() == before
    db.session.expire_all()
    product = db.session.get(Product, gloves.id)
    assert (product.list_price, product.version) == (D("12.9900"), 2)


def test_a_form_without_its_etag_is_refused(pages, catalog):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    form = _product_form(page, gloves.id)
    del form["etag"]
    assert page.post(f"/portal/catalog/products/{gloves.id}", {**form, "name": "X"}).status_code == 412
    db.session.expire_all()
    assert db.session.get(Product, gloves.id).version == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("list_price", "-1", "list_price must be greater than 0"),
    ("list_price", "1.23456", "list_price has at most 4 decimal places"),
    ("list_price", "", 'Not a valid decimal: send it as a string of digits, "12.5".'),
    ("name", "", "Length must be between 1 and 200."),
    ("gtin", "12345", "not a valid GTIN: 8, 12, 13 or 14 digits with the GS1 check digit"),
    ("min_order_quantity", "0", "Must be greater than or equal to 1 and less than or equal to 1000000."),
    ("category", "toys", "Must be one of: equipment, it, supplies, services."),
])
def test_bad_input_is_refused_at_the_field_and_nothing_is_written(pages, catalog, field, value, message):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    form = _product_form(page, gloves.id)
    before = _rows()
    response = page.post(f"/portal/catalog/products/{gloves.id}", {**form, field: value, "unit_of_measure": "case"})
    html = _html(response)
    assert response.status_code == 422
    assert _field_error(html, field) == message
    assert 'value="case"' in html  # what was typed is shown again
    assert _rows() == before
    db.session.expire_all()
    product = db.session.get(Product, gloves.id)
    assert (product.unit_of_measure, product.version) == ("box", 1)


def test_a_sku_the_vendor_already_has_is_refused_at_the_sku_field(pages, catalog):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    response = page.post(f"/portal/catalog/products/{gloves.id}", {**_product_form(page, gloves.id), "sku": "MSK-N95"})
    assert response.status_code == 409
    assert "already has a product with SKU 'MSK-N95'" in _field_error(_html(response), "sku")
    db.session.expire_all()
    assert db.session.get(Product, gloves.id).sku == "GLV-NIT-M"


def test_a_posted_clinical_field_is_ignored_the_mso_mark_stays(pages, catalog):
    page = pages.as_("vendor_admin")
    mask = catalog["mask"]
    form = _product_form(page, mask.id)
    assert page.post(f"/portal/catalog/products/{mask.id}", {**form, "clinical": "false"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, mask.id).clinical is True


def test_deactivate_then_reactivate(pages, catalog):
    page = pages.as_("vendor_admin")
    gloves = catalog["gloves"]
    page.get(f"/portal/catalog/products/{gloves.id}")
    response = page.post(f"/portal/catalog/products/{gloves.id}/deactivate")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, gloves.id).active is False
    html = _html(page.get(f"/portal/catalog/products/{gloves.id}"))
    assert "GLV-NIT-M is deactivated: practices no longer see it in the shop." in text_of(html)
    assert "Reactivate product" in text_of(html)
    assert "Nitrile exam gloves" in text_of(_html(page.get("/portal/catalog?active=false")))
    etag = re.search(r'name="etag" value="([^"]+)"', html.split('id="status-heading"')[1]).group(1)
    assert page.post(f"/portal/catalog/products/{gloves.id}/reactivate", {"etag": "stale"}).status_code == 412
    assert page.post(f"/portal/catalog/products/{gloves.id}/reactivate", {"etag": etag}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, gloves.id).active is True


def test_a_vendor_api_keys_import_still_shows_on_the_admins_pages(pages, client, world, catalog, run_jobs):
    """An import the vendor's integration started (with an API key) is the vendor's too."""
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports?mode=upsert", data=TWO_BAD_ROWS,
                           headers={**world.headers["vendor_key"], "Content-Type": "text/csv"})
    assert response.status_code == 202, response.get_json()
    run_jobs(response.get_json()["job_id"])
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get(f"/portal/catalog/imports/{response.get_json()['id']}")))
    assert "1 created" in text and "BAD-PRICE" in text


# --- queries ------------------------------------------------------------------------------------------


def test_the_catalog_and_imports_pages_issue_as_many_queries_for_more_rows(pages, world, catalog, run_jobs):
    page = pages.as_("vendor_admin")
    statements = Statements(page)

    def more_products():
        for n in range(15):
            ProductFactory(vendor_id=world.vendor.id, clinical=n % 2 == 0)

    same_count(statements, "/portal/catalog", more_products)

    def more_imports():
        for _ in range(3):
            _upload(page, TWO_BAD_ROWS.replace("GLV-NEW", f"GLV-{_}"))

    _upload(page, TWO_BAD_ROWS)
    same_count(statements, "/portal/catalog/imports", more_imports)


# --- the services' pure parts -------------------------------------------------------------------------


def test_the_error_report_has_one_row_per_field_in_file_order():
    from gpo.catalog.catalog_imports import WHOLE_ROW, error_report_rows

    errors = [
        {"line": 2, "sku": "A", "errors": {"list_price": ["too low"], "gtin": ["bad", "worse"]}},
        {"line": 5, "sku": None, "errors": {"_row": ["expected 4 cells, found 3"]}},
        {"line": 7, "sku": "B", "errors": {"extra": {"0": ["Unknown field."]}}},
    ]
    assert error_report_rows(errors) == [
        {"row": 2, "sku": "A", "field": "list_price", "message": "too low"},
        {"row": 2, "sku": "A", "field": "gtin", "message": "bad worse"},
        {"row": 5, "sku": "", "field": WHOLE_ROW, "message": "expected 4 cells, found 3"},
        {"row": 7, "sku": "B", "field": "extra.0", "message": "Unknown field."},
    ]


@pytest.mark.parametrize(("filename", "mimetype", "expected"), [
    ("catalog.csv", "application/octet-stream", "csv"),
    ("CATALOG.JSON", "text/plain", "json"),
    ("export", "text/csv", "csv"),
    ("export", "application/json", "json"),
    ("catalog.xlsx", "text/csv", None),
    ("export", "text/plain", None),
])
def test_an_uploaded_files_format_comes_from_its_name_else_its_type(filename, mimetype, expected):
    from gpo.catalog.parsing import format_of_file
    from gpo.errors import DomainError

    if expected is None:
        with pytest.raises(DomainError) as refused:
            format_of_file(filename, mimetype)
        assert refused.value.status_code == 415
    else:
        assert format_of_file(filename, mimetype) == expected
