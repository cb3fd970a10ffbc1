"""URL and address safety: which URLs a harvest may fetch, and which address it may connect to.

Sources are the open internet, and a registry entry (or a redirect it answers with) could point
the harvester at the cloud metadata service, the VPC or the worker itself. Every request and
every redirect is checked here: the scheme must be http or https, and every address the host
name resolves to must be public unless the source says ``allow_private_network: true``.

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

# Cloud metadata endpoints are named in the message: they are the address attackers aim for.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"): "the cloud metadata service",
    ipaddress.ip_address("fd00:ec2::254"): "the cloud metadata service",
    ipaddress.ip_address("169.254.170.2"): "the container credentials service",
}
# Carrier-grade NAT (RFC 6598) is not "private" to the ipaddress module but is internal all the same.
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


class AddressRefused(ValueError):
    """The URL or the address it resolves to may not be fetched; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where a request goes: the URL's parts and the one checked address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def address_problem(address: str) -> str | None:
    """Why an IP address is not public ('private', 'loopback', ...), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"is {METADATA_ADDRESSES[ip]}"
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private or (ip.version == 4 and ip in SHARED_ADDRESS_SPACE)),
        ("reserved", not ip.is_global),  # documentation ranges, benchmarking nets and the like
    )
    for name, hit in checks:
        if hit:
            return f"is {name}"
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
    if not allow_private_network:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                named = "" if address == host.strip("[]") else f" (from {host})"
                raise AddressRefused(
                    f"address {address}{named} {problem}; set allow_private_network: true to harvest it"
                )
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])
