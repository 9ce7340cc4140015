"""Vendor invoices' pages without a browser: the supplier's "Invoices" in the portal
(the list, "Send an invoice" prefilled from what shipped at the contract price, errors
at the field with nothing written, an invoice's match and what to do next), and the
console's "Vendor invoices" (exceptions first, the start page's count, dispute and
approve with a reason; other roles and faces 403/404)."""
from __future__ import annotations

import pytest

from tests.pages import text_of
from tests.vendor_invoice_scenarios import CONTRACT, Invoicing


@pytest.fixture
def inv(after_close):
    invoicing = Invoicing(after_close)
    invoicing.received()
    return invoicing


def _html(response) -> str:
    return response.get_data(as_text=True)


def _form(inv, **changes):
    data = {"purchase_order_id": str(inv.po.id), "number": "WEB-1", "issued_on": "2027-01-20",
            f"quantity-{inv.lakeside.id}": "60", f"price-{inv.lakeside.id}": "18.2500",
            f"quantity-{inv.riverbend.id}": "50", f"price-{inv.riverbend.id}": CONTRACT,
            "freight": "25.01", f"tax-{inv.world.location.id}": "8.64"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_supplier_sends_an_invoice_from_the_prefilled_form(pages, inv):
    page = pages.as_("vendor_admin")
    listing = _html(page.get("/portal/invoices"))
    assert 'href="/portal/invoices"' in listing and "Send an invoice" in listing
    form = _html(page.get(f"/portal/invoices/new?purchase_order_id={inv.po.id}"))
    assert f'name="quantity-{inv.lakeside.id}" type="number" value="60"' in form
    assert f'name="price-{inv.lakeside.id}" type="text" value="17.9910"' in form
    response = page.post("/portal/invoices", _form(inv))
    assert response.status_code == 302, text_of(_html(response))[:800]
    (sent,) = inv.client.get("/api/v1/vendor-invoices", headers=inv.world.headers["mso_finance"]).get_json()
    assert (sent["status"], sent["freight_cents"], sent["tax_cents"], sent["exception_cents"]) == ("exception", 2501, 864, 1554)
    detail = text_of(_html(page.get(response.headers["Location"])))
    assert "exception: waiting for MSO finance" in detail and "above the contract price" in detail
    assert "MSO finance reviews the exception" in detail and "$15.54" in detail


@pytest.mark.parametrize("changes, field", [
    ({"number": ""}, "f-number-error"),
    ({"freight": "12.345"}, "f-freight-error"),
    ({"issued_on": "not a date"}, "f-issued_on-error"),
])
def test_a_refused_form_says_why_at_the_field_and_writes_nothing(pages, inv, changes, field):
    page = pages.as_("vendor_admin")
    response = page.post("/portal/invoices", _form(inv, **changes))
    assert response.status_code == 422 and f'id="{field}"' in _html(response)
    assert inv.vendor_invoices() == 0


def test_too_many_units_and_a_bad_price_are_shown_at_their_line(pages, inv):
    page = pages.as_("vendor_admin")
    response = page.post("/portal/invoices", _form(inv, **{f"quantity-{inv.lakeside.id}": "61"}))
    assert response.status_code == 422 and f'id="f-quantity-{inv.lakeside.id}-error"' in _html(response)
    response = page.post("/portal/invoices", _form(inv, **{f"price-{inv.riverbend.id}": "-1"}))
    assert response.status_code == 422 and f'id="f-price-{inv.riverbend.id}-error"' in _html(response)
    inv.sent(inv.body("WEB-1", lines=[(inv.lakeside, 1, CONTRACT)]))
    response = page.post("/portal/invoices", _form(inv, **{f"quantity-{inv.lakeside.id}": "1"}))
    assert response.status_code == 409 and "already used" in _html(response)
    assert inv.vendor_invoices() == 1


def test_another_vendor_and_other_faces_do_not_see_them(pages, inv):
    mine = inv.sent(inv.body("SEEN-1"))
    other = pages.as_("other_vendor_admin")
    assert "SEEN-1" not in _html(other.get("/portal/invoices"))
    assert other.get(f"/portal/invoices/{mine['id']}").status_code == 404
    assert other.get(f"/portal/invoices/new?purchase_order_id={inv.po.id}").status_code == 404
    assert other.post("/portal/invoices", _form(inv, number="X-9")).status_code == 404
    for who in ("practice_admin", "mso_finance"):
        assert pages.as_(who).get("/portal/invoices").status_code == 404
    for who in ("practice_admin", "vendor_admin"):
        assert pages.as_(who).get(f"/console/vendor-invoices/{mine['id']}").status_code == 404
    assert inv.vendor_invoices() == 1


def test_the_console_lists_exceptions_first_and_finance_approves_with_a_reason(pages, inv):
    matched = inv.sent(inv.body("OK-1", lines=[(inv.riverbend, 50, CONTRACT)]))
    high = inv.sent(inv.body("HIGH-1", lines=[(inv.lakeside, 60, "18.2500")]))
    assert matched["status"] == "approved" and high["status"] == "exception"
    page = pages.as_("mso_finance")
    assert "1 vendor invoice with exceptions" in text_of(_html(page.get("/console")))
    listing = text_of(_html(page.get("/console/vendor-invoices")))
    assert listing.index("HIGH-1") < listing.index("OK-1")
    assert "OK-1" not in text_of(_html(page.get("/console/vendor-invoices?status=exception")))
    detail = text_of(_html(page.get(f"/console/vendor-invoices/{high['id']}")))
    assert "Approve invoice" in detail and "Dispute invoice" in detail and "$15.54" in detail
    refused = page.post(f"/console/vendor-invoices/{high['id']}/approve", {"reason": "", "_action": "approve"})
    assert refused.status_code == 422 and 'id="approve-reason-error"' in _html(refused)
    done = page.post(f"/console/vendor-invoices/{high['id']}/approve", {"reason": "agreed rise", "_action": "approve"})
    assert done.status_code == 302
    assert inv.get(high["id"]).get_json()["decision_reason"] == "agreed rise"
    again = page.post(f"/console/vendor-invoices/{high['id']}/dispute", {"reason": "no", "_action": "dispute"})
    assert again.status_code == 409
    assert "with exceptions" not in text_of(_html(page.get("/console")))


def test_other_mso_roles_read_but_do_not_decide(pages, inv):
    high = inv.sent(inv.body("HIGH-2", lines=[(inv.lakeside, 60, "18.2500")]))
    page = pages.as_("mso_procurement")
    detail = text_of(_html(page.get(f"/console/vendor-invoices/{high['id']}")))
    assert "Only MSO finance" in detail and "Approve invoice" not in detail
    assert page.post(f"/console/vendor-invoices/{high['id']}/dispute", {"reason": "x"}).status_code == 403
    assert inv.get(high["id"]).get_json()["status"] == "exception"


def test_a_disputed_invoice_tells_the_vendor_to_send_a_correction(pages, inv):
    high = inv.sent(inv.body("HIGH-3", lines=[(inv.lakeside, 60, "18.2500")]))
    inv.decide(high["id"], "dispute", "the contract price is 17.9910")
    page = pages.as_("vendor_admin")
    assert "1 disputed invoice to correct" in text_of(_html(page.get("/portal")))
    detail = _html(page.get(f"/portal/invoices/{high['id']}"))
    assert "Send a corrected invoice" in detail and "the contract price is 17.9910" in detail
    form = _html(page.get(f"/portal/invoices/new?purchase_order_id={inv.po.id}&replaces_invoice_id={high['id']}"))
    assert "replaces the disputed invoice HIGH-3" in form
    response = page.post("/portal/invoices", _form(inv, number="HIGH-3B", replaces_invoice_id=str(high["id"]),
                                                   **{f"price-{inv.lakeside.id}": CONTRACT,
                                                      f"quantity-{inv.riverbend.id}": ""}))
    assert response.status_code == 302, text_of(_html(response))[:800]
    assert inv.get(high["id"]).get_json()["status"] == "replaced"
