"""One policy for every byte apicli keeps in memory, and the one reader that enforces it.

Whatever apicli reads whole before it uses it (a body to indent or filter, a token endpoint's
answer, a helper's output, a file given to a flag) goes through `read_bounded`: it reads in
chunks, stops as soon as the limit is passed instead of after, and checks the run's deadline
between chunks, so that an endless or enormous source costs at most its limit and its time.
The limits live in one table here, which `apicli help limits` and the README show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ApicliError, OutputError

if TYPE_CHECKING:
    from .clock import Clock


@dataclass(frozen=True)
class Limit:
    """How many bytes one kind of input may hold, and what it is called in a refusal."""

    bytes: int
    what: str
    where: str = ""  # the flags or sources it applies to, for `apicli help limits`


KIB = 1024
MIB = 1024 * KIB

# Local files and standard input given to flags.
SECRET = Limit(8 * KIB, "a secret", "`--token-file`, `--password-env` and the other secret flags")
CONFIG = Limit(1 * MIB, "the config file", "`$APICLI_CONFIG` or the default `config.toml`")
BODY_FILE = Limit(48 * MIB, "a request body file", "`@file` items, `--data @file`, `--json @file` read whole")
# About 17,000 cookies of 60 bytes: each costs ~2 KiB as a Python object, and browsers keep ~3,000.
COOKIE_JAR = Limit(1 * MIB, "the cookie jar", "`--cookie-jar`")
SCHEMA_FILE = Limit(16 * MIB, "the --schema file", "`--schema`")
JQ_ARGUMENT_FILE = Limit(16 * MIB, "a --slurpfile or --rawfile file", "`--slurpfile`, `--rawfile`")
TOKEN_CACHE_ENTRY = Limit(64 * KIB, "a token cache entry", "OAuth2 and helper tokens cached on disk")
PART_META = Limit(64 * KIB, "a download's .part.meta", "what `download` keeps to resume a part")
INPUT_LINE = Limit(64 * KIB, "a line of --input-file", "`download --input-file`, read a line at a time")
# Every job is planned before the first download starts, so the whole list is held.
INPUT_FILE = Limit(1 * MIB, "the --input-file list", "`download --input-file`: about 20,000 URLs; split a longer list")
# batch: a line is one request (its JSON body included); a result waits in the reorder window with its body.
BATCH_LINE = Limit(1 * MIB, "a line of batch input", "`batch`, read a line at a time; a longer line fails alone")
BATCH_BODY = Limit(16 * MIB, "a body in a batch result", "`batch`: each response body embedded in its result")
# What finished results may hold, all together, while they wait for an earlier one (--parallel more stay in flight).
BATCH_WINDOW = Limit(32 * MIB, "the results waiting their turn", "`batch`: no request is sent while they hold more")
WRITE_OUT_FORMAT = Limit(64 * KIB, "a -w format", "`-w @file`")
# What servers and child processes send.
# 48 MiB held plus the process's own ~30 MiB keeps a refusal under 100 MB.
WHOLE_BODY = Limit(
    48 * MIB,
    "a body read whole",
    "`--jq`, `--schema`, `--until`, `--envelope`, `--assert` and `--capture` on one body",
)
TOKEN_RESPONSE = Limit(1 * MIB, "a token endpoint's answer", "`--oauth2-token-url`")
HELPER_OUTPUT = Limit(64 * KIB, "the output of --auth-command", "`--auth-command` (the helper is stopped there)")
ERROR_BODY = Limit(64 * KIB, "an error body", "the part of a 4xx/5xx body shown on stderr")
# paginate: a page's list of items is read a batch at a time; the rest of it is parsed whole.
PAGE_OUTSIDE_ITEMS = Limit(1 * MIB, "a page without its list of items", "`paginate`: a page's fields around its items")
# A page's items wait until the page proves to be JSON, up to this much of them; past it they are
# written as they arrive. Not a refusal: a page of any size streams, at this cost and one batch.
PAGE_HOLD = 8 * MIB
PAGE_ITEM = Limit(16 * MIB, "one item of a page", "`paginate`: one item of a page's list, read whole")
# Streams are read record by record: one record (an NDJSON line) or one line of an event stream
# (and one event's data) is all that is held at once.
STREAM_RECORD = Limit(16 * MIB, "a record of an NDJSON stream", "NDJSON streams, `--jq` and `--until` on records")
# A streamed --jq selection (`PATH[] | REST`) holds one element at a time, whatever the body's size.
STREAM_ELEMENT = Limit(
    16 * MIB, "an element of a streamed --jq selection", "`--jq PATH[] | ...`: one element of the array it iterates"
)
EVENT_LINE = Limit(1 * MIB, "a line of an event stream", "server-sent events; one event's data too")
# GitHub keeps at most 1 MiB of outputs per job; a shell file of captures is meant to be sourced.
CAPTURE_VALUE = Limit(1 * MIB, "a captured value", "`--capture` and `--capture-secret`")
# A JUnit or TAP --report is read whole (and parsed streaming) to add a run: ~90,000 cases, under 100 MB.
REPORT_FILE = Limit(32 * MIB, "an existing --report file", "`--report junit:` and `tap:` files, which a run rewrites")
# JSON from a server, a helper or a file nested deeper than this is refused (never Python recursion).
JSON_DEPTH = 1024  # orjson's own limit, applied to the standard parser's fallback too

TABLE: tuple[Limit, ...] = (
    SECRET,
    CONFIG,
    BODY_FILE,
    COOKIE_JAR,
    SCHEMA_FILE,
    JQ_ARGUMENT_FILE,
    TOKEN_CACHE_ENTRY,
    PART_META,
    INPUT_LINE,
    INPUT_FILE,
    BATCH_LINE,
    BATCH_BODY,
    BATCH_WINDOW,
    WRITE_OUT_FORMAT,
    WHOLE_BODY,
    TOKEN_RESPONSE,
    HELPER_OUTPUT,
    ERROR_BODY,
    PAGE_OUTSIDE_ITEMS,
    PAGE_ITEM,
    STREAM_RECORD,
    STREAM_ELEMENT,
    EVENT_LINE,
    CAPTURE_VALUE,
    REPORT_FILE,
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


def too_large(limit: int, purpose: str, hint: str | None) -> OutputError:
    """The refusal of a body past `limit` bytes, read `purpose` (e.g. "to filter with --jq")."""
    mib, rest = divmod(limit, MIB)
    cap = f"{limit} bytes" if rest or not mib else f"{mib} MiB"
    return OutputError(f"body is larger than {cap}, too large {purpose}", hint=hint)


def read_bounded(
    chunks: Iterable[bytes],
    limit: int | Limit,
    *,
    what: str | None = None,
    hint: str | None = None,
    error: type[ApicliError] = OutputError,
    clock: Clock | None = None,
) -> bytes:
    """Every chunk of `chunks` joined, refused as soon as more than `limit` bytes arrived.

    The refusal is `error` (its exit code is the caller's choice) with the message of TooLarge;
    a `clock` whose budget runs out between two chunks ends the read with its RequestTimeout.
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
        if clock is not None:
            clock.check(f"reading {name}")
    return b"".join(parts)
