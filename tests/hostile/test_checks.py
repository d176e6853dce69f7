"""Hostile table: --assert and --capture on control bytes, non-ASCII, huge, endless, deep and malformed answers.

Each row runs the installed apicli against the loopback fault server, with its memory sampled.
Asserts and captures read the body through the same bounded read as --jq, and evaluate in the
same jq child, so the same caps hold; what a server controls reaches stderr only made visible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply
from tests.faults.wire import Exchange
from tests.hostile.harness import assert_clean, run

JSON = (("Content-Type", "application/json"),)
ESCAPES = "\x1b]0;owned\x07\x1b[31mred\x1b[0m"
HUGE = json.dumps({"s": "x" * 60_000_000}).encode()  # past the 48 MiB a body read whole may have
BIG_VALUE = json.dumps({"s": "y" * 2_000_000}).encode()  # past the 1 MiB a capture keeps
DEEP = b'{"a":' * 20_000 + b"1" + b"}" * 20_000


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]
    body: bytes
    code: int
    stderr_has: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = JSON
    bounded: bool = False
    captured: str | None = None  # what the capture file must hold afterwards ("" for: no file)


ROWS = [
    Row("control bytes in a compared value", ("--assert", '.s == "plain"'), json.dumps({"s": ESCAPES}).encode(), 10,
        ('(.s is "\\u001b]0;owned\\u0007',)),
    Row("control bytes in a header", ("--assert", '$headers["x-evil"] == "a"'), b"{}", 10,
        ("is \"\\u001b]0;owned\\u0007",), headers=(*JSON, ("X-Evil", ESCAPES))),
    Row("control bytes in a jq error", ("--assert", ".s | error"), json.dumps({"s": ESCAPES}).encode(), 10,
        ("assertion error: .s | error: \\x1b]0;owned",)),
    Row("control bytes captured as data", ("--capture", "s=.s"), json.dumps({"s": ESCAPES}).encode(), 0,
        captured=f"s='{ESCAPES}'\n"),
    Row("non-ASCII sides", ("--assert", '.s == "é"'), json.dumps({"s": "日本語 ünï"}, ensure_ascii=False).encode(), 10,
        ('(.s is "日本語 ünï")',)),
    Row("a huge body", ("--assert", ".s | length > 0"), HUGE, 1, ("larger than 48 MiB",), bounded=True),
    Row("a huge capture", ("--capture", "s=.s"), BIG_VALUE, 1, ("larger than 1 MiB",), bounded=True, captured=""),
    Row("a deep body is not a document", ("--assert", ". == null", "--assert", "$status == 200"), DEEP, 0,
        bounded=True),
    Row("malformed JSON is not a document", ("--assert", ".a == 1"), b'{"a": 1', 10, ("(.a is null)",)),
    Row("an assert that loops", ("--assert", "def f: f; f", "--max-time", "2"), b"{}", 8, ("--max-time",),
        bounded=True),
    Row("an assert past jq's memory cap", ("--assert", "[range(1e9)] | length > 0"), b"{}", 1,
        ("the cap on jq's memory",), bounded=True),
    Row("a capture of endless results", ("--capture", "n=repeat(1)"), b"{}", 0, captured="n='1'\n"),
    Row("a message with control bytes", ("--assert", ". == 1  # \x1b[2Jclear"), b"2", 10, ("\\x1b[2Jclear",)),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile_checks(row: Row, fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/body", Reply(200, row.headers, row.body))
    target = tmp_path / "vars.sh"
    capture_file = ("--capture-file", str(target)) if row.captured is not None else ()
    outcome = run(["get", fault_server.url("/body"), "-o", "/dev/null", *row.args, *capture_file], timeout=60)
    assert_clean(outcome, row.code, stderr_has=row.stderr_has, bounded=row.bounded)
    if row.captured == "":
        assert not target.exists()
    elif row.captured is not None:
        assert target.read_text() == row.captured


class EndlessBody:
    """A 200 whose chunked JSON array never ends (it stops after about 200 MB if nobody hangs up)."""

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
        piece = b"[" + b"1," * 32_000
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        for _ in range(3_000):
            try:
                exchange.send(chunk)
            except OSError:
                return


def test_an_endless_body_is_cut_at_the_bound(fault_server: FaultServer) -> None:
    fault_server.script("/endless", EndlessBody())
    outcome = run(["get", fault_server.url("/endless"), "--assert", "length > 0"], timeout=90)
    assert_clean(outcome, 1, stderr_has="larger than 48 MiB", bounded=True)
    assert outcome.stdout == b""
