"""What the webhook tests share: a vendor's receiver, and the steps of a scenario.

`Receiver` is a real HTTP server on a loopback port (a thread) that verifies every
request with the `standardwebhooks` package, as a vendor's system would, and answers
what the test scripted (500, then 429 with Retry-After, then 200, say). `TlsReceiver`
is the same over HTTPS, with a self-signed certificate for a host name the test
resolves itself (openssl makes it). `add_endpoint`, `emit` and `deliveries_of` are
the scenario's steps: an endpoint through the API, an event in the outbox, the rows."""
from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[str] = field(default_factory=list)  # the secrets whose verify() passed
    error: str | None = None  # why verification failed with every secret

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def signatures(self) -> list[str]:
        return self.headers.get("webhook-signature", "").split(" ")


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """`with Receiver() as receiver:` a server on 127.0.0.1; `receiver.url`; set
    `receiver.secrets` to verify with, `receiver.answers` to script the next answers
    (then 200 once they run out); `receiver.received` holds every request."""

    def __init__(self):
        self.secrets: list[str] = []
        self.answers: list[Answer] = []
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds before answering (a slow receiver)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = receiver._take(Received(self.path, headers, body))
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST  # noqa: N815 - anything that arrives is recorded

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _take(self, request: Received) -> Answer:
        import time

        for secret in list(self.secrets):
            try:
                Webhook(secret).verify(request.body, request.headers)
                request.verified_by.append(secret)
            except WebhookVerificationError as exc:
                request.error = str(exc)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.received.append(request)
            if self.secrets and not request.verified_by:
                return Answer(400, body=b"bad signature")
            return self.answers.pop(0) if self.answers else Answer()

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_certificate(directory, host: str) -> tuple[str, str]:
    """(certificate, key) files for `host`, made by the openssl command line."""
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=DNS:{host}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class TlsReceiver(Receiver):
    """The receiver over HTTPS with a certificate for `host`; `client_context()`
    trusts it (what gpo's transport uses in the test)."""

    def __init__(self, directory, host: str):
        super().__init__()
        self.host = host
        self.cert, key = self_signed_certificate(directory, host)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cert)


# --- the steps of a scenario --------------------------------------------------------


def add_endpoint(client, world, url: str, who: str = "vendor_admin", **fields) -> tuple[dict, str]:
    """An endpoint of world.vendor, through the API: (its JSON without the secret, the secret)."""
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/webhook-endpoints", json={"url": url, **fields},
                           headers=world.headers[who])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    return {k: v for k, v in body.items() if k != "secret"}, body["secret"]


def emit(world, event_type: str = "purchase_order.created", vendor=None, **data) -> int:
    """An event of the vendor written to the outbox, as a use case does, committed."""
    from gpo.db import unit_of_work
    from gpo.notifications import outbox

    vendor = vendor or world.vendor
    with unit_of_work():
        event = outbox.emit(event_type, vendor, summary=f"{event_type} for {vendor.name}", vendor_id=vendor.id,
                            data={"purchase_order_id": 7, **data}, subject_type="purchase_order")
        return event.id


def deliveries_of(endpoint_id: int) -> list:
    """The endpoint's delivery rows as committed, oldest first, attempts loaded."""
    from sqlalchemy import select

    from gpo.db import db
    from gpo.notifications.models import WebhookDelivery

    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                              .order_by(WebhookDelivery.id)).all()
    for row in rows:
        _ = row.attempts, row.event
    return list(rows)


def fanned_and_delivered(result: dict) -> tuple:
    """A dispatch's events fanned out and webhook deliveries attempted (e-mail is the
    other channel's count)."""
    return result["fanned_out"], result["webhooks"]
