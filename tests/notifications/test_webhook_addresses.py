"""The SSRF rule without a network: which addresses are public, which URLs may be
called, and that a delivery connects to the address that was vetted, whatever DNS
answers next (rebinding). Names are resolved by the test's own resolver; only
numeric host names (parsed by the C library, never sent to DNS) use the real one."""
import ipaddress
import socket

import pytest

from gpo.notifications.webhooks import addresses, transport
from gpo.notifications.webhooks.addresses import RefusedURL, is_public, parse, vet


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
    "192.167.255.255", "169.253.255.255", "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
])
def test_public_addresses_are_allowed(address):
    assert is_public(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254",  # loopback
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255",  # private
    "169.254.169.254", "169.254.0.1",  # link-local, the metadata service
    "100.64.0.1", "100.127.255.255",  # carrier-grade NAT
    "0.0.0.0", "0.1.2.3",  # unspecified, "this network"
    "224.0.0.1", "239.255.255.250",  # multicast
    "240.0.0.1", "255.255.255.255",  # reserved, broadcast
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "192.0.0.8",  # documentation, benchmarking
    "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456:789a::1", "fec0::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:100.64.0.1",  # IPv4-mapped
    "2002:7f00:1::1", "2002:a9fe:a9fe::1",  # 6to4 of 127.0.0.1 and 169.254.169.254
    "64:ff9b::a00:1", "64:ff9b::7f00:1",  # NAT64 of 10.0.0.1 and 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible
])
def test_every_local_private_and_reserved_address_is_refused(address):
    assert is_public(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("url, message", [
    ("http://hooks.acme.example/", "the URL must start with https://"),
    ("ftp://hooks.acme.example/", "the URL must start with https://"),
    ("hooks.acme.example/webhooks", "the URL must start with https://"),
    ("https://user:pw@hooks.acme.example/", "the URL may not contain a user name or password"),
    ("https:///path-only", "the URL has no host name"),
    ("https://hooks.acme.example:99999/", "the URL's port is not a number from 1 to 65535"),
    ("https://hooks.acme.example:0/", "the URL's port is not a number from 1 to 65535"),
    ("https://hooks.acme.example/a b", "a URL may not contain spaces or control characters"),
    ("https://hooks.acme.example/\r\nX-Injected: 1", "a URL may not contain spaces or control characters"),
    ("https://hooks.acme.example/" + "x" * 2048, "enter a URL of at most 2048 characters"),
    ("", "enter a URL of at most 2048 characters"),
])
def test_a_url_that_is_not_a_plain_https_address_is_refused(url, message):
    with pytest.raises(RefusedURL) as refused:
        parse(url, allow_private=False)
    assert str(refused.value).startswith(message)


def test_a_url_is_taken_apart_for_the_connection():
    target = parse("https://Hooks.Acme.example:8443/gpo/webhooks?tenant=7#ignored", allow_private=False)
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.acme.example", 8443,
                                                                      "/gpo/webhooks?tenant=7")
    assert parse("http://127.0.0.1/", allow_private=True).port == 80
    assert parse("https://[::1]/x", allow_private=True).host == "::1"


@pytest.fixture
def names(monkeypatch):
    """The test's DNS: {host: [addresses]}; an unknown name does not resolve."""
    table: dict[str, list[str]] = {}
    asked: list[str] = []

    def resolve(host, port):
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(table[host])

    monkeypatch.setattr(addresses, "resolve", resolve)
    return table, asked


@pytest.mark.parametrize("url, answer, why", [
    ("https://127.0.0.1/hooks", None, "the URL's host is not a public internet address"),
    ("https://169.254.169.254/latest/meta-data/", None, "the URL's host is not a public internet address"),
    ("https://10.0.0.1/", None, "the URL's host is not a public internet address"),
    ("https://[::1]/", None, "the URL's host is not a public internet address"),
    ("https://[::ffff:7f00:1]/", None, "the URL's host is not a public internet address"),
    ("https://loopback.attacker.example/", ["127.0.0.1"], "the URL's host resolves to 127.0.0.1, which is not"),
    ("https://metadata.attacker.example/", ["169.254.169.254"], "the URL's host resolves to 169.254.169.254"),
    ("https://mixed.attacker.example/", ["93.184.216.34", "10.1.2.3"], "the URL's host resolves to 10.1.2.3"),
    ("https://six.attacker.example/", ["fd00::1"], "the URL's host resolves to fd00::1"),
    ("https://nowhere.example/", "unknown", "the host name nowhere.example does not resolve"),
])
def test_a_host_that_is_or_resolves_to_a_local_address_is_refused(names, url, answer, why):
    table, _ = names
    if isinstance(answer, list):
        table[parse(url, allow_private=False).host] = answer
    with pytest.raises(RefusedURL) as refused:
        vet(url, allow_private=False)
    assert str(refused.value).startswith(why), str(refused.value)


def test_a_public_host_is_vetted_with_every_address_it_resolves_to(names):
    table, asked = names
    table["hooks.acme.example"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    target = vet("https://hooks.acme.example/gpo", allow_private=False)
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946") and asked == ["hooks.acme.example"]
    assert vet("https://8.8.8.8/", allow_private=False).addresses == ("8.8.8.8",)  # a literal is not resolved
    assert asked == ["hooks.acme.example"]


def test_with_private_urls_allowed_http_and_local_addresses_pass(names):
    table, _ = names
    table["receiver.local"] = ["127.0.0.1"]
    assert vet("http://127.0.0.1:8080/hooks", allow_private=True).addresses == ("127.0.0.1",)
    assert vet("http://receiver.local/", allow_private=True).addresses == ("127.0.0.1",)
    with pytest.raises(RefusedURL):
        vet("ftp://receiver.local/", allow_private=True)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "017700000001", "127.1", "0177.0.0.1"])
def test_numeric_spellings_of_loopback_are_refused_through_the_real_resolver(host):
    """What the C library reads as an IPv4 address (never a DNS query) is checked as one."""
    with pytest.raises(RefusedURL) as refused:
        vet(f"https://{host}/", allow_private=False)
    assert "resolves to 127.0.0.1, which is not a public internet address" in str(refused.value)


def test_a_delivery_connects_to_the_vetted_address_even_if_dns_changes_after_the_check(names, monkeypatch):
    table, asked = names
    table["rebind.attacker.example"] = ["93.184.216.34"]
    target = vet("https://rebind.attacker.example/hooks", allow_private=False)
    table["rebind.attacker.example"] = ["127.0.0.1"]  # the attacker's DNS answers differently now
    connected = []

    def open_socket(address, port, timeout):
        connected.append((address, port))
        raise ConnectionRefusedError("no traffic leaves the test")

    monkeypatch.setattr(transport, "open_socket", open_socket)
    answer = transport.post(target, b"{}", {"content-type": "application/json"}, timeout=1)
    assert connected == [("93.184.216.34", 443)] and asked == ["rebind.attacker.example"]
    assert (answer.status_code, answer.error, answer.succeeded) == (None, "connection refused", False)


def test_each_vetted_address_is_tried_in_turn(names, monkeypatch):
    table, _ = names
    table["two.acme.example"] = ["93.184.216.34", "93.184.216.35"]
    connected = []

    def open_socket(address, port, timeout):
        connected.append(address)
        raise TimeoutError("timed out")

    monkeypatch.setattr(transport, "open_socket", open_socket)
    answer = transport.post(vet("https://two.acme.example/", allow_private=False), b"{}", {}, timeout=3)
    assert connected == ["93.184.216.34", "93.184.216.35"] and answer.error == "timed out after 3 s"
