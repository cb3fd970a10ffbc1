"""The cloud metadata services are refused in every IPv6 form that carries an IPv4 address.

The test builds each form from its RFC's own description (byte layouts written here, not taken from
the guard), so the guard's extraction is checked against the standards rather than against itself.
"""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.safety.address_guard import (
    METADATA_ADDRESSES,
    AddressRefused,
    address_problem,
    metadata_service,
    resolve_checked,
)

METADATA_IPV4 = sorted(str(ip) for ip in METADATA_ADDRESSES if ip.version == 4)
LOCAL_USE_NAT64 = bytes.fromhex("0064ff9b0001")  # 64:ff9b:1::/48 (RFC 8215)


def rfc6052(prefix: bytes, ipv4: bytes, suffix: bytes) -> ipaddress.IPv6Address:
    """RFC 6052 section 2.2: the IPv4 address follows the prefix, skipping byte 8 (the u octet, zero)."""
    address = bytearray(prefix)
    for byte in ipv4:
        if len(address) == 8:
            address.append(0)
        address.append(byte)
    return ipaddress.IPv6Address(bytes(address) + suffix[: 16 - len(address)])


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [  # RFC 6052 section 2.4's table, for 192.0.2.33: the test's own encoder is right
        ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
        ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
        ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
        ("2001:db8:122:344::/96", "2001:db8:122:344::c000:221"),
    ],
)
def test_the_rfc6052_encoder_of_this_test_matches_the_rfcs_examples(prefix, expected):
    network = ipaddress.ip_network(prefix)
    head = network.network_address.packed[: network.prefixlen // 8]
    assert rfc6052(head, bytes([192, 0, 2, 33]), bytes(16)) == ipaddress.ip_address(expected)


def carried_forms(ipv4: str, filler: bytes) -> dict[str, ipaddress.IPv6Address]:
    """``ipv4`` in every IPv6 form that carries one; ``filler`` (16 bytes) fills the bits a form leaves free."""
    v4 = ipaddress.IPv4Address(ipv4)
    value, packed, free = int(v4), v4.packed, int.from_bytes(filler)
    forms = {
        "IPv4-mapped (RFC 4291 2.5.5.2)": ipaddress.IPv6Address((0xFFFF << 32) | value),
        "IPv4-compatible (RFC 4291 2.5.5.1)": ipaddress.IPv6Address(value),
        "6to4 (RFC 3056)": ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | (free & (2**80 - 1))),
        "NAT64 well-known prefix (RFC 6052)": ipaddress.IPv6Address((0x64FF9B << 96) | value),
        "Teredo client (RFC 4380)": ipaddress.IPv6Address(
            (0x20010000 << 96) | (((free >> 32) & (2**64 - 1)) << 32) | (~value & 0xFFFFFFFF)
        ),
    }
    for length in (48, 56, 64, 96):  # the local-use prefix or an operator's longer prefix inside it
        prefix = LOCAL_USE_NAT64 + filler[: (length - 48) // 8]
        forms[f"local-use NAT64 /{length} (RFC 8215)"] = rfc6052(prefix, packed, filler)
    return forms


@given(
    ipv4=st.sampled_from(METADATA_IPV4),
    filler=st.binary(min_size=16, max_size=16),
    form=st.sampled_from(list(carried_forms("192.0.2.1", bytes(16)))),
)
def test_a_metadata_address_is_refused_in_every_ipv6_form_that_carries_it(ipv4, filler, form):
    address = str(carried_forms(ipv4, filler)[form])
    assert metadata_service(address) is not None
    assert address_problem(address) is not None
    with pytest.raises(AddressRefused, match="it is never fetched, even with allow_private_network"):
        resolve_checked(f"http://[{address}]/latest/meta-data/", allow_private_network=True)


@pytest.mark.parametrize(
    "address",
    [
        "::a9fe:a9fe",
        "::169.254.169.254",
        "::a9fe:aa02",  # 169.254.170.2, the container credentials service
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 with a /96
        "64:ff9b:1:a9fe:a9:fe00::",  # local-use NAT64 with the /48 itself
    ],
)
def test_the_metadata_forms_the_review_found_are_refused_even_with_allow_private_network(address):
    with pytest.raises(AddressRefused, match="even with allow_private_network"):
        resolve_checked(f"http://[{address}]/latest/meta-data/", allow_private_network=True)


def test_a_local_use_nat64_address_is_internal_but_allowed_with_allow_private_network():
    with pytest.raises(AddressRefused, match="set allow_private_network: true"):
        resolve_checked("http://[64:ff9b:1::808:808]/waf/")
    target = resolve_checked("http://[64:ff9b:1::808:808]/waf/", allow_private_network=True)
    assert target.address == "64:ff9b:1::808:808"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("::10.0.0.1", "is reserved"),  # the deprecated form itself is reserved, whatever it carries
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "is private (Teredo for 10.0.0.1)"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", None),  # Teredo for 8.8.8.8: judged by the client it reaches
    ],
)
def test_carried_addresses_that_are_not_metadata_are_judged_as_before(address, problem):
    assert address_problem(address) == problem
