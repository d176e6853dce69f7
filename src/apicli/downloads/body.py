"""Moving a response body into a sink as cheaply as each case allows.

* splice(2), socket -> pipe -> file, when nothing needs to see the bytes (Linux, plain
  TCP, a known length, no coding, no checksum, a regular file): the body never enters
  Python, which measured ~0.35 s for 512 MiB on loopback against ~0.45-0.65 s for a
  recv + write loop;
* readinto a reusable buffer otherwise (TLS, chunked, checksums, stdout), hashing and
  writing the same memory in one pass;
* read1 through apicli.formats.codings for a compressed body the user asked to have decoded
  (--decode); otherwise a compressed body is saved as sent, like any other.

Each returns the body bytes taken off the wire; a failed read raises ReadFailed.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import select
import socket
import time
from collections.abc import Callable
from typing import Any

import requests

from ..compat import http_client_response, response_socket
from ..errors import ApicliError
from ..formats.codings import BodyDecoder
from .files import PartFile, Sink

# The readinto loop reads at most MAX_CHUNK: on a 512 MiB loopback body, 64-128 KiB beat
# 256 KiB-4 MiB by ~25% as the buffer stays in the CPU cache. A read waits until its buffer
# is full, so on a slow link the size halves (to MIN_CHUNK) to keep the progress bar and
# Ctrl-C responsive, and doubles back when reads are fast again.
MIN_CHUNK = 16 * 1024
MAX_CHUNK = 128 * 1024
_FAST_READ = 0.05
_SLOW_READ = 0.25
DECODED_CHUNK = 256 * 1024
# 1 MiB is the default /proc/sys/fs/pipe-max-size, and measured fastest for splice.
PIPE_SIZE = 1024 * 1024
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

Progress = Callable[[int], None]
Stop = Callable[[], bool]


class ReadFailed(Exception):
    """Reading the body failed after `received` bytes; `cause` is the low-level error."""

    def __init__(self, cause: BaseException, received: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.received = received


def content_coding(response: requests.Response) -> str | None:
    """The Content-Encoding the server applied (despite Accept-Encoding: identity), or None."""
    encoding = response.headers.get("Content-Encoding", "").strip()
    return None if encoding.lower() in ("", "identity") else encoding


def copy_body(
    response: requests.Response,
    sink: Sink,
    hashers: list[Any],
    *,
    decoder: BodyDecoder | None,
    on_progress: Progress,
    should_stop: Stop,
) -> int:
    """Write the body into `sink` by the cheapest path that fits; stops early once `should_stop()`.

    Without a decoder the bytes saved are the bytes on the wire, whatever their Content-Encoding.
    """
    # The http.client response under urllib3: reading it directly skips two copies per chunk.
    reader = http_client_response(response.raw)
    if decoder is not None or reader is None:
        return _copy_via_urllib3(response.raw, decoder, sink, hashers, on_progress, should_stop)
    sock = _plain_socket(reader)
    if sock is not None and not hashers and isinstance(sink, PartFile) and hasattr(os, "splice"):
        return _splice(reader, sock, sink, on_progress, should_stop)
    return _copy_plain(reader, sink, hashers, on_progress, should_stop)


def _plain_socket(reader: http.client.HTTPResponse) -> socket.socket | None:
    """The TCP socket under a plain-HTTP, fixed-length body; None where splicing cannot work.

    The response holds the socket through its makefile() reader (urllib3 drops its own
    reference once the server says `Connection: close`). TLS sockets are excluded by type.
    """
    if reader.chunked or reader.length is None or reader.fp is None:
        return None
    sock = response_socket(reader)
    return sock if type(sock) is socket.socket else None


def _copy_plain(
    reader: http.client.HTTPResponse, sink: Sink, hashers: list[Any], on_progress: Progress, should_stop: Stop
) -> int:
    """The general loop: readinto a reusable buffer, hash and write the same bytes, count them."""
    write = sink.write
    clock = time.monotonic
    view = memoryview(bytearray(MAX_CHUNK))
    size = MAX_CHUNK
    received = 0
    while True:
        began = clock()
        try:
            count = reader.readinto(view[:size])
        except http.client.IncompleteRead as exc:
            # A chunked body cut mid-buffer: keep the whole chunks that did arrive, so a resume starts after them.
            partial = memoryview(exc.partial)
            for hasher in hashers:
                hasher.update(partial)
            write(partial)
            raise ReadFailed(exc, received + len(partial)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise ReadFailed(exc, received) from None
        if not count:
            return received
        chunk = view[:count]
        for hasher in hashers:
            hasher.update(chunk)
        write(chunk)
        received += count
        on_progress(sink.size)
        if should_stop():
            return received
        took = clock() - began
        if took < _FAST_READ:
            size = min(size * 2, MAX_CHUNK)
        elif took > _SLOW_READ:
            size = max(size // 2, MIN_CHUNK)


def _copy_via_urllib3(
    raw: Any,
    decoder: BodyDecoder | None,
    sink: Sink,
    hashers: list[Any],
    on_progress: Progress,
    should_stop: Stop,
) -> int:
    """Wire bytes from urllib3's read1, decoded when asked; returns the wire count (what Content-Length measures)."""
    received = 0
    while True:
        try:
            wire = raw.read1(DECODED_CHUNK, decode_content=False)
            received += len(wire)
            if not wire:
                if decoder is not None:
                    decoder.finish()
                return received
            pieces = decoder.feed(wire) if decoder is not None else (wire,)
            for piece in pieces:
                view = memoryview(piece)
                for hasher in hashers:
                    hasher.update(view)
                sink.write(view)
        except ApicliError:
            raise  # the --max-time alarm, a failed write
        except Exception as exc:
            raise ReadFailed(exc, received) from None
        on_progress(sink.size)
        if should_stop():
            return received


def _splice(
    reader: http.client.HTTPResponse, sock: socket.socket, sink: PartFile, on_progress: Progress, should_stop: Stop
) -> int:
    """socket -> pipe -> file for the rest of a Content-Length body; short if the peer closed early."""
    received = _drain_buffered(reader, sink)
    remaining = reader.length or 0
    if not remaining:
        return received
    read_pipe, write_pipe = os.pipe2(os.O_CLOEXEC)
    try:
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_pipe, _F_SETPIPE_SZ, PIPE_SIZE)
        source = sock.fileno()
        timeout = sock.gettimeout()
        while remaining > 0:
            try:
                moved = os.splice(source, write_pipe, min(remaining, PIPE_SIZE), flags=os.SPLICE_F_MOVE)
            except BlockingIOError:
                # A socket with a timeout is non-blocking underneath: wait for data, up to that timeout.
                if not _readable(source, timeout):
                    raise ReadFailed(TimeoutError("timed out"), received) from None
                continue
            except OSError as exc:
                raise ReadFailed(exc, received) from None
            if moved == 0:
                break
            sink.write_from_pipe(read_pipe, moved)
            received += moved
            remaining -= moved
            on_progress(sink.size)
            if should_stop():
                break
    finally:
        os.close(read_pipe)
        os.close(write_pipe)
    return received


def _drain_buffered(reader: http.client.HTTPResponse, sink: PartFile) -> int:
    """Write the body bytes http.client already buffered along with the headers, so the socket is next."""
    if not reader.length or reader.fp is None:
        return 0
    try:
        buffered = reader.fp.peek(0)
        if not buffered:
            return 0
        view = memoryview(bytearray(min(len(buffered), reader.length)))
        count = reader.readinto(view)
    except (OSError, http.client.HTTPException) as exc:
        raise ReadFailed(exc, 0) from None
    sink.write(view[:count])
    return count


def _readable(fd: int, timeout: float | None) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(None if timeout is None else timeout * 1000))
