"""The saved lists API (/api/v1/saved-lists): the same services as the /lists pages."""
from __future__ import annotations

import pytest

from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def test_a_list_is_created_filled_and_added_to_the_cart(client, world, market):
    h = world.headers["practice_buyer"]
    created = client.post("/api/v1/saved-lists", json={"name": "Weekly"}, headers=h)
    assert created.status_code == 201, created.get_data(as_text=True)
    list_id = created.get_json()["id"]
    assert client.post("/api/v1/saved-lists", json={"name": "Weekly"}, headers=h).status_code == 409
    added = client.post(f"/api/v1/saved-lists/{list_id}/items", json={"sku": "GLV", "quantity": 3}, headers=h)
    assert added.status_code == 200, added.get_data(as_text=True)
    assert added.get_json()["items"] == [{"product_id": market.gloves.id, "sku": "GLV", "name": market.gloves.name,
                                          "quantity": 3}]
    refused = client.post(f"/api/v1/saved-lists/{list_id}/items",
                          json={"product_id": market.masks.id, "quantity": 7}, headers=h)
    assert refused.status_code == 422 and "quantity" in refused.get_json()["errors"]["json"]
    cart = client.post(f"/api/v1/saved-lists/{list_id}/add-to-cart", json={"location_id": world.location.id}, headers=h)
    assert cart.status_code == 200 and cart.get_json()["status"] == "draft"
    listed = client.get("/api/v1/saved-lists", headers=h)
    assert [item["name"] for item in listed.get_json()] == ["Weekly"] and "X-Pagination" in listed.headers
    removed = client.delete(f"/api/v1/saved-lists/{list_id}/items/{market.gloves.id}", headers=h)
    assert removed.status_code == 200 and removed.get_json()["items"] == []
    assert client.delete(f"/api/v1/saved-lists/{list_id}", headers=h).status_code == 204
    assert client.get(f"/api/v1/saved-lists/{list_id}", headers=h).status_code == 404


def test_another_practice_gets_404_and_a_physician_403(client, world, market):
    list_id = client.post("/api/v1/saved-lists", json={"name": "Ours"},
                          headers=world.headers["practice_buyer"]).get_json()["id"]
    other = world.headers["other_practice_admin"]
    assert client.get(f"/api/v1/saved-lists/{list_id}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/saved-lists/{list_id}", headers=other).status_code == 404
    physician = world.headers["practice_physician"]
    assert client.get(f"/api/v1/saved-lists/{list_id}", headers=physician).status_code == 200
    response = client.post(f"/api/v1/saved-lists/{list_id}/items", json={"sku": "GLV", "quantity": 1}, headers=physician)
    assert response.status_code == 403
