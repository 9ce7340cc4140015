"""cXML round trip (gpo/notifications/cxml): a purchase order fetched as a cXML
OrderRequest, then the vendor's ConfirmationRequest, ShipNoticeRequest and
InvoiceDetailRequest posted to /cxml, each leaving exactly the state the same actions
through the JSON API leave.

The twin: a test builds the after-the-close scenario, acts through cXML and reads the
state through the JSON API (`snapshot`); then it empties the database, builds the very
same scenario again (factory sequences reset, so names and ids repeat), acts through
the JSON routes and reads the state again: both must be equal.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import factory
import pytest
from lxml import etree
from sqlalchemy import func, select

from gpo.db import db, utcnow
from gpo.idempotency import IdempotencyRecord
from gpo.notifications.cxml.parsing import parse
from gpo.orders.models import Shipment
from tests import factories
from tests.conftest import _empty_tables
from tests.notifications import cxml_builders as cx
from tests.scenarios import AfterClose, build_world
from tests.vendor_invoice_scenarios import Invoicing

TODAY = utcnow().date()
VOLATILE = {"offered_by", "submitted_by", "decided_by", "placed_by", "received_by", "recorded_by", "requested_by"}


def stable(value):
    """The JSON without times and who-did-it (an API key's label differs between builds)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if not k.endswith("_at") and k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def snapshot(client, ac) -> dict:
    """Everything the vendor's documents can change, as the JSON API shows it (once the
    jobs the documents asked for have finished: with an RQ worker they run beside us)."""
    from flask import current_app

    from tests.conftest import _wait_for_queued_jobs

    _wait_for_queued_jobs(current_app._get_current_object())
    headers = ac.world.headers

    def get(path, who):
        response = client.get(f"/api/v1{path}", headers=headers[who])
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return stable({
        "purchase_order": get(f"/purchase-orders/{ac.po.id}", "vendor_key"),
        "orders": get("/orders?page_size=100", "mso_admin"),
        "substitutions": get("/substitutions", "mso_admin"),
        "backorders": get("/backorders?status=all", "mso_admin"),
        "shipments": get("/shipments", "mso_admin"),
        "vendor_invoices": get("/vendor-invoices", "mso_finance"),
        "invoices": get("/invoices?page_size=100", "mso_finance"),
    })


def _reset_sequences() -> None:
    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, factory.Factory) and not value._meta.abstract:
            value.reset_sequence(force=True)


@pytest.fixture
def fresh(app, _cleaner, client, db_ctx, run_jobs):
    """`fresh()`: an empty database, then the after-the-close scenario, built the same
    way each time."""
    def build() -> AfterClose:
        db.session.rollback()
        db.session.expunge_all()
        _empty_tables(app, _cleaner)
        _reset_sequences()
        return AfterClose(client, build_world(), run_jobs)

    return build


def send(client, ac, request, payload_id="p-1@acme.example", who="vendor_key", **kwargs):
    return cx.post(client, cx.document(request, payload_id=payload_id, **kwargs), ac.world.headers[who])


def sent(client, ac, request, payload_id="p-1@acme.example", **kwargs) -> str:
    response = send(client, ac, request, payload_id, **kwargs)
    code, text = cx.answer(response)
    assert code == 200, text
    return text


def order_request(client, ac) -> etree._Element:
    response = client.get(f"/api/v1/purchase-orders/{ac.po.id}",
                          headers={**ac.world.headers["vendor_key"], "Accept": "application/xml"})
    assert response.status_code == 200 and response.mimetype == "application/xml", response.get_data(as_text=True)
    return parse(response.get_data())  # our own safe parser reads what we write


def line_numbers(root) -> dict[str, int]:
    """The ItemOut lineNumbers by ship-to location id (the Extrinsic)."""
    return {item.find("ItemDetail/Extrinsic[@name='location_id']").text: int(item.get("lineNumber"))
            for item in root.iter("ItemOut")}


# --- the OrderRequest ----------------------------------------------------------------------


def test_a_purchase_order_is_served_as_a_cxml_order_request(client, after_close):
    ac, world = after_close, after_close.world
    lakeside, riverbend = ac.line(), ac.line(ac.other_location)
    response = client.get(f"/api/v1/purchase-orders/{ac.po.id}",
                          headers={**world.headers["vendor_key"], "Accept": "application/xml"})
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n"
                           '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/cXML.dtd">\n<cXML ')
    root = parse(response.get_data())
    assert root.get("version") == "1.2.060" and root.get(cx.XML_LANG) == "en-US" and "@gpo" in root.get("payloadID")
    assert dt.datetime.fromisoformat(root.get("timestamp")).tzinfo is not None
    assert root.findtext("Header/From/Credential[@domain='gpo']/Identity") == f"mso-{world.mso.id}"
    assert root.findtext("Header/To/Credential[@domain='gpo']/Identity") == f"vendor-{world.vendor.id}"
    assert root.findtext("Header/Sender/UserAgent") == "gpo"
    assert root.find("Request").get("deploymentMode") == "test"
    header = root.find("Request/OrderRequest/OrderRequestHeader")
    assert (header.get("orderID"), header.get("type")) == (str(ac.po.id), "new")
    assert dt.datetime.fromisoformat(header.get("orderDate")) == ac.po.created_at.replace(microsecond=0)
    total = header.find("Total/Money")
    assert (total.text, total.get("currency")) == ("1979.01", "USD")  # 107,946 + 89,955 cents
    assert header.findtext("BillTo/Address/Name") == world.mso.name
    assert {e.get("name"): e.text for e in header.findall("Extrinsic")} == {
        "cycle_id": str(ac.cycle.id), "contract_id": str(ac.contract.id), "vendor_id": str(world.vendor.id)}
    items = [{
        "lineNumber": item.get("lineNumber"), "quantity": item.get("quantity"),
        "sku": item.findtext("ItemID/SupplierPartID"), "product": item.findtext("ItemID/BuyerPartID"),
        "price": item.findtext("ItemDetail/UnitPrice/Money"), "uom": item.findtext("ItemDetail/UnitOfMeasure"),
        "description": item.findtext("ItemDetail/Description"),
        "classification": [(c.get("domain"), c.text) for c in item.findall("ItemDetail/Classification")],
        "manufacturer": (item.findtext("ItemDetail/ManufacturerPartID"), item.findtext("ItemDetail/ManufacturerName")),
        "extrinsics": {e.get("name"): e.text for e in item.findall("ItemDetail/Extrinsic")},
        "ship_to": (item.find("ShipTo/Address").get("addressID"), item.findtext("ShipTo/Address/Name"),
                    [s.text for s in item.findall("ShipTo/Address/PostalAddress/Street")],
                    item.findtext("ShipTo/Address/PostalAddress/City"), item.findtext("ShipTo/Address/PostalAddress/State"),
                    item.findtext("ShipTo/Address/PostalAddress/PostalCode"),
                    item.find("ShipTo/Address/PostalAddress/Country").get("isoCountryCode")),
    } for item in root.iter("ItemOut")]
    gloves = ac.gloves

    def expected(line, location, practice, quantity):
        return {"lineNumber": str(line.id), "quantity": str(quantity), "sku": "GLV", "product": str(gloves.id),
                "price": "17.9910", "uom": "BX", "description": f"{gloves.name} (box)",
                "classification": [("gpo:category", "supplies")],
                "manufacturer": (gloves.manufacturer_part_number, gloves.manufacturer),
                "extrinsics": {"location_id": str(location.id), "location": location.name,
                               "practice_id": str(practice.id), "practice": practice.name},
                "ship_to": (str(location.id), f"{practice.name}, {location.name}", [location.line1], location.city,
                            location.state, location.postal_code, "US")}

    assert items == [expected(lakeside, world.location, world.practice, 60),
                     expected(riverbend, ac.other_location, world.other_practice, 50)]


@pytest.mark.parametrize("accept, media_type", [
    (None, "application/json"), ("*/*", "application/json"), ("application/json", "application/json"),
    ("application/json, application/xml;q=0.5", "application/json"), ("text/xml", "text/xml"),
    ("application/xml", "application/xml")])
def test_json_stays_the_default(client, after_close, accept, media_type):
    headers = {**after_close.world.headers["vendor_key"], **({"Accept": accept} if accept else {})}
    response = client.get(f"/api/v1/purchase-orders/{after_close.po.id}", headers=headers)
    assert (response.status_code, response.mimetype) == (200, media_type)
    if media_type == "application/json":
        assert response.get_json()["id"] == after_close.po.id


# --- ConfirmationRequest and ShipNoticeRequest: the same state as the JSON API's ---------------


def test_refusing_one_unit_and_shipping_leaves_the_state_the_json_api_leaves(client, fresh):
    ac = fresh()
    numbers = line_numbers(order_request(client, ac))
    lakeside, riverbend = numbers[str(ac.world.location.id)], numbers[str(ac.other_location.id)]
    said = sent(client, ac, cx.confirmation(ac.po.id, cx.item(lakeside, 60, cx.status("accept", 59), cx.status("reject", 1)),
                                            cx.item(riverbend, 50, cx.status("accept", 50))))
    assert said == f"purchase order {ac.po.id}: 2 lines acknowledged (109 units accepted, 1 unit rejected)"
    said = sent(client, ac, cx.ship_notice(ac.po.id, (lakeside, 59), (riverbend, 50)), payload_id="p-2@acme.example")
    assert said == f"shipment 1 of purchase order {ac.po.id}: 109 units with UPS, tracking number 1Z-CXML-1"
    through_cxml = snapshot(client, ac)

    ac = fresh()
    lakeside, riverbend = ac.line(), ac.line(ac.other_location)
    assert ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": lakeside.id, "accepted_quantity": 59}, {"line_id": riverbend.id, "accepted_quantity": 50}]}
    ).status_code == 200
    assert ac.post(f"/purchase-orders/{ac.po.id}/shipments", {"carrier": "UPS", "tracking_number": "1Z-CXML-1", "lines": [
        {"line_id": lakeside.id, "location_id": lakeside.location_id, "quantity": 59},
        {"line_id": riverbend.id, "location_id": riverbend.location_id, "quantity": 50}]}).status_code == 201
    assert through_cxml == snapshot(client, ac)
    lines = {line["id"]: line for line in through_cxml["purchase_order"]["lines"]}
    assert (lines[lakeside.id]["accepted_quantity"], lines[lakeside.id]["rejected_quantity"],
            lines[lakeside.id]["shipped_quantity"], lines[lakeside.id]["line_cents"]) == (59, 1, 59, 106147)
    assert (lines[riverbend.id]["accepted_quantity"], lines[riverbend.id]["shipped_quantity"]) == (50, 50)
    assert [(s["carrier"], s["tracking_number"]) for s in through_cxml["shipments"]] == [("UPS", "1Z-CXML-1")]


def test_a_backorder_and_a_substitute_leave_the_state_the_json_api_leaves(client, fresh):
    ship_on = TODAY + dt.timedelta(days=7)
    ac = fresh()
    latex = factories.ProductFactory(vendor_id=ac.world.vendor.id, sku="GLV-LTX", list_price=D("17.0000"))
    numbers = line_numbers(order_request(client, ac))
    lakeside, riverbend = numbers[str(ac.world.location.id)], numbers[str(ac.other_location.id)]
    # late in the evening on the US west coast: the date as written, not the UTC one
    said = sent(client, ac, cx.confirmation(
        ac.po.id,
        cx.item(lakeside, 60, cx.status("accept", 50),
                cx.status("backordered", 6, deliveryDate=f"{ship_on.isoformat()}T23:30:00-08:00"),
                cx.status("detail", 4, cx.substitute("GLV-LTX", "16.5000", 4))),
        cx.item(riverbend, 50, cx.status("accept", 50))))
    assert said == (f"purchase order {ac.po.id}: 2 lines acknowledged (100 units accepted, 6 units backordered, "
                    "4 units offered as a substitute)")
    through_cxml = snapshot(client, ac)

    ac = fresh()
    latex = factories.ProductFactory(vendor_id=ac.world.vendor.id, sku="GLV-LTX", list_price=D("17.0000"))
    lakeside, riverbend = ac.line(), ac.line(ac.other_location)
    assert ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": lakeside.id, "accepted_quantity": 50, "backordered_quantity": 6, "expected_ship_on": ship_on.isoformat(),
         "substitute": {"product_id": latex.id, "quantity": 4, "unit_price": "16.5000"}},
        {"line_id": riverbend.id, "accepted_quantity": 50}]}).status_code == 200
    assert through_cxml == snapshot(client, ac)
    line = next(x for x in through_cxml["purchase_order"]["lines"] if x["id"] == lakeside.id)
    assert (line["accepted_quantity"], line["backordered_quantity"], line["expected_ship_on"], line["substituted_quantity"],
            line["rejected_quantity"]) == (50, 6, ship_on.isoformat(), 4, 0)
    [offer] = through_cxml["substitutions"]
    assert (offer["product_id"], offer["quantity"], offer["unit_price"], offer["status"]) == (latex.id, 4, "16.5000", "offered")
    assert [(b["po_line_id"], b["open_backorder"]) for b in through_cxml["backorders"]] == [(lakeside.id, 6)]


@pytest.mark.parametrize("kind, items, accepted, rejected", [
    ("accept", [], (60, 50), (0, 0)),
    ("reject", [], (0, 0), (60, 50)),
    ("accept", [("lakeside", 60, [("accept", 60)])], (60, 50), (0, 0)),  # items may restate it
    ("except", [("lakeside", 60, [("accept", 58), ("reject", 2)])], (58, 50), (2, 0)),  # the rest as ordered
])
def test_a_whole_order_confirmation_fills_every_line(client, after_close, kind, items, accepted, rejected):
    ac = after_close
    lines = {"lakeside": ac.line(), "riverbend": ac.line(ac.other_location)}
    request = cx.confirmation(ac.po.id, *[cx.item(lines[name].id, q, *[cx.status(k, n) for k, n in statuses])
                                          for name, q, statuses in items], kind=kind)
    sent(client, ac, request)
    db.session.expire_all()
    assert (lines["lakeside"].accepted_quantity, lines["riverbend"].accepted_quantity) == accepted
    assert (lines["lakeside"].rejected_quantity, lines["riverbend"].rejected_quantity) == rejected
    # nothing is left to acknowledge: a second whole-order confirmation is a conflict
    code, text = cx.answer(send(client, ac, cx.confirmation(ac.po.id, kind="accept"), payload_id="p-2@acme.example"))
    assert (code, text) == (409, f"purchase order {ac.po.id} has no line awaiting acknowledgement")


def test_a_ship_notice_without_items_ships_the_whole_order(client, after_close):
    ac = after_close
    ac.accept_all()
    said = sent(client, ac, cx.ship_notice(ac.po.id, tracking="1Z-ALL"))
    assert said == f"shipment 1 of purchase order {ac.po.id}: 110 units with UPS, tracking number 1Z-ALL"
    code, text = cx.answer(send(client, ac, cx.ship_notice(ac.po.id, tracking="1Z-AGAIN"), payload_id="p-2@acme.example"))
    assert (code, text) == (409, f"purchase order {ac.po.id} has nothing left to ship")


# --- InvoiceDetailRequest --------------------------------------------------------------------


def invoice_state(client, ac) -> dict:
    state = snapshot(client, ac)
    return {"vendor_invoices": state["vendor_invoices"], "invoices": state["invoices"],
            "purchase_order": state["purchase_order"]}


def test_an_invoice_that_matches_is_the_json_api_s_invoice(client, fresh):
    ac = fresh()
    Invoicing(ac).received()
    numbers = line_numbers(order_request(client, ac))
    lakeside, riverbend = numbers[str(ac.world.location.id)], numbers[str(ac.other_location.id)]
    said = sent(client, ac, cx.invoice_detail(ac.po.id, "ACME-CX-1", [
        (1, lakeside, 60, "17.9910", "86.40"), (2, riverbend, 50, "17.9910", None)],
        subtotal="1979.01", tax="86.40", shipping="25.01"))
    assert said == f"vendor invoice 1 (ACME-CX-1) of purchase order {ac.po.id}: approved, total 209042 cents"
    through_cxml = invoice_state(client, ac)

    ac = fresh()
    invoicing = Invoicing(ac)
    invoicing.received()
    invoicing.sent(invoicing.body(number="ACME-CX-1", freight_cents=2501,
                                  tax=[{"location_id": ac.world.location.id, "tax_cents": 8640}]))
    assert through_cxml == invoice_state(client, ac)
    [invoice] = through_cxml["vendor_invoices"]
    assert (invoice["status"], invoice["issued_on"], invoice["goods_cents"], invoice["freight_cents"], invoice["tax_cents"],
            invoice["total_cents"], invoice["exception_cents"]) == ("approved", "2027-01-20", 197901, 2501, 8640, 209042, 0)


def test_an_invoice_above_the_contract_price_is_an_exception(client, after_close):
    ac = after_close
    Invoicing(ac).received()
    lakeside, riverbend = ac.line(), ac.line(ac.other_location)
    # 60 x 18.7521 = 1125.126 -> 112,513 cents, 4,567 above the contract's 107,946
    said = sent(client, ac, cx.invoice_detail(ac.po.id, "ACME-CX-2", [
        (1, lakeside.id, 60, "18.7521", None), (2, riverbend.id, 50, "17.9910", None)], subtotal="2024.68"))
    assert said == (f"vendor invoice 1 (ACME-CX-2) of purchase order {ac.po.id}: exception, total 202468 cents, "
                    "price exceptions of 4567 cents for MSO finance to decide")
    invoice = client.get("/api/v1/vendor-invoices/1", headers=ac.world.headers["mso_finance"]).get_json()
    assert [(x["po_line_id"], x["unit_price"], x["line_cents"], x["price_result"]) for x in invoice["lines"]] == [
        (lakeside.id, "18.7521", 112513, "exception"), (riverbend.id, "17.9910", 89955, "match")]
    assert (invoice["status"], invoice["exception_cents"], invoice["tax"]) == ("exception", 4567, [])


def test_the_summary_tax_of_one_location_is_that_location_s(client, after_close):
    ac = after_close
    Invoicing(ac).received()
    sent(client, ac, cx.invoice_detail(ac.po.id, "ACME-CX-3", [(1, ac.line().id, 60, "17.9910", None)],
                                       subtotal="1079.46", tax="86.40"))
    invoice = client.get("/api/v1/vendor-invoices/1", headers=ac.world.headers["mso_finance"]).get_json()
    assert invoice["tax"] == [{"location_id": ac.world.location.id, "tax_cents": 8640}]


@pytest.mark.parametrize("lines, summary, status, message", [
    ([(1, "lakeside", 60, "17.9910", None)], {"subtotal": "1079.45"}, 422,
     "InvoiceDetailSummary SubtotalAmount is 107945 cents but the lines add up to 107946"),
    ([(1, "lakeside", 60, "17.9910", None), (2, "riverbend", 50, "17.9910", None)], {"subtotal": "1979.01", "tax": "10.00"},
     422, "InvoiceDetailSummary Tax: the invoiced lines ship to 2 locations"),
    ([(1, "lakeside", 60, "17.9910", "1.00")], {"subtotal": "1079.46", "tax": "2.00"}, 422,
     "InvoiceDetailSummary Tax is 200 cents but the items' taxes add up to 100"),
    ([(1, "lakeside", 60, "17.99105", None)], {"subtotal": "1079.46"}, 422,
     "(lines.0.unit_price): unit_price has at most 4 decimal places"),
    ([(1, "lakeside", 61, "17.9910", None)], {"subtotal": "1097.45"}, 422,
     "(lines.0.quantity): line 1: 61 more would bring 61 units invoiced, beyond the 60 it may deliver"),
    ([(1, "lakeside", 60, "17.9910", None)], {"subtotal": "1079.46", "shipping": "-1.00"}, 422,
     "InvoiceDetailSummary ShippingAmount (freight_cents): Must be greater than or equal to 0"),
])
def test_an_invoice_the_use_case_refuses_changes_nothing(client, after_close, lines, summary, status, message):
    ac = after_close
    Invoicing(ac).received()
    ids = {"lakeside": ac.line().id, "riverbend": ac.line(ac.other_location).id}
    code, text = cx.answer(send(client, ac, cx.invoice_detail(
        ac.po.id, "ACME-CX-4", [(n, ids[name], q, p, t) for n, name, q, p, t in lines], **summary)))
    assert code == status and message in text, text
    assert client.get("/api/v1/vendor-invoices", headers=ac.world.headers["mso_finance"]).get_json() == []


def test_an_invoice_number_used_twice_is_a_conflict(client, after_close):
    ac = after_close
    Invoicing(ac).received()
    document = cx.invoice_detail(ac.po.id, "ACME-CX-5", [(1, ac.line().id, 30, "17.9910", None)], subtotal="539.73")
    sent(client, ac, document)
    code, text = cx.answer(send(client, ac, document, payload_id="p-2@acme.example"))
    assert (code, text) == (409, "invoice number ACME-CX-5 is already used by Acme")


# --- payloadID: the same document twice changes nothing ------------------------------------


def shipments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Shipment))


def test_the_same_payload_id_replays_the_first_answer(client, after_close):
    ac = after_close
    ac.accept_all()
    notice = cx.ship_notice(ac.po.id, (ac.line().id, 10))
    first = send(client, ac, notice, payload_id="asn-0001@acme.example")
    again = send(client, ac, notice, payload_id="asn-0001@acme.example")
    assert cx.answer(first)[0] == 200 and first.headers["Location"] == "/api/v1/shipments/1"
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == "/api/v1/shipments/1" and again.mimetype == "application/xml"
    assert shipments() == 1 and ac.line().shipped_quantity == 10
    # the same payloadID with another document: refused, nothing shipped
    other = send(client, ac, cx.ship_notice(ac.po.id, (ac.line().id, 20)), payload_id="asn-0001@acme.example")
    assert cx.answer(other) == (409, "this payloadID was already used with a different request")
    assert shipments() == 1
    # another vendor's payloadIDs are its own: the same one is a new document, refused on its merits
    code, text = cx.answer(send(client, ac, notice, payload_id="asn-0001@acme.example", who="other_vendor_key"))
    assert (code, text) == (404, f"purchase order {ac.po.id} not found")
    records = db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.principal_key.like("cxml:%"))).all()
    assert [(r.principal_key, r.key, r.status) for r in records] == [
        (f"cxml:vendor:{ac.world.vendor.id}", "asn-0001@acme.example", "completed")]


def test_a_payload_id_outside_the_key_pattern_is_hashed(client, after_close):
    ac = after_close
    ac.accept_all()
    notice = cx.ship_notice(ac.po.id, (ac.line().id, 1))
    for _ in range(2):
        assert cx.answer(send(client, ac, notice, payload_id="two words é"))[0] == 200
    assert shipments() == 1
    [record] = db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.principal_key.like("cxml:%"))).all()
    assert record.key.startswith("sha256:") and len(record.key) == 71


# --- credentials and roles --------------------------------------------------------------------


def test_the_api_key_may_be_the_senders_shared_secret(client, after_close, app):
    from tests.factories import api_key_with_secret

    ac = after_close
    _, plain = api_key_with_secret(ac.world.vendor.id)
    db.session.commit()
    body = cx.document(cx.confirmation(ac.po.id, kind="accept"), secret=plain, vendor_identity=f"vendor-{ac.world.vendor.id}")
    assert cx.answer(cx.post(client, body))[0] == 200
    assert (ac.line().accepted_quantity, ac.line(ac.other_location).accepted_quantity) == (60, 50)


@pytest.mark.parametrize("who, secret, identity, status, message", [
    (None, None, None, 401, "send the vendor's API key"),
    (None, "gpo_not_a_real_key_000000000000000000", None, 401, "the API key is not valid or has been revoked"),
    ("mso_admin", None, None, 403, "only a vendor's API key or admin sends cXML documents"),
    ("practice_admin", None, None, 403, "only a vendor's API key or admin sends cXML documents"),
    ("vendor_key", None, "vendor-999", 403, "the Header's From names vendor-999"),
    ("other_vendor_admin", None, None, 404, "not found"),
])
def test_credentials_and_roles(client, after_close, who, secret, identity, status, message):
    ac = after_close
    headers = ac.world.headers[who] if who else {}
    response = cx.post(client, cx.document(cx.confirmation(ac.po.id, kind="accept"), secret=secret,
                                           vendor_identity=identity), headers)
    code, text = cx.answer(response)
    assert code == status and message in text, text
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    db.session.expire_all()
    assert ac.line().accepted_quantity is None


def test_a_vendor_admin_signed_in_may_send_documents_too(client, after_close):
    ac = after_close
    assert cx.answer(send(client, ac, cx.confirmation(ac.po.id, kind="reject"), who="vendor_admin"))[0] == 200


# --- documents and parts not supported --------------------------------------------------------


def _unsupported(ac):
    line = ac.line().id
    return {
        "allDetail": cx.confirmation(ac.po.id, cx.item(line, 60, cx.status("allDetail", 60)), kind="allDetail"),
        "update": cx.confirmation(ac.po.id, cx.item(line, 60, cx.status("accept", 60)), operation="update"),
        "unknown status": cx.confirmation(ac.po.id, cx.item(line, 60, cx.status("unknown", 60))),
        "detail without ItemIn": cx.confirmation(ac.po.id, cx.item(line, 60, cx.status("detail", 60))),
        "accept with a reject": cx.confirmation(ac.po.id, cx.item(line, 60, cx.status("reject", 60)), kind="accept"),
        "planned shipment": _planned(cx.ship_notice(ac.po.id, (line, 1))),
        "credit memo": _purpose(cx.invoice_detail(ac.po.id, "CM-1", [(1, line, 1, "17.9910", None)], "17.99"), "creditMemo"),
        "OrderRequest": etree.Element("OrderRequest"),
        "ProfileRequest": etree.Element("ProfileRequest"),
    }


def _planned(notice):
    notice.find("ShipNoticeHeader").set("shipmentType", "planned")
    return notice


def _purpose(invoice, purpose):
    invoice.find("InvoiceDetailRequestHeader").set("purpose", purpose)
    return invoice


@pytest.mark.parametrize("case, message", [
    ("allDetail", "ConfirmationHeader type='allDetail' is not supported"),
    ("update", "ConfirmationHeader operation=\"update\" is not supported"),
    ("unknown status", "ConfirmationStatus type='unknown' is not supported"),
    ("detail without ItemIn", "changing the line's price or date is not supported"),
    ("accept with a reject", "takes ConfirmationStatus type=\"accept\" only"),
    ("planned shipment", "shipmentType=\"planned\" is not supported"),
    ("credit memo", "purpose=\"creditMemo\" is not supported"),
    ("OrderRequest", "OrderRequest is not supported: POST /cxml takes ConfirmationRequest, ShipNoticeRequest, "
                     "InvoiceDetailRequest"),
    ("ProfileRequest", "ProfileRequest is not supported"),
])
def test_what_is_not_supported_is_a_400(client, after_close, case, message):
    ac = after_close
    code, text = cx.answer(send(client, ac, _unsupported(ac)[case]))
    assert code == 400 and message in text, text


# --- the OpenAPI document --------------------------------------------------------------------


def _paths(root) -> set[str]:
    return {root.getroottree().getpath(e).replace("[1]", "").replace("[2]", "") for e in root.iter()}


def test_the_openapi_document_describes_both_with_examples_that_are_what_the_server_sends(client, after_close):
    spec = client.get("/api/v1/openapi.json").get_json()
    answer = spec["paths"]["/api/v1/purchase-orders/{purchase_order_id}"]["get"]["responses"]["200"]["content"]
    assert list(answer) == ["application/json", "application/xml", "text/xml"]
    example = parse(answer["application/xml"]["example"].encode())
    assert _paths(example) == _paths(order_request(client, after_close))  # the example has every element we write
    post = spec["paths"]["/api/v1/cxml"]["post"]
    assert post["operationId"] == "submit_cxml" and post["security"] == []  # the key may be inside the document
    assert "Header/Sender/Credential/SharedSecret" in post["description"]
    body = post["requestBody"]["content"]
    assert list(body) == ["application/xml", "text/xml"] and post["requestBody"]["required"] is True
    request = parse(body["application/xml"]["example"].encode())
    assert [e.tag for e in request.find("Request")] == ["ConfirmationRequest"]
    assert set(post["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "default"}
    for code, response in post["responses"].items():
        status = parse(response["content"]["application/xml"]["example"].encode()).find("Response/Status")
        assert status.get("code") == ("500" if code == "default" else code)
    assert set(post["responses"]["200"]["headers"]) == {"Location", "Idempotent-Replayed", "X-Request-Id"}
