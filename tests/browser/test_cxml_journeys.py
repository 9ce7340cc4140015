"""A vendor takes a purchase order as cXML in a real browser, by role and accessible
name. THE JOURNEY: Acme's admin opens its purchase order in the portal, follows
"Download as cXML" and gets the OrderRequest file its system reads: the purchase
order's id, a line per location at the exact unit price, the total in dollars and
cents. axe-core on the page with the link."""
from __future__ import annotations

from playwright.sync_api import expect

from gpo.notifications.cxml.parsing import parse
from tests.browser.conftest import assert_accessible


def test_a_vendor_downloads_its_purchase_order_as_cxml(web, after_close):
    po, world = after_close.po, after_close.world
    page = web.sign_in(world.users["vendor_admin"].email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchase orders").click()
    page.get_by_role("link", name=f"PO {po.id}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Purchase order {po.id}")
    assert_accessible(page, "a purchase order with its cXML link")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as cXML").click()
    assert download.value.suggested_filename == f"purchase-order-{po.id}.xml"
    root = parse(open(download.value.path(), "rb").read())
    header = root.find("Request/OrderRequest/OrderRequestHeader")
    assert (header.get("orderID"), header.findtext("Total/Money")) == (str(po.id), "1979.01")
    assert [(i.get("quantity"), i.findtext("ItemDetail/UnitPrice/Money")) for i in root.iter("ItemOut")] == [
        ("60", "17.9910"), ("50", "17.9910")]
