"""Hostile batch input (and bodies): control bytes, non-ASCII, huge, endless, deep, malformed lines.

Each row runs the installed apicli's batch on stdin against a loopback server and asserts its exit
code, its one `apicli:` line, the result lines it wrote, and (for the huge kinds) its peak memory.
A bad line fails alone: the lines around it are still sent.
"""

from __future__ import annotations

import json

import pytest

from tests.faults import FaultServer, Reply
from tests.faults.behaviours import json_reply
from tests.hostile.harness import assert_clean, run

MIB = 1 << 20
OK_LINE = b'{"url": "/ok", "id": "ok"}\n'

# (input between two good lines, exit code, the middle result's error message or None, bounded)
LINE_ROWS = [
    pytest.param(b'{"url": "/ok\\u0000x"}', 11, 'line 2: "url" holds whitespace or a control character', False,
                 id="nul-in-url"),
    pytest.param(b'{"url": "/ok", "headers": {"X": "a\\r\\nB: c"}}', 11,
                 "line 2: the X header holds a control character", False, id="crlf-in-header"),
    pytest.param(b"/ok\x1b[31m", 11, "line 2 is neither a JSON object nor a URL", False, id="escape-in-url"),
    pytest.param("/ok?name=Zoë&city=東京".encode(), 0, None, False, id="non-ascii-url"),
    pytest.param('{"url": "/ok", "headers": {"X-Name": "Zoë"}}'.encode(), 0, None, False, id="non-ascii-header"),
    pytest.param(b"\xff\xfe/ok", 11, "line 2 is not UTF-8 text", False, id="not-utf8"),
    pytest.param(b'{"url": "/ok", "json": "' + b"x" * (4 * MIB) + b'"}', 11, "line 2 is larger than 1 MiB", True,
                 id="huge-line"),
    pytest.param(b'{"url": "/ok", "json": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", 11,
                 "line 2: the JSON nests deeper than 1024 levels", True, id="deep-line"),
    pytest.param(b'{"url": "/ok", "json": {"a": }', 11, "line 2: not JSON (Expecting value at column 30)", False,
                 id="malformed-json"),
    pytest.param(b'{"url": "/ok", "json": NaN}', 11, "line 2: NaN is not JSON", False, id="nan"),
    pytest.param(b'{"url": "/ok", "json": ["\\ud800", 1.10, ' + b"9" * 5000 + b"]}", 0, None, False,
                 id="lone-surrogate-and-long-numbers"),
    pytest.param(b'{"url": "/ok", "data": {"base64": "***"}}', 11, 'line 2: "data": {"base64": …} is not valid base64',
                 False, id="bad-base64"),
    pytest.param(b'{"url": "/ok", "method": "GET /x HTTP/1.1"}', 11, 'line 2: "method" must be an HTTP method such as '
                 '"POST"', False, id="method-injection"),
]  # fmt: skip


@pytest.mark.parametrize(("middle", "code", "message", "bounded"), LINE_ROWS)
def test_hostile_lines(fault_server: FaultServer, middle: bytes, code: int, message: str | None, bounded: bool) -> None:
    fault_server.script("/ok", json_reply({"ok": True}))
    stdin = OK_LINE + middle + b"\n" + OK_LINE
    outcome = run(["batch", "--base-url", fault_server.url(), "--retries", "0"], stdin=stdin)
    assert_clean(outcome, code, stderr_has="apicli: batch: 3 requests", bounded=bounded)
    first, second, third = (json.loads(line) for line in outcome.stdout.splitlines())
    assert first["ok"] and third["ok"], outcome.describe()
    assert second["line"] == 2
    if message is None:
        assert second["ok"] and second["status"] == 200, outcome.describe()
    else:
        assert second["error"] == {"kind": "input", "message": message}, outcome.describe()


def test_endless_line_costs_its_limit(fault_server: FaultServer) -> None:
    fault_server.script("/ok", json_reply({"ok": True}))
    outcome = run(["batch", "--base-url", fault_server.url()], stdin=OK_LINE + b"a" * (96 * MIB), timeout=60)
    assert_clean(outcome, 11, stderr_has="failed line 2", bounded=True)
    first, second = (json.loads(line) for line in outcome.stdout.splitlines())
    assert first["ok"] and second["error"]["message"] == "line 2 is larger than 1 MiB"


def test_many_bad_lines_in_constant_memory() -> None:
    """Each bad line has its result and nothing accumulates (the benchmark runs 100,000 good ones)."""
    outcome = run(["batch"], stdin=b'{"id": 1}\n' * 20_000, timeout=120)
    assert_clean(outcome, 11, stderr_has="20000 requests: 0 ok, 20000 failed (20000 input)", bounded=True)
    assert outcome.stdout_size > 20_000 * 150


def test_huge_body_fails_its_request_alone(fault_server: FaultServer) -> None:
    fault_server.script("/ok", json_reply({"ok": True}))
    fault_server.script("/huge", Reply(200, [("Content-Type", "application/json")], b"[" + b"1," * (10 * MIB) + b"1]"))
    stdin = OK_LINE + b'{"url": "/huge"}\n' + OK_LINE
    outcome = run(["batch", "--base-url", fault_server.url(), "--parallel", "1"], stdin=stdin, timeout=60)
    assert_clean(outcome, 11, stderr_has="1 response", bounded=True)
    first, second, third = (json.loads(line) for line in outcome.stdout.splitlines())
    assert second["error"] == {"kind": "response", "message": "a body in a batch result is larger than 16 MiB"}
    assert first["ok"] and third["ok"]
