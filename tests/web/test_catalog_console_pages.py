"""The console's catalog without a browser: MSO staff search every vendor's products
(vendor, SKU, name, category in words, exact list price, clinical and who marked it);
MSO procurement and admins mark and unmark a product clinical under its ETag (the
API's update_product; a stale version answers the API's 412 and nothing changes);
finance sees why it may not and its POST answers 403 with nothing written; practice
and vendor users get 404; the list sends as many statements for more rows."""
from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.catalog.models import Product
from gpo.db import db
from gpo.etags import etag_for
from tests.factories import ProductFactory, VendorFactory
from tests.pages import text_of
from tests.web.test_page_query_counts import Statements, same_count

NOT_OFFERED = "Only MSO procurement or an MSO admin marks products clinical."
STALE = "the object changed since you read it: fetch it again and retry with its new ETag"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _rows() -> dict[str, int]:
    """Every table's row count (a refused form leaves them all as they were)."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _product(product_id: int) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product_id)


def _etag_in(html: str, product_id: int) -> str:
    match = re.search(rf'action="/console/products/{product_id}/clinical[^"]*">.*?name="etag" value="([0-9a-f]+)"',
                      html, re.S)
    assert match, f"no form for product {product_id}"
    return match.group(1)


@pytest.fixture
def catalog(world):
    """Acme's gloves ($12.99), its exam table (clinical by the vendor) and mask (clinical
    by the MSO), an inactive stool; Bolt's laptop."""
    vendor = world.vendor.id
    made = {
        "gloves": ProductFactory(vendor_id=vendor, sku="GLV-NIT-M", name="Nitrile exam gloves, medium",
                                 list_price=D("12.9900"), unit_of_measure="box"),
        "table": ProductFactory(vendor_id=vendor, sku="TBL-1", name="Exam table", category="equipment",
                                list_price=D("3400.0000"), unit_of_measure="each", clinical=True),
        "mask": ProductFactory(vendor_id=vendor, sku="MSK-N95", name="N95 respirator", list_price=D("1.2345"),
                               unit_of_measure="each", clinical=True, clinical_marked_by_mso=True),
        "stool": ProductFactory(vendor_id=vendor, sku="STOOL-1", name="Exam stool", list_price=D("329.0000"),
                                active=False),
        "laptop": ProductFactory(vendor_id=world.other_vendor.id, sku="LAP-14", name="Business laptop",
                                 category="it", list_price=D("1249.0000"), unit_of_measure="each"),
    }
    db.session.commit()
    return made


def _mark(page, product, clinical: bool, etag: str | None = None, query: str = ""):
    html = _html(page.get("/console/products" + query))
    return page.post(f"/console/products/{product.id}/clinical{query}",
                     {"clinical": "true" if clinical else "false",
                      "etag": etag if etag is not None else _etag_in(html, product.id)})


# --- the list ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mso_admin", "mso_procurement", "mso_finance"])
def test_every_mso_role_sees_the_whole_catalog_with_vendor_price_and_clinical(pages, catalog, role):
    response = pages.as_(role).get("/console/products")
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200
    assert "Acme GLV-NIT-M Nitrile exam gloves, medium Supplies $12.99 per box No" in text
    assert "Acme TBL-1 Exam table Equipment $3,400.00 per each Clinical marked by its vendor" in text
    assert "Acme MSK-N95 N95 respirator Supplies $1.2345 per each Clinical marked by the MSO" in text
    assert "Bolt LAP-14 Business laptop IT $1,249.00 per each No" in text
    assert "Exam stool" not in text  # inactive: on the inactive list
    assert "4 active products" in text
    assert '<a href="/console/products" aria-current="page">Catalog</a>' in html


def test_the_list_searches_and_filters_by_vendor_category_clinical_and_status(pages, catalog, world):
    page = pages.as_("mso_procurement")

    def skus(query: str) -> list[str]:
        response = page.get("/console/products" + query)
        assert response.status_code == 200
        return re.findall(r"<td>([A-Z0-9]+-[A-Z0-9-]+)</td>", _html(response))

    assert skus("?q=gloves") == ["GLV-NIT-M"]
    assert skus(f"?vendor_id={world.other_vendor.id}") == ["LAP-14"]
    assert skus("?category=equipment") == ["TBL-1"]
    assert skus("?clinical=true") == ["TBL-1", "MSK-N95"]
    assert skus("?clinical=false") == ["LAP-14", "GLV-NIT-M"]
    assert skus("?active=false") == ["STOOL-1"]
    assert skus(f"?q=exam&vendor_id={world.vendor.id}&clinical=true") == ["TBL-1"]


def test_a_bad_filter_is_said_at_its_field_with_a_422(pages, catalog):
    response = pages.as_("mso_procurement").get("/console/products?category=toys")
    html = _html(response)
    assert response.status_code == 422
    assert re.search(r'id="filter-category"[^>]*aria-invalid="true"', html)
    assert "Must be one of: equipment, it, supplies, services." in text_of(html)


def test_the_list_is_paginated(pages, world):
    for n in range(30):
        ProductFactory(vendor_id=world.vendor.id, name=f"Item {n:02d}")
    db.session.commit()
    page = pages.as_("mso_procurement")
    html = _html(page.get("/console/products"))
    text = text_of(html)
    assert "Page 1 of 2 (30 in all)" in text and "Item 24" in text and "Item 25" not in text
    assert '<a href="/console/products?page=2" rel="next">Next page</a>' in html
    assert "Item 25" in text_of(_html(page.get("/console/products?page=2")))


def test_a_refused_mark_shows_the_list_with_links_to_the_list(pages, world):
    """Shown again at the mark's URL, the list's page links still lead to the list."""
    made = [ProductFactory(vendor_id=world.vendor.id, name=f"Item {n:02d}") for n in range(30)]
    db.session.commit()
    page = pages.as_("mso_procurement")
    page.get("/console/products?page=2")
    response = page.post(f"/console/products/{made[0].id}/clinical?q=Item&page=2", {"clinical": "true", "etag": "old"})
    assert response.status_code == 412
    assert '<a href="/console/products?q=Item&amp;page=1" rel="prev">Previous page</a>' in _html(response)


# --- marking clinical -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mso_procurement", "mso_admin"])
def test_procurement_and_admins_mark_a_product_clinical_and_return_to_the_list(pages, catalog, world, role):
    page = pages.as_(role)
    gloves = catalog["gloves"]
    html = _html(page.get("/console/products?q=gloves"))
    assert 'aria-label="Mark clinical: Nitrile exam gloves, medium (GLV-NIT-M)"' in html
    response = _mark(page, gloves, True, query="?q=gloves")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/products?q=gloves"
    product = _product(gloves.id)
    assert product.clinical is True and product.clinical_marked_by_mso is True
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "product.update")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details == {"clinical": ["False", "True"]}
    text = text_of(_html(page.get(response.headers["Location"])))
    assert "Nitrile exam gloves, medium (GLV-NIT-M) is clinical now" in text
    assert "GLV-NIT-M Nitrile exam gloves, medium Supplies $12.99 per box Clinical marked by the MSO" in text


def test_procurement_unmarks_what_the_mso_marked(pages, catalog):
    page = pages.as_("mso_procurement")
    html = _html(page.get("/console/products"))
    assert 'aria-label="Unmark clinical: N95 respirator (MSK-N95)"' in html
    response = _mark(page, catalog["mask"], False)
    assert response.status_code == 302
    product = _product(catalog["mask"].id)
    assert product.clinical is False and product.clinical_marked_by_mso is False
    assert "N95 respirator (MSK-N95) is no longer clinical" in text_of(_html(page.get(response.headers["Location"])))


def test_what_the_vendor_marked_clinical_the_mso_cannot_unmark(pages, catalog):
    """Physicians keep control of clinical choices: the MSO takes back its own mark,
    never the vendor's. The page offers no button and says why; a POST is refused (409)."""
    page = pages.as_("mso_procurement")
    html = _html(page.get("/console/products"))
    assert "Unmark clinical: Exam table" not in html
    assert "Its vendor marked it clinical: only the vendor unmarks it." in text_of(html)
    from gpo.etags import etag_for

    response = _mark(page, catalog["table"], False, etag=etag_for(catalog["table"]))  # a hand-made form
    assert response.status_code == 409
    assert "only the vendor can unmark it" in text_of(_html(response))
    product = _product(catalog["table"].id)
    assert product.clinical is True and product.clinical_marked_by_mso is False


def test_each_rows_buttons_have_their_own_accessible_name(pages, catalog):
    html = _html(pages.as_("mso_procurement").get("/console/products"))
    labels = re.findall(r'<button type="submit"[^>]*aria-label="([^"]+)"', html)
    assert len(labels) == 3 and len(set(labels)) == 3  # the vendor-marked table has none


def test_a_stale_etag_answers_the_apis_412_and_changes_nothing(pages, catalog):
    page = pages.as_("mso_procurement")
    gloves = catalog["gloves"]
    html = _html(page.get("/console/products"))
    stale = _etag_in(html, gloves.id)
    fresh = _mark(page, catalog["gloves"], True)  # someone else marked it meanwhile
    assert fresh.status_code == 302
    before, version = _rows(), _product(gloves.id).version
    response = page.post(f"/console/products/{gloves.id}/clinical?q=gloves", {"clinical": "false", "etag": stale})
    assert response.status_code == 412
    text = text_of(_html(response))
    assert f"Nothing was changed: {STALE}." in text
    assert "GLV-NIT-M Nitrile exam gloves, medium Supplies $12.99 per box Clinical marked by the MSO" in text
    product = _product(gloves.id)
    assert product.clinical is True and product.version == version
    assert _rows() == before
    assert _etag_in(_html(response), gloves.id) == etag_for(product)  # the list shows the version it is now


def test_a_missing_etag_is_refused_and_changes_nothing(pages, catalog):
    page = pages.as_("mso_procurement")
    page.get("/console/products")
    before = _rows()
    response = page.post(f"/console/products/{catalog['gloves'].id}/clinical", {"clinical": "true"})
    assert response.status_code == 412  # require_match: no version named is a stale one
    assert "Nothing was changed" in text_of(_html(response))
    assert _product(catalog["gloves"].id).clinical is False and _rows() == before


def test_a_bad_clinical_value_is_refused_with_a_422(pages, catalog):
    page = pages.as_("mso_procurement")
    html = _html(page.get("/console/products"))
    before = _rows()
    response = page.post(f"/console/products/{catalog['gloves'].id}/clinical",
                         {"clinical": "maybe", "etag": _etag_in(html, catalog["gloves"].id)})
    assert response.status_code == 422
    assert "Nothing was changed: Not a valid boolean." in text_of(_html(response))
    assert _rows() == before


def test_finance_sees_why_not_and_its_post_answers_403_with_nothing_written(pages, catalog):
    page = pages.as_("mso_finance")
    response = page.get("/console/products")
    html = _html(response)
    assert response.status_code == 200
    assert NOT_OFFERED in text_of(html)
    assert "Mark clinical" not in html and "Unmark clinical" not in html
    before = _rows()
    response = page.post(f"/console/products/{catalog['gloves'].id}/clinical",
                         {"clinical": "true", "etag": etag_for(catalog["gloves"])})
    assert response.status_code == 403
    assert _product(catalog["gloves"].id).clinical is False and _rows() == before


def test_procurement_is_not_told_it_may_not(pages, catalog):
    assert NOT_OFFERED not in text_of(_html(pages.as_("mso_procurement").get("/console/products")))


def test_an_unknown_product_answers_404(pages, catalog):
    page = pages.as_("mso_procurement")
    page.get("/console/products")
    response = page.post("/console/products/999999/clinical", {"clinical": "true", "etag": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["practice_admin", "practice_buyer", "practice_physician", "vendor_admin"])
def test_practice_and_vendor_users_get_404(pages, catalog, role):
    page = pages.as_(role)
    assert page.get("/console/products").status_code == 404
    before = _rows()
    response = page.post(f"/console/products/{catalog['gloves'].id}/clinical",
                         {"clinical": "true", "etag": etag_for(catalog["gloves"])})
    assert response.status_code == 404
    assert _product(catalog["gloves"].id).clinical is False and _rows() == before


def test_signed_out_goes_to_sign_in(pages):
    response = pages.anonymous().get("/console/products")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- statements ---------------------------------------------------------------------------


def test_the_list_sends_as_many_statements_for_more_products_and_vendors(pages, catalog):
    statements = Statements(pages.as_("mso_procurement"))

    def grow():
        for n in range(3):
            vendor = VendorFactory(name=f"Vendor {n}")
            for _ in range(4):
                ProductFactory(vendor_id=vendor.id, clinical=bool(n % 2), clinical_marked_by_mso=bool(n % 2))

    same_count(statements, "/console/products", grow)
