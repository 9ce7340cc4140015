"""What the three request documents share on their way to a use case: the purchase
order a document refers to (with the JSON route's tenancy: another vendor's is 404),
the JSON input built from the document and loaded by the JSON route's own schema (so
a cXML document can say nothing the JSON could not, and is refused with the same field
messages), and what the use case did, for the cXML Response."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from lxml import etree
from marshmallow import ValidationError

from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.errors import DomainError, Invalid
from gpo.notifications.cxml.parsing import object_id, refused
from gpo.orders.models import PurchaseOrder


@dataclass
class Outcome:
    """What a document did: the Status message, where to read the result (Location),
    and the purchase orders it touched with the audit details (payloadID added)."""

    message: str
    location: str
    purchase_orders: list[PurchaseOrder]
    details: dict = field(default_factory=dict)


def purchase_order_of(principal: Principal, reference: etree._Element | None, action: str) -> PurchaseOrder:
    """The purchase order an <OrderReference orderID> names, for `action` (404 when it is
    not the caller's, 403 when the role may not act)."""
    if reference is None:
        raise refused("the document names its purchase order in <OrderReference orderID=\"...\">")
    purchase_order_id = object_id(reference.get("orderID"), "purchase order")
    return policy.load(principal, PurchaseOrder, purchase_order_id, action)


def load_input(schema, payload: dict):
    """The JSON route's schema loads what the document says (422 with its messages)."""
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise Invalid("the document is not valid: see the fields", {"json": exc.messages}) from None


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextmanager
def described(where: dict[str, str]):
    """A refusal of the schema or the use case inside this block is told with the cXML
    element each JSON path came from: {"lines.0": 'ConfirmationItem lineNumber="61"'}."""
    try:
        yield
    except DomainError as error:
        error.cxml_where = {**getattr(error, "cxml_where", {}), **where}
        raise


def field_messages(error: DomainError) -> list[str]:
    """Each field message of a refusal, "<where in the document> (<JSON path>): message"."""
    where = getattr(error, "cxml_where", {})
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item, path) if isinstance(item, (dict, list, tuple)) else found.append((path, str(item)))
        else:
            found.append((path, str(node)))

    walk((error.errors or {}).get("json", error.errors or {}), [])
    lines = []
    for path, message in found:
        dotted = ".".join(path)
        prefix = max((p for p in where if dotted == p or dotted.startswith(p + ".")), key=len, default=None)
        place = f"{where[prefix]} ({dotted})" if prefix else dotted
        lines.append(f"{place}: {message}" if place else message)
    return lines
