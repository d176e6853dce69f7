"""One policy for every byte apicli keeps in memory, and the one reader that enforces it.

Whatever apicli reads whole before it uses it (a body to indent or filter, a token endpoint's
answer, a helper's output, a file given to a flag) goes through `read_bounded`: it reads in
chunks, stops as soon as the limit is passed instead of after, and checks the run's deadline
between chunks, so that an endless or enormous source costs at most its limit and its time.
The limits live in one table here, which `apicli help limits` and the README show.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ApicliError, OutputError, RequestTimeout


@dataclass(frozen=True)
class Limit:
    """How many bytes one kind of input may hold, and what it is called in a refusal."""

    bytes: int
    what: str


KIB = 1024
MIB = 1024 * KIB

# Local files and standard input given to flags.
SECRET = Limit(8 * KIB, "a secret")
CONFIG = Limit(1 * MIB, "the config file")
BODY_FILE = Limit(64 * MIB, "a request body file")
COOKIE_JAR = Limit(16 * MIB, "the cookie jar")
SCHEMA_FILE = Limit(16 * MIB, "the --schema file")
TOKEN_CACHE_ENTRY = Limit(64 * KIB, "a token cache entry")
PART_META = Limit(64 * KIB, "a download's .part.meta")
INPUT_LINE = Limit(64 * KIB, "a line of --input-file")
WRITE_OUT_FORMAT = Limit(64 * KIB, "a -w format")
# What servers and child processes send.
WHOLE_BODY = Limit(64 * MIB, "a body read whole")
TOKEN_RESPONSE = Limit(1 * MIB, "a token endpoint's answer")
HELPER_OUTPUT = Limit(64 * KIB, "the output of --auth-command")
ERROR_BODY = Limit(64 * KIB, "an error body")
# Streams are read record by record: one record (an NDJSON line) or one line of an event stream
# (and one event's data) is all that is held at once.
STREAM_RECORD = Limit(16 * MIB, "a record of an NDJSON stream")
EVENT_LINE = Limit(1 * MIB, "a line of an event stream")
# JSON from a server, a helper or a file nested deeper than this is refused (never Python recursion).
JSON_DEPTH = 1024  # orjson's own limit, applied to the standard parser's fallback too

TABLE: tuple[Limit, ...] = (
    SECRET,
    CONFIG,
    BODY_FILE,
    COOKIE_JAR,
    SCHEMA_FILE,
    TOKEN_CACHE_ENTRY,
    PART_META,
    INPUT_LINE,
    WRITE_OUT_FORMAT,
    WHOLE_BODY,
    TOKEN_RESPONSE,
    HELPER_OUTPUT,
    ERROR_BODY,
    STREAM_RECORD,
    EVENT_LINE,
)


def size_text(size: int) -> str:
    """`size` bytes in the unit it is a whole number of: "16 MiB", "8 KiB", "300 bytes"."""
    for unit, scale in (("MiB", MIB), ("KiB", KIB)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


class TooLarge(ApicliError):
    """An input passed its limit while it was read; what was read so far is dropped."""

    def __init__(self, limit: int, what: str, *, hint: str | None = None) -> None:
        super().__init__(f"{what} is larger than {size_text(limit)}", hint=hint)
        self.limit = limit


def read_bounded(
    chunks: Iterable[bytes],
    limit: int | Limit,
    *,
    what: str | None = None,
    hint: str | None = None,
    error: type[ApicliError] = OutputError,
    deadline: float | None = None,
) -> bytes:
    """Every chunk of `chunks` joined, refused as soon as more than `limit` bytes arrived.

    The refusal is `error` (its exit code is the caller's choice) with the message of TooLarge;
    a `deadline` (a time.monotonic() value) passed between two chunks is a RequestTimeout.
    """
    cap = limit.bytes if isinstance(limit, Limit) else limit
    name = what or (limit.what if isinstance(limit, Limit) else "the input")
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > cap:
            refusal = TooLarge(cap, name, hint=hint)
            if error is TooLarge:
                raise refusal
            raise error(refusal.message, hint=hint)
        parts.append(chunk)
        if deadline is not None and time.monotonic() >= deadline:
            raise RequestTimeout(f"--max-time reached while reading {name}", hint="raise --max-time")
    return b"".join(parts)
