"""End-to-end: --assert, --expect-status and --report on `apicli batch`, a check per result."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from apicli.errors import ExitCode
from tests.conftest import Invoke
from tests.unit.test_testreport import json_report, junit_report


def _serve(server: HTTPServer) -> str:
    for user in (1, 2):
        server.expect_request(f"/users/{user}").respond_with_json({"id": user, "name": f"u{user}"})
    server.expect_request("/gone").respond_with_data('{"error": "gone"}', status=404, content_type="application/json")
    return server.url_for("")


def _results(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def test_asserts_fail_only_their_own_results(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    base = _serve(httpserver)
    lines = b"/users/1\n/users/2\n"
    result = invoke("batch", "--base-url", base, "--assert", ".id == 1", "--assert", "$status == 200",
                    "--assert", '$headers["content-type"] == "application/json"', stdin=lines)  # fmt: skip
    assert result.code == ExitCode.BATCH_FAILED
    first, second = _results(result.stdout)
    assert first["ok"] is True
    assert second["ok"] is False
    assert second["error"] == {"kind": "assertion", "message": "assertion failed: .id == 1 (.id is 2)"}
    assert "1 failed (1 assertion)" in result.stderr


def test_expected_statuses_succeed_and_others_fail(httpserver: HTTPServer, invoke: Invoke) -> None:
    base = _serve(httpserver)
    result = invoke("batch", "--base-url", base, "--expect-status", "404", stdin=b"/gone\n/users/1\n")
    assert result.code == ExitCode.BATCH_FAILED
    gone, found = _results(result.stdout)
    assert (gone["ok"], gone["status"]) == (True, 404)
    assert found["ok"] is False and "is not an expected status" in str(found["error"])


def test_a_report_has_a_case_per_result(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    base = _serve(httpserver)
    xml, lines = tmp_path / "batch.xml", tmp_path / "batch.jsonl"
    result = invoke("batch", "--base-url", base, "--assert", ".id == 1", "--report", f"junit:{xml}",
                    "--report", f"json:{lines}", stdin=b"/users/1\n/users/2\n/gone\n")  # fmt: skip
    assert result.code == ExitCode.BATCH_FAILED
    (suite,) = list(junit_report(xml))
    assert (suite.tests, suite.failures, suite.errors) == (3, 2, 0)
    cases = json_report(lines)
    assert [case["passed"] for case in cases] == [True, False, False]
    assert [case["status"] for case in cases] == [200, 200, 404]


def _schema(tmp_path: Path) -> Path:
    path = tmp_path / "user.json"
    path.write_text(json.dumps({"type": "object", "required": ["id", "name"], "properties": {"id": {"const": 1}}}))
    return path


def test_a_body_that_breaks_the_schema_fails_its_result(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    base = _serve(httpserver)
    httpserver.expect_request("/text").respond_with_data("hello", content_type="text/plain")
    stdin = b"/users/1\n/users/2\n/gone\n/text\n"
    result = invoke("batch", "--base-url", base, "--parallel", "1", "--schema", str(_schema(tmp_path)), stdin=stdin)
    assert result.code == ExitCode.BATCH_FAILED
    first, second, gone, text = _results(result.stdout)
    assert first["ok"] is True and "error" not in first
    assert second["ok"] is False and second["body"] == {"id": 2, "name": "u2"}
    assert second["error"] == {"kind": "schema", "message": "schema: $.id: 1 was expected"}
    assert gone["error"]["kind"] == "http"  # type: ignore[index]
    assert text["error"] == {
        "kind": "schema",
        "message": "schema: $: the response body is not JSON (Expecting value: line 1 column 1 (char 0))",
    }
    assert "4 requests: 1 ok, 3 failed (1 http 404, 2 schema)" in result.stderr
    assert "failed lines 2, 3, 4" in result.stderr


def test_a_report_names_the_schema_check_of_each_case(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    base = _serve(httpserver)
    report = tmp_path / "batch.jsonl"
    result = invoke("batch", "--base-url", base, "--parallel", "1", "--schema", str(_schema(tmp_path)),
                    "--report", f"json:{report}", stdin=b"/users/1\n/users/2\n/gone\n")  # fmt: skip
    assert result.code == ExitCode.BATCH_FAILED
    cases = json_report(report)
    assert [case["passed"] for case in cases] == [True, False, False]
    checks = [[(check["name"], check["passed"]) for check in case["checks"]] for case in cases]  # type: ignore[union-attr]
    assert checks == [
        [("status in 2xx", True), ("schema", True)],
        [("status in 2xx", True), ("schema", False)],
        [("status in 2xx", False)],
    ]
    assert cases[1]["checks"][1]["message"] == "schema: $.id: 1 was expected"  # type: ignore[index]


def test_captures_go_into_each_result(httpserver: HTTPServer, invoke: Invoke) -> None:
    base = _serve(httpserver)
    httpserver.expect_request("/numbers").respond_with_data('{"id": 3, "price": 1.10}', content_type="application/json")
    result = invoke("batch", "--base-url", base, "--parallel", "1", "--capture", "user=.name // empty",
                    "--capture", "id=.id", "--capture", "price=.price", "--capture", "code=$status",
                    stdin=b"/users/1\n/gone\n/numbers\n")  # fmt: skip
    assert result.code == ExitCode.BATCH_FAILED
    first, gone, numbers = _results(result.stdout)
    assert first["captures"] == {"user": "u1", "id": "1", "price": "null", "code": "200"}
    assert "captures" not in gone
    assert numbers["ok"] is False and "captures" not in numbers
    assert numbers["error"] == {"kind": "capture", "message": "--capture user: .name // empty produced no value"}
    assert result.stdout.splitlines()[0].index(b'"captures"') < result.stdout.splitlines()[0].index(b'"body"')
    assert "1 capture" in result.stderr


def test_captures_with_jq_and_a_report(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    base = _serve(httpserver)
    report = tmp_path / "r.jsonl"
    result = invoke("batch", "--base-url", base, "--capture", "name=.name", "--report", f"json:{report}",
                    "--jq", ".captures.name", "-r", stdin=b"/users/1\n/users/2\n")  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stdout == b"u1\nu2\n"
    assert [[check["name"] for check in case["checks"]] for case in json_report(report)] == [  # type: ignore[union-attr]
        ["status in 2xx", "capture name"],
        ["status in 2xx", "capture name"],
    ]


def test_capture_files_and_secrets_are_refused_with_where_captures_go(invoke: Invoke) -> None:
    for flag, value in (("--capture-file", "vars.sh"), ("--capture-secret", "token=.token")):
        result = invoke("batch", "--base-url", "http://127.0.0.1:9/", "--capture", "id=.id", flag, value, stdin=b"/x\n")
        assert result.code == ExitCode.USAGE
        assert result.stderr.startswith(
            f"apicli: batch does not take {flag}\nhint: a batch writes each result's captures into its own line"
        )
        assert result.stdout == b""


def test_an_answer_without_a_body_has_no_schema_to_meet(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/none").respond_with_data("", status=204)
    result = invoke("batch", "--base-url", httpserver.url_for(""), "--schema", str(_schema(tmp_path)),
                    stdin=b'/none\n{"url": "/none", "method": "HEAD"}\n')  # fmt: skip
    assert result.code == 0, result.stderr
    assert [item["ok"] for item in _results(result.stdout)] == [True, True]
