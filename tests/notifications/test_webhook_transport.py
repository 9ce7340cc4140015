"""WEBHOOK_TIMEOUT_SECONDS must bound the whole attempt (transport.py says so,
DOMAIN.md says "a 10 s timeout"), else an attempt outlives its claim's lease
(timeout + 30 s) and a second dispatcher sends the same delivery at the same time."""
import socket
import time

from gpo.notifications.webhooks import transport
from gpo.notifications.webhooks.addresses import Target


def test_a_host_with_many_blackholed_addresses_is_bounded_by_the_timeout(monkeypatch):
    timeout = 0.3
    opened = []

    def open_socket(address, port, t):  # a blackholed address: connect() hangs for the whole timeout
        opened.append(address)
        time.sleep(t)
        raise socket.timeout("timed out")

    monkeypatch.setattr(transport, "open_socket", open_socket)
    target = Target("https", "hooks.acme.example", 443, "/",
                    tuple(f"93.184.216.{n}" for n in range(1, 6)))  # five A records, none answering
    started = time.monotonic()
    answer = transport.post(target, b"{}", {}, timeout)
    elapsed = time.monotonic() - started
    assert answer.status_code is None
    assert elapsed < timeout * 2, f"one attempt took {elapsed:.2f} s with a {timeout} s timeout ({len(opened)} connects)"
