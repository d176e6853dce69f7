"""JUnit XML reports: a `<testsuites>` document that gains one `<testsuite>` per run (see testreport.py).

A run's suite is written as text here (the few elements need no XML library on the start-up
path). An existing report is read with expat, streaming: it checks that the file is a UTF-8
`testsuites` document, counts its suites' totals and finds where the root's start tag and end
tag are, so that the run is spliced in and every other byte of the file stays as it was. A file
that declares a DOCTYPE or an entity is refused: apicli never writes one, and an entity is how
XML text grows past its size.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from .testcases import (
    Case,
    Run,
    attempts_text,
    field,
    headline,
    message,
    not_a_report,
    seconds,
    status_text,
    timestamp,
)

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
WHAT = "UTF-8 JUnit XML report (a <testsuites> document)"
# Each total of the root, and the outcome a case holds to count towards it.
TOTALS = {"tests": "", "failures": "failure", "errors": "error", "skipped": "skipped"}
# The root's start tag, from where expat saw it begin: a `>` inside a quoted value does not end it.
_START_TAG = re.compile(rb"""<testsuites(?:[^"'>]|"[^"]*"|'[^']*')*>""")
_FEED = 1024 * 1024


def add_run(existing: bytes, run: Run, where: str) -> list[bytes | memoryview]:
    """The report `existing` (b"": a new one) with `run` added as its last testsuite, in pieces to write."""
    suite, totals = testsuite(run)
    if not existing.strip():
        root = f'<testsuites name="apicli"{_totals_text(totals)}>\n'.encode()
        return [DECLARATION, root, suite, b"</testsuites>\n"]
    scan = _Scan(where)
    scan.read(existing)
    for total, value in scan.totals.items():
        totals[total] += value
    attributes = "".join(f' {name}="{_attribute(value)}"' for name, value in scan.attributes if name not in totals)
    root = f"<testsuites{attributes}{_totals_text(totals)}>".encode()
    view = memoryview(existing)
    if scan.self_closing:
        return [view[: scan.start], root, b"\n", suite, b"</testsuites>", view[scan.body :]]
    return [view[: scan.start], root, view[scan.body : scan.end], suite, view[scan.end :]]


def testsuite(run: Run) -> tuple[bytes, dict[str, float]]:
    """The run's `<testsuite>` element, indented to sit in the root, and its totals."""
    cases = run.cases
    totals: dict[str, float] = {
        "tests": len(cases),
        "failures": sum(1 for case in cases if case.error is None and case.failed_checks),
        "errors": sum(1 for case in cases if case.error is not None),
        "skipped": 0,
        "time": sum(seconds(case.time) for case in cases),
    }
    counts = "".join(f' {total}="{int(totals[total])}"' for total in TOTALS)
    lines = [
        f'  <testsuite name="{_attribute(field(run.name))}"{counts} time="{_seconds_text(totals["time"])}" '
        f'timestamp="{timestamp(run.started)}">'
    ]
    lines.extend(testcase(case) for case in cases)
    retried = [case for case in cases if case.attempts > 1]
    if retried:
        # Where a flaky endpoint shows even when every case passed.
        text = "".join(f"retried: {field(case.name)}: {attempts_text(case)}\n" for case in retried)
        lines.append(f"    <system-out>{_text(text)}</system-out>")
    lines.append("  </testsuite>\n")
    return "\n".join(lines).encode("utf-8"), totals


def testcase(case: Case) -> str:
    name, kind = _attribute(field(case.name)), _attribute(field(case.kind))
    lines = [f'    <testcase name="{name}" classname="apicli.{kind}" time="{_seconds_text(case.time)}">']
    after = f" [{attempts_text(case)}]" if case.attempts > 1 else ""
    if case.error is not None:
        error = _attribute(headline(case.error) + after)
        lines.append(f'      <error message="{error}" type="error">{_text(message(case.error))}</error>')
    for check in case.failed_checks:
        text = f"{field(check.name)}: {message(check.message or 'failed')}"
        failure = _attribute(headline(text) + after)
        lines.append(f'      <failure message="{failure}" type="check">{_text(text)}</failure>')
    lines.append(f"      <system-out>{_text(_summary(case))}</system-out>")
    lines.append("    </testcase>")
    return "\n".join(lines)


def _summary(case: Case) -> str:
    """What the case's page in Jenkins or GitLab shows: the request, its outcome, every check."""
    lines = [
        f"{field(case.method)} {field(case.url)}",
        f"{status_text(case)}, {_seconds_text(case.time)} s, {attempts_text(case)}",
    ]
    if case.checks:
        lines.append("checks:")
    for check in case.checks:
        verdict = "ok    " if check.passed else "FAILED"
        text = "" if check.passed or not check.message else ": " + message(check.message).replace("\n", "\n    ")
        lines.append(f"  {verdict} {field(check.name)}{text}")
    if case.error is not None:
        lines.append("error: " + message(case.error).replace("\n", "\n    "))
    return "\n".join(lines) + "\n"


# XML text. What reaches here is report text (see testcases.py): no character XML 1.0 forbids.


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attribute(value: str) -> str:
    # Tabs and line ends as references: a parser would turn them into spaces otherwise.
    escaped = _text(value).replace('"', "&quot;")
    return escaped.replace("\t", "&#9;").replace("\n", "&#10;")


def _seconds_text(value: float) -> str:
    return f"{seconds(value):.3f}"


def _totals_text(totals: dict[str, float]) -> str:
    counts = "".join(f' {total}="{int(totals[total])}"' for total in TOTALS)
    return f'{counts} time="{_seconds_text(totals["time"])}"'


# Reading an existing report


class _Refused(Exception):
    pass


class _Scan:
    """One streaming pass over an existing report: where its root's tags are, and its suites' totals."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.start = self.body = self.end = -1  # byte offsets: "<testsuites", after its ">", "</testsuites"
        self.self_closing = False
        self.attributes: list[tuple[str, str]] = []
        self.totals: dict[str, float] = dict.fromkeys((*TOTALS, "time"), 0)
        self._depth = 0
        self._suite: dict[str, str] | None = None  # the attributes of the suite being read
        self._counted: dict[str, int] = {}  # its cases, counted for the totals it does not state
        self._outcomes: set[str] | None = None  # what the case being read holds
        self._parser = expat.ParserCreate()
        self._parser.ordered_attributes = True
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.StartDoctypeDeclHandler = self._refuse
        self._parser.EntityDeclHandler = self._refuse
        self._parser.XmlDeclHandler = self._declaration

    def read(self, existing: bytes) -> None:
        # A byte-order mark or a NUL up front is UTF-16 or UTF-32, which UTF-8 cannot be spliced into.
        if not existing.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"<") or b"<!DOCTYPE" in existing:
            raise not_a_report(self.where, WHAT)
        view = memoryview(existing)
        try:
            for offset in range(0, len(view), _FEED):
                self._parser.Parse(bytes(view[offset : offset + _FEED]), False)
            self._parser.Parse(b"", True)
        except (expat.ExpatError, _Refused):
            raise not_a_report(self.where, WHAT) from None
        tag = _START_TAG.match(existing, self.start)
        if tag is None:
            raise not_a_report(self.where, WHAT)
        self.body = tag.end()
        self.self_closing = tag.group().endswith(b"/>")

    def _refuse(self, *_: object) -> None:
        raise _Refused

    def _declaration(self, _version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
            raise _Refused

    def _start(self, name: str, attributes: list[str]) -> None:
        self._depth += 1
        if self._depth == 1:
            if name != "testsuites":
                raise _Refused
            self.start = self._parser.CurrentByteIndex
            self.attributes = list(zip(attributes[::2], attributes[1::2], strict=True))
        elif self._depth == 2 and name == "testsuite":
            self._suite = dict(zip(attributes[::2], attributes[1::2], strict=True))
            self._counted = dict.fromkeys(TOTALS, 0)
        elif self._depth == 3 and name == "testcase" and self._suite is not None:
            self._outcomes = set()
        elif self._depth == 4 and self._outcomes is not None:
            self._outcomes.add(name)

    def _end(self, name: str) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.end = self._parser.CurrentByteIndex
        elif self._depth == 2 and self._outcomes is not None:
            outcomes, self._outcomes = self._outcomes, None
            self._counted["tests"] += 1
            self._counted["errors"] += "error" in outcomes
            self._counted["failures"] += "failure" in outcomes and "error" not in outcomes
            self._counted["skipped"] += "skipped" in outcomes
        elif self._depth == 1 and self._suite is not None:
            suite, self._suite = self._suite, None
            for total in TOTALS:
                stated = suite.get(total, "")
                given = stated.isascii() and stated.isdigit() and len(stated) < 19
                self.totals[total] += int(stated) if given else self._counted[total]
            self.totals["time"] += seconds(suite.get("time") or 0)
