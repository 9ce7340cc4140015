"""a URL urlsplit cannot take apart (a bracket left open, a name in brackets)
must be a 422 at `url`, not a 500, when an endpoint is created or changed."""
import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.notifications.models import WebhookEndpoint
from tests.notifications.webhook_support import add_endpoint
from tests.pages import Pages

BAD_URLS = ["https://[::1/hooks", "https://[hooks.acme.example]/hooks", "https://hooks]/x"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_creating_an_endpoint_with_a_broken_bracketed_host_is_422(client, world, url):
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/webhook-endpoints", json={"url": url},
                           headers=world.headers["vendor_admin"])
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    db.session.rollback()
    assert db.session.query(WebhookEndpoint).count() == 0


@pytest.mark.parametrize("url", BAD_URLS)
def test_changing_an_endpoints_url_to_a_broken_bracketed_host_is_422(client, world, url):
    body, _ = add_endpoint(client, world, "http://127.0.0.1:9/hooks")
    current = client.get(f"/api/v1/webhook-endpoints/{body['id']}", headers=world.headers["vendor_admin"])
    response = client.patch(f"/api/v1/webhook-endpoints/{body['id']}", json={"url": url},
                            headers={**world.headers["vendor_admin"], "If-Match": current.headers["ETag"]})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]


def test_the_portal_form_with_a_broken_bracketed_host_says_so_at_the_field(app, world):
    import re

    page = Pages(app, world).as_("vendor_admin")
    token = re.search(r'name="form_token" value="([^"]+)"', page.get("/portal/webhooks").get_data(as_text=True)).group(1)
    try:
        refused = page.post("/portal/webhooks", {"url": "https://[::1/hooks", "form_token": token})
    except ValueError as crash:  # the page raised: a 500
        pytest.fail(f"the portal's form answered 500: {crash}")
    assert refused.status_code == 422


@pytest.mark.parametrize("enabled", [0, 1, "yes", "on", "true"])
def test_enabled_must_be_a_json_boolean(client, world, enabled):
    """`"enabled": 0` is no boolean in JSON: refused at the field, nothing created (the
    OpenAPI schema says boolean; marshmallow alone would take 0, 1, "yes", "on")."""
    body = {"url": "https://erp.acme-medical.example/gpo/webhooks", "enabled": enabled}
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/webhook-endpoints", json=body,
                           headers=world.headers["vendor_admin"])
    assert response.status_code == 422 and "enabled" in response.get_json()["errors"]["json"]
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
