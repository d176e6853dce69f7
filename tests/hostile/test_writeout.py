"""Hostile -w/--write-out: what a server controls, written into a pipe as sent (curl's behaviour), and huge values.

The terminal side (escape sequences spelled out on stdout and stderr, whatever the body's
destination) is in tests/process/test_terminal_safety.py, which runs apicli on a pty.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply
from tests.hostile.harness import assert_clean, run

EVIL = "v\x1b]0;PWNED\x07\x1b[31m\x9b2J\xe9"  # escapes, a C1 byte and a Latin-1 byte, as a header carries them


def _layers(count: int) -> Reply:
    body = b"{}"
    for _ in range(count):
        body = gzip.compress(body, 1)
    return Reply(200, [("Content-Encoding", ", ".join(["gzip"] * count))], body)


# (reply, -w format, exit code, stdout after the body, stderr has)
ROWS = [
    pytest.param(
        Reply(200, [("X-Evil", EVIL)], b""), "%header{X-Evil}", 0, EVIL.encode("latin-1"), (), id="header-bytes"
    ),
    pytest.param(
        Reply(200, [("Content-Type", "text/plain" + EVIL)], b""),
        "%{content_type}",
        0,
        ("text/plain" + EVIL).encode("latin-1"),
        (),
        id="content-type-bytes",
    ),
    pytest.param(
        Reply(500, [], b"", reason="Oops" + EVIL),
        "%{errormsg}",
        5,
        b"HTTP 500 Oops" + EVIL.encode("latin-1"),
        "apicli: HTTP 500",
        id="errormsg-reason",
    ),
    pytest.param(
        _layers(1500),
        "%{errormsg}|%{exitcode}",
        7,
        b"the response's Content-Encoding stacks 1500",
        "stacks",
        id="errormsg-layers",
    ),
    pytest.param(
        Reply(200, [("X-Huge", "h" * 60_000)], b""), "%header{X-Huge}", 0, b"h" * 60_000, (), id="huge-header"
    ),
]


@pytest.mark.parametrize(("reply", "write_out", "code", "expected", "stderr_has"), ROWS)
def test_write_out_into_a_pipe(
    fault_server: FaultServer, tmp_path: Path, reply: Reply, write_out: str, code: int, expected: bytes, stderr_has: str
) -> None:
    fault_server.script("/w", reply)
    args = ["get", fault_server.url("/w"), "--retries", "0", "-o", str(tmp_path / "body"), "-w", write_out]
    outcome = run(args)
    assert_clean(outcome, code, stderr_has=stderr_has)
    assert outcome.stdout.startswith(expected), outcome.describe()


def test_header_json_of_thousands_of_hostile_headers_is_json(fault_server: FaultServer, tmp_path: Path) -> None:
    headers = [(f"X-H{n}", EVIL) for n in range(2000)]
    fault_server.script("/w", Reply(200, headers, b""))
    outcome = run(["get", fault_server.url("/w"), "-o", str(tmp_path / "body"), "-w", "%{header_json}"])
    assert_clean(outcome, 0, bounded=True)
    grouped = json.loads(outcome.stdout.decode("utf-8", "surrogateescape"))
    assert grouped["x-h1999"] == [EVIL.encode("latin-1").decode("utf-8", "surrogateescape")]


def test_a_format_file_past_its_limit_is_refused(fault_server: FaultServer, tmp_path: Path) -> None:
    big = tmp_path / "format"
    big.write_bytes(b"%{http_code}" * 10_000)
    outcome = run(["get", fault_server.url("/w"), "-w", f"@{big}"])
    assert_clean(outcome, 2, stderr_has=["for '-w @", "is larger than 64 KiB"])
