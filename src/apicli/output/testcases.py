"""What a test report holds: a run of apicli, its cases, their checks, as text every format can carry.

A `Run` is one invocation; each `Case` is a request (or a page of `paginate`, a file of `download`)
with the named `Check`s asserted on it. The text in them comes from servers and users and may hold
anything, so the writers take it through `field` and `message`, which bound it and spell out what
no report format can carry raw: control characters (XML 1.0 forbids most of them; a newline would
break a TAP or JSON line), lone surrogates (not UTF-8), U+FFFE/U+FFFF (not XML) and the Unicode
line separators (which line splitters such as Python's `str.splitlines` break lines at).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime

from ..errors import UsageError
from .terminal import visible

# Characters kept of one name or message: a server's error text or a long URL still fits, an
# endless one does not fill the report.
TEXT_CHARS = 4096
ELLIPSIS = "…"

# What `visible` leaves raw that a report cannot hold: XML's non-characters and the line separators.
_NOT_REPORT_TEXT = re.compile("[\ufffe\uffff\u2028\u2029]")
_LAYOUT = re.compile("[\t\n]")


@dataclass(slots=True)
class Check:
    """One named check of a case: an --assert, --expect-status, a schema, a capture."""

    name: str
    passed: bool
    message: str | None = None  # the failure text; None when passed


@dataclass(slots=True)
class Case:
    """One request, page or downloaded file, and what was checked on it."""

    name: str  # e.g. "GET http://127.0.0.1:8080/users/1", credentials already redacted
    kind: str  # "request" | "page" | "file"
    method: str
    url: str
    status: int | None  # None: no response (connection refused, timeout)
    time: float  # seconds
    attempts: int = 1  # 1 + retries
    checks: list[Check] = dataclass_field(default_factory=list)
    error: str | None = None  # a failure that is not a check: no response, a broken body

    @property
    def passed(self) -> bool:
        return self.error is None and all(check.passed for check in self.checks)

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


@dataclass(slots=True)
class Run:
    """One apicli invocation: its command line (secrets redacted), when it started, its cases."""

    name: str
    started: float  # time.time() at the start
    cases: list[Case] = dataclass_field(default_factory=list)


def _escape_report_text(text: str) -> str:
    text = visible(text)
    return _NOT_REPORT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _bounded(text: str, escape: re.Pattern[str] | None) -> str:
    # Escaping makes a character up to six long, so escaping a prefix of the limit's length is enough.
    shown = _escape_report_text(text[: TEXT_CHARS + 1])
    if escape is not None:
        shown = escape.sub(lambda match: f"\\x{ord(match.group()):02x}", shown)
    if len(shown) > TEXT_CHARS:
        return shown[: TEXT_CHARS - len(ELLIPSIS)] + ELLIPSIS
    return shown


def message(text: object) -> str:
    """Free text (a failure message, an error) safe in every format: may keep newlines and tabs."""
    return _bounded(str(text), None)


def field(text: object) -> str:
    """A one-line value (a name, a URL, a method) safe in every format: newlines and tabs spelled out too."""
    return _bounded(str(text), _LAYOUT)


def headline(text: object) -> str:
    """The first line of `text`, for an attribute or a TAP test point's description."""
    first, _, rest = str(text).partition("\n")
    return field(first + (" " + ELLIPSIS if rest.strip() else ""))


def seconds(value: float) -> float:
    """A duration every format can write: NaN, infinities and negative times become 0."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def timestamp(started: float) -> str:
    """ISO 8601 in UTC to the second, "2026-01-31T12:00:00+00:00"; the epoch for a time that is none."""
    try:
        moment = datetime.fromtimestamp(float(started), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        moment = datetime.fromtimestamp(0, tz=UTC)
    return moment.isoformat(timespec="seconds")


def attempts_text(case: Case) -> str:
    """ "1 attempt" or "3 attempts (2 retries)": how a retried case shows in every format."""
    count = max(int(case.attempts), 1)
    if count == 1:
        return "1 attempt"
    retries = count - 1
    return f"{count} attempts ({retries} {'retry' if retries == 1 else 'retries'})"


def status_text(case: Case) -> str:
    return "no response" if case.status is None else f"status {int(case.status)}"


def not_a_report(where: str, kind: str) -> UsageError:
    """The refusal of an existing file that is not a report of this format: it is left as it was."""
    return UsageError(
        f"{where!r} is not a {kind} that apicli can add to; it was left unchanged",
        hint="give --report a new file name, or remove the file if it is an old report",
    )
