"""Hostile batch input (and bodies): control bytes, non-ASCII, huge, endless, deep, malformed lines.

Each row runs the installed apicli's batch on stdin against a loopback server and asserts its exit
code, its one `apicli:` line, the result lines it wrote, and (for the huge kinds) its peak memory.
A bad line fails alone: the lines around it are still sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply
from tests.faults.behaviours import json_reply
from tests.hostile.harness import assert_clean, run
from tests.process.conftest import run_on_terminal

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


# --capture and --schema on what the server sends: control bytes, non-ASCII, huge, deep.
HOSTILE_TEXT = "a\x1b]0;PWN\x07\x85b Zoë 東京"
SCHEMA = b'{"type": "object", "properties": {"v": {"type": "string"}}}'
CHECK_ROWS = [
    pytest.param(json.dumps({"v": HOSTILE_TEXT}).encode(), None, False, id="controls-and-non-ascii"),
    pytest.param(json.dumps({"v": "x" * (2 * MIB)}).encode(),
                 ("capture", "--capture v: the value is larger than 1 MiB"), True, id="huge-value"),
    pytest.param(b'{"v": ' + b"[" * 5000 + b"]" * 5000 + b"}", ("schema", "schema: $: "), True, id="deep-body"),
    pytest.param(b'{"v": 7}', ("schema", "schema: $.v: 7 is not of type 'string'"), False, id="schema-mismatch"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "failure", "bounded"), CHECK_ROWS)
def test_hostile_bodies_under_capture_and_schema(
    fault_server: FaultServer, tmp_path: Path, body: bytes, failure: tuple[str, str] | None, bounded: bool
) -> None:
    fault_server.script("/doc", Reply(200, [("Content-Type", "application/json")], body))
    schema = tmp_path / "schema.json"
    schema.write_bytes(SCHEMA)
    args = ["batch", "--base-url", fault_server.url(), "--capture", "v=.v", "--schema", str(schema)]
    args += ["--jq", "{ok, error, captures}"]  # the result without its body
    outcome = run(args, stdin=b'{"url": "/doc"}\n', timeout=60)
    assert_clean(outcome, 0 if failure is None else 11, stderr_has="apicli: batch: 1 request", bounded=bounded)
    (result,) = (json.loads(line) for line in outcome.stdout.splitlines())
    if failure is None:
        assert result["ok"] and result["captures"] == {"v": HOSTILE_TEXT}, outcome.describe()
    else:
        assert result["captures"] is None and result["error"]["kind"] == failure[0], outcome.describe()
        assert result["error"]["message"].startswith(failure[1]), outcome.describe()


def test_a_captured_value_reaches_a_terminal_escaped(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/doc", json_reply({"v": HOSTILE_TEXT}))
    lines = tmp_path / "lines.ndjson"
    lines.write_bytes(b'{"url": "/doc"}\n')
    shown = run_on_terminal(["batch", str(lines), "--base-url", fault_server.url(), "--capture", "v=.v"])
    assert shown.code == 0
    # The captured value (written with its ë as is; the body embeds it as \u00eb), controls escaped.
    assert '"a\\u001b]0;PWN\\u0007\\u0085b Zoë'.encode() in shown.screen
    assert b"\x1b]" not in shown.screen and b"\xc2\x85" not in shown.screen and b"\x07" not in shown.screen
