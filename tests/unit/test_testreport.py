"""Test reports: each format after one run and after ten, read back by a real parser of that format.

JUnit files are parsed by junitparser and validated against tests/support/junit.xsd (the structure
Jenkins and GitLab import) with xmlschema; TAP by tap.py's parser, its subtests each parsed as a
stream of their own; JSON Lines by json.loads, line by line.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import junitparser
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tap.loader import Loader
from tap.parser import Parser

from apicli.output.testcases import TEXT_CHARS
from apicli.output.testreport import Case, Check, Run, write_report

SCHEMA = xmlschema.XMLSchema(Path(__file__).resolve().parents[1] / "support" / "junit.xsd")
SUFFIX = {"junit": "xml", "tap": "tap", "json": "jsonl"}
STARTED = 1_780_000_000.0  # 2026-05-28T20:26:40+00:00


def request_case(number: int, **fields: object) -> Case:
    url = f"http://127.0.0.1:8080/users/{number}"
    values: dict[str, object] = {
        "name": f"GET {url}",
        "kind": "request",
        "method": "GET",
        "url": url,
        "status": 200,
        "time": 0.25,
        "attempts": 1,
        "checks": [Check("status in 2xx", True)],
        "error": None,
    }
    values.update(fields)
    return Case(**values)  # type: ignore[arg-type]


def mixed_run(step: int) -> Run:
    """A passing case, a failed check, a case retried twice, and one with no response."""
    return Run(
        f"apicli get step {step}",
        STARTED + step,
        [
            request_case(1),
            request_case(2, checks=[Check("status in 2xx", True), Check(".id > 0", False, "got -1")]),
            request_case(3, attempts=3),
            request_case(4, status=None, checks=[], error="connection refused", attempts=2),
        ],
    )


# Readers: each one fails on a file that is not valid in its format


def junit_report(path: Path) -> junitparser.JUnitXml:
    SCHEMA.validate(str(path))
    report = junitparser.JUnitXml.fromfile(str(path))
    suites = list(report)
    for suite in suites:
        cases = list(suite)
        assert suite.tests == len(cases)
        # One outcome per case, as Surefire and GitLab count: an error, else a failure.
        errors = [any(isinstance(r, junitparser.Error) for r in case.result) for case in cases]
        failures = [any(isinstance(r, junitparser.Failure) for r in case.result) for case in cases]
        assert suite.errors == sum(errors)
        assert suite.failures == sum(failed and not error for failed, error in zip(failures, errors, strict=True))
    for total in ("tests", "failures", "errors", "skipped"):
        assert getattr(report, total) == sum(getattr(suite, total) for suite in suites), total
    assert report.time == pytest.approx(sum(suite.time for suite in suites), abs=0.001 * (len(suites) + 1))
    return report


def tap_stream(path: Path) -> list[tuple[bool, str, list[tuple[bool, str]]]]:
    """Each top-level test point: passed, description, and its subtest's points (each checked)."""
    text = path.read_text(encoding="utf-8")
    loaded = list(Loader().load_suite_from_file(str(path)))  # tap.py's adapters, one per test point
    parser = Parser()
    lines = text.split("\n")
    assert lines.pop() == "" and lines[0] == "TAP version 14"
    points: list[tuple[bool, str, list[tuple[bool, str]]]] = []
    block: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("    "):
            block.append(line[4:])
            continue
        parsed = parser.parse_line(line)
        if parsed.category == "test":
            assert parsed.number == len(points) + 1
            children = _subtest(block)
            assert parsed.ok == all(ok for ok, _ in children)
            points.append((parsed.ok, parsed.description, children))
            block = []
        elif parsed.category == "plan":
            assert number == len(lines) and not block, "the plan closes the stream"
            assert parsed.expected_tests == len(points)
        else:
            assert parsed.category == "diagnostic", line
    # tap.py adds a failing point of its own for a broken rule (version, plan, count).
    assert [adapter._line.ok for adapter in loaded] == [ok for ok, _, _ in points]
    return points


def _subtest(lines: list[str]) -> list[tuple[bool, str]]:
    parser = Parser()
    parsed = [parser.parse_line(line) for line in lines]
    assert [line.category for line in parsed[:2]] == ["diagnostic", "plan"], lines[:2]
    assert lines[0].startswith("# Subtest: ")
    tests = [line for line in parsed if line.category == "test"]
    assert {line.category for line in parsed[2:]} <= {"test", "diagnostic"}, lines
    assert parsed[1].expected_tests == len(tests) and [t.number for t in tests] == list(range(1, len(tests) + 1))
    return [(test.ok, test.description) for test in tests]


def json_report(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data.endswith(b"\n") or not data
    records = [json.loads(line) for line in data.decode("utf-8").split("\n")[:-1]]
    assert all(isinstance(record, dict) and record["apicli_report"] == 1 for record in records)
    return records


def case_count(fmt: str, path: Path) -> int:
    if fmt == "junit":
        return int(junit_report(path).tests)
    if fmt == "tap":
        return len(tap_stream(path))
    return len(json_report(path))


# Each format, run after run


@pytest.mark.parametrize("fmt", ["junit", "tap", "json"])
def test_ten_runs_each_leave_a_valid_report_holding_all_before(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{SUFFIX[fmt]}"
    for step in range(10):
        write_report(fmt, path, mixed_run(step))
        assert case_count(fmt, path) == 4 * (step + 1)
    assert not [p for p in tmp_path.iterdir() if p != path], "no temporary file is left behind"


def test_junit_has_a_suite_per_run_with_failures_errors_and_retries(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    write_report("junit", path, mixed_run(0))
    write_report("junit", path, Run("apicli get /health", STARTED, [request_case(9)]))
    report = junit_report(path)
    first, second = list(report)
    assert (first.name, first.tests, first.failures, first.errors) == ("apicli get step 0", 4, 1, 1)
    assert first.timestamp == "2026-05-28T20:26:40+00:00"
    assert (second.name, second.tests, report.tests, report.failures, report.errors) == (
        "apicli get /health",
        1,
        5,
        1,
        1,
    )
    passed, failed, retried, unanswered = list(first)
    assert passed.is_passed and passed.classname == "apicli.request" and passed.time == 0.25
    assert "ok     status in 2xx" in passed.system_out
    [failure] = failed.result
    assert isinstance(failure, junitparser.Failure)
    assert (failure.message, failure.type, failure.text) == (".id > 0: got -1", "check", ".id > 0: got -1")
    assert "FAILED .id > 0: got -1" in failed.system_out
    assert retried.is_passed and "3 attempts (2 retries)" in retried.system_out
    suite_output = ElementTree.parse(path).getroot().findtext("testsuite/system-out")
    assert suite_output == (
        "retried: GET http://127.0.0.1:8080/users/3: 3 attempts (2 retries)\n"
        "retried: GET http://127.0.0.1:8080/users/4: 2 attempts (1 retry)\n"
    )
    [error] = unanswered.result
    assert isinstance(error, junitparser.Error)
    assert error.message == "connection refused [2 attempts (1 retry)]" and error.text == "connection refused"
    assert "no response" in unanswered.system_out


def test_tap_has_a_subtest_per_case_with_the_response_and_each_check(tmp_path: Path) -> None:
    path = tmp_path / "report.tap"
    write_report("tap", path, mixed_run(0))
    write_report("tap", path, Run("apicli get /health", STARTED, [request_case(9)]))
    passed, failed, retried, unanswered, health = tap_stream(path)
    response = (True, "- response: status 200, 0.250 s, 1 attempt")
    assert passed == (True, "- GET http://127.0.0.1:8080/users/1", [response, (True, "- status in 2xx")])
    assert failed[0] is False and failed[2][2] == (False, "- .id > 0")
    assert retried[2][0] == (True, "- response: status 200, 0.250 s, 3 attempts (2 retries)")
    assert unanswered[0] is False and unanswered[2] == [
        (False, "- response: no response, 0.250 s, 2 attempts (1 retry)")
    ]
    assert health[1] == "- GET http://127.0.0.1:8080/users/9"
    text = path.read_text()
    assert "    # .id > 0: got -1\n" in text and "    # connection refused\n" in text
    assert "# apicli get step 0 (started 2026-05-28T20:26:40+00:00)\n" in text
    assert text.count("TAP version 14") == 1 and text.endswith("\n1..5\n")


def test_json_lines_hold_every_field_of_each_case(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    write_report("json", path, mixed_run(0))
    records = json_report(path)
    assert [record["name"] for record in records] == [f"GET http://127.0.0.1:8080/users/{n}" for n in (1, 2, 3, 4)]
    assert records[1] == {
        "apicli_report": 1,
        "run": "apicli get step 0",
        "started": "2026-05-28T20:26:40+00:00",
        "kind": "request",
        "name": "GET http://127.0.0.1:8080/users/2",
        "method": "GET",
        "url": "http://127.0.0.1:8080/users/2",
        "status": 200,
        "time": 0.25,
        "attempts": 1,
        "passed": False,
        "error": None,
        "checks": [
            {"name": "status in 2xx", "passed": True, "message": None},
            {"name": ".id > 0", "passed": False, "message": "got -1"},
        ],
    }
    assert (records[2]["attempts"], records[3]["status"], records[3]["error"]) == (3, None, "connection refused")


@pytest.mark.parametrize("fmt", ["junit", "tap", "json"])
def test_pages_files_and_a_run_without_cases(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{SUFFIX[fmt]}"
    write_report(fmt, path, Run("apicli get /nothing", STARTED, []))
    assert case_count(fmt, path) == 0
    page = request_case(1, kind="page", checks=[])
    download = request_case(2, kind="file", time=float("nan"), attempts=0)
    write_report(fmt, path, Run("apicli paginate /users", STARTED, [page, download]))
    assert case_count(fmt, path) == 2
    if fmt == "junit":
        suites = list(junit_report(path))
        assert [case.classname for case in suites[1]] == ["apicli.page", "apicli.file"]
        assert [case.time for case in suites[1]] == [0.25, 0.0]


# Text from servers and users


HOSTILE = {
    "control bytes": "GET \x1b[31mred\x07\x00\x08\x7f\x9b",
    "NUL": "a\x00b",
    "carriage return and newline": "line one\r\nline two\rthree\n",
    "lone surrogates": "bad \udcff byte and \ud800 half",
    "CDATA end and markup": "]]> <!-- --> <![CDATA[x]]> &amp; <a/> \"'",
    "TAP syntax": "not ok 1 # TODO \\# SKIP\n1..0\nBail out!",
    "XML non-characters": "\ufffe\uffff",
    "line separators": "a\u2028b\u2029c\x85d",
    "non-ASCII": "naïve café 日本語 🙂 \u202eevil",
    "huge": "x" * 3_000_000 + "\n" * 1_000_000,
}


@pytest.mark.parametrize("fmt", ["junit", "tap", "json"])
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_leaves_a_valid_bounded_report(fmt: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{SUFFIX[fmt]}"
    for _ in range(2):
        write_report(fmt, path, hostile_run(text))
    assert case_count(fmt, path) == 4
    # Every text is bounded: a report of two runs of two cases stays far below the input's size.
    assert path.stat().st_size < 60 * TEXT_CHARS * 4
    raw = path.read_bytes().decode("utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\u2028\u2029]", raw)


def hostile_run(text: str) -> Run:
    cases = [
        Case(text, text, text, text, 500, 1.0, 2, [Check(text, False, text), Check(text, True)], None),
        Case(text, "request", "GET", text, None, 0.1, 1, [], text),
    ]
    return Run(text, STARTED, cases)


any_text = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=any_text, check=any_text, failure=any_text, error=st.none() | any_text)
def test_any_text_anywhere_keeps_every_format_valid(name: str, check: str, failure: str, error: str | None) -> None:
    case = Case(name, name, name, name, 418, 0.5, 2, [Check(check, False, failure), Check(check, True)], error)
    run = Run(name, STARTED, [case])
    with tempfile.TemporaryDirectory() as directory:
        for fmt in ("junit", "tap", "json"):
            path = Path(directory) / f"report.{SUFFIX[fmt]}"
            write_report(fmt, path, run)
            write_report(fmt, path, run)
            assert case_count(fmt, path) == 2
        [record, _] = json_report(Path(directory) / "report.jsonl")
        assert record["passed"] is False and record["checks"][0]["passed"] is False
        if name.isprintable() and "\\" not in name and "#" not in name:
            assert f"- {name}".strip() in [description for _, description, _ in tap_stream(path.with_suffix(".tap"))]
            suite = next(iter(junit_report(Path(directory) / "report.xml")))
            assert [case.name for case in suite] == [name]
