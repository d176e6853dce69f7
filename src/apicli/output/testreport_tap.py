"""TAP version 14 reports: one stream whose plan stays on its last line (see testreport.py).

    TAP version 14
    # apicli get http://127.0.0.1:8080/users/1 (started 2026-01-31T12:00:00+00:00)
        # Subtest: GET http://127.0.0.1:8080/users/1
        1..3
        ok 1 - response: status 200, 0.012 s, 3 attempts (2 retries)
        ok 2 - status in 2xx
        not ok 3 - .id > 0
        # .id > 0: got -1
    not ok 1 - GET http://127.0.0.1:8080/users/1
    1..1

A run takes off the plan, adds its cases numbered on from it, and writes the new plan. In a
description `\\` and `#` are escaped as TAP 14 asks, so no text can start a directive.
"""

from __future__ import annotations

import re

from .testcases import Case, Run, attempts_text, field, message, not_a_report, seconds, status_text, timestamp

VERSION = b"TAP version 14\n"
WHAT = "TAP version 14 report that ends with its plan"
_PLAN = re.compile(rb"1\.\.(\d{1,18})")
_INDENT = "    "


def add_run(existing: bytes, run: Run, where: str) -> list[bytes | memoryview]:
    """The stream `existing` (b"": a new one) with `run`'s cases added and the plan moved past them."""
    head, count = _without_plan(existing, where) if existing.strip() else (memoryview(VERSION), 0)
    lines = [f"# {field(run.name)} (started {timestamp(run.started)})"]
    for case in run.cases:
        count += 1
        lines.extend(case_lines(count, case))
    lines.append(f"1..{count}")
    return [head, "".join(f"{line}\n" for line in lines).encode("utf-8")]


def case_lines(number: int, case: Case) -> list[str]:
    """The case as a test point with a subtest: the response first, then each check."""
    name = description(field(case.name))
    response = f"response: {status_text(case)}, {seconds(case.time):.3f} s, {attempts_text(case)}"
    points: list[tuple[bool, str, str | None]] = [(case.error is None, response, case.error)]
    points.extend((check.passed, field(check.name), check.message) for check in case.checks)
    lines = [f"{_INDENT}# Subtest: {name}", f"{_INDENT}1..{len(points)}"]
    for index, (passed, what, failure) in enumerate(points, start=1):
        lines.append(f"{_INDENT}{'ok' if passed else 'not ok'} {index} - {description(what)}")
        if not passed and failure:
            explained = f"{what}: {message(failure)}" if index > 1 else message(failure)
            lines.extend(f"{_INDENT}# {line}".rstrip() for line in explained.split("\n"))
    lines.append(f"{'ok' if case.passed else 'not ok'} {number} - {name}")
    return lines


def description(text: str) -> str:
    """A test point's description: `#` would start a directive and `\\` escapes it (TAP 14)."""
    return text.replace("\\", "\\\\").replace("#", "\\#")


def _without_plan(existing: bytes, where: str) -> tuple[memoryview, int]:
    """The stream up to its closing plan, and the number of test points that plan counts."""
    if not existing.startswith(VERSION):
        raise not_a_report(where, WHAT)
    end = len(existing.rstrip(b"\n"))
    line = existing.rfind(b"\n", 0, end) + 1
    plan = _PLAN.fullmatch(existing, line, end)
    if plan is None or line <= len(VERSION) - 1:
        raise not_a_report(where, WHAT)
    return memoryview(existing)[:line], int(plan.group(1))
