"""SSRF in production mode (WEBHOOK_ALLOW_PRIVATE_URLS off): endpoint URLs at
loopback, the metadata service, a private network or a host name that resolves to
one are refused when set (422 at `url`), a host whose DNS turns to loopback after it
was set is refused at delivery, and a public first hop that redirects to loopback is
not followed. A receiver listens on loopback throughout: no request reaches it.

Names are resolved by the test's resolver; the one "public" host is a TLS receiver on
loopback that the test's socket opener stands in for, so no traffic leaves the
machine (anything else the opener is asked for fails the test)."""
import socket

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.notifications import dispatcher
from gpo.notifications.models import WebhookEndpoint
from gpo.notifications.webhooks import addresses, transport
from tests.helpers import assert_error
from tests.notifications.webhook_support import Answer, Receiver, TlsReceiver, deliveries_of, emit

PUBLIC_IP = "93.184.216.34"  # what the test's DNS says hooks.acme.example is
HOST = "hooks.acme.example"


@pytest.fixture
def loopback_target():
    """A server on loopback that nothing may reach."""
    with Receiver() as running:
        yield running


@pytest.fixture
def names(monkeypatch):
    table = {HOST: [PUBLIC_IP]}

    def resolve(host, port):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(table[host])

    monkeypatch.setattr(addresses, "resolve", resolve)
    return table


@pytest.fixture
def production(app, monkeypatch, names):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    return names


@pytest.fixture
def public_host(tmp_path, monkeypatch, production):
    """hooks.acme.example (93.184.216.34, port 443) served by a TLS receiver on loopback:
    the socket opener connects that one address there, and refuses anything else."""
    with TlsReceiver(tmp_path, HOST) as tls:
        opened = []

        def open_socket(address, port, timeout):
            opened.append((address, port))
            if (address, port) != (PUBLIC_IP, 443):
                raise AssertionError(f"a connection to {address}:{port} would leave the test")
            return socket.create_connection(("127.0.0.1", tls.port), timeout=timeout)

        monkeypatch.setattr(transport, "open_socket", open_socket)
        monkeypatch.setattr(transport, "tls_context", tls.client_context)
        tls.opened = opened
        yield tls


def _create(client, world, url):
    return client.post(f"/api/v1/vendors/{world.vendor.id}/webhook-endpoints", json={"url": url},
                       headers=world.headers["vendor_admin"])


def _endpoints() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1:{port}/hooks", "the URL must start with https://."),
    ("https://127.0.0.1:{port}/hooks", "the URL's host is not a public internet address (loopback, private, "
                                       "link-local and metadata addresses are refused)."),
    ("http://169.254.169.254/latest/meta-data/", "the URL must start with https://."),
    ("https://169.254.169.254/latest/meta-data/", "the URL's host is not a public internet address"),
    ("http://10.0.0.1/", "the URL must start with https://."),
    ("https://10.0.0.1/", "the URL's host is not a public internet address"),
    ("https://[::ffff:127.0.0.1]:{port}/", "the URL's host is not a public internet address"),
    ("https://loopback.attacker.example:{port}/hooks", "the URL's host resolves to 127.0.0.1, which is not a "
                                                       "public internet address"),
    ("https://metadata.attacker.example/", "the URL's host resolves to 169.254.169.254, which is not"),
    ("https://unknown.attacker.example/", "the host name unknown.attacker.example does not resolve"),
])
def test_local_and_private_urls_are_refused_at_the_url_field(client, world, production, loopback_target, url, message):
    production["loopback.attacker.example"] = ["127.0.0.1"]
    production["metadata.attacker.example"] = ["169.254.169.254"]
    response = _create(client, world, url.format(port=loopback_target.port))
    body = assert_error(response, 422)
    [said] = body["errors"]["json"]["url"]
    assert said.startswith(message), said
    assert _endpoints() == 0 and loopback_target.received == []


def test_changing_an_endpoint_to_a_local_url_is_refused(client, world, production, loopback_target):
    created = _create(client, world, f"https://{HOST}/hooks")
    assert created.status_code == 201
    url = f"/api/v1/webhook-endpoints/{created.get_json()['id']}"
    response = client.patch(url, json={"url": f"https://127.0.0.1:{loopback_target.port}/"},
                            headers={**world.headers["vendor_admin"], "If-Match": created.headers["ETag"]})
    assert assert_error(response, 422)["errors"]["json"]["url"][0].startswith("the URL's host is not a public")
    assert client.get(url, headers=world.headers["vendor_admin"]).get_json()["url"] == f"https://{HOST}/hooks"


def test_a_host_whose_dns_turns_to_loopback_is_refused_at_delivery(client, world, production, public_host,
                                                                  loopback_target):
    created = _create(client, world, f"https://{HOST}:{loopback_target.port}/hooks")
    assert created.status_code == 201  # public when it was set
    production[HOST] = ["127.0.0.1"]  # the vendor's DNS answers loopback now
    emit(world)
    dispatcher.dispatch()
    [delivery] = deliveries_of(created.get_json()["id"])
    [attempt] = delivery.attempts
    assert (attempt.status_code, attempt.succeeded, delivery.status) == (None, False, "pending")  # retried later
    assert attempt.error == ("not sent: the URL's host resolves to 127.0.0.1, which is not a public internet "
                             "address (loopback, private, link-local and metadata addresses are refused)")
    assert public_host.opened == [] and loopback_target.received == [] and public_host.received == []


def test_a_public_first_hop_that_redirects_to_loopback_is_not_followed(client, world, public_host, loopback_target):
    stolen = f"http://127.0.0.1:{loopback_target.port}/latest/meta-data/"
    public_host.answers = [Answer(302, {"Location": stolen})]
    created = _create(client, world, f"https://{HOST}/hooks")
    public_host.secrets = [created.get_json()["secret"]]
    emit(world)
    dispatcher.dispatch()
    [delivery] = deliveries_of(created.get_json()["id"])
    [attempt] = delivery.attempts
    assert (attempt.status_code, attempt.succeeded, delivery.status) == (302, False, "pending")
    assert attempt.error == f"the receiver answered 302: redirect not followed (to {stolen})"
    assert loopback_target.received == []  # the redirect's target never heard of it
    [first_hop] = public_host.received  # the first hop got one signed POST, over TLS to the vetted address
    assert first_hop.verified_by == public_host.secrets and first_hop.headers["host"] == HOST
    assert public_host.opened == [(PUBLIC_IP, 443)]


def test_a_public_https_endpoint_receives_its_signed_event(client, world, public_host):
    created = _create(client, world, f"https://{HOST}/hooks")
    public_host.secrets = [created.get_json()["secret"]]
    emit(world)
    assert dispatcher.dispatch()["webhooks"] == 1
    [delivery] = deliveries_of(created.get_json()["id"])
    assert (delivery.status, delivery.attempts[0].status_code) == ("succeeded", 200)
    [received] = public_host.received
    assert received.verified_by == public_host.secrets and received.path == "/hooks"
    assert received.headers["host"] == HOST  # the URL's name (SNI too: the certificate is checked for it)
