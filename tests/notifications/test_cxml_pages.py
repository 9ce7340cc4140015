"""The vendor portal's "Download as cXML" on a purchase order's page: the link, the file
it downloads (the API's OrderRequest), and the page's tenancy (another vendor's
purchase order is 404, and the portal is no page for MSO staff or practices)."""
from __future__ import annotations

import re

import pytest

from gpo.notifications.cxml.parsing import parse
from tests.pages import Pages


@pytest.fixture
def pages(app, world):
    return Pages(app, world)


def test_the_purchase_order_page_links_to_its_cxml(pages, after_close, client):
    po = after_close.po
    page = pages.as_("vendor_admin")
    html = page.get(f"/portal/purchase-orders/{po.id}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" download>Download as cXML</a>', html)
    assert link and link.group(1) == f"/portal/purchase-orders/{po.id}/cxml"
    response = page.get(link.group(1))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="purchase-order-{po.id}.xml"'
    downloaded = parse(response.get_data())
    api = parse(client.get(f"/api/v1/purchase-orders/{po.id}", headers={
        **after_close.world.headers["vendor_key"], "Accept": "application/xml"}).get_data())
    assert downloaded.find("Request/OrderRequest/OrderRequestHeader").attrib == \
        api.find("Request/OrderRequest/OrderRequestHeader").attrib
    assert [i.attrib for i in downloaded.iter("ItemOut")] == [i.attrib for i in api.iter("ItemOut")]


@pytest.mark.parametrize("who", ["other_vendor_admin", "mso_admin", "practice_admin"])
def test_another_organizations_cxml_download_is_not_found(pages, after_close, who):
    response = pages.as_(who).get(f"/portal/purchase-orders/{after_close.po.id}/cxml")
    assert response.status_code == 404
    assert "<cXML" not in response.get_data(as_text=True)


def test_signed_out_the_download_asks_to_sign_in(pages, after_close):
    response = pages.anonymous().get(f"/portal/purchase-orders/{after_close.po.id}/cxml")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
