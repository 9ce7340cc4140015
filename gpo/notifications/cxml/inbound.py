"""POST /cxml: a vendor's system sends a cXML request document, gpo answers a cXML
Response whose Status code is the HTTP status.

In order: the body is read safely (parsing.py: XML only, at most 2 MiB, no entities,
nothing external), the caller is recognized from `Authorization: Bearer <API key>` or,
as cXML clients send it, from the key in Header/Sender/Credential/SharedSecret (never
logged); the caller's role must be a vendor's (`cxml.submit`); then the document runs
once per payloadID and vendor: the same payloadID again replays the first answer and
changes nothing (the Idempotency-Key store, gpo/idempotency.py, keyed on the payloadID;
the same payloadID with another document is a 409). Each request document maps onto
the use case its JSON route calls (confirmation.py, ship_notice.py, invoice_detail.py)
in this request's one unit of work; a refusal rolls everything back.

Every answer is cXML, errors too (never the JSON error shape, never a 5xx for anything
a client can send): 400 malformed or unsupported, 401/403 credentials or role, 404
another vendor's or an unknown purchase order, 409 a state that does not allow it, 413,
415, 422 a value the use case refuses (its field messages in the Status text). Each
document's outcome is logged with its payloadID and the request id.
"""
from __future__ import annotations

import hashlib
import logging

from flask import request

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.auth.services import authenticate
from gpo.errors import DomainError, Forbidden, Unauthenticated
from gpo.idempotency import KEY_PATTERN, run_once
from gpo.notifications.cxml import confirmation, documents, invoice_detail, ship_notice
from gpo.notifications.cxml.mapping import field_messages
from gpo.notifications.cxml.parsing import Document, parse, read_body, read_document, refused
from gpo.request_context import current_request_id

log = logging.getLogger("gpo.cxml")

# The request documents gpo reads, and the use case each maps onto.
HANDLERS = {
    "ConfirmationRequest": confirmation.confirm,
    "ShipNoticeRequest": ship_notice.ship,
    "InvoiceDetailRequest": invoice_detail.invoice,
}
_PRINCIPAL = "gpo.principal"  # the request slot the API's authentication fills (gpo.auth.request)


def receive():
    """The whole answer to POST /cxml (a Flask response, always cXML)."""
    document = None
    try:
        principal = _from_header()  # a bad Authorization header: 401 before the body is read
        document = read_document(parse(read_body(request)))
        principal = principal or _from_document(document)
        request.environ[_PRINCIPAL] = principal
        if not policy.may(principal, "cxml.submit"):
            raise Forbidden("only a vendor's API key or admin sends cXML documents")
        handler = HANDLERS.get(document.kind)
        if handler is None:
            raise refused(f"{document.kind} is not supported: POST /cxml takes {', '.join(HANDLERS)}")
        _check_sender(principal, document)
        response = run_once(f"cxml:vendor:{principal.organization_id}", _key(document.payload_id),
                            lambda: _run(handler, principal, document), what="payloadID")
    except DomainError as error:
        response = _refusal(error)
    except Exception:  # a defect of ours: logged, answered as cXML (clients retry a 500)
        log.exception("cXML document %r failed (request %s)", document and document.payload_id, current_request_id())
        return documents.status_response(500, "the document could not be processed: try again later")
    _log(document, response)
    return response


def _from_header() -> Principal | None:
    header = request.headers.get("Authorization")
    return authenticate(header) if header else None


def _from_document(document: Document) -> Principal:
    if document.shared_secret is None:
        raise Unauthenticated("send the vendor's API key: `Authorization: Bearer gpo_...`, or as the "
                              "Header's Sender/Credential/SharedSecret")
    return authenticate(f"Bearer {document.shared_secret}")


def _check_sender(principal: Principal, document: Document) -> None:
    """A Header/From naming one of our identities names the caller's own vendor."""
    claimed = document.from_identities.get(documents.IDENTITY_DOMAIN)
    own = documents.identity("vendor", principal.organization_id)
    if claimed and claimed != own:
        raise DomainError(f"the Header's From names {claimed}, but the credentials are {own}'s", status_code=403)


def _key(payload_id: str) -> str:
    """The payloadID as the idempotency key: itself when it fits the store, else its hash."""
    if KEY_PATTERN.match(payload_id):
        return payload_id
    return "sha256:" + hashlib.sha256(payload_id.encode()).hexdigest()


def _run(handler, principal: Principal, document: Document):
    outcome = handler(principal, document.request)
    for po in outcome.purchase_orders:
        audit.record(principal, "cxml.receive", po, details={"payload_id": document.payload_id, **outcome.details})
    return documents.status_response(200, outcome.message, {"Location": outcome.location})


def _refusal(error: DomainError):
    """A refusal as a cXML Status: the message, then each field message."""
    status = error.status_code if 400 <= error.status_code < 500 else 400
    parts = field_messages(error) if error.errors else []
    message = error.message if not parts else "; ".join(parts)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    headers.update({k: v for k, v in (error.headers or {}).items() if k.lower() == "retry-after"})
    return documents.status_response(status, message, headers)


def _log(document: Document | None, response) -> None:
    level = logging.INFO if response.status_code < 400 else logging.WARNING
    log.log(level, "cXML %s %r answered %s (request %s)", document.kind if document else "document",
            document.payload_id if document else None, response.status_code, current_request_id())
