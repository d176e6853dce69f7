"""Behaviours for the fault server: what it does with one request.

A behaviour is a small frozen object with ``serve(exchange)``. ``Reply`` is an honest response;
the fault classes wrap a ``Reply`` and break its delivery (reset, stall, drip, cut short); the
factory functions build the replies that are wrong in their content (bad JSON, huge headers,
hostile Content-Disposition, a gzip bomb, ...).
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import json
import struct
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tests.faults.wire import Exchange

HeaderSpec = Mapping[str, str] | Sequence[tuple[str, str]]

GIB = 1 << 30


class Behaviour(Protocol):
    """What the server does with one request."""

    def serve(self, exchange: Exchange) -> None: ...


def header_pairs(headers: HeaderSpec) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


@dataclass(frozen=True)
class Reply:
    """A well-formed response. Content-Length is added unless ``chunked`` or already given."""

    status: int = 200
    headers: HeaderSpec = ()
    body: bytes | str = b""
    chunked: bool = False
    chunk_size: int = 4096
    reason: str | None = None

    @property
    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body

    def head(self) -> list[tuple[str, str]]:
        pairs = header_pairs(self.headers)
        if self.chunked:
            pairs.append(("Transfer-Encoding", "chunked"))
        elif not any(name.lower() == "content-length" for name, _ in pairs):
            pairs.append(("Content-Length", str(len(self.payload))))
        return pairs

    def wire_body(self) -> bytes:
        """The body as framed on the wire."""
        if not self.chunked:
            return self.payload
        data, size = self.payload, self.chunk_size
        chunks = [b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)]
        return b"".join(chunks) + b"0\r\n\r\n"

    def send_head(self, exchange: Exchange) -> None:
        exchange.send_head(self.status, self.head(), self.reason)

    def serve(self, exchange: Exchange) -> None:
        self.send_head(exchange)
        if exchange.request.method != "HEAD":
            exchange.send(self.wire_body())


# -- faults in delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResetMidBody:
    """Send the head and ``after`` body bytes, then abort the connection with a TCP RST."""

    reply: Reply
    after: int = 0

    def serve(self, exchange: Exchange) -> None:
        self.reply.send_head(exchange)
        exchange.send(self.reply.wire_body()[: self.after])
        exchange.reset()


@dataclass(frozen=True)
class ShortBody:
    """Declare the full Content-Length, send only ``sent`` body bytes, then close cleanly (FIN)."""

    reply: Reply
    sent: int = 0

    def serve(self, exchange: Exchange) -> None:
        self.reply.send_head(exchange)
        exchange.send(self.reply.wire_body()[: self.sent])


@dataclass(frozen=True)
class StallAfterHeaders:
    """Send the head, go quiet for ``seconds`` (or until the server stops), then the body."""

    reply: Reply
    seconds: float = 30.0

    def serve(self, exchange: Exchange) -> None:
        self.reply.send_head(exchange)
        if exchange.wait(self.seconds):
            exchange.send(self.reply.wire_body())


@dataclass(frozen=True)
class Drip:
    """Send the head, then the body ``size`` bytes every ``interval`` seconds."""

    reply: Reply
    size: int = 1
    interval: float = 0.05

    def serve(self, exchange: Exchange) -> None:
        self.reply.send_head(exchange)
        body = self.reply.wire_body()
        for offset in range(0, len(body), self.size):
            if offset and not exchange.wait(self.interval):
                return
            exchange.send(body[offset : offset + self.size])


@dataclass(frozen=True)
class NoReply:
    """Read the request and say nothing for ``seconds`` (or until the server stops)."""

    seconds: float = 30.0

    def serve(self, exchange: Exchange) -> None:
        exchange.wait(self.seconds)


@dataclass(frozen=True)
class KeepAliveThenDrop:
    """Answer with keep-alive (no ``Connection: close``), then drop the connection.

    With ``on_next_request`` the server waits for the client to reuse the connection, reads that
    request and closes without a byte of answer: every reuse meets a connection that died just
    after the client's liveness check. Without it the server closes right after the response, and
    whether the client notices first is a race (the intermittent case). ``dropped`` records the
    path of each request read and left unanswered; those never reach the script.
    """

    reply: Reply
    on_next_request: bool = True
    dropped: list[str] = field(default_factory=list, compare=False)

    def serve(self, exchange: Exchange) -> None:
        headers = [*header_pairs(self.reply.headers), ("Connection", "keep-alive")]
        Reply(self.reply.status, headers, self.reply.body, self.reply.chunked).serve(exchange)
        if self.on_next_request:
            stale = exchange.next_request()
            if stale is not None:
                self.dropped.append(stale.path)


# -- throttling ----------------------------------------------------------------------------------


def http_date_in(seconds: float) -> str:
    """An HTTP-date ``seconds`` from now (negative for the past)."""
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


@dataclass(frozen=True)
class RetryAfter:
    """``status`` with Retry-After: delta seconds, an HTTP-date ``seconds`` ahead, or a raw ``value``.

    The date is computed when the request is served, so scripting early does not shorten it.
    """

    seconds: int = 1
    http_date: bool = False
    status: int = 503
    value: str | None = None

    def serve(self, exchange: Exchange) -> None:
        if self.value is not None:
            value = self.value
        elif self.http_date:
            value = http_date_in(self.seconds)
        else:
            value = str(self.seconds)
        json_reply({"error": "try later"}, self.status, {"Retry-After": value}).serve(exchange)


@dataclass(frozen=True)
class RateLimited:
    """``status`` with ``X-RateLimit-Remaining: 0`` and a reset header.

    The reset is ``reset_after`` delta seconds, or with ``epoch`` the Unix time that far ahead.
    """

    reset_after: int = 1
    header: str = "RateLimit-Reset"
    epoch: bool = False
    status: int = 429

    def serve(self, exchange: Exchange) -> None:
        reset = int(time.time()) + self.reset_after if self.epoch else self.reset_after
        headers = {self.header: str(reset), "X-RateLimit-Remaining": "0"}
        json_reply({"error": "rate limited"}, self.status, headers).serve(exchange)


def forbidden_rate_limited(reset_after: int = 1) -> RateLimited:
    """GitHub's style: 403 with ``X-RateLimit-Remaining: 0`` and an epoch ``X-RateLimit-Reset``."""
    return RateLimited(reset_after, "X-RateLimit-Reset", epoch=True, status=403)


# -- replies that are wrong in content -----------------------------------------------------------


def json_reply(data: Any, status: int = 200, headers: HeaderSpec = ()) -> Reply:
    pairs = [("Content-Type", "application/json"), *header_pairs(headers)]
    return Reply(status, pairs, json.dumps(data))


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect; ``location`` may be a path on this server or another origin's URL."""
    return Reply(status, {"Location": location})


def huge_headers(total: int = 100_000, line: int = 100) -> Reply:
    """Many ordinary header lines adding up to about ``total`` bytes."""
    filler = "a" * (line - len("X-Filler-00000: \r\n"))
    pairs = [(f"X-Filler-{i:05d}", filler) for i in range(total // line + 1)]
    return json_reply({}, headers=pairs)


def huge_header(size: int = 70_000) -> Reply:
    """One header whose value is ``size`` bytes."""
    return json_reply({}, headers={"X-Huge": "h" * size})


def invalid_json() -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, b'{"items": [1, 2,, }')


def invalid_utf8(content_type: str = "application/json; charset=utf-8") -> Reply:
    return Reply(200, {"Content-Type": content_type}, b'{"name": "caf\xe9 \xff\xfe"}')


def empty_json() -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, b"")


def gzipped(body: bytes | str, content_type: str = "application/json") -> Reply:
    """A gzip-encoded body; Content-Length is the compressed size."""
    data = gzip.compress(body.encode() if isinstance(body, str) else body)
    return Reply(200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, data)


def gzip_cut(body: bytes | str, keep: float = 0.5, content_type: str = "application/json") -> Reply:
    """A gzip stream cut after ``keep`` of its bytes, with a Content-Length that matches what is sent."""
    data = gzip.compress(body.encode() if isinstance(body, str) else body)
    return Reply(200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, data[: int(len(data) * keep)])


def gzip_corrupt(body: bytes | str, content_type: str = "application/json") -> Reply:
    """A gzip stream whose compressed data is overwritten halfway through (its length is right)."""
    data = bytearray(gzip.compress(body.encode() if isinstance(body, str) else body))
    middle = len(data) // 2
    data[middle : middle + 16] = b"\xff" * 16
    return Reply(200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, bytes(data))


def gzip_bomb(uncompressed_size: int = GIB, content_type: str = "application/json") -> Reply:
    """A small gzip body that inflates to ``uncompressed_size`` zero bytes (1 GiB is ~1 MB)."""
    headers = {"Content-Type": content_type, "Content-Encoding": "gzip"}
    return Reply(200, headers, gzip_zeros(uncompressed_size))


@functools.lru_cache(maxsize=4)
def gzip_zeros(size: int) -> bytes:
    """A gzip member of ``size`` zero bytes, built without deflating all of them."""
    block = 1 << 20
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # A full flush makes the compressor forget its history, so every MiB of zeros after it
    # compresses to the same bytes: deflate one block and repeat its output.
    unit = deflate.compress(bytes(block)) + deflate.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(size, block)
    tail = deflate.compress(bytes(rest)) + deflate.flush(zlib.Z_FINISH)
    # The CRC still reads every byte (about 0.3 s per GiB), hence the cache.
    crc = 0
    zeros = bytes(block)
    for _ in range(whole):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(rest), crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + unit * whole + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


# Relative targets, so a client that follows one anyway stays on the fault server.
MALFORMED_LINKS = (
    '</page/2; rel="next"',
    '/page/2; rel="next"',
    '<>; rel="next"',
    "</page/2>; rel=",
    '</page/2>; rel="next',
    ";;;,,,<",
    '</page/2>; rel="next", </page/3>; rel="next"',
)

HOSTILE_DISPOSITIONS = (
    'attachment; filename="../../x"',
    'attachment; filename="/etc/passwd"',
    "attachment; filename*=UTF-8''..%2F..%2Fx",
    'attachment; filename="..\\..\\x"',
    'attachment; filename="C:\\Windows\\x"',
    'attachment; filename=".."',
    'attachment; filename=""',
)


def link_reply(*links: str, data: Any = None) -> Reply:
    """A JSON reply (``data``, default ``[]``) carrying each of ``links`` as its own Link header line."""
    return json_reply([] if data is None else data, headers=[("Link", link) for link in links])


def disposition_reply(value: str, body: bytes = b"payload\n") -> Reply:
    return Reply(200, {"Content-Type": "application/octet-stream", "Content-Disposition": value}, body)


# -- ranges --------------------------------------------------------------------------------------


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """Half-open (start, stop) for one ``bytes=`` range, or None to ignore the header.

    An unsatisfiable range comes back with start >= size. Other units, several ranges and bad
    syntax are ignored, which RFC 9110 allows: the whole payload is sent with 200.
    """
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or "," in spec or not dash:
        return None
    try:
        if not first:
            suffix = int(last)
            return (size, size) if suffix <= 0 else (max(size - suffix, 0), size)
        start, stop = int(first), int(last) + 1 if last else size
    except ValueError:
        return None
    if stop <= start and last:
        return None  # last before first: invalid syntax
    return start, min(stop, size)


@dataclass(frozen=True)
class RangeFile:
    """A static payload with Range/If-Range support; ``cut_after`` truncates the body sent.

    Script ``[RangeFile(data, cut_after=N), RangeFile(data)]`` to cut the first download and let
    the resumed one succeed.
    """

    payload: bytes
    etag: str = '"fault-v1"'
    cut_after: int | None = None
    content_type: str = "application/octet-stream"
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. a Content-Encoding the payload already has

    def serve(self, exchange: Exchange) -> None:
        size = len(self.payload)
        headers = [("Content-Type", self.content_type), ("Accept-Ranges", "bytes"), ("ETag", self.etag)]
        headers += self.extra_headers
        request_headers = exchange.request.headers
        range_header = request_headers.get("Range")
        fresh = request_headers.get("If-Range", self.etag) == self.etag
        wanted = requested_range(range_header, size) if range_header and fresh else None
        if wanted is None:
            reply = Reply(200, headers, self.payload)
        elif wanted[0] >= size:
            reply = Reply(416, [*headers, ("Content-Range", f"bytes */{size}")])
        else:
            start, stop = wanted
            reply = Reply(
                206, [*headers, ("Content-Range", f"bytes {start}-{stop - 1}/{size}")], self.payload[start:stop]
            )
        if self.cut_after is None or reply.status == 416:
            reply.serve(exchange)
        else:
            ShortBody(reply, self.cut_after).serve(exchange)
