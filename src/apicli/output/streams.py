"""Byte sinks: stdout with its failures translated, atomic output files, and body chunking.

Piped output is the body's bytes, unchanged, written as they arrive; a file given with -o
appears under its name only once it is complete.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from ..compat import count_bytes_read, directly_readable_response, urllib3_read_errors
from ..errors import ApicliError, OutputError, PipeClosed
from ..formats.codings import decoded_chunks, decoder_for
from ..limits import TooLarge, read_bounded, too_large
from .plan import StreamClosedError

STREAM_CHUNK = 256 * 1024


class ByteSink(Protocol):
    """Where output goes: a binary stream, or a wrapper such as StdoutSink."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


class StdoutSink:
    """A binary stream whose write failures become apicli errors: a closed pipe, a full disk."""

    def __init__(self, stream: IO[bytes], name: str = "standard output") -> None:
        self.stream = stream
        self.name = name

    def _failed(self, exc: OSError) -> ApicliError:
        if isinstance(exc, BrokenPipeError):
            return PipeClosed("output closed by the reader")
        if isinstance(exc, StreamClosedError):
            return OutputError(f"cannot write to {self.name}: it is closed", hint="redirect it, or use -o FILE")
        return OutputError(f"cannot write to {self.name}: {exc.strerror or exc}")

    def write(self, data: bytes | memoryview) -> int:
        try:
            return self.stream.write(data)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise self._failed(exc) from None


def iter_wire(raw: Any, chunk_size: int = STREAM_CHUNK) -> Iterator[bytes]:
    """Body chunks as sent (any Content-Encoding kept): read1 returns what is available, up to chunk_size."""
    while True:
        chunk = raw.read1(chunk_size, decode_content=False)
        if not chunk:
            return
        yield chunk


def iter_wire_direct(raw: Any, chunk_size: int) -> Iterator[bytes]:
    """iter_wire for a body read a few bytes at a time, as an event stream is: through http.client's read1.

    urllib3's read1 adds more Python per call than the read itself takes (a generator-based
    error catcher, buffer and length bookkeeping): on a stream of small events, a loop that
    only reads and writes them takes about a third more CPU time through it. Failures still go
    through urllib3's error catcher, so they become the same urllib3 errors (and close the
    connection) as before; the byte counts that tell() and the Content-Length check use are
    kept up to date; and the end of the body is read through urllib3, which raises for a body
    shorter than its Content-Length.
    """
    fp = directly_readable_response(raw)
    if fp is None:
        yield from iter_wire(raw, chunk_size)
        return
    read1 = fp.read1
    received = 0
    try:
        while True:
            try:
                chunk = read1(chunk_size)
            except Exception:
                with urllib3_read_errors(raw):
                    raise
            if not chunk:
                break
            received += len(chunk)
            yield chunk
    finally:
        count_bytes_read(raw, received)
    yield from iter_wire(raw, chunk_size)


def iter_body(raw: Any, chunk_size: int = STREAM_CHUNK, *, direct: bool = False) -> Iterator[bytes]:
    """Decoded body chunks as they arrive; Undecodable if the body is corrupt or ends early for its coding.

    `direct` reads through iter_wire_direct, for bodies read in small pieces."""
    wire = iter_wire_direct(raw, chunk_size) if direct else iter_wire(raw, chunk_size)
    decoder = decoder_for(raw.headers.get("Content-Encoding"))
    return wire if decoder is None else decoded_chunks(wire, decoder)


def write_stream(chunks: Iterator[bytes], sink: ByteSink, *, flush: bool = True) -> int:
    """Write chunks as they come; returns the byte count."""
    written = 0
    for chunk in chunks:
        sink.write(chunk)
        if flush:
            sink.flush()
        written += len(chunk)
    return written


def read_limited(
    chunks: Iterator[bytes],
    limit: int,
    *,
    purpose: str = "to pretty-print",
    hint: str | None = "use --raw, or -o FILE",
) -> bytes:
    """The whole body, refused (OutputError) past `limit` bytes: `purpose` says what it was read for."""
    try:
        return read_bounded(chunks, limit, error=TooLarge)
    except TooLarge:
        raise too_large(limit, purpose, hint) from None


def _is_regular_target(path: Path) -> bool:
    try:
        return not path.exists() or path.is_file()
    except OSError:
        return True


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, or the umask's default for a new one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside `path` and rename it into place only on success.

    Devices such as /dev/null or /dev/stdout are written directly.
    """
    if path.is_dir():
        raise OutputError(f"cannot write to {str(path)!r}: it is a directory", hint="give a file name with -o")
    if not _is_regular_target(path):
        try:
            with path.open("wb") as stream:
                yield stream
        except OSError as exc:
            raise OutputError(f"cannot write to {str(path)!r}: {exc.strerror or exc}") from None
        return
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(
            f"cannot write to {str(path)!r}: {exc.strerror or exc}", hint="check the directory exists and is writable"
        ) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            # mkstemp makes the file 0600; the result should look like any file we create (or replace).
            os.fchmod(stream.fileno(), _mode_for(path))
            yield stream
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write to {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
