"""The SOCKS5 test server itself, driven byte by byte: what it answers, what it records, and that it stops."""

from __future__ import annotations

import socket
import struct

import pytest

from tests.faults.socksserver import Connect, Socks5Server

TIMEOUT = 5.0


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _greet(server: Socks5Server, methods: bytes = b"\x00") -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.sendall(b"\x05" + bytes((len(methods),)) + methods)
    return sock, _recv_exact(sock, 2)


def _request(sock: socket.socket, address: bytes, port: int, command: int = 0x01) -> bytes:
    sock.sendall(bytes((0x05, command, 0x00)) + address + struct.pack("!H", port))
    return _recv_exact(sock, 10)


def _domain(name: str) -> bytes:
    return b"\x03" + bytes((len(name),)) + name.encode()


def test_connects_to_loopback_and_relays_both_ways() -> None:
    with socket.create_server(("127.0.0.1", 0)) as target, Socks5Server() as server:
        target.settimeout(TIMEOUT)
        port = target.getsockname()[1]
        client, chosen = _greet(server)
        reply = _request(client, _domain("localhost"), port)
        peer, _ = target.accept()
        with client, peer:
            client.sendall(b"ping")
            assert _recv_exact(peer, 4) == b"ping"
            peer.sendall(b"pong")
            assert _recv_exact(client, 4) == b"pong"

    assert (chosen, reply[:4]) == (b"\x05\x00", b"\x05\x00\x00\x01")
    assert server.connects == [Connect("localhost", port, "domain", None)]
    assert server.errors == []


@pytest.mark.parametrize(
    ("address", "recorded"),
    [(_domain("proxy-target.invalid"), ("proxy-target.invalid", "domain")),
     (b"\x04" + socket.inet_pton(socket.AF_INET6, "::1"), ("::1", "ipv6"))],
)  # fmt: skip
def test_targets_other_than_loopback_ipv4_or_localhost_are_not_allowed(
    address: bytes, recorded: tuple[str, str]
) -> None:
    with Socks5Server() as server:
        client, _ = _greet(server)
        with client:
            reply = _request(client, address, 8080)

    assert reply[:2] == b"\x05\x02"  # connection not allowed by ruleset
    assert server.connects == [Connect(recorded[0], 8080, recorded[1], None)]


def test_a_command_other_than_connect_is_refused() -> None:
    with Socks5Server() as server:
        client, _ = _greet(server)
        with client:
            reply = _request(client, b"\x01" + socket.inet_aton("127.0.0.1"), 9, command=0x02)  # BIND

    assert reply[:2] == b"\x05\x07"


def test_username_and_password_are_asked_for_checked_and_recorded() -> None:
    with Socks5Server(credentials=("pat", "right")) as server:
        refused, no_method = _greet(server, b"\x00")
        wrong, chosen = _greet(server, b"\x00\x02")
        with refused, wrong:
            wrong.sendall(b"\x01\x03pat\x05wrong")
            status = _recv_exact(wrong, 2)

    assert (no_method, chosen, status) == (b"\x05\xff", b"\x05\x02", b"\x01\x01")
    assert server.methods == [(0x00,), (0x00, 0x02)]
    assert server.offered == [("pat", "wrong")]
    assert server.connects == []


def test_the_accept_loop_stops_by_itself_after_its_budget() -> None:
    server = Socks5Server(max_connections=1).start()
    try:
        client, _ = _greet(server)
        client.close()
        server._accept_thread.join(timeout=TIMEOUT)
        assert not server._accept_thread.is_alive()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    finally:
        server.stop()


def test_the_accept_loop_stops_by_itself_at_its_lifetime() -> None:
    server = Socks5Server(lifetime=0.2).start()
    try:
        server._accept_thread.join(timeout=TIMEOUT)
        assert not server._accept_thread.is_alive()
    finally:
        server.stop()
