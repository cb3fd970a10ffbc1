"""A fetch's deadline holds over TLS too: a server that completes the handshake, then drips, is cut off."""

import shutil
import socket
import ssl
import subprocess
import threading
import time
from types import SimpleNamespace

import pytest

from transforms.fetch.deadline_socket import connect_bounded, tls_context_bounded


@pytest.fixture
def dripping_tls_server(tmp_path):
    """A TLS server on 127.0.0.1 (a self-signed certificate made here) that sends one byte every 50 ms."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with context.wrap_socket(connection, server_side=True) as tls:
            while not stop.is_set():
                try:
                    tls.sendall(b"x")
                except OSError:
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname(), cert
    stop.set()
    listener.close()
    thread.join(timeout=5)


def test_a_dripping_tls_server_is_cut_off_at_the_deadline(dripping_tls_server):
    address, cert = dripping_tls_server
    policy = SimpleNamespace(connect_timeout_s=2, read_timeout_s=2)
    deadline = time.monotonic() + 0.5
    context = tls_context_bounded(deadline, policy.read_timeout_s)
    context.load_verify_locations(cert)
    received = b""
    with (
        context.wrap_socket(connect_bounded(address, policy, deadline), server_hostname="127.0.0.1") as tls,
        pytest.raises(TimeoutError),  # DeadlinePassed, or the socket's own timeout cut to what was left
    ):
        while True:
            received += tls.recv(1)
    assert time.monotonic() - deadline < 0.5
    assert 3 <= len(received) <= 15  # it did read while the deadline lasted
