"""Which URLs and addresses a harvest may fetch."""

import pytest

from transforms.safety.address_guard import AddressRefused, address_problem, check_url, resolve_checked


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "is loopback"),
        ("::1", "is loopback"),
        ("10.0.0.5", "is private"),
        ("172.16.3.4", "is private"),
        ("192.168.1.1", "is private"),
        ("100.64.0.1", "is private"),
        ("169.254.169.254", "is the cloud metadata service"),
        ("fd00:ec2::254", "is the cloud metadata service"),
        ("169.254.10.10", "is link-local"),
        ("fe80::1", "is link-local"),
        ("224.0.0.1", "is multicast"),
        ("0.0.0.0", "is unspecified"),
        ("240.0.0.1", "is reserved"),
        ("::ffff:127.0.0.1", "is loopback"),
        ("::ffff:10.1.2.3", "is private"),
    ],
)
def test_internal_addresses_are_named(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize("address", ["8.8.8.8", "152.216.7.110", "2607:f8b0:4004:c07::64"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "url", ["ftp://example.gov/data.json", "file:///etc/passwd", "gopher://x/", "data.json"]
)
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(AddressRefused, match="only http and https"):
        check_url(url)


def test_default_ports():
    assert check_url("https://example.gov/a") == ("https", "example.gov", 443)
    assert check_url("http://example.gov:8080/a") == ("http", "example.gov", 8080)


def test_private_address_is_refused_with_the_flag_to_set():
    with pytest.raises(AddressRefused) as refused:
        resolve_checked("http://10.0.0.5/waf/")
    assert str(refused.value) == "address 10.0.0.5 is private; set allow_private_network: true to harvest it"


def test_host_names_are_checked_on_their_resolved_address():
    with pytest.raises(AddressRefused, match=r"address 127\.0\.0\.1 \(from localhost\) is loopback"):
        resolve_checked("http://localhost:8000/data.json")


def test_metadata_service_is_refused():
    with pytest.raises(AddressRefused, match="cloud metadata service"):
        resolve_checked("http://169.254.169.254/latest/meta-data/")


def test_allow_private_network_lets_loopback_through_and_pins_the_address():
    target = resolve_checked("http://127.0.0.1:8123/waf/", allow_private_network=True)
    assert (target.scheme, target.host, target.port, target.address) == (
        "http",
        "127.0.0.1",
        8123,
        "127.0.0.1",
    )


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("2002:a00:1::1", "is private (6to4 for 10.0.0.1)"),
        ("2002:7f00:1::", "is loopback (6to4 for 127.0.0.1)"),
        ("fec0::1", "is site-local"),
        ("192.0.0.9", "is reserved"),
        ("192.0.0.170", "is private"),
        ("64:ff9b::a00:1", "is private (NAT64 for 10.0.0.1)"),
    ],
)
def test_special_ranges_and_embedded_private_ipv4_are_refused(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808"])
def test_embedded_public_ipv4_passes(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::23",
        "100.100.100.200",
        "::ffff:169.254.169.254",
        "2002:a9fe:a9fe::",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_metadata_services_are_refused_even_with_allow_private_network(address):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(AddressRefused, match="even with allow_private_network") as refused:
        resolve_checked(f"http://{host}/latest/meta-data/", allow_private_network=True)
    assert "metadata" in str(refused.value) or "credentials" in str(refused.value)
