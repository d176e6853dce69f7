"""A small SOCKS5 server on 127.0.0.1 for proxy tests: no-auth or username/password, CONNECT only.

It speaks RFC 1928 (the greeting and CONNECT with IPv4 or domain-name addresses) and RFC 1929
(username/password), records what each client offered and asked for, and relays bytes to the
target. Targets are loopback only: an IPv4 address in 127.0.0.0/8 or the name ``localhost``;
anything else is refused with "connection not allowed by ruleset", so nothing leaves the machine.

Like the fault server, it is a LoopbackServer: every wait is bounded.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from tests.faults.loopback import HOST, IO_TIMEOUT, LoopbackServer

RELAY_POLL = 0.1

VERSION = 5
NO_AUTH, USER_PASSWORD, NO_ACCEPTABLE = 0x00, 0x02, 0xFF
CONNECT = 0x01
IPV4, DOMAIN, IPV6 = 0x01, 0x03, 0x04
ADDRESS_TYPES = {IPV4: "ipv4", DOMAIN: "domain", IPV6: "ipv6"}

# Reply codes (RFC 1928 section 6).
SUCCEEDED = 0x00
NOT_ALLOWED = 0x02
HOST_UNREACHABLE = 0x04
CONNECTION_REFUSED = 0x05
COMMAND_NOT_SUPPORTED = 0x07
ADDRESS_TYPE_NOT_SUPPORTED = 0x08


@dataclass(frozen=True)
class Connect:
    """One CONNECT request as the server received it."""

    host: str
    port: int
    address_type: str  # "ipv4", "domain" or "ipv6"
    user: str | None  # the user name it was authenticated as, None without authentication


@dataclass
class _Record:
    lock: threading.Lock = field(default_factory=threading.Lock)
    methods: list[tuple[int, ...]] = field(default_factory=list)
    offered: list[tuple[str, str]] = field(default_factory=list)
    connects: list[Connect] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


class _Closed(Exception):
    """The client went away or broke the protocol: the connection ends, nothing to report."""


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise _Closed
        data += chunk
    return data


def _reply(code: int, bound: tuple[str, int] = ("0.0.0.0", 0)) -> bytes:
    return bytes((VERSION, code, 0, IPV4)) + socket.inet_aton(bound[0]) + struct.pack("!H", bound[1])


def _loopback_address(host: str, address_type: str) -> str | None:
    """Where a target may be reached: loopback IPv4 as given, `localhost` as 127.0.0.1; else None."""
    if address_type == "domain":
        return HOST if host.lower() == "localhost" else None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if address.version == 4 and address.is_loopback else None


class Socks5Server(LoopbackServer):
    """A recording SOCKS5 proxy on 127.0.0.1 and an ephemeral port.

    With ``credentials`` it asks for username/password (RFC 1929) and refuses clients that do not
    offer it or give the wrong pair; without, it asks for nothing. ``connect_reply`` set to a
    failure code answers every CONNECT with it (after recording the target) instead of connecting.
    """

    kind = "socks5"

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        connect_reply: int = SUCCEEDED,
        lifetime: float = 60.0,
        max_connections: int = 200,
    ) -> None:
        super().__init__(lifetime=lifetime, max_connections=max_connections)
        self.credentials = credentials
        self.connect_reply = connect_reply
        self._record = _Record()

    def url(self, scheme: str = "socks5", userinfo: str = "") -> str:
        return f"{scheme}://{userinfo + '@' if userinfo else ''}{HOST}:{self.port}"

    @property
    def methods(self) -> list[tuple[int, ...]]:
        """The authentication methods each client offered in its greeting."""
        with self._record.lock:
            return list(self._record.methods)

    @property
    def offered(self) -> list[tuple[str, str]]:
        """Every (user, password) pair a client sent, right or wrong."""
        with self._record.lock:
            return list(self._record.offered)

    @property
    def connects(self) -> list[Connect]:
        with self._record.lock:
            return list(self._record.connects)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions other than socket errors and protocol breaks: bugs in the server, not faults."""
        with self._record.lock:
            return list(self._record.errors)

    def _handle(self, conn: socket.socket) -> None:
        self._track(conn, True)
        upstream: socket.socket | None = None
        try:
            conn.settimeout(IO_TIMEOUT)
            user = self._negotiate(conn)
            upstream = self._connect(conn, user)
            if upstream is not None:
                self._track(upstream, True)
                self._relay(conn, upstream)
        except (_Closed, OSError):
            pass
        except Exception as exc:
            with self._record.lock:
                self._record.errors.append(exc)
        finally:
            for sock in (conn, upstream):
                if sock is not None:
                    self._track(sock, False)
                    sock.close()

    def _negotiate(self, conn: socket.socket) -> str | None:
        """The greeting and, when asked for, RFC 1929; returns the authenticated user name."""
        version, count = _read_exact(conn, 2)
        if version != VERSION:
            raise _Closed
        methods = tuple(_read_exact(conn, count))
        with self._record.lock:
            self._record.methods.append(methods)
        wanted = USER_PASSWORD if self.credentials is not None else NO_AUTH
        if wanted not in methods:
            conn.sendall(bytes((VERSION, NO_ACCEPTABLE)))
            raise _Closed
        conn.sendall(bytes((VERSION, wanted)))
        if self.credentials is None:
            return None
        sub_version, user_length = _read_exact(conn, 2)
        user = _read_exact(conn, user_length).decode("utf-8", "replace")
        password = _read_exact(conn, _read_exact(conn, 1)[0]).decode("utf-8", "replace")
        with self._record.lock:
            self._record.offered.append((user, password))
        if sub_version != 1 or (user, password) != self.credentials:
            conn.sendall(b"\x01\x01")
            raise _Closed
        conn.sendall(b"\x01\x00")
        return user

    def _connect(self, conn: socket.socket, user: str | None) -> socket.socket | None:
        """Read the request, record it, and connect to a loopback target; None after a failure reply."""
        version, command, _, address_type = _read_exact(conn, 4)
        if address_type == IPV4:
            host = socket.inet_ntoa(_read_exact(conn, 4))
        elif address_type == DOMAIN:
            host = _read_exact(conn, _read_exact(conn, 1)[0]).decode("idna")
        elif address_type == IPV6:
            host = socket.inet_ntop(socket.AF_INET6, _read_exact(conn, 16))
        else:
            conn.sendall(_reply(ADDRESS_TYPE_NOT_SUPPORTED))
            return None
        (port,) = struct.unpack("!H", _read_exact(conn, 2))
        kind = ADDRESS_TYPES[address_type]
        with self._record.lock:
            self._record.connects.append(Connect(host, port, kind, user))
        if version != VERSION or command != CONNECT:
            conn.sendall(_reply(COMMAND_NOT_SUPPORTED))
            return None
        if self.connect_reply != SUCCEEDED:
            conn.sendall(_reply(self.connect_reply))
            return None
        address = _loopback_address(host, kind)
        if address is None:
            conn.sendall(_reply(NOT_ALLOWED))
            return None
        try:
            upstream = socket.create_connection((address, port), timeout=IO_TIMEOUT)
        except ConnectionRefusedError:
            conn.sendall(_reply(CONNECTION_REFUSED))
            return None
        except OSError:
            conn.sendall(_reply(HOST_UNREACHABLE))
            return None
        conn.sendall(_reply(SUCCEEDED, upstream.getsockname()[:2]))
        return upstream

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until both sides have finished sending, the server stops, or it idles out."""
        peers = {client: upstream, upstream: client}
        reading = [client, upstream]
        idle_since = time.monotonic()
        while reading and not self._stop.is_set() and time.monotonic() < self._deadline:
            if time.monotonic() - idle_since > IO_TIMEOUT:
                return
            ready, _, _ = select.select(reading, [], [], RELAY_POLL)
            for sock in ready:
                data = sock.recv(65536)
                if data:
                    peers[sock].sendall(data)
                else:  # this side is done sending: pass the end on, keep reading the other side
                    reading.remove(sock)
                    with contextlib.suppress(OSError):
                        peers[sock].shutdown(socket.SHUT_WR)
                idle_since = time.monotonic()
