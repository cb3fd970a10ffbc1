"""URL and address safety: which URLs a harvest may fetch, and which address it may connect to.

Sources are the open internet, and a registry entry (or a redirect it answers with) could point
the harvester at the cloud metadata service, the VPC or the worker itself. Every request and
every redirect is checked here: the scheme must be http or https, and every address the host
name resolves to must be public unless the source says ``allow_private_network: true``. The cloud
metadata and credential services are refused even then: no catalog lives there, and what does is
the worker's own credentials.

An IPv6 address can carry an IPv4 address (:data:`IPV4_CARRIERS`: IPv4-mapped and IPv4-compatible,
6to4, NAT64 with the well-known and the local-use prefix, Teredo), and a translator or tunnel on the
way turns it into a connection to that IPv4 address. Such an address is refused when any IPv4
address it may carry is refused; a translation prefix is judged by what it reaches, a form nothing
translates today (IPv4-compatible, local-use NAT64) also by the IPv6 address itself.

DNS rebinding: the fetcher resolves a host once through :func:`resolve_checked` and connects to
the address it got back (see ``http_fetch``), so a second, different answer from a hostile DNS
server cannot slip in between the check and the connection. The residual risk is a proxy: if
the environment routes requests through an HTTP proxy, the proxy resolves the name again; the
fetcher therefore never uses proxies.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
# How a harvest allows a private address: the registry entry's permission.
PRIVATE_NETWORK_HINT = "set allow_private_network: true to harvest it"

# Cloud metadata and credential endpoints: refused even with allow_private_network, and named in the
# message because they are the addresses attackers aim for.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"): "the cloud metadata service",  # AWS, Azure, GCP, OpenStack, ...
    ipaddress.ip_address("fd00:ec2::254"): "the cloud metadata service",  # AWS IMDS over IPv6
    ipaddress.ip_address("169.254.170.2"): "the container credentials service",  # ECS task roles
    ipaddress.ip_address("169.254.170.23"): "the container credentials service",  # EKS Pod Identity
    ipaddress.ip_address("fd00:ec2::23"): "the container credentials service",  # EKS Pod Identity, IPv6
    ipaddress.ip_address("100.100.100.200"): "the cloud metadata service",  # Alibaba Cloud
    ipaddress.ip_address("192.0.0.192"): "the cloud metadata service",  # Oracle Cloud (legacy)
    ipaddress.ip_address("169.254.0.23"): "the cloud metadata service",  # Tencent Cloud
}
# Internal all the same, though Python 3.11's ipaddress does not call them private: carrier-grade NAT
# (RFC 6598), IETF protocol assignments (192.0.0.0/24, some of it "global" to Python) and the
# deprecated IPv6 site-local range.
INTERNAL_NETWORKS = {
    ipaddress.ip_network("100.64.0.0/10"): "private",
    ipaddress.ip_network("192.0.0.0/24"): "reserved",
    ipaddress.ip_network("fec0::/10"): "site-local",
}


def _bits(value: int, *spans: tuple[int, int]) -> ipaddress.IPv4Address:
    """The IPv4 address spread over bit spans ``(first, end)`` of a 128-bit address, high bits first."""
    ipv4 = 0
    for first, end in spans:
        width = end - first
        ipv4 = (ipv4 << width) | ((value >> (128 - end)) & ((1 << width) - 1))
    return ipaddress.IPv4Address(ipv4)


# Where a NAT64 prefix of 48 bits or more puts the IPv4 address (RFC 6052 section 2.2: bits 64-71 stay zero).
_RFC6052_SPANS = {
    48: ((48, 64), (72, 88)),
    56: ((56, 64), (72, 96)),
    64: ((72, 104),),
    96: ((96, 128),),
}


@dataclass(frozen=True)
class Ipv4Carrier:
    """An IPv6 form that carries an IPv4 address: its prefix, where the IPv4 address sits, and whether a
    connection to it reaches that IPv4 address (then the IPv4 address alone is judged)."""

    name: str
    network: ipaddress.IPv6Network
    carried: Callable[[int], tuple[ipaddress.IPv4Address, ...]]
    reaches_ipv4: bool


IPV4_CARRIERS = (
    # Shown as the IPv4 address itself: it is that address on a dual-stack socket.
    Ipv4Carrier("", ipaddress.IPv6Network("::ffff:0:0/96"), lambda v: (_bits(v, (96, 128)),), True),
    # RFC 4291 section 2.5.5.1, deprecated; :: and ::1 are the unspecified and loopback addresses.
    Ipv4Carrier(
        "IPv4-compatible",
        ipaddress.IPv6Network("::/96"),
        lambda v: (_bits(v, (96, 128)),) if v > 1 else (),
        False,
    ),
    Ipv4Carrier("6to4", ipaddress.IPv6Network("2002::/16"), lambda v: (_bits(v, (16, 48)),), True),
    Ipv4Carrier("NAT64", ipaddress.IPv6Network("64:ff9b::/96"), lambda v: (_bits(v, (96, 128)),), True),
    # RFC 8215: an operator may use the /48 or a longer prefix inside it, so every RFC 6052 layout
    # of a /48 or longer is a place the IPv4 address may sit.
    Ipv4Carrier(
        "local-use NAT64",
        ipaddress.IPv6Network("64:ff9b:1::/48"),
        lambda v: tuple(_bits(v, *spans) for spans in _RFC6052_SPANS.values()),
        False,
    ),
    # RFC 4380: the client's address, every bit inverted, in the last 32 bits.
    Ipv4Carrier(
        "Teredo",
        ipaddress.IPv6Network("2001::/32"),
        lambda v: (ipaddress.IPv4Address(~v & 0xFFFFFFFF),),
        True,
    ),
)


class AddressRefused(ValueError):
    """The URL or the address it resolves to may not be fetched; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where a request goes: the URL's parts and the one checked address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _judged(address: str) -> list[tuple[IpAddress, str]]:
    """The addresses a connection to ``address`` may reach, each with how it was carried (``" (6to4 for
    10.0.0.1)"``): the IPv4 addresses an IPv6 address carries, and the address itself unless a
    translation prefix hands the connection to the IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return [(ip, "")]
    for carrier in IPV4_CARRIERS:
        if ip in carrier.network:
            carried = carrier.carried(int(ip))
            judged: list[tuple[IpAddress, str]] = [
                (ipv4, f" ({carrier.name} for {ipv4})" if carrier.name else "") for ipv4 in carried
            ]
            return judged if carried and carrier.reaches_ipv4 else [(ip, ""), *judged]
    return [(ip, "")]


def metadata_service(address: str) -> str | None:
    """The name of the cloud metadata or credential service at an address (or carried in it), or None."""
    for ip, carried in _judged(address):
        if ip in METADATA_ADDRESSES:
            return f"is {METADATA_ADDRESSES[ip]}{carried}"
    return None


def _internal(ip: IpAddress) -> str | None:
    """Why one address is not public ('private', 'loopback', ...), or None."""
    internal = next((name for net, name in INTERNAL_NETWORKS.items() if ip in net), None)
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        (internal, internal is not None),
        ("reserved", not ip.is_global),  # documentation ranges, benchmarking nets and the like
    )
    return next((name for name, hit in checks if hit), None)


def address_problem(address: str) -> str | None:
    """Why an IP address is not public ('private', 'loopback', ...), or None when it is public."""
    service = metadata_service(address)
    if service:
        return service
    for ip, carried in _judged(address):
        problem = _internal(ip)
        if problem:
            return f"is {problem}{carried}"
    return None


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; AddressRefused for other schemes or no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"URL {url!r} is not valid: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise AddressRefused(
            f"URL {url!r} uses scheme {scheme or '(none)'!r}; only http and https are fetched"
        )
    if not parts.hostname:
        raise AddressRefused(f"URL {url!r} has no host name")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve_checked(
    url: str, allow_private_network: bool = False, private_network_hint: str = PRIVATE_NETWORK_HINT
) -> Target:
    """Resolve a URL's host once and check every address; return the address to connect to.

    All addresses must pass, not just the first: a name that answers with one public and one
    private address would otherwise reach the private one on a retry. ``private_network_hint`` ends
    the refusal of a private address: how whoever asked for the URL may allow it.
    """
    scheme, host, port = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"host name {host} could not be resolved: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise AddressRefused(f"host name {host} has no address")
    for address in addresses:
        named = "" if address == host.strip("[]") else f" (from {host})"
        service = metadata_service(address)
        if service:
            raise AddressRefused(
                f"address {address}{named} {service}; it is never fetched, even with allow_private_network"
            )
        problem = None if allow_private_network else address_problem(address)
        if problem:
            raise AddressRefused(f"address {address}{named} {problem}; {private_network_hint}")
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])
