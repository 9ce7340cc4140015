"""POST /cxml (API.md "Integrations and notifications") and its OpenAPI description:
the request body is a cXML document (application/xml or text/xml), every answer a
cXML Response. The route itself only hands the request to `inbound.receive`.

The operation is reachable without a bearer token as far as the API's shared
authentication goes (`@public`): a cXML client may carry the vendor's API key in the
document itself (Header/Sender/Credential/SharedSecret), which only `inbound` can read,
and even a refused credential must be answered in cXML. `inbound` authenticates every
request itself, with the same `authenticate` as every other route.
"""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint
from gpo.auth.request import public
from gpo.notifications.cxml import documents, inbound
from gpo.notifications.cxml.parsing import MAX_DOCUMENT_BYTES

blp = Blueprint("cxml", __name__, url_prefix="/api/v1", description="cXML documents from vendors' systems")

CONFIRMATION_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/Fulfill.dtd">
<cXML payloadID="20270117093000.4711@acme.example" timestamp="2027-01-17T09:30:00-06:00" version="1.2.060" \
xml:lang="en-US">
  <Header>
    <From><Credential domain="gpo"><Identity>vendor-5</Identity></Credential></From>
    <To><Credential domain="gpo"><Identity>mso-1</Identity></Credential></To>
    <Sender>
      <Credential domain="gpo"><Identity>vendor-5</Identity><SharedSecret>gpo_...</SharedSecret></Credential>
      <UserAgent>Acme ERP</UserAgent>
    </Sender>
  </Header>
  <Request deploymentMode="production">
    <ConfirmationRequest>
      <ConfirmationHeader type="detail" noticeDate="2027-01-17T09:30:00-06:00"/>
      <OrderReference orderID="19"/>
      <ConfirmationItem lineNumber="61" quantity="60">
        <UnitOfMeasure>BX</UnitOfMeasure>
        <ConfirmationStatus type="accept" quantity="50"><UnitOfMeasure>BX</UnitOfMeasure></ConfirmationStatus>
        <ConfirmationStatus type="backordered" quantity="5" shipmentDate="2027-01-25">
          <UnitOfMeasure>BX</UnitOfMeasure>
        </ConfirmationStatus>
        <ConfirmationStatus type="detail" quantity="4">
          <UnitOfMeasure>BX</UnitOfMeasure>
          <ItemIn quantity="4">
            <ItemID><SupplierPartID>GLV-LTX-M</SupplierPartID></ItemID>
            <ItemDetail>
              <UnitPrice><Money currency="USD">16.5000</Money></UnitPrice>
              <Description xml:lang="en-US">Latex-free exam gloves, medium</Description>
              <UnitOfMeasure>BX</UnitOfMeasure>
              <Classification domain="UNSPSC">42132203</Classification>
            </ItemDetail>
          </ItemIn>
        </ConfirmationStatus>
        <ConfirmationStatus type="reject" quantity="1"><UnitOfMeasure>BX</UnitOfMeasure></ConfirmationStatus>
      </ConfirmationItem>
    </ConfirmationRequest>
  </Request>
</cXML>
"""

DESCRIPTION = f"""A cXML 1.2 request document from the vendor's system, at most {MAX_DOCUMENT_BYTES} bytes:

- `ConfirmationRequest` → the acknowledgement (as `POST /purchase-orders/{{id}}/acknowledge`):
  `ConfirmationHeader type` accept or reject (the whole order), detail or except (line by line);
  `OrderReference orderID` = the purchase order's id; `ConfirmationItem lineNumber` = the line's id
  (the OrderRequest's), with `ConfirmationStatus` accept, reject, backordered (`shipmentDate` or
  `deliveryDate` → expected_ship_on) or detail with an `ItemIn` (a substitute: another SKU as
  `SupplierPartID`, its `UnitPrice`), adding up to the item's quantity.
- `ShipNoticeRequest` → a shipment per `ShipNoticePortion` (as `POST /purchase-orders/{{id}}/shipments`):
  `ShipControl/CarrierIdentifier` = carrier, `ShipControl/ShipmentIdentifier` = tracking number,
  `ShipNoticeItem lineNumber quantity`.
- `InvoiceDetailRequest` → a vendor invoice (as `POST /vendors/{{id}}/invoices`): `invoiceID` = number,
  `invoiceDate` = issued_on, `InvoiceDetailItem quantity`, `UnitPrice/Money`,
  `InvoiceDetailItemReference lineNumber`, item `Tax` per line; `InvoiceDetailSummary` `SubtotalAmount`
  (checked), `Tax`, `ShippingAmount` = freight.

Credentials: `Authorization: Bearer <the vendor's API key>`, or the key as
`Header/Sender/Credential/SharedSecret`. The document's `payloadID` is its idempotency key per
vendor: the same payloadID again returns the first answer and changes nothing; with another
document, 409. Parsed with entities, DTD loading and network access off: a DTD that declares
entities is refused (400). Every answer is a cXML `Response` whose `Status code` is the HTTP
status."""


def _status_example(code: int, message: str) -> str:
    """A Response document as the server writes it, with a fixed payloadID and time."""
    root = documents.status_document(code, message)
    root.set("payloadID", "20270117153000.9f0a1f6f2d8b4c55@gpo")
    root.set("timestamp", "2027-01-17T15:30:00+00:00")
    return documents.serialize(root).decode()


_ANSWERS = {
    200: ("OK: the document did what it says; the Status text names what was created",
          "purchase order 19: 1 line acknowledged (50 units accepted, 5 units backordered, "
          "4 units offered as a substitute, 1 unit rejected)"),
    400: ("The document is not well-formed XML, declares entities, is not cXML, or asks for something "
          "not supported", "ShipNoticeHeader operation=\"update\" is not supported: a shipment is recorded once"),
    401: ("No API key (neither in Authorization nor in Sender/Credential/SharedSecret), or one not valid",
          "the API key is not valid or has been revoked"),
    403: ("Not a vendor's credentials (or the Header's From names another vendor)",
          "only a vendor's API key or admin sends cXML documents"),
    404: ("The purchase order is not one of the vendor's", "purchase order 19 not found"),
    409: ("The purchase order's state does not allow it now, or the payloadID was used with another document",
          "purchase order 19 has no line awaiting acknowledgement"),
    413: ("The document is larger than the limit", f"a cXML document is at most {MAX_DOCUMENT_BYTES} bytes"),
    415: ("The body is not application/xml or text/xml", "send the cXML document as application/xml or text/xml"),
    422: ("A value the use case refuses: the Status text has each field message, where in the document",
          "ConfirmationItem lineNumber=\"61\" (lines.0.accepted_quantity): line 61: 70 accepted but 60 ordered"),
}


def _responses() -> dict:
    def answer(code, description, message):
        body = {"schema": {"type": "string", "description": "a cXML Response document"},
                "example": _status_example(code, message)}
        doc = {"description": description, "content": {documents.MEDIA_TYPE: body}}
        if code == 200:
            doc["headers"] = {"Location": {"description": "the API path of what the document created or changed",
                                           "schema": {"type": "string"}, "example": "/api/v1/purchase-orders/19"},
                              "Idempotent-Replayed": {"description": "true on a replay of a payloadID",
                                                      "schema": {"type": "string"}, "example": "true"}}
        return doc

    responses = {str(code): answer(code, *words) for code, words in _ANSWERS.items()}
    responses["default"] = answer(500, "A defect of ours (retry later, as cXML says of 5xx)",
                                  "the document could not be processed: try again later")
    return responses


def _cxml_answers(doc: dict, doc_info: dict, **kwargs) -> dict:
    """Every answer of this blueprint is cXML: replace flask-smorest's JSON ones."""
    doc["responses"] = _responses()
    return doc


blp._prepare_doc_cbks.append(_cxml_answers)  # as gpo.api.Blueprint adds its own callback


@blp.route("/cxml")
@public  # inbound.receive authenticates: the key may be inside the document
class CxmlDocuments(MethodView):
    @blp.doc(operationId="submit_cxml", description=DESCRIPTION, requestBody={
        "required": True, "description": "a cXML request document",
        "content": {media: {"schema": {"type": "string", "format": "binary"}, "example": CONFIRMATION_EXAMPLE}
                    for media in ("application/xml", "text/xml")}})
    def post(self):
        """Receive a cXML ConfirmationRequest, ShipNoticeRequest or InvoiceDetailRequest"""
        return inbound.receive()

