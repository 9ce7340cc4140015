"""POST /cxml against what a hostile or broken client sends: external entities (a file,
a URL on a loopback server that counts every request it gets), billion laughs, DTDs
with parameter entities, malformed XML, bodies too large or not XML, documents of
unknown types, another vendor's purchase order, and valid documents with a bad
quantity. Each is refused with a cXML error status, and the database is exactly as it
was (every table but api_keys, whose last use the authentication records)."""
from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from gpo.db import db
from gpo.notifications.cxml.parsing import MAX_DOCUMENT_BYTES
from tests.notifications import cxml_builders as cx


def database_state() -> dict:
    db.session.expire_all()
    state = {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
             for table in db.metadata.sorted_tables if table.name != "api_keys"}
    db.session.commit()
    return state


@pytest.fixture
def trap():
    """A loopback HTTP server that serves an entity-laden DTD and records every request."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            body = b'<!ENTITY xxe "FETCHED-FROM-THE-TRAP"><!ENTITY % pe "<!ENTITY leak SYSTEM \'file:///etc/passwd\'>">'
            self.send_response(200)
            self.send_header("Content-Type", "application/xml-dtd")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def acme(after_close):
    """The after-the-close purchase order, and a valid whole-order acceptance of it."""
    after_close.valid = cx.document(cx.confirmation(after_close.po.id, kind="accept")).decode()
    return after_close


def with_doctype(valid: str, doctype: str, identity: str = "acme") -> bytes:
    """The valid document with another DOCTYPE, and `identity` as the Sender's Identity."""
    head, rest = valid.split("\n", 2)[0], valid.split("\n", 2)[2]
    rest = rest.replace("<Identity>acme</Identity>", f"<Identity>{identity}</Identity>")
    return f"{head}\n{doctype}\n{rest}".encode()


def refused(client, acme, body, status, contains, content_type="application/xml", who="vendor_key"):
    before = database_state()
    response = cx.post(client, body, acme.world.headers[who], content_type=content_type)
    code, text = cx.answer(response)
    assert code == status and contains in text, text
    assert "root:" not in response.get_data(as_text=True) and "FETCHED" not in response.get_data(as_text=True)
    assert database_state() == before
    return text


# --- entities -----------------------------------------------------------------------------


def test_an_external_entity_reading_a_file_is_refused(client, acme):
    body = with_doctype(acme.valid, '<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")
    refused(client, acme, body, 400, "declares no entities")


def test_an_external_entity_over_the_network_is_refused_and_never_fetched(client, acme, trap):
    url, hits = trap
    body = with_doctype(acme.valid, f'<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "{url}/secret">]>', "&xxe;")
    refused(client, acme, body, 400, "declares no entities")
    assert hits == []


def test_billion_laughs_is_refused_at_once(client, acme):
    def level(i):
        previous = f"&lol{i - 1};" if i > 1 else "&lol;"
        return f'<!ENTITY lol{i} "{previous * 10}">'

    levels = ['<!ENTITY lol "lol">'] + [level(i) for i in range(1, 10)]
    body = with_doctype(acme.valid, f"<!DOCTYPE cXML [{''.join(levels)}]>", "&lol9;")
    started = time.monotonic()
    refused(client, acme, body, 400, "declares no entities")
    assert time.monotonic() - started < 5


def test_a_parameter_entity_loading_an_external_dtd_is_refused(client, acme, trap):
    url, hits = trap
    body = with_doctype(acme.valid, f'<!DOCTYPE cXML [<!ENTITY % remote SYSTEM "{url}/evil.dtd"> %remote; %pe;]>', "&leak;")
    refused(client, acme, body, 400, "declares no entities")
    assert hits == []


def test_an_external_dtd_is_never_loaded_and_its_entities_never_used(client, acme, trap):
    url, hits = trap
    body = with_doctype(acme.valid, f'<!DOCTYPE cXML SYSTEM "{url}/evil.dtd">', "&xxe;")
    refused(client, acme, body, 400, "refers to no entity")
    assert hits == []


def test_an_external_dtd_is_text_only(client, acme, trap):
    """cXML documents name their DTD: the name is read, the DTD is not fetched."""
    url, hits = trap
    response = cx.post(client, with_doctype(acme.valid, f'<!DOCTYPE cXML SYSTEM "{url}/cXML.dtd">'),
                       acme.world.headers["vendor_key"])
    assert cx.answer(response)[0] == 200
    assert hits == []


def test_entities_in_another_encoding_are_refused_too(client, acme):
    text = with_doctype(acme.valid, '<!DOCTYPE cXML [<!ENTITY xxe "x">]>', "&xxe;").decode()
    body = text.replace("encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16")
    refused(client, acme, body, 400, "declares no entities")


# --- what is not a cXML request ----------------------------------------------------------


@pytest.mark.parametrize("body, status, contains, content_type", [
    (b"<cXML><Request><ConfirmationRequest>", 400, "not well-formed XML", "application/xml"),
    (b"", 400, "not well-formed XML", "application/xml"),
    (b"<html><body>hello</body></html>", 400, "the root element is <html>, not <cXML>", "text/xml"),
    (b'<cXML timestamp="2027-01-17T09:30:00Z"><Request><ConfirmationRequest/></Request></cXML>', 400,
     "the cXML document has no payloadID", "application/xml"),
    (b'<cXML payloadID="r-1"><Response><Status code="200" text="OK"/></Response></cXML>', 400,
     "takes a request document (<Request>), not <Response>", "application/xml"),
    (b'<cXML payloadID="r-2"><Request><ConfirmationRequest/><ShipNoticeRequest/></Request></cXML>', 400,
     "<Request> holds one request, not 2", "application/xml"),
    (b'<cXML payloadID="r-3"><Request><OrderRequest/></Request></cXML>', 400, "OrderRequest is not supported",
     "application/xml"),
    (b'{"lines": []}', 415, "send the cXML document as application/xml or text/xml, not application/json",
     "application/json"),
    (b"<cXML/>", 415, "not text/plain", "text/plain"),
])
def test_what_is_not_a_cxml_request_is_refused(client, acme, body, status, contains, content_type):
    refused(client, acme, body, status, contains, content_type)


def test_a_body_over_the_limit_is_refused_unread(client, acme):
    body = acme.valid.encode() + b" " * (MAX_DOCUMENT_BYTES + 1 - len(acme.valid.encode()))
    refused(client, acme, body, 413, f"a cXML document is at most {MAX_DOCUMENT_BYTES} bytes")


# --- tenancy and values ------------------------------------------------------------------


def test_a_document_for_another_vendors_purchase_order_is_not_found(client, acme):
    refused(client, acme, acme.valid.encode(), 404, f"purchase order {acme.po.id} not found", who="other_vendor_key")


def test_an_order_id_that_is_not_ours_is_not_found(client, acme):
    body = cx.document(cx.confirmation("PO-4711", kind="accept"))
    refused(client, acme, body, 404, "purchase order 'PO-4711' not found")


@pytest.mark.parametrize("statuses, item_quantity, contains", [
    ([("accept", "61")], 60, "its ConfirmationStatus quantities add up to 61, not its quantity 60"),
    ([("accept", "2.5"), ("reject", "57.5")], 60, "ConfirmationStatus quantity must be a whole number, not '2.5'"),
    ([("accept", "-1"), ("reject", "61")], 60, "(lines.0.accepted_quantity): Must be greater than or equal to 0."),
    ([("accept", "59"), ("backordered", "1")], 60, "(lines.0.expected_ship_on): backordered units need an expected ship date"),
    ([("accept", "59")], 59, "quantity=\"59\": line 1 ordered 60"),
])
def test_a_confirmation_with_a_bad_quantity_changes_nothing(client, acme, statuses, item_quantity, contains):
    line = acme.line()
    body = cx.document(cx.confirmation(acme.po.id, cx.item(line.id, item_quantity, *[cx.status(k, q) for k, q in statuses])))
    refused(client, acme, body, 422, contains)


def test_a_ship_notice_with_a_bad_quantity_changes_nothing(client, acme):
    acme.accept_all()
    line = acme.line()
    body = cx.document(cx.ship_notice(acme.po.id, (line.id, 61)))
    refused(client, acme, body, 422, f"line {line.id}: shipping 61 more would exceed the 60 to deliver (0 shipped)")
    body = cx.document(cx.ship_notice(acme.po.id, (line.id, 0)))
    refused(client, acme, body, 422, "(lines.0.quantity): Must be greater than or equal to 1.")
    body = cx.document(cx.ship_notice(acme.po.id, (999, 1)))
    refused(client, acme, body, 422, f"line 999 is not a line of purchase order {acme.po.id}")


def test_a_substitute_that_is_not_the_vendors_changes_nothing(client, acme):
    line = acme.line()
    body = cx.document(cx.confirmation(acme.po.id, cx.item(line.id, 60, cx.status("accept", 56),
                                                          cx.status("detail", 4, cx.substitute("NOPE", "1.0000", 4)))))
    refused(client, acme, body, 422, "ItemIn SupplierPartID 'NOPE' is not one of your products")
    body = cx.document(cx.confirmation(acme.po.id, cx.item(line.id, 60, cx.status("accept", 56),
                                                          cx.status("detail", 4, cx.substitute("MSK", "99.0000", 4)))))
    refused(client, acme, body, 422, "a substitute costs at most the line's unit price 17.9910, not 99.0000")


def test_the_shared_secret_is_never_logged(client, acme, caplog, monkeypatch):
    from tests.factories import api_key_with_secret

    # the suite's migrations (alembic's fileConfig) disable the loggers that existed then
    monkeypatch.setattr(logging.getLogger("gpo.cxml"), "disabled", False)
    _, plain = api_key_with_secret(acme.world.vendor.id)
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    for secret in (plain, "gpo_wrong_secret_00000000000000000000000"):
        cx.post(client, cx.document(cx.confirmation(acme.po.id, kind="accept"), payload_id=f"s-{secret[-4:]}", secret=secret))
    assert "cXML ConfirmationRequest 's-" in caplog.text
    assert plain not in caplog.text and "gpo_wrong_secret" not in caplog.text
