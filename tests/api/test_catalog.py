"""Products over HTTP: vendors keep them, everyone browses, price history, clinical flag."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gpo.catalog.models import Product
from gpo.db import db
from tests.factories import ProductFactory
from tests.helpers import assert_error

GLOVES = {
    "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium, box of 100", "category": "supplies",
    "manufacturer": "Acme", "manufacturer_part_number": "AC-100M", "gtin": "00012345678905",
    "unit_of_measure": "box", "list_price": "12.9900", "clinical": False,
    "min_order_quantity": 1, "order_multiple": 1,
}


def create(client, world, body=GLOVES, who="vendor_admin"):
    return client.post(f"/api/v1/vendors/{world.vendor.id}/products", json=body, headers=world.headers[who])


def count_products():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Product))


def edit(client, world, product_id, body, who):
    url = f"/api/v1/products/{product_id}"
    etag = client.get(url, headers=world.headers[who]).headers["ETag"]
    return client.patch(url, json=body, headers={**world.headers[who], "If-Match": etag})


def test_a_vendor_adds_a_product_by_user_or_key(client, world):
    response = create(client, world)
    assert response.status_code == 201
    body = response.get_json()
    assert body["list_price"] == "12.9900" and body["vendor_id"] == world.vendor.id and body["active"]
    assert [p["list_price"] for p in body["price_history"]] == ["12.9900"]
    by_key = create(client, world, {**GLOVES, "sku": "GLV-NIT-L"}, who="vendor_key")
    assert by_key.status_code == 201
    assert_error(create(client, world, who="vendor_key"), 409, contains="GLV-NIT-M")


def test_each_price_change_is_kept_with_its_time(client, world):
    product_id = create(client, world).get_json()["id"]
    first = edit(client, world, product_id, {"list_price": "13.5"}, "vendor_admin")
    assert first.status_code == 200
    second = edit(client, world, product_id, {"list_price": "14.25", "name": "Gloves M"}, "vendor_key")
    history = second.get_json()["price_history"]
    assert [h["list_price"] for h in history] == ["14.2500", "13.5000", "12.9900"]
    assert history[0]["effective_to"] is None
    assert history[1]["effective_to"] == history[0]["effective_from"]
    assert history[2]["effective_to"] == history[1]["effective_from"]
    renamed = edit(client, world, product_id, {"name": "Gloves, M"}, "vendor_admin")
    assert len(renamed.get_json()["price_history"]) == 3  # no price change, no new entry


def test_mso_procurement_marks_clinical_and_the_vendor_cannot_unmark(client, world):
    product_id = create(client, world).get_json()["id"]
    marked = edit(client, world, product_id, {"clinical": True}, "mso_procurement")
    assert marked.status_code == 200 and marked.get_json()["clinical"] and marked.get_json()["clinical_marked_by_mso"]
    assert_error(edit(client, world, product_id, {"clinical": False}, "vendor_admin"), 403, contains="only the MSO")
    assert_error(edit(client, world, product_id, {"list_price": "1.00"}, "mso_procurement"), 403)
    assert_error(edit(client, world, product_id, {"clinical": True}, "mso_finance"), 403)
    assert edit(client, world, product_id, {"name": "still editable"}, "vendor_admin").status_code == 200
    unmarked = edit(client, world, product_id, {"clinical": False}, "mso_procurement")
    assert unmarked.get_json()["clinical"] is False and unmarked.get_json()["clinical_marked_by_mso"] is False


def test_a_vendor_marks_its_own_product_clinical(client, world):
    product_id = create(client, world, {**GLOVES, "clinical": True}).get_json()["id"]
    unmarked = edit(client, world, product_id, {"clinical": False}, "vendor_admin")
    assert unmarked.status_code == 200 and unmarked.get_json()["clinical"] is False


def test_delete_deactivates_and_never_removes(client, world):
    product_id = create(client, world).get_json()["id"]
    response = client.delete(f"/api/v1/products/{product_id}", headers=world.headers["vendor_admin"])
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert count_products() == 1
    assert_error(client.get(f"/api/v1/products/{product_id}", headers=world.headers["practice_buyer"]), 404)
    assert client.get(f"/api/v1/products/{product_id}", headers=world.headers["vendor_admin"]).status_code == 200
    inactive = client.get("/api/v1/products?active=false", headers=world.headers["vendor_admin"]).get_json()
    assert [p["id"] for p in inactive] == [product_id]
    assert client.get("/api/v1/products?active=false", headers=world.headers["practice_buyer"]).get_json() == []


def test_browsing_search_filters_and_sort(client, world):
    ProductFactory(vendor_id=world.vendor.id, sku="GLV-1", name="Nitrile gloves", list_price=Decimal("12.99"))
    ProductFactory(vendor_id=world.vendor.id, sku="TBL-9", name="Exam table", category="equipment",
                   manufacturer="Midmark", list_price=Decimal("3200.00"), clinical=True)
    ProductFactory(vendor_id=world.other_vendor.id, sku="LAP-1", name="Laptop", category="it",
                   manufacturer_part_number="XPS-13", list_price=Decimal("999.00"))
    ProductFactory(vendor_id=world.other_vendor.id, sku="OLD-1", name="Old gloves", active=False)

    def names(query, who="practice_buyer"):
        response = client.get(f"/api/v1/products{query}", headers=world.headers[who])
        assert response.status_code == 200
        return [p["name"] for p in response.get_json()]

    assert names("") == ["Exam table", "Laptop", "Nitrile gloves"]
    assert names("?sort=price") == ["Nitrile gloves", "Laptop", "Exam table"]
    assert names("?sort=-price") == ["Exam table", "Laptop", "Nitrile gloves"]
    assert names("?q=gloves") == ["Nitrile gloves"]
    assert names("?q=midmark") == ["Exam table"]
    assert names("?q=XPS-13") == ["Laptop"]
    assert names("?category=it") == ["Laptop"]
    assert names("?clinical=true") == ["Exam table"]
    assert names(f"?vendor_id={world.other_vendor.id}") == ["Laptop"]
    assert names("", who="vendor_key") == ["Exam table", "Nitrile gloves"]  # a vendor sees its own
    assert names("?active=false", who="mso_finance") == ["Old gloves"]
    response = client.get("/api/v1/products?page_size=2&page=2", headers=world.headers["practice_buyer"])
    assert [p["name"] for p in response.get_json()] == ["Nitrile gloves"]
    assert '"total": 3' in response.headers["X-Pagination"]
    assert_error(client.get("/api/v1/products?sort=colour", headers=world.headers["practice_buyer"]), 422)


def test_a_vendor_cannot_see_another_vendors_product(client, world):
    other = ProductFactory(vendor_id=world.other_vendor.id)
    assert_error(client.get(f"/api/v1/products/{other.id}", headers=world.headers["vendor_key"]), 404)
    assert client.get(f"/api/v1/products/{other.id}", headers=world.headers["practice_buyer"]).status_code == 200


@pytest.mark.parametrize("field, value", [
    ("sku", None), ("sku", ""), ("name", ""), ("list_price", "-1"), ("list_price", "0"), ("list_price", "abc"),
    ("list_price", "12.99999"), ("list_price", "NaN"), ("gtin", "00012345678906"), ("category", "toys"),
    ("name", "x" * 201), ("sku", "x" * 65), ("manufacturer", "x" * 201), ("min_order_quantity", 0),
    ("order_multiple", -2), ("unknown_field", 1),
])
def test_bad_product_fields_are_422_and_write_nothing(client, world, field, value):
    body = {**GLOVES, field: value}
    if value is None:
        body.pop(field)
    response = create(client, world, body)
    errors = assert_error(response, 422)["errors"]
    assert field in str(errors)
    assert count_products() == 0


def test_mso_procurement_cannot_unmark_what_the_vendor_marked_clinical(client, world):
    product = client.post(f"/api/v1/vendors/{world.vendor.id}/products", json={
        "sku": "SCALPEL", "name": "Scalpel", "category": "supplies", "list_price": "2.50", "clinical": True,
    }, headers=world.headers["vendor_admin"]).get_json()
    refused = edit(client, world, product["id"], {"clinical": False}, "mso_procurement")
    body = assert_error(refused, 409)
    assert "only the vendor can unmark it" in body["message"]
    assert client.get(f"/api/v1/products/{product['id']}", headers=world.headers["mso_procurement"]).get_json()["clinical"]
