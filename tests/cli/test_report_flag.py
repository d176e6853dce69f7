"""End-to-end: --report from the request verbs, paginate and download, read back by real parsers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from apicli.errors import ExitCode
from tests.conftest import Invoke
from tests.unit.test_testreport import json_report, junit_report, tap_stream

USER = b'{"id": 7, "name": "ann"}'


def _serve(server: HTTPServer, path: str = "/r", body: bytes = USER, status: int = 200) -> str:
    server.expect_request(path).respond_with_data(body, status=status, content_type="application/json")
    return server.url_for(path)


def test_ten_steps_append_to_one_junit_report_that_stays_valid(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = _serve(httpserver)
    report = tmp_path / "reports" / "api.xml"
    for step in range(10):
        expected = "7" if step % 3 else "8"
        result = invoke("get", url, "-o", "/dev/null", "--assert", f".id == {expected}", "--assert", "$status == 200",
                        "--report", f"junit:{report}")  # fmt: skip
        assert result.code == (0 if step % 3 else 10)
        parsed = junit_report(report)  # the XSD and junitparser, after every step
        assert len(list(parsed)) == step + 1
    suites = list(junit_report(report))
    assert [suite.failures for suite in suites] == [0 if step % 3 else 1 for step in range(10)]
    case = next(iter(suites[0]))
    assert case.name == f"GET {url}"
    assert ".id == 8" in case.result[0].message and "(.id is 7)" in case.result[0].message
    assert "ok     $status == 200" in case.system_out


def test_retries_are_visible_in_the_report(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data('{"ok": true}', content_type="application/json")
    report = tmp_path / "r.xml"
    result = invoke("get", httpserver.url_for("/flaky"), "--report", f"junit:{report}", "--retries", "2")
    assert result.code == 0
    (suite,) = list(junit_report(report))
    (case,) = list(suite)
    assert "2 attempts (1 retry)" in case.system_out
    assert "retried: GET" in report.read_text()  # the suite's own list of flaky requests


def test_no_answer_is_an_error_case(invoke: Invoke, tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    result = invoke("get", "http://127.0.0.1:9/x", "--report", f"junit:{report}", "--retries", "0")
    assert result.code == ExitCode.CONNECTION
    (suite,) = list(junit_report(report))
    assert (suite.tests, suite.errors, suite.failures) == (1, 1, 0)


def test_tap_and_json_reports_from_one_run(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    url = _serve(httpserver)
    tap, lines = tmp_path / "r.tap", tmp_path / "r.jsonl"
    result = invoke("get", url, "-o", "/dev/null", "--assert", ".id == 7", "--expect-status", "200",
                    "--report", f"tap:{tap}", "--report", f"json:{lines}")  # fmt: skip
    assert result.code == 0
    ((passed, description, checks),) = tap_stream(tap)
    assert passed and description.removeprefix("- ") == f"GET {url}"
    assert [name for _ok, name in checks] == ["- response: status 200, " + checks[0][1].split(", ", 1)[1],
                                              "- status in 200", "- .id == 7"]  # fmt: skip
    (record,) = json_report(lines)
    assert record["status"] == 200 and record["passed"] is True and record["attempts"] == 1
    assert [check["name"] for check in record["checks"]] == ["status in 200", ".id == 7"]  # type: ignore[union-attr]


def test_paginate_reports_a_case_per_page(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    for page in (1, 2, 3):  # the empty third page ends the collection
        body = json.dumps([{"id": n} for n in range(page * 10, page * 10 + 2)] if page < 3 else [])
        httpserver.expect_request("/items", query_string=f"page={page}").respond_with_data(
            body, content_type="application/json"
        )
    report = tmp_path / "pages.jsonl"
    result = invoke("paginate", httpserver.url_for("/items"), "--page-param", "page", "--report", f"json:{report}")
    assert result.code == 0, result.stderr
    cases = json_report(report)
    assert [case["kind"] for case in cases] == ["page"] * 3
    assert [str(case["url"]).rsplit("=", 1)[1] for case in cases] == ["1", "2", "3"]


def test_paginate_reports_the_page_that_failed(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    first = httpserver.expect_request("/items", query_string="page=1")
    first.respond_with_data('[{"id": 1}]', content_type="application/json")
    httpserver.expect_request("/items", query_string="page=2").respond_with_data("no", status=500)
    report = tmp_path / "pages.xml"
    result = invoke("paginate", httpserver.url_for("/items"), "--page-param", "page", "--retries", "0",
                    "--report", f"junit:{report}")  # fmt: skip
    assert result.code == ExitCode.HTTP_5XX
    (suite,) = list(junit_report(report))
    assert (suite.tests, suite.failures) == (2, 1)


def test_download_reports_a_case_per_file(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/a.csv").respond_with_data("a,b\n1,2\n", content_type="text/csv")
    httpserver.expect_request("/b.csv").respond_with_data("gone", status=404)
    report = tmp_path / "files.tap"
    result = invoke("download", httpserver.url_for("/a.csv"), httpserver.url_for("/b.csv"), "-d", str(tmp_path / "d"),
                    "--report", f"tap:{report}", "--retries", "0")  # fmt: skip
    assert result.code == ExitCode.HTTP_4XX  # the one failure's own code, as without --report
    points = {description.rsplit("/", 1)[1]: passed for passed, description, _checks in tap_stream(report)}
    assert points == {"a.csv": True, "b.csv": False}


@pytest.mark.parametrize(
    ("target", "message"),
    [("xml:r.xml", "unknown format 'xml'"), ("junit:", "needs a file name"), ("report.xml", "FORMAT:FILE")],
)
def test_a_bad_report_target_is_a_usage_error_before_sending(
    httpserver: HTTPServer, invoke: Invoke, target: str, message: str
) -> None:
    result = invoke("get", _serve(httpserver), "--report", target)
    assert result.code == ExitCode.USAGE
    assert message.lower() in result.stderr.lower()
    assert httpserver.log == []


def test_a_file_that_is_not_a_report_is_left_alone(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    precious = tmp_path / "notes.xml"
    precious.write_text("<notes><note>keep me</note></notes>")
    result = invoke("get", _serve(httpserver), "-o", "/dev/null", "--report", f"junit:{precious}")
    assert result.code == ExitCode.USAGE
    assert precious.read_text() == "<notes><note>keep me</note></notes>"


def test_a_passing_schema_is_a_named_check(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text('{"type": "object", "required": ["id"]}')
    lines = tmp_path / "r.jsonl"
    result = invoke("get", _serve(httpserver), "-o", "/dev/null", "--schema", str(schema), "--report", f"json:{lines}")
    assert result.code == 0
    (record,) = json_report(lines)
    assert record["checks"] == [
        {"name": "status in 2xx", "passed": True, "message": None},
        {"name": "schema", "passed": True, "message": None},
    ]
