"""Hostile table: event streams (SSE) and NDJSON records from a server that means harm.

Each row runs the installed apicli against the loopback fault server: fields with control bytes,
non-ASCII and absurd values, lines that never end, streams that never end, records that are
huge, deep, not UTF-8 or not JSON. A stream is read record by record, so memory stays bounded
whatever the server sends; a record that is not JSON is reported one way everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.faults import Exchange, FaultServer, Reply
from tests.hostile.harness import assert_clean, run

SSE = (("Content-Type", "text/event-stream"),)
NDJSON = (("Content-Type", "application/x-ndjson"),)
WIDE = "1" * 4401  # an integer Python's int() refuses to read
DEEP = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class Endless:
    """The head, an optional start, then `piece` again and again until `budget` bytes or the client leaves."""

    headers: tuple[tuple[str, str], ...]
    piece: bytes
    start: bytes = b""
    budget: int = 512 * 1024 * 1024

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [*self.headers, ("Connection", "close")])
        sent = 0
        try:
            exchange.send(self.start)
            while sent < self.budget:
                exchange.send(self.piece)
                sent += len(self.piece)
        except OSError:
            return  # the client went away: what a well-bounded client does


@dataclass(frozen=True)
class Dropped:
    """A reply whose connection is reset after its body: a stream that breaks."""

    reply: Reply

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(self.reply.status, [(k, v) for k, v in self.reply.head() if k != "Content-Length"])
        exchange.send(self.reply.payload)
        exchange.reset()


@dataclass(frozen=True)
class Row:
    name: str
    behaviours: tuple[object, ...]
    args: tuple[str, ...]
    code: int
    stderr_has: tuple[str, ...] = ()
    stdout: bytes | None = None
    bounded: bool = False
    seconds: float = 20.0
    lines: list[object] | None = field(default=None)  # stdout as JSON lines
    env: tuple[tuple[str, str], ...] = (("NO_COLOR", "1"),)


def sse(body: bytes) -> Reply:
    return Reply(200, SSE, body)


def records(body: bytes) -> Reply:
    return Reply(200, NDJSON, body)


DONE = b"data: [DONE]\n\n"
EVENTS = ("--events",)

ROWS = [
    # SSE fields
    Row("control bytes in data, name and id", (sse(b"event: a\x1bb\nid: x\x01y\ndata: \x1b]0;t\x07hi\n\n" + DONE),),
        EVENTS, 0, lines=[{"event": "a\x1bb", "id": None, "data": "\x1b]0;t\x07hi"}]),
    Row("B20: retry with 5,000 digits, then a drop",
        (Dropped(sse(b"retry: " + b"9" * 5000 + b"\nid: 1\ndata: 1\n\n")), sse(b"id: 2\ndata: 2\n\n" + DONE)),
        (*EVENTS, "--retries", "1", "--retry-max-wait", "0"), 0, ("reconnecting, 1 of 1",)),
    Row("B20: retry that is not a number", (Dropped(sse(b"retry: 1e3\nretry: -5\ndata: 1\n\n")), sse(DONE)),
        (*EVENTS, "--retries", "1", "--backoff", "0"), 0, ("reconnecting, 1 of 1, in 0 s",)),
    Row("B21: a non-ASCII id, then a drop", (Dropped(sse("id: €\ndata: 1\n\n".encode())), sse(DONE)),
        (*EVENTS, "--retries", "1", "--retry-max-wait", "0"), 0, lines=[{"event": "message", "id": "€", "data": 1}]),
    Row("B21: an id holding NUL is ignored", (Dropped(sse(b"id: 7\ndata: 1\n\nid: a\x00b\ndata: 2\n\n")), sse(DONE)),
        (*EVENTS, "--retries", "1", "--retry-max-wait", "0"), 0),
    Row("B22: retry: 99999999999 capped by --retry-max-wait",
        (Dropped(sse(b"retry: 99999999999\ndata: 1\n\n")), sse(DONE)),
        (*EVENTS, "--retries", "1", "--retry-max-wait", "0.1"), 0, ("in 0.1 s (the stream's retry:, capped",),
        seconds=8),
    Row("B22: a retry: past --max-time gives up at once",
        (Dropped(sse(b"retry: 99999999999\ndata: 1\n\n")), sse(DONE)),
        (*EVENTS, "--retries", "1", "--max-time", "3"), 7, seconds=3),
    Row("non-ASCII and invalid UTF-8 in data", (sse("data: café \xff\n\n".encode("latin-1") + DONE),), EVENTS, 0),
    Row("a huge field", (sse(b"event: " + b"e" * (2 << 20) + b"\ndata: 1\n\n"),), EVENTS, 2,
        ("a line is longer than 1048576 bytes",), bounded=True),
    Row("an event's data past the cap", (sse(b"data: xxxxxxxx\n" * 200_000 + b"\n"),), EVENTS, 2,
        ("an event's data is longer than",), bounded=True),
    Row("an endless line", (Endless(SSE, b"x" * 65536, start=b"data: "),), EVENTS, 2,
        ("a line is longer than",), bounded=True),
    Row("endless events", (Endless(SSE, b'data: {"n": 1}\n\n'),), (*EVENTS, "--max-time", "2"), 8,
        ("--max-time",), bounded=True, seconds=8),
    Row("endless events, each with a long new id",
        (Endless(SSE, b"id: " + b"i" * 500_000 + b"\ndata: 1\n\n", budget=300 * 500_000),),
        (*EVENTS, "--jq", ".data"), 0, bounded=True, seconds=60),
    Row("endless events through --jq", (Endless(SSE, b'data: {"n": 1}\n\n'),), ("--jq", ".n", "--max-time", "2"), 8,
        ("--max-time",), bounded=True, seconds=8),
    Row("B24: a wide integer embedded exactly", (sse(b'data: {"n": ' + WIDE.encode() + b"}\n\n" + DONE),), EVENTS,
        0, stdout=b'{"event":"message","id":null,"data":{"n":' + WIDE.encode() + b"}}\n"),
    Row("B24: a wide integer through --jq", (sse(b'data: {"n": ' + WIDE.encode() + b"}\n\n" + DONE),),
        ("--jq", ".n"), 0, stdout=WIDE.encode() + b"\n"),
    Row("deep data", (sse(b"data: " + DEEP.encode() + b"\n\n" + DONE),), ("--jq", "."), 2,
        ("an event's data is nested deeper than 1024 levels",), bounded=True),
    # NDJSON records
    Row("B24: a wide integer under --until", (records(b'{"id": 1, "n": ' + WIDE.encode() + b"}\n"),),
        ("--until", ".id == 1"), 0, stdout=b'{"id":1,"n":' + WIDE.encode() + b"}\n"),
    Row("B24: a wide integer through --jq", (records(b'{"n": ' + WIDE.encode() + b"}\n"),), ("--jq", ".n"), 0,
        stdout=WIDE.encode() + b"\n"),
    Row("B24: a wide integer with --pretty", (records(b'{"n": ' + WIDE.encode() + b"}\n"),), ("--pretty",), 0,
        stdout=b'{\n  "n": ' + WIDE.encode() + b"\n}\n"),
    Row("B24: not JSON under --until", (records(b'{"id": 0}\nhello\n'),), ("--until", ".id == 1"), 2,
        ("apicli: record 2 is not JSON",), stdout=b'{"id":0}\n'),
    Row("B24: not JSON through --jq", (records(b'{"id": 0}\nhello\n'),), ("--jq", ".id"), 2,
        ("apicli: record 2 is not JSON",), stdout=b"0\n"),
    Row("B24: not JSON with --pretty", (records(b'{"id": 0}\nhello\n'),), ("--pretty",), 2,
        ("apicli: record 2 is not JSON",)),
    Row("invalid UTF-8", (records(b'{"s": "\xff"}\n'),), ("--jq", "."), 2, ("apicli: record 1 is not JSON",)),
    Row("deep nesting", (records(DEEP.encode() + b"\n"),), ("--jq", "."), 2,
        ("record 1 is nested deeper than 1024 levels",), bounded=True),
    Row("a huge record", (records(b'["' + b"x" * (20 << 20) + b'"]\n'),), ("--jq", "length"), 2,
        ("record 1 is longer than 16 MiB",), bounded=True),
    Row("an endless line", (Endless(NDJSON, b"x" * 65536),), ("--jq", "."), 2, ("record 1 is longer than 16 MiB",),
        bounded=True),
    Row("endless records", (Endless(NDJSON, b'{"n": 1}\n' * 1000),), ("--jq", ".n", "--max-time", "2"), 8,
        ("--max-time",), bounded=True, seconds=8),
    Row("a record of control bytes on --pretty", (records(b'{"s": "\\u001b]0;t\\u0007"}\n'),), ("--pretty",), 0,
        stdout=b'{\n  "s": "\\u001b]0;t\\u0007"\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile_streams(row: Row, fault_server: FaultServer) -> None:
    fault_server.script("/s", list(row.behaviours))  # type: ignore[arg-type]
    outcome = run(["get", fault_server.url("/s"), *row.args], env=dict(row.env), timeout=row.seconds + 10)
    assert_clean(outcome, row.code, stderr_has=row.stderr_has, bounded=row.bounded)
    assert outcome.seconds < row.seconds, outcome.describe()
    if row.stdout is not None:
        assert outcome.stdout == row.stdout, outcome.describe()
    if row.lines is not None:
        assert [json.loads(line) for line in outcome.stdout.splitlines()] == row.lines, outcome.describe()


def test_a_non_ascii_id_goes_back_as_its_utf8_bytes(fault_server: FaultServer) -> None:
    fault_server.script("/s", [Dropped(sse("id: €\ndata: 1\n\n".encode())), sse(DONE)])
    outcome = run(["get", fault_server.url("/s"), "--events", "--retries", "1", "--retry-max-wait", "0"])
    assert_clean(outcome, 0)
    second = fault_server.requests_for("/s")[1]
    assert second.headers["Last-Event-ID"] == "€".encode().decode("latin-1")  # the wire's bytes, as latin-1


def test_an_id_with_nul_is_not_sent_back(fault_server: FaultServer) -> None:
    fault_server.script("/s", [Dropped(sse(b"id: 7\ndata: 1\n\nid: a\x00b\ndata: 2\n\n")), sse(DONE)])
    outcome = run(["get", fault_server.url("/s"), "--events", "--retries", "1", "--retry-max-wait", "0"])
    assert_clean(outcome, 0)
    assert fault_server.requests_for("/s")[1].headers["Last-Event-ID"] == "7"
