"""Writing cXML documents: the envelope every document shares, the `<Response>` that
answers a vendor's request, and money in cXML's decimal form.

Documents are built as lxml element trees and serialized by lxml (never by joining
strings), with cXML's DOCTYPE line naming its DTD: as text only, nobody fetches it.
"""
from __future__ import annotations

import re
import uuid
from decimal import Decimal
from http import HTTPStatus

from flask import Response, current_app
from lxml import etree

from gpo.db import utcnow
from gpo.money import PRICE_PLACES
from gpo.notifications.cxml.parsing import CURRENCY, XML_LANG

VERSION = "1.2.060"
DOCTYPE = f'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/{VERSION}/cXML.dtd">'
MEDIA_TYPE = "application/xml"
LANG = "en-US"
IDENTITY_DOMAIN = "gpo"  # Credential domain of our identities: "mso-1", "vendor-5"
USER_AGENT = "gpo"

# Characters XML 1.0 cannot carry (a message may quote what a client sent).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def sub(parent: etree._Element, tag: str, content=None, /, **attributes) -> etree._Element:
    """A child element with text `content` and attributes (None attributes left out)."""
    element = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items() if v is not None})
    if content is not None:
        element.text = xml_text(content)
    return element


def new_payload_id() -> str:
    """Unique per document, in cXML's usual shape: time.random@host."""
    return f"{utcnow():%Y%m%d%H%M%S}.{uuid.uuid4().hex}@gpo"


def envelope() -> etree._Element:
    """<cXML payloadID timestamp version xml:lang> with nothing inside yet."""
    root = etree.Element("cXML", payloadID=new_payload_id(), timestamp=utcnow().isoformat(timespec="seconds"),
                         version=VERSION)
    root.set(XML_LANG, LANG)
    return root


def identity(organization_kind: str, organization_id: int) -> str:
    return f"{organization_kind}-{organization_id}"


def credential(parent: etree._Element, tag: str, who: str) -> etree._Element:
    """<From>/<To>/<Sender> with our Credential for `who` ("vendor-5")."""
    holder = sub(parent, tag)
    sub(sub(holder, "Credential", domain=IDENTITY_DOMAIN), "Identity", who)
    return holder


def deployment_mode() -> str:
    return "production" if current_app.config.get("GPO_ENV") == "production" else "test"


def money_of_cents(parent: etree._Element, amount_cents: int) -> etree._Element:
    """<Money currency="USD">1234.56</Money> from integer cents (exact)."""
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    return sub(parent, "Money", f"{sign}{whole}.{part:02d}", currency=CURRENCY)


def money_of_price(parent: etree._Element, price: Decimal) -> etree._Element:
    """<Money currency="USD">17.9910</Money> from a unit price, its 4 places as stored."""
    return sub(parent, "Money", format(Decimal(price).quantize(PRICE_PLACES), "f"), currency=CURRENCY)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE, pretty_print=True)


def xml_response(root: etree._Element, status: int = 200, headers: dict | None = None,
                 media_type: str = MEDIA_TYPE) -> Response:
    response = Response(serialize(root), status=status, content_type=f"{media_type}; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_document(code: int, message: str) -> etree._Element:
    """<cXML><Response><Status code text>message</Status></Response></cXML>: the HTTP
    status and the cXML status are the same number."""
    root = envelope()
    status = sub(sub(root, "Response"), "Status", message, code=str(code), text=HTTPStatus(code).phrase)
    status.set(XML_LANG, LANG)
    return root


def status_response(code: int, message: str, headers: dict | None = None) -> Response:
    return xml_response(status_document(code, message), code, headers)
