"""cXML documents for the cXML tests, built with lxml's E-factory as a vendor's system
would send them, and reading the cXML Response that answers them."""
from __future__ import annotations

from lxml import etree
from lxml.builder import E

DOCTYPE = '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/cXML.dtd">'
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def document(request, payload_id="p-1@acme.example", secret=None, vendor_identity=None) -> bytes:
    """A whole cXML request document around `request` (a ConfirmationRequest, ...)."""
    sender = E.Credential(E.Identity(vendor_identity or "acme"), domain="gpo")
    if secret is not None:
        sender.append(E.SharedSecret(secret))
    header = E.Header(
        E.From(E.Credential(E.Identity(vendor_identity or "acme"), domain="gpo" if vendor_identity else "NetworkID")),
        E.To(E.Credential(E.Identity("mso-1"), domain="gpo")),
        E.Sender(sender, E.UserAgent("Acme ERP 7")))
    root = E.cXML(header, E.Request(request, deploymentMode="test"), payloadID=payload_id,
                  timestamp="2027-01-17T09:30:00-06:00", version="1.2.060")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE)


def post(client, body, headers=None, content_type="application/xml"):
    return client.post("/api/v1/cxml", data=body, headers={"Content-Type": content_type, **(headers or {})})


def answer(response) -> tuple[int, str]:
    """The Status code and message of a cXML Response (and that it is one)."""
    assert response.mimetype in ("application/xml", "text/xml"), response.get_data(as_text=True)[:300]
    root = etree.fromstring(response.get_data())
    status = root.find("Response/Status")
    assert status is not None, response.get_data(as_text=True)
    assert int(status.get("code")) == response.status_code, "the HTTP status is the cXML status"
    return int(status.get("code")), status.text or ""


# --- ConfirmationRequest -------------------------------------------------------------------


def confirmation(order_id, *items, kind="detail", operation=None):
    header = E.ConfirmationHeader(type=kind, noticeDate="2027-01-17T09:30:00-06:00")
    if operation:
        header.set("operation", operation)
    return E.ConfirmationRequest(header, E.OrderReference(orderID=str(order_id)), *items)


def item(line_id, quantity, *statuses):
    return E.ConfirmationItem(E.UnitOfMeasure("BX"), *statuses, lineNumber=str(line_id), quantity=str(quantity))


def status(kind, quantity, item_in=None, **dates):
    element = E.ConfirmationStatus(E.UnitOfMeasure("BX"), type=kind, quantity=str(quantity), **dates)
    if item_in is not None:
        element.append(item_in)
    return element


def substitute(sku, price, quantity):
    return E.ItemIn(E.ItemID(E.SupplierPartID(sku)),
                    E.ItemDetail(E.UnitPrice(E.Money(price, currency="USD")), E.Description("substitute", {XML_LANG: "en"}),
                                 E.UnitOfMeasure("BX"), E.Classification("42132203", domain="UNSPSC")),
                    quantity=str(quantity))


# --- ShipNoticeRequest ---------------------------------------------------------------------


def ship_notice(order_id, *items, carrier="UPS", tracking="1Z-CXML-1", shipment_id="ASN-1"):
    control = E.ShipControl(E.CarrierIdentifier("UPSN", domain="SCAC"), E.CarrierIdentifier(carrier, domain="companyName"),
                            E.ShipmentIdentifier(tracking, domain="trackingNumber"))
    portion = E.ShipNoticePortion(E.OrderReference(orderID=str(order_id)),
                                  *[E.ShipNoticeItem(E.UnitOfMeasure("BX"), lineNumber=str(line_id), quantity=str(q))
                                    for line_id, q in items])
    return E.ShipNoticeRequest(E.ShipNoticeHeader(shipmentID=shipment_id, noticeDate="2027-01-18T10:00:00-06:00",
                                                  shipmentDate="2027-01-18T09:00:00-06:00", operation="new"),
                               control, portion)


# --- InvoiceDetailRequest ------------------------------------------------------------------


def money(amount):
    return E.Money(amount, currency="USD")


def invoice_detail(order_id, number, lines, subtotal, tax=None, shipping=None, invoice_date="2027-01-20T08:00:00-06:00"):
    """`lines`: (invoice line number, po line id, quantity, unit price, item tax or None)."""
    items = []
    for number_on_invoice, line_id, quantity, price, item_tax in lines:
        item_ = E.InvoiceDetailItem(E.UnitOfMeasure("BX"), E.UnitPrice(money(price)),
                                    E.InvoiceDetailItemReference(E.ItemID(E.SupplierPartID("GLV")), lineNumber=str(line_id)),
                                    invoiceLineNumber=str(number_on_invoice), quantity=str(quantity))
        if item_tax is not None:
            item_.append(E.Tax(money(item_tax), E.Description("sales tax", {XML_LANG: "en"})))
        items.append(item_)
    summary = E.InvoiceDetailSummary(E.SubtotalAmount(money(subtotal)))
    if tax is not None:
        summary.append(E.Tax(money(tax), E.Description("sales tax", {XML_LANG: "en"})))
    if shipping is not None:
        summary.append(E.ShippingAmount(money(shipping)))
    return E.InvoiceDetailRequest(
        E.InvoiceDetailRequestHeader(E.InvoiceDetailHeaderIndicator(), E.InvoiceDetailLineIndicator(),
                                     invoiceID=number, purpose="standard", operation="new", invoiceDate=invoice_date),
        E.InvoiceDetailOrder(E.InvoiceDetailOrderInfo(E.OrderReference(orderID=str(order_id))), *items),
        summary)
