"""A batch's results: one JSON line per request, and the summary of the run.

    {"index": 0, "line": 1, "id": "row-17", "method": "GET", "url": "…", "status": 200,
     "ok": true, "attempts": 1, "time": 0.0123, "body": …}

plus `"error": {"kind", "message"}` when the request failed, and `"captures": {NAME: value}` when
--capture gave values (each as the request verbs compute it: a string as itself, else its JSON).
The body is embedded as --envelope embeds it (output/envelope.body_json): JSON as the server wrote
it, numbers exact, else a string or {"base64": …}. Its spelling is kept but for whitespace between
tokens, removed so that the result stays on one line. The URL is shown as -v shows it: a password
and secret query values hidden.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..errors import (
    ApicliError,
    ConnectionFailed,
    CrossOriginRefused,
    HTTPStatusError,
    Interrupted,
    RequestTimeout,
    TooManyRedirects,
    UsageError,
)
from ..output.envelope import body_json

# Whitespace between the tokens of valid JSON text; its strings are matched whole, and kept.
_BETWEEN_TOKENS = re.compile(rb'("(?:[^"\\]++|\\.)*+")|[ \t\r\n]++')
SHOWN_FAILED_LINES = 10  # the summary names this many failed lines, then counts the rest


class Result:
    """One request's outcome, filled in by the worker that sent it and written by the main thread."""

    __slots__ = (
        "attempts",
        "body",
        "captures",
        "end",
        "error",
        "facts",
        "id",
        "index",
        "kind",
        "line",
        "method",
        "ok",
        "report",
        "seconds",
        "sent",
        "status",
        "url",
    )

    def __init__(self, index: int, line: int, given_id: str | None, end: int = 0) -> None:
        self.index = index
        self.line = line
        self.end = end  # the input's byte offset past its line: how far the input is done once it is written
        self.id = given_id  # JSON text, as the input line wrote it
        self.method: str | None = None
        self.url: str | None = None
        self.status: int | None = None
        self.attempts = 0
        self.seconds = 0.0
        self.body: str | None = None  # the body as a JSON value's text (body_json)
        self.ok = False
        self.kind: str | None = None  # the class of failure, for the summary
        self.error: str | None = None
        self.report: Any = None  # -w's TransferReport, written with the result
        self.facts: bytes | None = None  # $status & co. for --assert (output/envelope.response_facts)
        self.captures: list[tuple[str, str]] | None = None  # --capture: (NAME, value) in the flags' order
        self.sent = True  # False: stopped at the gate, never sent; such a line gets no result

    @property
    def size(self) -> int:
        """About what the result holds in memory, for the reorder window's budget."""
        held = (len(self.body) if self.body is not None else 0) + len(self.error or "") + len(self.facts or b"")
        return 256 + held

    def fail(self, kind: str, message: str) -> Result:
        self.ok = False
        self.kind, self.error = kind, message
        return self

    def set_body(self, body: bytes, content_type: str | None) -> None:
        self.body = one_line(body_json(body, content_type))

    def json_line(self) -> bytes:
        """The result as one compact JSON text (no newline); built by hand, as it is written once per request."""
        parts = [f'{{"index":{self.index},"line":{self.line}']
        if self.id is not None:
            parts.append(f',"id":{self.id}')
        method = "null" if self.method is None else _string(self.method)
        url = "null" if self.url is None else _string(self.url)
        status = "null" if self.status is None else str(self.status)
        ok = "true" if self.ok else "false"
        parts.append(
            f',"method":{method},"url":{url},"status":{status},"ok":{ok},"attempts":{self.attempts},'
            f'"time":{round(self.seconds, 6)!r}'
        )
        if self.error is not None:
            parts.append(f',"error":{{"kind":{_string(self.kind or "error")},"message":{_string(self.error)}}}')
        if self.captures is not None:
            members = ",".join(f"{_string(name)}:{_string(value)}" for name, value in self.captures)
            parts.append(f',"captures":{{{members}}}')
        if self.body is not None:
            parts.append(f',"body":{self.body}')
        parts.append("}")
        return "".join(parts).encode("utf-8", "surrogatepass")


_string = json.JSONEncoder(ensure_ascii=False).encode


def one_line(text: str) -> str:
    """Valid JSON text without the whitespace between its tokens, when it has line breaks: every
    string and number kept as written."""
    if "\n" not in text and "\r" not in text:
        return text
    data = text.encode("utf-8", "surrogatepass")
    return _BETWEEN_TOKENS.sub(lambda found: found.group(1) or b"", data).decode("utf-8", "surrogatepass")


def failure_kind(error: BaseException) -> str:
    """The class of a failure, as results and the summary name it."""
    if isinstance(error, HTTPStatusError):
        return "http"
    if isinstance(error, RequestTimeout):
        return "timeout"
    if isinstance(error, TooManyRedirects | CrossOriginRefused):
        return "redirect"
    if isinstance(error, ConnectionFailed):
        return "connection"
    if isinstance(error, Interrupted):
        return "interrupted"
    if isinstance(error, UsageError):
        return "request"
    if isinstance(error, ApicliError):
        return "response"
    return "error"


def error_message(error: BaseException) -> str:
    message = error.message if isinstance(error, ApicliError) else f"{type(error).__name__}: {error}"
    notes = getattr(error, "__notes__", None)
    return f"{message} ({'; '.join(notes)})" if notes else message


class Tally:
    """What the summary line says: how many succeeded, failed by class, and which lines failed."""

    def __init__(self) -> None:
        self.ok = 0
        self.failed: Counter[str] = Counter()
        self.failed_lines: list[int] = []

    def count(self, result: Result) -> None:
        if result.ok:
            self.ok += 1
            return
        self.failed[_summary_class(result)] += 1
        self.failed_lines.append(result.line)

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    @property
    def total(self) -> int:
        return self.ok + self.failures

    def text(self, seconds: float) -> str:
        """`1000 requests: 998 ok, 2 failed (1 http 404, 1 connection) in 1.2 s (833.3/s)`."""
        rate = self.total / seconds if seconds > 0 else 0.0
        counts = f"{self.total} request{'s' if self.total != 1 else ''}: {self.ok} ok"
        if self.failures:
            classes = ", ".join(f"{count} {kind}" for kind, count in sorted(self.failed.items()))
            counts += f", {self.failures} failed ({classes})"
        return f"{counts} in {seconds:.1f} s ({rate:.1f}/s)"

    def lines_text(self) -> str:
        lines = sorted(self.failed_lines)
        shown = ", ".join(str(line) for line in lines[:SHOWN_FAILED_LINES])
        more = len(lines) - SHOWN_FAILED_LINES
        return f"failed line{'s' if len(lines) != 1 else ''} {shown}" + (f" and {more} more" if more > 0 else "")


def _summary_class(result: Result) -> str:
    if result.kind == "http" and result.status is not None:
        return f"http {result.status}"
    return result.kind or "error"


def tally(results: Iterable[Result]) -> Tally:
    counted = Tally()
    for result in results:
        counted.count(result)
    return counted
