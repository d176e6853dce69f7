"""The HTTP/1.1 wire for the fault server: reading one request, writing response bytes.

The reader has limits of its own (head and body size) so a hostile or broken client cannot
make the server buffer without bound. ``Exchange`` is all a behaviour gets: the recorded
request, raw sends, a bounded wait, and an abortive close.
"""

from __future__ import annotations

import fcntl
import http
import socket
import struct
import termios
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


class Headers(Mapping[str, str]):
    """Case-insensitive, order-keeping header mapping; repeated fields join with ", "."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = tuple(pairs)

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self._pairs if key.lower() == wanted]

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Fields exactly as received, in order, with their original case."""
        return self._pairs

    def __getitem__(self, name: str) -> str:
        values = self.get_all(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key.lower() for key, _ in self._pairs))

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self._pairs})

    def __repr__(self) -> str:
        return f"Headers({list(self._pairs)!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the server."""

    method: str
    target: str
    path: str
    query: str
    headers: Headers
    body: bytes
    http_version: str
    received_at: float  # time.monotonic(), for asserting waits between retries

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


class BadRequest(Exception):
    """The request could not be read; ``status`` is what the server answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _SocketReader:
    """Buffered reads from a socket with explicit size limits."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buffer += data
        return bool(data)

    def read_until(self, marker: bytes, limit: int, too_long: BadRequest) -> bytes | None:
        """Bytes up to and including ``marker``; None on EOF before any byte arrived."""
        while (end := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise too_long
            if not self._fill():
                if self._buffer:
                    raise BadRequest(400, "connection closed mid-request")
                return None
        end += len(marker)
        if end > limit:
            raise too_long
        data, self._buffer = self._buffer[:end], self._buffer[end:]
        return data

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise BadRequest(400, "connection closed mid-body")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def read_request(sock: socket.socket) -> RecordedRequest | None:
    """Read one request; None when the client closed without sending anything."""
    reader = _SocketReader(sock)
    head = reader.read_until(b"\r\n\r\n", MAX_HEAD_BYTES, BadRequest(431, "request head too large"))
    if head is None:
        return None
    received_at = time.monotonic()
    request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
    try:
        method, target, version = request_line.split(" ")
    except ValueError:
        raise BadRequest(400, f"bad request line {request_line!r}") from None
    pairs = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, f"bad header line {line!r}")
        pairs.append((name, value.strip()))
    headers = Headers(pairs)
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        body = _read_chunked(reader)
    else:
        length = _parse_int(headers.get("Content-Length", "0") or "0", 10)
        if length > MAX_BODY_BYTES:
            raise BadRequest(413, "request body too large")
        body = reader.read_exact(length)
    path, _, query = target.partition("?")
    return RecordedRequest(method, target, path, query, headers, body, version, received_at)


def _parse_int(text: str, base: int) -> int:
    try:
        value = int(text.strip(), base)
    except ValueError:
        raise BadRequest(400, f"bad length {text!r}") from None
    if value < 0:
        raise BadRequest(400, f"bad length {text!r}")
    return value


def _read_chunked(reader: _SocketReader) -> bytes:
    too_long = BadRequest(413, "request body too large")
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = reader.read_until(b"\r\n", 1024, BadRequest(400, "bad chunk size"))
        if size_line is None:
            raise BadRequest(400, "connection closed mid-body")
        size = _parse_int(size_line.split(b";")[0].decode("latin-1"), 16)
        total += size
        if total > MAX_BODY_BYTES:
            raise too_long
        if size == 0:
            # Trailer fields are read and dropped: nothing in the suite sends them.
            while reader.read_until(b"\r\n", MAX_HEAD_BYTES, too_long) not in (b"\r\n", None):
                pass
            return b"".join(chunks)
        chunks.append(reader.read_exact(size))
        reader.read_exact(2)


def format_head(status: int, headers: Iterable[tuple[str, str]], reason: str | None = None) -> bytes:
    """Status line and header block; adds ``Connection: close`` unless a header sets it."""
    if reason is None:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    pairs = list(headers)
    if not any(name.lower() == "connection" for name, _ in pairs):
        pairs.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in pairs)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Exchange:
    """One request and the connection to answer it on, as seen by a behaviour."""

    def __init__(self, sock: socket.socket, request: RecordedRequest, stop: threading.Event, deadline: float) -> None:
        self.request = request
        self._sock = sock
        self._stop = stop
        self._deadline = deadline

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def send_head(self, status: int, headers: Iterable[tuple[str, str]], reason: str | None = None) -> None:
        self.send(format_head(status, headers, reason))

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False if the server is stopping or past its lifetime."""
        remaining = self._deadline - time.monotonic()
        if remaining < seconds:
            self._stop.wait(max(remaining, 0))
            return False
        return not self._stop.wait(seconds)

    def next_request(self) -> RecordedRequest | None:
        """Read another request on this kept-alive connection; None if the client closed it."""
        try:
            return read_request(self._sock)
        except (BadRequest, OSError):
            return None

    def reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        # An abort throws away whatever the kernel has not sent yet (small writes can sit corked
        # for a moment), so wait for the peer to acknowledge what was sent first.
        _wait_until_acknowledged(self._sock, timeout=1.0)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._sock.close()


def _wait_until_acknowledged(sock: socket.socket, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # TIOCOUTQ on a TCP socket: bytes sent but not yet acknowledged (Linux).
            pending = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
        except (AttributeError, OSError):
            time.sleep(0.05)  # no way to ask: give loopback a moment
            return
        if not pending:
            return
        time.sleep(0.001)
