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
