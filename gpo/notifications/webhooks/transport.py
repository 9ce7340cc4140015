"""One HTTP POST of a webhook delivery, with the standard library's http.client.

- It connects to an address `addresses.vet` vetted, never to a fresh DNS answer (the
  TLS server name and the Host header stay the URL's host name), so DNS rebinding
  between the check and the connection cannot move it to another address.
- WEBHOOK_TIMEOUT_SECONDS bounds the whole exchange (connecting, sending, the answer),
  not only each read: a watchdog cuts the connection when the time is up.
- Redirects are never followed (a 3xx is a failed attempt), and at most
  MAX_ANSWER_BYTES of the answer are read.

`open_socket` and `tls_context` are the two seams tests replace (a local TLS server
standing in for a public address)."""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from gpo.notifications.webhooks.addresses import Target

MAX_ANSWER_BYTES = 4096
USER_AGENT = "gpo-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What came of one attempt: the receiver's status code (None: no answer) and, when
    it did not succeed, why, in a sentence for the vendor."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    retry_after: str | None = None  # the receiver's Retry-After header, as sent

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to `address` (an IP, never a name)."""
    return socket.create_connection((address, port), timeout=timeout)


def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's trust store, host names checked."""
    return ssl.create_default_context()


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the vetted address; the Host header names the URL's host."""

    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = open_socket(self.address, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the vetted address; SNI, the certificate check and Host name the URL's host."""

    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=tls_context())
        self.address = address

    def connect(self):
        sock = open_socket(self.address, self.port, self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _connected(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first vetted address that answers."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    error: Exception = OSError("the host has no address")
    for address in target.addresses:
        connection = kind(target, address, timeout)
        try:
            connection.connect()
            return connection
        except OSError as exc:
            connection.close()
            error = exc
    raise error


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to the target; never raises for what the network or receiver does."""
    started = time.monotonic()
    cut = threading.Event()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection = _connected(target, timeout)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, elapsed_ms(), _describe(exc, timeout))
    watchdog = threading.Timer(max(timeout - (time.monotonic() - started), 0.01), _cut, (connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers={"user-agent": USER_AGENT, **headers})
        response = connection.getresponse()
        snippet = response.read(MAX_ANSWER_BYTES)
        status, retry_after, location = response.status, response.getheader("retry-after"), response.getheader("location")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Answer(None, elapsed_ms(), f"timed out after {timeout:g} s" if cut.is_set() else _describe(exc, timeout))
    finally:
        watchdog.cancel()
        connection.close()
    return Answer(status, elapsed_ms(), _error_of(status, snippet, location), retry_after)


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """The time is up: shut the socket down, which ends a read blocked on it."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _error_of(status: int, snippet: bytes, location: str | None) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        where = f" (to {location[:200]})" if location else ""
        return f"the receiver answered {status}: redirect not followed{where}"
    text = " ".join(snippet.decode("utf-8", "replace").split())[:200]
    return f"the receiver answered {status}" + (f": {text}" if text else "")


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate is not valid: {exc.verify_message or exc}"[:300]
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"[:300]
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:300]
