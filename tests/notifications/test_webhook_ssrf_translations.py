"""IPv6 forms that wrap a refused IPv4 address but pass the SSRF rule."""
import ipaddress

import pytest

from gpo.notifications.webhooks.addresses import RefusedURL, is_public, vet


@pytest.mark.parametrize("address", [
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 (RFC 8215, 64:ff9b:1::/48) of 169.254.169.254
    "64:ff9b:1::7f00:1",  # local-use NAT64 of 127.0.0.1
    "::ffff:0:a9fe:a9fe",  # IPv4-translated (SIIT, ::ffff:0:0/96) of 169.254.169.254
    "::ffff:0:7f00:1",  # IPv4-translated of 127.0.0.1
])
def test_ipv6_translations_of_local_addresses_are_refused(address):
    assert is_public(ipaddress.ip_address(address)) is False
    with pytest.raises(RefusedURL):
        vet(f"https://[{address}]/hook", allow_private=False)
