"""Reading a cXML document a vendor's system sent, safely, and the values in it.

A cXML document comes from outside: it is parsed with lxml with every door closed.
No entity is ever expanded, no DTD loaded (the `<!DOCTYPE cXML SYSTEM ...>` line every
cXML document carries is read as text and nothing more), nothing fetched from the
network or the file system, no processing instruction kept; a document that declares
entities (XXE, "billion laughs") or still refers to one after parsing is refused
before anything reads it. Bodies are at most MAX_DOCUMENT_BYTES.

Every refusal is a DomainError with the status the cXML Response carries (400
malformed or unsupported, 413 too large, 415 not XML, 422 a value that is not what it
should be), raised before any use case runs.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree
from werkzeug.exceptions import HTTPException

from gpo.api import MAX_ID
from gpo.errors import DomainError, Invalid

# An InvoiceDetailRequest of a thousand lines is about 600 kB: 2 MiB is room enough,
# and far below the app's MAX_CONTENT_LENGTH (the JSON API's bulk imports need more).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# The largest amount a document may state, in dollars: $100 billion, as the API's
# MAX_CENTS (gpo/billing/schemas.py); larger is no real amount (1E+999999 cannot even be
# scaled to cents: decimal.Overflow).
MAX_AMOUNT = Decimal(10) ** 11
# The most digits an id may have: ids are BIGINT (19 digits at most); more is not ours,
# and int() refuses thousands of digits (ValueError), so they are never converted.
MAX_ID_DIGITS = 18
XML_MEDIA_TYPES = ("application/xml", "text/xml")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CURRENCY = "USD"  # money is US cents everywhere in gpo


def refused(message: str, status: int = 400) -> DomainError:
    return DomainError(message, status_code=status)


@dataclass(frozen=True)
class Document:
    """What every cXML request document has: its payloadID (our idempotency key), the
    one element inside <Request> (ConfirmationRequest, ...), and the Header's parts we
    read (the Sender's SharedSecret may carry the API key; never logged)."""

    payload_id: str
    request: etree._Element
    shared_secret: str | None
    from_identities: dict[str, str]  # Header/From/Credential: domain -> Identity

    @property
    def kind(self) -> str:
        return self.request.tag


class _NothingExternal(etree.Resolver):
    """Refuse every external resource (a DTD, an entity) the parser might ask for."""

    def resolve(self, url, public_id, context):
        raise refused("a cXML document may not refer to external resources")


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_pis=True, remove_comments=True, attribute_defaults=False)
    # (Not collect_ids=False: lxml then loads the DTD to find ID attributes.)
    parser.resolvers.add(_NothingExternal())
    return parser


def read_body(request) -> bytes:
    """The request's body: XML (415 otherwise), at most MAX_DOCUMENT_BYTES (413)."""
    if request.mimetype not in XML_MEDIA_TYPES:
        raise refused(f"send the cXML document as application/xml or text/xml, not "
                      f"{request.mimetype or 'without a Content-Type'}", 415)
    too_large = refused(f"a cXML document is at most {MAX_DOCUMENT_BYTES} bytes", 413)
    if request.content_length is not None and request.content_length > MAX_DOCUMENT_BYTES:
        raise too_large
    try:
        data = request.get_data(cache=True)  # cached: the idempotency store hashes it too
    except HTTPException as exc:  # werkzeug's own limit (MAX_CONTENT_LENGTH)
        raise too_large from exc
    if len(data) > MAX_DOCUMENT_BYTES:
        raise too_large
    return data


def parse(data: bytes) -> etree._Element:
    """The document's root element; 400 for anything not well-formed or declaring or
    using entities."""
    if b"<!ENTITY" in data:
        raise refused("a cXML document declares no entities: this one's DTD does (refused unread)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise refused(f"the document is not well-formed XML: {exc}") from None
    except DomainError:
        raise
    except (ValueError, etree.LxmlError) as exc:
        raise refused(f"the document cannot be read as XML: {exc}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and next(iter(dtd.iterentities()), None) is not None:
        raise refused("a cXML document declares no entities: this one's DTD does")
    if next(root.iter(etree.Entity), None) is not None:
        raise refused("a cXML document refers to no entity other than XML's own (&amp; &lt; &gt; &quot; &apos;)")
    return root


def read_document(root: etree._Element) -> Document:
    """The request document's parts (400 if it is not a cXML request)."""
    if root.tag != "cXML":
        raise refused(f"not a cXML document: the root element is <{root.tag}>, not <cXML>")
    payload_id = (root.get("payloadID") or "").strip()
    if not payload_id:
        raise refused("the cXML document has no payloadID")
    request = root.find("Request")
    if request is None:
        found = next((child.tag for child in root if child.tag != "Header"), "nothing")
        raise refused(f"POST /cxml takes a request document (<Request>), not <{found}>")
    inner = [child for child in request if isinstance(child.tag, str)]
    if len(inner) != 1:
        raise refused(f"<Request> holds one request, not {len(inner)}")
    header = root.find("Header")
    secret = header.findtext("Sender/Credential/SharedSecret") if header is not None else None
    identities = {}
    for credential in (header.findall("From/Credential") if header is not None else []):
        identities[(credential.get("domain") or "").strip()] = (credential.findtext("Identity") or "").strip()
    return Document(payload_id=payload_id, request=inner[0], shared_secret=(secret or "").strip() or None,
                    from_identities=identities)


# --- values ----------------------------------------------------------------------------


def required(parent: etree._Element, path: str) -> etree._Element:
    """The element at `path` under `parent`; 400 naming it when it is missing."""
    found = parent.find(path)
    if found is None:
        raise refused(f"<{parent.tag}> needs a <{path}>")
    return found


def text_of(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


_WHOLE = re.compile(r"^[+-]?\d+(\.0*)?$")


def whole(value: str | None, what: str) -> int:
    """A count of units or a line number: a whole number ("12", also "12.0"), 422 else.
    The range is the JSON schema's business (negative units are refused there)."""
    text = (value or "").strip()
    if not _WHOLE.match(text) or len(text) > 30:
        raise Invalid(f"{what} must be a whole number, not {text!r}")
    return int(Decimal(text))


def object_id(value: str | None, noun: str) -> int:
    """An id in a reference (orderID): anything that is not one of ours is not found (404)."""
    text = (value or "").strip()
    if (not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS
            or not 1 <= int(text) <= MAX_ID):
        raise DomainError(f"{noun} {text!r} not found", status_code=404)
    return int(text)


def money_text(money: etree._Element | None, what: str) -> str:
    """A <Money currency="USD"> amount as its decimal text ("17.9910"), 422 if missing,
    in another currency or not a number. Never a float."""
    if money is None:
        raise Invalid(f"{what} needs <Money currency=\"{CURRENCY}\">")
    currency = (money.get("currency") or "").strip()
    if currency != CURRENCY:
        raise Invalid(f"{what}: amounts are in {CURRENCY}, not {currency or 'no currency'}")
    text = text_of(money)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or len(text) > 30:
        raise Invalid(f"{what}: {text!r} is not an amount")
    if amount.copy_abs() >= MAX_AMOUNT:  # copy_abs: abs() would round, and overflow
        raise Invalid(f"{what}: {text!r} is more than any amount gpo takes ({MAX_AMOUNT:,} {CURRENCY})")
    return text


def cents(money: etree._Element | None, what: str) -> int:
    """A <Money> amount in integer cents: at most 2 decimal places (422 otherwise)."""
    amount = Decimal(money_text(money, what))
    try:
        if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
            raise Invalid(f"{what}: {money_text(money, what)} has more than 2 decimal places")
        return int(amount.scaleb(2))
    except ArithmeticError:  # decimal.Overflow and the like (0E+99999999): no amount in cents
        raise Invalid(f"{what}: {money_text(money, what)!r} is not an amount") from None


def day(value: str | None, what: str) -> dt.date:
    """The calendar date of a cXML date or date-time ("2027-01-20T09:00:00-08:00"), as
    written (in its own offset, not converted to UTC); 422 if it is not one."""
    text = (value or "").strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise Invalid(f"{what} must be a date (2027-01-20 or 2027-01-20T09:00:00-08:00), not {text!r}") from None
