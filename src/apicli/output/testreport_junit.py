"""JUnit XML reports: a `<testsuites>` document that gains one `<testsuite>` per run (see testreport.py).

Built and read with the standard library's ElementTree, imported only when a run writes one. A file
that declares a DOCTYPE or an entity is refused before it is parsed: apicli never writes one, and
an entity is how XML text grows past its size.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

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
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
# Each total of the root, and what a case holds to count towards it when its suite does not say.
_TOTALS = {"tests": None, "failures": "failure", "errors": "error", "skipped": "skipped"}
_ATTRIBUTE = rb"""\s+[^\s=<>/"']+\s*=\s*(?:"[^"]*"|'[^']*')"""
# The prolog and the root's start tag, which is all of the file a run rewrites before its end.
_ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?P<declaration><\?xml(?:" + _ATTRIBUTE + rb")*\s*\?>)?\s*"
    rb"(?P<tag><testsuites(?P<attributes>(?:" + _ATTRIBUTE + rb")*)\s*>)"
)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_ROOT_END = re.compile(rb"</testsuites\s*>\s*\Z")
_ATTRIBUTE_NAME = re.compile(rb"""\s+([^\s=<>/"']+)\s*=\s*(?:"[^"]*"|'[^']*')""")
_SUMMED = frozenset((b"tests", b"failures", b"errors", b"skipped", b"time"))
_FEED = 1024 * 1024


def add_run(existing: bytes, run: Run, where: str) -> list[bytes | memoryview]:
    """The report `existing` (b"": a new one) with `run` added as its last testsuite, in pieces to write.

    An existing report is checked and counted by a streaming parse (its tree is never held), then
    spliced: the root's start tag gets the new totals and the new suite goes before its end tag.
    """
    suite = testsuite(run)
    totals = _suite_totals(suite)
    ET.indent(suite, level=1)
    suite_text = b"  " + ET.tostring(suite, encoding="utf-8") + b"\n"
    if not existing.strip():
        return [
            DECLARATION,
            b'<testsuites name="apicli"' + _totals_text(totals) + b">\n",
            suite_text,
            b"</testsuites>\n",
        ]
    start, end = _root_bounds(existing, where)
    for total, count in _count_suites(existing, where).items():
        totals[total] += count
    attributes = b"".join(  # every attribute of the root but the totals, as it was written
        attribute.group()
        for attribute in _ATTRIBUTE_NAME.finditer(start.group("attributes"))
        if attribute.group(1) not in _SUMMED
    )
    body = memoryview(existing)[start.end() : end]
    return [
        DECLARATION,
        b"<testsuites" + attributes + _totals_text(totals) + b">",
        body,
        suite_text,
        b"</testsuites>\n",
    ]


def testsuite(run: Run) -> ET.Element:
    cases = run.cases
    errors = sum(1 for case in cases if case.error is not None)
    failures = sum(1 for case in cases if case.error is None and case.failed_checks)
    suite = ET.Element(
        "testsuite",
        {
            "name": field(run.name),
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": _seconds_text(sum(seconds(case.time) for case in cases)),
            "timestamp": timestamp(run.started),
        },
    )
    suite.extend(testcase(case) for case in cases)
    retried = [case for case in cases if case.attempts > 1]
    if retried:
        # Where a flaky endpoint shows even when every case passed.
        lines = [f"retried: {field(case.name)}: {attempts_text(case)}" for case in retried]
        ET.SubElement(suite, "system-out").text = "\n".join(lines) + "\n"
    return suite


def testcase(case: Case) -> ET.Element:
    element = ET.Element(
        "testcase",
        {"name": field(case.name), "classname": f"apicli.{field(case.kind)}", "time": _seconds_text(case.time)},
    )
    after = f" [{attempts_text(case)}]" if case.attempts > 1 else ""
    for check in case.failed_checks:
        text = f"{field(check.name)}: {message(check.message or 'failed')}"
        failure = ET.SubElement(element, "failure", {"message": headline(text) + after, "type": "check"})
        failure.text = text
    if case.error is not None:
        error = ET.SubElement(element, "error", {"message": headline(case.error) + after, "type": "error"})
        error.text = message(case.error)
    ET.SubElement(element, "system-out").text = _summary(case)
    return element


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


def _seconds_text(value: float) -> str:
    return f"{seconds(value):.3f}"


def _root_bounds(existing: bytes, where: str) -> tuple[re.Match[bytes], int]:
    """The root's start tag, and where its end tag begins; a file spliced otherwise is refused."""
    if any(declaration in existing for declaration in _DECLARATIONS):
        raise not_a_report(where, WHAT)
    start = _ROOT_START.match(existing)
    end = _ROOT_END.search(existing)
    if start is None or end is None or end.start() < start.end():
        raise not_a_report(where, WHAT)
    encoding = _ENCODING.search(start.group("declaration") or b"")
    if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        raise not_a_report(where, WHAT)
    return start, end.start()


def _count_suites(existing: bytes, where: str) -> dict[str, float]:
    """The totals of the root's suites, from a streaming parse that drops each case once counted."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    totals: dict[str, float] = dict.fromkeys((*_TOTALS, "time"), 0)
    outcomes: dict[str, int] = {}
    depth = 0
    view = memoryview(existing)
    try:
        for offset in range(0, len(view), _FEED):
            parser.feed(view[offset : offset + _FEED])
            for item in parser.read_events():
                event, element = item[0], item[-1]
                if not isinstance(element, ET.Element):
                    continue
                if event == "start":
                    depth += 1
                    if depth == 1 and element.tag != "testsuites":
                        raise not_a_report(where, WHAT)
                    if depth == 2:
                        outcomes = dict.fromkeys(_TOTALS, 0)
                    continue
                depth -= 1
                if depth == 2 and element.tag == "testcase":
                    _count_case(element, outcomes)
                    element.clear()
                elif depth == 1 and element.tag == "testsuite":
                    for total in _TOTALS:
                        stated = element.get(total, "")
                        totals[total] += int(stated) if stated.isdigit() else outcomes[total]
                    totals["time"] += _number(element.get("time"))
                    element.clear()
        parser.close()
    except ET.ParseError:
        raise not_a_report(where, WHAT) from None
    return totals


def _count_case(case: ET.Element, outcomes: dict[str, int]) -> None:
    outcomes["tests"] += 1
    for total, outcome in _TOTALS.items():
        if outcome is not None and case.find(outcome) is not None:
            outcomes[total] += 1


def _suite_totals(suite: ET.Element) -> dict[str, float]:
    totals: dict[str, float] = {total: int(suite.get(total, "0")) for total in _TOTALS}
    totals["time"] = float(suite.get("time", "0"))
    return totals


def _totals_text(totals: dict[str, float]) -> bytes:
    counts = "".join(f' {total}="{int(totals[total])}"' for total in _TOTALS)
    return f'{counts} time="{_seconds_text(totals["time"])}"'.encode()


def _number(text: str | None) -> float:
    try:
        return seconds(float(text or 0))
    except ValueError:
        return 0.0
