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


# Plain classes rather than dataclasses: this module loads on every run that writes a report.


class Check:
    """One named check of a case: an --assert, --expect-status, a schema, a capture."""

    __slots__ = ("message", "name", "passed")

    def __init__(self, name: str, passed: bool, message: str | None = None) -> None:
        self.name = name
        self.passed = passed
        self.message = message  # the failure text; None when passed

    def __repr__(self) -> str:
        return f"Check({self.name!r}, {self.passed!r}, {self.message!r})"


class Case:
    """One request, page or downloaded file, and what was checked on it."""

    __slots__ = ("attempts", "checks", "error", "kind", "method", "name", "status", "time", "url")

    def __init__(
        self,
        name: str,  # e.g. "GET http://127.0.0.1:8080/users/1", credentials already redacted
        kind: str,  # "request" | "page" | "file"
        method: str,
        url: str,
        status: int | None,  # None: no response (connection refused, timeout)
        time: float,  # seconds
        attempts: int = 1,  # 1 + retries
        checks: list[Check] | None = None,
        error: str | None = None,  # a failure that is not a check: no response, a broken body
    ) -> None:
        self.name = name
        self.kind = kind
        self.method = method
        self.url = url
        self.status = status
        self.time = time
        self.attempts = attempts
        self.checks: list[Check] = [] if checks is None else checks
        self.error = error

    def __repr__(self) -> str:
        return f"Case({self.name!r}, status={self.status!r}, attempts={self.attempts!r}, passed={self.passed!r})"

    @property
    def passed(self) -> bool:
        return self.error is None and all(check.passed for check in self.checks)

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


class Run:
    """One apicli invocation: its command line (secrets redacted), when it started, its cases."""

    __slots__ = ("cases", "name", "started")

    def __init__(self, name: str, started: float, cases: list[Case] | None = None) -> None:
        self.name = name
        self.started = started  # time.time() at the start
        self.cases: list[Case] = [] if cases is None else cases

    def __repr__(self) -> str:
        return f"Run({self.name!r}, {self.started!r}, {len(self.cases)} cases)"


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


def seconds(value: float | str) -> float:
    """A duration every format can write: NaN, infinities, negative times and nonsense become 0."""
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
