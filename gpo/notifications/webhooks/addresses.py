"""Which webhook URLs gpo may call (SSRF: server-side request forgery).

A vendor chooses the URL, and gpo's servers call it: without a rule, a vendor could
make gpo POST to its own loopback, the private network behind it, or a cloud's
metadata service (169.254.169.254). So, unless WEBHOOK_ALLOW_PRIVATE_URLS is on
(development, tests, the demo), a URL must be https and its host must resolve ONLY to
public addresses: no loopback, private, link-local, CGNAT, unspecified, multicast,
reserved or documentation ranges, IPv6 unique-local, nor an IPv6 address that wraps
one of those (IPv4-mapped, 6to4, NAT64). A literal IP is checked the same way.

The check runs when an endpoint is created or changed, and again before every
delivery (DNS can change): `vet()` resolves the host once and the delivery connects to
an address it vetted (see transport.py), so a DNS answer that changes between the check
and the connection (rebinding) cannot swap the address.

`resolve()` is the one place gpo asks DNS; tests replace it with their own names.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not the public internet (IANA's special-purpose registries), by what they are.
_IPV4_REFUSED = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8",  # "this network", the unspecified address
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",  # carrier-grade NAT (shared address space)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, with the cloud metadata service 169.254.169.254
    "192.0.0.0/24", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # protocol assignments, documentation
    "192.88.99.0/24", "198.18.0.0/15",  # 6to4 relays, benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4", "255.255.255.255/32",  # reserved, broadcast
)]
_IPV6_REFUSED = [ipaddress.ip_network(n) for n in (
    "::/128", "::1/128",  # unspecified, loopback
    "::/96",  # IPv4-compatible (deprecated)
    "100::/64",  # discard
    "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
    "2001:db8::/32",  # documentation
    "fc00::/7",  # unique local (the IPv6 private range)
    "fe80::/10", "fec0::/10",  # link-local, site-local (deprecated)
    "ff00::/8",  # multicast
)]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedURL(ValueError):
    """The URL may not be called; the message says why, for the vendor to read."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the addresses its host resolved to (vetted when the rule
    applies): a delivery connects to one of these, never to a fresh DNS answer."""

    scheme: str
    host: str  # as in the URL (the TLS server name and the Host header)
    port: int
    path: str  # with the query string
    addresses: tuple[str, ...]


def resolve(host: str, port: int) -> list[str]:
    """The addresses DNS gives for `host` (tests replace this function)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether `ip` is an address of the public internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:  # fe80::1%eth0: an interface-scoped address is local by nature
            return False
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public(inner)
        refused = _IPV6_REFUSED
    else:
        refused = _IPV4_REFUSED
    return not any(ip in network for network in refused) and ip.is_global


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse(url: str, *, allow_private: bool) -> Target:
    """The URL's parts, without resolving: https (or, when private URLs are allowed,
    http), a host, no user name or password, a valid port."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise RefusedURL(f"enter a URL of at most {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise RefusedURL("a URL may not contain spaces or control characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise RefusedURL("the URL must start with https://" if not allow_private
                         else "the URL must start with https:// or http://")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("the URL may not contain a user name or password: the signature authenticates gpo")
    host = parts.hostname or ""
    if not host:
        raise RefusedURL("the URL has no host name")
    try:
        port = parts.port if parts.port is not None else (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise RefusedURL("the URL's port is not a number from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise RefusedURL("the URL's port is not a number from 1 to 65535")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme.lower(), host=host, port=port, path=path, addresses=())


def vet(url: str, *, allow_private: bool) -> Target:
    """The URL's target with the addresses a delivery may connect to. Refused
    (RefusedURL) unless private URLs are allowed or every address the host resolves to
    is public: one private answer among public ones is refused too (a round-robin
    name must not smuggle one in)."""
    target = parse(url, allow_private=allow_private)
    literal = _literal_ip(target.host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise RefusedURL(f"the host name {target.host} does not resolve ({_why(exc)})") from None
        if not addresses:
            raise RefusedURL(f"the host name {target.host} does not resolve")
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if not is_public(ip):
                where = "is" if literal is not None else f"resolves to {address}, which is"
                raise RefusedURL(f"the URL's host {where} not a public internet address "
                                 "(loopback, private, link-local and metadata addresses are refused)")
    return Target(target.scheme, target.host, target.port, target.path, tuple(addresses))


def _why(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
