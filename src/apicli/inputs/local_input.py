"""Reading local files and standard input within bounds.

Every read is done in chunks, so that Ctrl-C and the --max-time alarm land between
two of them, and every read that keeps what it reads in memory has a cap, so that
/dev/zero or an endless pipe is a usage error instead of unbounded memory.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .. import limits
from ..limits import size_text as size_text  # re-exported: local readers name it from here

CHUNK = 64 * 1024
# The limits themselves are limits.py's table; these names are the ones local readers use.
SECRET_LIMIT = limits.SECRET.bytes
BODY_LIMIT = limits.BODY_FILE.bytes
CONFIG_LIMIT = limits.CONFIG.bytes


class OpenedFile(NamedTuple):
    stream: BinaryIO
    # The size of a regular file; None for a FIFO, a device or a socket, whose end is unknown.
    size: int | None


class NotReadable(Exception):
    """A local file cannot be opened or read; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_local(path: Path, *, regular_only: bool = False) -> OpenedFile:
    """Open `path` for reading; a directory (and, with `regular_only`, anything but a regular file) is refused.

    A FIFO is opened as usual, waiting for its writer. Anything else is opened without
    blocking, so that a FIFO met with `regular_only` is refused instead of waited for.
    """
    if not regular_only and _is_fifo(path):
        try:
            return OpenedFile(open(path, "rb", buffering=0), None)
        except OSError as exc:
            raise NotReadable(exc.strerror or str(exc)) from None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise NotReadable(exc.strerror or str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise NotReadable("it is a directory")
        if regular_only and not stat.S_ISREG(mode):
            raise NotReadable(f"it is {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        size = os.fstat(fd).st_size if stat.S_ISREG(mode) else None
        # Unbuffered: one read is one system call, so a slow pipe hands over what it has.
        return OpenedFile(os.fdopen(fd, "rb", buffering=0), size)
    except BaseException:
        os.close(fd)
        raise


def check_readable(path: Path) -> int | None:
    """Refuse a file that cannot be read, without reading it; its size if it is a regular file.

    A FIFO is not opened: opening and closing it would cut off a writer waiting on it.
    """
    if _is_fifo(path):
        if not os.access(path, os.R_OK):
            raise NotReadable(os.strerror(errno.EACCES))
        return None
    opened = open_local(path)
    opened.stream.close()
    return opened.size


def _is_fifo(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False  # open() says why


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_capped(stream: BinaryIO, limit: int | None) -> bytes:
    """`stream` read chunk by chunk to its end, but never more than `limit` + 1 bytes.

    A result longer than `limit` means the input is too long; it was not read to its end.
    """
    chunks: list[bytes] = []
    total = 0
    while limit is None or total <= limit:
        chunk = stream.read(CHUNK if limit is None else min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_local_file(path: Path, limit: int, *, regular_only: bool = False) -> bytes:
    """The bytes of `path` (more than `limit` of them if it is too long); NotReadable when it cannot be read."""
    opened = open_local(path, regular_only=regular_only)
    with opened.stream as stream:
        try:
            return read_capped(stream, limit)
        except OSError as exc:
            raise NotReadable(exc.strerror or str(exc)) from None


def iter_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """`stream` in chunks, until its end."""
    while chunk := stream.read(CHUNK):
        yield chunk

