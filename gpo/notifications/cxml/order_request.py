"""A purchase order as a cXML OrderRequest (`GET /purchase-orders/{id}` with
`Accept: application/xml`, and the portal's "Download as cXML").

The same purchase order as the JSON, read with the same tenancy (the route loads it):
orderID is the purchase order's id; one ItemOut per purchase-order line, its
lineNumber the line's id (what a ConfirmationRequest, ShipNoticeRequest or
InvoiceDetailRequest sends back), the vendor's SKU as SupplierPartID, the exact unit
price, the line's ship-to location as the item's ShipTo and as Extrinsics; Total is
the sum of the lines' cents, as the JSON's line_cents. Products have no UNSPSC code in
gpo, so each item's Classification is its catalog category (domain "gpo:category").
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gpo.accounts.models import Location, Mso, Vendor
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.db import db
from gpo.notifications.cxml.documents import (
    IDENTITY_DOMAIN,
    LANG,
    MEDIA_TYPE,
    USER_AGENT,
    credential,
    deployment_mode,
    envelope,
    identity,
    money_of_cents,
    money_of_price,
    sub,
    xml_response,
)
from gpo.notifications.cxml.parsing import XML_LANG, XML_MEDIA_TYPES
from gpo.orders.models import Cycle, PurchaseOrder, PurchaseOrderLine

# UN/CEFACT Recommendation 20 codes for the units our catalogs use; any other unit is
# "ZZ" (mutually defined) and the item's description says what it is.
UNIT_CODES = {
    "each": "EA", "ea": "EA", "unit": "EA", "piece": "EA", "box": "BX", "case": "CS", "pack": "PK",
    "package": "PK", "pair": "PR", "dozen": "DZN", "roll": "RO", "bottle": "BO", "bag": "BG", "kit": "KT",
    "set": "SET", "carton": "CT", "tube": "TU", "vial": "VI", "hour": "HUR", "month": "MON", "year": "ANN",
    "license": "EA", "seat": "EA",
}


def unit_code(unit_of_measure: str) -> str:
    return UNIT_CODES.get((unit_of_measure or "").strip().lower(), "ZZ")


def wanted() -> str | None:
    """The XML media type the client asked for (`Accept: application/xml` or
    `text/xml`) over JSON, or None (JSON stays the default, `*/*` too)."""
    best = request.accept_mimetypes.best_match(["application/json", *XML_MEDIA_TYPES])
    return best if best in XML_MEDIA_TYPES else None


@dataclass
class _Facts:
    """What the document names besides the lines, each read once."""

    mso: Mso | None
    vendor: Vendor
    contract: Contract
    cycle: Cycle
    products: dict[int, Product]
    locations: dict[int, Location]


def _facts(po: PurchaseOrder) -> _Facts:
    product_ids = {line.product_id for line in po.lines}
    location_ids = {line.location_id for line in po.lines}
    products = db.session.scalars(select(Product).where(Product.id.in_(product_ids))).all() if product_ids else []
    locations = db.session.scalars(select(Location).options(joinedload(Location.practice))
                                   .where(Location.id.in_(location_ids))).all() if location_ids else []
    return _Facts(mso=db.session.scalars(select(Mso).order_by(Mso.id)).first(), vendor=db.session.get(Vendor, po.vendor_id),
                  contract=db.session.get(Contract, po.contract_id), cycle=db.session.get(Cycle, po.cycle_id),
                  products={p.id: p for p in products}, locations={loc.id: loc for loc in locations})


def order_request(po: PurchaseOrder) -> etree._Element:
    """The purchase order as a cXML OrderRequest document (type="new")."""
    facts = _facts(po)
    root = envelope()
    header = sub(root, "Header")
    credential(header, "From", identity("mso", facts.mso.id) if facts.mso else IDENTITY_DOMAIN)
    credential(header, "To", identity("vendor", po.vendor_id))
    sub(credential(header, "Sender", IDENTITY_DOMAIN), "UserAgent", USER_AGENT)
    order = sub(sub(root, "Request", deploymentMode=deployment_mode()), "OrderRequest")
    _order_header(order, po, facts)
    for line in po.lines:
        _item_out(order, line, facts)
    return root


def _named(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = sub(parent, tag, text)
    element.set(XML_LANG, LANG)
    return element


def _order_header(order: etree._Element, po: PurchaseOrder, facts: _Facts) -> None:
    header = sub(order, "OrderRequestHeader", orderID=str(po.id), orderDate=po.created_at.isoformat(timespec="seconds"),
                 type="new")
    money_of_cents(sub(header, "Total"), sum(line.line_cents for line in po.lines))
    bill_to = sub(sub(header, "BillTo"), "Address", addressID=identity("mso", facts.mso.id) if facts.mso else None)
    _named(bill_to, "Name", facts.mso.name if facts.mso else "MSO")
    _named(header, "Comments", f"{facts.contract.title}, purchasing cycle {facts.cycle.name}: "
                               f"purchase order {po.id} to {facts.vendor.name}")
    for name, value in (("cycle_id", po.cycle_id), ("contract_id", po.contract_id), ("vendor_id", po.vendor_id)):
        sub(header, "Extrinsic", str(value), name=name)


def _item_out(order: etree._Element, line: PurchaseOrderLine, facts: _Facts) -> None:
    product, location = facts.products[line.product_id], facts.locations[line.location_id]
    item = sub(order, "ItemOut", quantity=str(line.quantity), lineNumber=str(line.id))
    item_id = sub(item, "ItemID")
    sub(item_id, "SupplierPartID", product.sku)
    sub(item_id, "BuyerPartID", str(product.id))
    detail = sub(item, "ItemDetail")
    money_of_price(sub(detail, "UnitPrice"), line.unit_price)
    _named(detail, "Description", f"{product.name} ({product.unit_of_measure})")
    sub(detail, "UnitOfMeasure", unit_code(product.unit_of_measure))
    sub(detail, "Classification", product.category, domain="gpo:category")
    if product.manufacturer_part_number:
        sub(detail, "ManufacturerPartID", product.manufacturer_part_number)
    if product.manufacturer:
        _named(detail, "ManufacturerName", product.manufacturer)
    for name, value in (("location_id", location.id), ("location", location.name),
                        ("practice_id", location.practice_id), ("practice", location.practice.name)):
        sub(detail, "Extrinsic", str(value), name=name)
    _ship_to(item, location)
    if line.substitution_of_id is not None:
        _named(item, "Comments", f"An approved substitute for line {line.substitution_of_id}")


def _ship_to(item: etree._Element, location: Location) -> None:
    address = sub(sub(item, "ShipTo"), "Address", isoCountryCode="US", addressID=str(location.id))
    _named(address, "Name", f"{location.practice.name}, {location.name}")
    postal = sub(address, "PostalAddress", name=location.name)
    sub(postal, "DeliverTo", location.practice.name)
    for street in (location.line1, location.line2):
        if street:
            sub(postal, "Street", street)
    sub(postal, "City", location.city)
    sub(postal, "State", location.state)
    sub(postal, "PostalCode", location.postal_code)
    sub(postal, "Country", "United States", isoCountryCode="US")


def as_cxml(po: PurchaseOrder, media_type: str = MEDIA_TYPE, download: bool = False) -> Response:
    """The HTTP answer: the document (as a file named after the purchase order when
    `download`)."""
    headers = {"Content-Disposition": f'attachment; filename="purchase-order-{po.id}.xml"'} if download else None
    return xml_response(order_request(po), headers=headers, media_type=media_type)


ORDER_REQUEST_EXAMPLE = """<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/cXML.dtd">
<cXML payloadID="20270116000512.5f0c6d1e7d7e4c559f0a1f6f2d8b9a10@gpo" timestamp="2027-01-16T00:05:12+00:00" \
version="1.2.060" xml:lang="en-US">
  <Header>
    <From><Credential domain="gpo"><Identity>mso-1</Identity></Credential></From>
    <To><Credential domain="gpo"><Identity>vendor-5</Identity></Credential></To>
    <Sender><Credential domain="gpo"><Identity>gpo</Identity></Credential><UserAgent>gpo</UserAgent></Sender>
  </Header>
  <Request deploymentMode="production">
    <OrderRequest>
      <OrderRequestHeader orderID="19" orderDate="2027-01-16T00:05:12+00:00" type="new">
        <Total><Money currency="USD">1079.46</Money></Total>
        <BillTo><Address addressID="mso-1"><Name xml:lang="en-US">Summit MSO</Name></Address></BillTo>
        <Comments xml:lang="en-US">Exam room supplies 2027, purchasing cycle January 2027: purchase order 19 \
to Acme Medical Supply</Comments>
        <Extrinsic name="cycle_id">7</Extrinsic>
        <Extrinsic name="contract_id">1</Extrinsic>
        <Extrinsic name="vendor_id">5</Extrinsic>
      </OrderRequestHeader>
      <ItemOut quantity="60" lineNumber="61">
        <ItemID><SupplierPartID>GLV-NIT-M</SupplierPartID><BuyerPartID>101</BuyerPartID></ItemID>
        <ItemDetail>
          <UnitPrice><Money currency="USD">17.9910</Money></UnitPrice>
          <Description xml:lang="en-US">Nitrile exam gloves, medium, box of 100 (box)</Description>
          <UnitOfMeasure>BX</UnitOfMeasure>
          <Classification domain="gpo:category">supplies</Classification>
          <ManufacturerPartID>AC-100M</ManufacturerPartID>
          <ManufacturerName xml:lang="en-US">Acme</ManufacturerName>
          <Extrinsic name="location_id">12</Extrinsic>
          <Extrinsic name="location">Main clinic</Extrinsic>
          <Extrinsic name="practice_id">3</Extrinsic>
          <Extrinsic name="practice">Lakeside Family Medicine</Extrinsic>
        </ItemDetail>
        <ShipTo>
          <Address isoCountryCode="US" addressID="12">
            <Name xml:lang="en-US">Lakeside Family Medicine, Main clinic</Name>
            <PostalAddress name="Main clinic">
              <DeliverTo>Lakeside Family Medicine</DeliverTo>
              <Street>1 Lake Street</Street>
              <City>Madison</City>
              <State>WI</State>
              <PostalCode>53703</PostalCode>
              <Country isoCountryCode="US">United States</Country>
            </PostalAddress>
          </Address>
        </ShipTo>
      </ItemOut>
    </OrderRequest>
  </Request>
</cXML>
"""


def openapi_doc(json_schema) -> dict:
    """`@blp.doc(**openapi_doc(PurchaseOrderSchema))` on GET /purchase-orders/{id}: the
    200 is JSON (`json_schema`, the default), or this cXML with `Accept: application/xml`."""
    xml = {"schema": {"type": "string", "description": "a cXML 1.2 OrderRequest document"},
           "example": ORDER_REQUEST_EXAMPLE}
    return {"responses": {"200": {
        "description": "OK: JSON, or a cXML OrderRequest with `Accept: application/xml` (or `text/xml`)",
        "content": {"application/json": {"schema": json_schema}, "application/xml": xml, "text/xml": xml}}}}
