"""URL and address safety: which URLs a harvest may fetch, and which address it may connect to.

Sources are the open internet, and a registry entry (or a redirect it answers with) could point
the harvester at the cloud metadata service, the VPC or the worker itself. Every request and
every redirect is checked here: the scheme must be http or https, and every address the host
name resolves to must be public unless the source says ``allow_private_network: true``. The cloud
metadata and credential services are refused even then: no catalog lives there, and what does is
the worker's own credentials.

An IPv6 address that carries an IPv4 address (IPv4-mapped, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``,
Teredo) is judged by the IPv4 address it reaches.

DNS rebinding: the fetcher resolves a host once through :func:`resolve_checked` and connects to
the address it got back (see ``http_fetch``), so a second, different answer from a hostile DNS
server cannot slip in between the check and the connection. The residual risk is a proxy: if
the environment routes requests through an HTTP proxy, the proxy resolves the name again; the
fetcher therefore never uses proxies.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")

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
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ValueError):
    """The URL or the address it resolves to may not be fetched; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where a request goes: the URL's parts and the one checked address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def _reached(address: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str]:
    """The address a connection really reaches (an embedded IPv4 address if any), and how it was carried."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip, ""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, ""
    if ip.sixtofour is not None:
        return ip.sixtofour, f" (6to4 for {ip.sixtofour})"
    if ip in NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        return embedded, f" (NAT64 for {embedded})"
    if ip.teredo is not None:
        return ip.teredo[1], f" (Teredo for {ip.teredo[1]})"
    return ip, ""


def metadata_service(address: str) -> str | None:
    """The name of the cloud metadata or credential service at an address, or None."""
    ip, carried = _reached(address)
    name = METADATA_ADDRESSES.get(ip)
    return f"is {name}{carried}" if name else None


def address_problem(address: str) -> str | None:
    """Why an IP address is not public ('private', 'loopback', ...), or None when it is public."""
    ip, carried = _reached(address)
    if ip in METADATA_ADDRESSES:
        return f"is {METADATA_ADDRESSES[ip]}{carried}"
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
    for name, hit in checks:
        if hit:
            return f"is {name}{carried}"
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


def resolve_checked(url: str, allow_private_network: bool = False) -> Target:
    """Resolve a URL's host once and check every address; return the address to connect to.

    All addresses must pass, not just the first: a name that answers with one public and one
    private address would otherwise reach the private one on a retry.
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
            raise AddressRefused(
                f"address {address}{named} {problem}; set allow_private_network: true to harvest it"
            )
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])
