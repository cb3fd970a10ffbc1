"""Sockets whose every read waits at most the read timeout and never past a fetch's deadline.

A socket timeout alone bounds one silence, not a response: a server that sends a byte every few
seconds never times out. So before each read (and the TLS handshake) the timeout shrinks to what
is left of the deadline, and a read asked for after it raises at once. Plain sockets and TLS
sockets both, since TLS reads go through OpenSSL, not the plain socket's methods.
"""

import socket
import ssl
import time


class DeadlinePassed(TimeoutError):
    """The whole fetch ran out of time (not one silence)."""


def _shrink(sock, deadline: float, read_timeout_s: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    sock.settimeout(min(read_timeout_s, left))


class _DeadlineSocket(socket.socket):
    deadline = float("inf")
    read_timeout_s = 30.0

    def recv_into(self, buffer, nbytes=0, flags=0):
        _shrink(self, self.deadline, self.read_timeout_s)
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize, flags=0):
        _shrink(self, self.deadline, self.read_timeout_s)
        return super().recv(bufsize, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    deadline = float("inf")
    read_timeout_s = 30.0

    def recv_into(self, buffer, nbytes=None, flags=0):
        _shrink(self, self.deadline, self.read_timeout_s)
        return super().recv_into(buffer, nbytes, flags)

    def read(self, len=1024, buffer=None):  # noqa: A002 - the name ssl.SSLSocket uses
        _shrink(self, self.deadline, self.read_timeout_s)
        return super().read(len, buffer)

    def do_handshake(self, block=False):
        _shrink(self, self.deadline, self.read_timeout_s)
        return super().do_handshake(block)


def connect_bounded(address: tuple, policy, deadline: float, source_address=None) -> socket.socket:
    """A connected socket to ``address`` (connect within the policy's connect timeout and the deadline)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    plain = socket.create_connection(address, min(policy.connect_timeout_s, left), source_address)
    sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
    sock.deadline, sock.read_timeout_s = deadline, policy.read_timeout_s
    _shrink(sock, deadline, policy.read_timeout_s)
    return sock


def tls_context_bounded(deadline: float, read_timeout_s: float) -> ssl.SSLContext:
    """The default verifying TLS context, whose sockets honour the same deadline and read timeout."""
    context = ssl.create_default_context()
    context.sslsocket_class = type(
        "_BoundedSSLSocket", (_DeadlineSSLSocket,), {"deadline": deadline, "read_timeout_s": read_timeout_s}
    )
    return context
