"""Response rendering: raw streaming, pretty JSON, error bodies, and atomic output files.

Piped output is the body's bytes, unchanged, written as they arrive. Pretty
output (a terminal, or --pretty) indents and colours JSON. Pure `format_*`
functions build text; the `write_*` functions put bytes on a sink.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from .errors import ApicliError, OutputError, ParseError, PipeClosed

STREAM_CHUNK = 256 * 1024
PRETTY_LIMIT = 64 * 1024 * 1024  # bytes held in memory to pretty-print; beyond it, say so (a gzip bomb)
ERROR_BODY_LIMIT = 4096
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "yaml", "csv", "x-www-form-urlencoded", "ndjson")


def output_style(
    pretty: bool | None, color: bool | None, environ: Mapping[str, str], *, on_terminal: bool
) -> tuple[bool, bool]:
    """(indent, colour) for a body, from --pretty/--raw and --color/--no-color (None: not given).

    Indentation: --pretty or --raw, else whether stdout is a terminal. Colour, only for indented
    output: --color/--no-color; NO_COLOR; FORCE_COLOR; --pretty, which colours a pipe too; and on
    a terminal, any TERM but "dumb". So a raw body in a pipe is never coloured.
    """
    indent = pretty if pretty is not None else on_terminal
    if not indent:
        return False, False
    if color is not None:
        return True, color
    if environ.get("NO_COLOR"):
        return True, False
    force = environ.get("FORCE_COLOR")
    if (force is not None and force not in ("", "0", "false")) or pretty is True:
        return True, True
    return True, on_terminal and environ.get("TERM") != "dumb"


def is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media.endswith("/json")


def is_text_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return any(marker in media for marker in _TEXT_TYPES)


def looks_binary(content_type: str | None, head: bytes) -> bool:
    """Binary unless the type says text, or the first bytes are text without NULs."""
    if is_text_type(content_type):
        return False
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start < len(head) - 3
    return content_type is not None and not content_type.startswith("text/")


def format_error_body(body: bytes, content_type: str | None, limit: int = ERROR_BODY_LIMIT) -> str:
    """An error response body as readable text, pretty if JSON, cut to `limit` characters."""
    if not body.strip():
        return ""
    text: str
    try:
        from .colorize import render_json

        text = render_json(body, color=False).decode("utf-8").rstrip("\n")
    except (ParseError, UnicodeDecodeError):
        text = body.decode("utf-8", errors="replace").rstrip("\n")
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(body)} bytes in all; see it whole with --ignore-status)"
    return text


def format_pretty(body: bytes, content_type: str | None, *, color: bool) -> bytes:
    """Indented (and maybe coloured) JSON when the body is JSON; otherwise the body as is."""
    stripped = body.lstrip()[:1]
    if is_json_type(content_type) or stripped in (b"{", b"["):
        from .colorize import render_json

        try:
            return render_json(body, color=color)
        except ParseError:
            return body
    return body


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

    def isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (OSError, ValueError):
            return False


def iter_body(raw: Any, chunk_size: int = STREAM_CHUNK) -> Iterator[bytes]:
    """Decoded body chunks as they arrive: read1 returns whatever is available, up to chunk_size."""
    while True:
        chunk = raw.read1(chunk_size, decode_content=True)
        if not chunk:
            return
        yield chunk


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
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            mib, rest = divmod(limit, 1024 * 1024)
            cap = f"{limit} bytes" if rest or not mib else f"{mib} MiB"
            raise OutputError(f"body is larger than {cap}, too large {purpose}", hint=hint)
    return b"".join(parts)


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
