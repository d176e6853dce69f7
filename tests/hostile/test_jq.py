"""Hostile table: --jq and --until programs that loop, grow or recurse, on huge and deep inputs.

Every row runs the installed apicli against the loopback fault server. A program whose cost is
not provably small runs in the jq child, which --max-time, Ctrl-C and the memory cap can stop;
halt and halt_error end the run as `apicli help exit-codes` says.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest

from tests.faults import FaultServer, Reply
from tests.hostile.harness import APICLI, assert_clean, run

JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}
NUMBERS = json.dumps(list(range(50_000))).encode()  # 309 KB, as in the issue
SMALL = b'{"a": [1, 2, 3], "s": "text"}'
DEEP = b"[" * 100_000 + b"]" * 100_000
# Strings, not numbers: libjq holds a string in about its size (a small number takes ~100 bytes).
HUGE = json.dumps(["x" * 1000] * 80_000).encode()  # 80 MB, past the 48 MiB a body may have for --jq
# Streamed selections (PATH[] | REST): an element at a time, whatever the body's size.
BROKEN_MIDWAY = b'{"items": [' + b",".join(b'{"id": %d}' % n for n in range(3)) + b', {"id": 3,]}'
HUGE_ELEMENT = b'[1, "' + b"x" * (20 * 1024 * 1024) + b'"]'


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]
    body: bytes
    code: int
    stderr_has: tuple[str, ...] = ()
    stdout: bytes | None = None
    bounded: bool = False
    seconds: float = 20.0  # the row fails if apicli takes longer
    headers: tuple[tuple[str, str], ...] = tuple(JSON.items())


ROWS = [
    # B18: compositions the scanner once called brief ran in-process, deaf to --max-time and signals
    Row("nested bindings past --max-time", ("--jq", ".[] as $a | .[] as $b | .[] as $c | empty", "--max-time", "2"),
        NUMBERS, 8, ("--max-time",), bounded=True, seconds=8),
    Row("nested bindings in --until", ("--until", ".[] as $a | .[] as $b | .[] as $c | false", "--max-time", "2"),
        NUMBERS, 8, ("--until",), bounded=True, seconds=8),
    Row("a product in select", ("--jq", "select(.[] >= 0) | tojson | length", "--max-time", "2"), NUMBERS, 8,
        ("--max-time",), bounded=True, seconds=8),
    Row("a cartesian sum", ("--jq", "[.[] + .[]] | length", "--max-time", "2"), NUMBERS, 8, ("--max-time",),
        bounded=True, seconds=8),
    Row("tojson chains", ("--jq", "tojson|" * 30 + "length", "--max-time", "3"), NUMBERS, 8, ("--max-time",),
        bounded=True, seconds=10),
    # programs that loop, grow or recurse, in the child
    Row("a loop", ("--jq", "def f: f; f", "--max-time", "2"), SMALL, 8, ("--max-time",), bounded=True, seconds=8),
    # Endless results pass through as libjq writes them (as the jq command's would), memory bounded.
    Row("endless results", ("--jq", "repeat(.)", "--max-time", "3"), SMALL, 8, ("--max-time",), bounded=True,
        seconds=15),
    Row("constant folding past its cap", ("--jq", '"x" * 2e9 | length'), SMALL, 2,
        ("--jq: the program's constant expressions need more than 64 MiB",), bounded=True),
    Row("constant folding in --until", ("--until", '"x" * 2e9 | length > 0'), SMALL, 2,
        ("--until: the program's constant expressions",), bounded=True),
    Row("doubling past the memory cap", ("--jq", 'reduce range(40) as $i ("x"; . + .) | length'), SMALL, 1,
        ("of memory, the cap on jq's memory",), bounded=True),
    Row("recursion past the memory cap", ("--jq", "def f: [f, f]; f"), SMALL, 1,
        ("of memory, the cap on jq's memory",), bounded=True),
    # huge and deep inputs
    Row("a body past the limit", ("--jq", "length"), HUGE, 1, ("larger than 48 MiB",), bounded=True),
    Row("deep nesting", ("--jq", "."), DEEP, 2, ("--jq: the response is not JSON",), bounded=True),
    Row("deep nesting in --until", ("--until", ".", "--max-time", "1"), DEEP, 8, ("--until: not met",),
        bounded=True, seconds=8),
    # streamed selections: huge, endless, deep, malformed, control bytes, non-ASCII
    Row("a selection on a body past the whole-body limit", ("--jq", ".[] | length"), HUGE, 0,
        stdout=b"1000\n" * 80_000, bounded=True, seconds=60),
    Row("a selection that never ends", ("--jq", ".[] | repeat(.)", "--max-time", "2"), b"[1, 2]", 8,
        ("--max-time",), bounded=True, seconds=8),
    Row("a selection broken midway", ("--jq", ".items[] | .id"), BROKEN_MIDWAY, 2,
        ("--jq: the response is not JSON (parse error: Unmatched ']' at line 1, column 52)",),
        stdout=b"0\n1\n2\n"),
    Row("a selection cut short", ("--jq", ".[]"), b"[1, 2, [3, 4", 2,
        ("--jq: the response is not JSON (parse error: Unfinished JSON term at EOF at line 1, column 12)",),
        stdout=b"1\n2\n"),
    Row("a key repeated along the path", ("--jq", ".items[]"), b'{"items": [1], "items": [2]}', 2,
        ('the key "items" more than once along .items[]', "(.items)[]"), stdout=b"1\n"),
    Row("a selection nested past libjq's depth", ("--jq", ".[]"), b"[1, " + DEEP + b"]", 2,
        ("--jq: the response is not JSON (parse error: Exceeds depth limit for parsing",), bounded=True),
    Row("an element past the element limit", ("--jq", ".[] | length"), HUGE_ELEMENT, 1,
        ("--jq: an element of a streamed --jq selection is larger than 16 MiB",), bounded=True),
    Row("a selection's control bytes", ("--jq", ".[]"), b'["\\u001b]0;owned\\u0007", "\\u009b2J"]', 0,
        stdout=b'"\\u001b]0;owned\\u0007"\n"\xc2\x9b2J"\n'),
    Row("a selection's non-ASCII text", ("--jq", ".items[] | .name"),
        '{"items": [{"name": "Zoë 名前 😀"}]}'.encode(), 0, stdout='"Zoë 名前 😀"\n'.encode()),
    Row("a selection over a value that is not a list", ("--jq", ".items[]"), b'{"items": "text"}', 2,
        ('jq: error: Cannot iterate over string ("text")',), stdout=b""),
    # B19: halt and halt_error
    Row("halt_error with a code", ("--jq", '"boom" | halt_error(3)'), SMALL, 2,
        ("apicli: --jq: halt_error(3): boom",), stdout=b""),
    Row("results before halt_error stay", ("--jq", '1, ("boom" | halt_error), 2'), SMALL, 2,
        ("apicli: --jq: halt_error(5): boom",), stdout=b"1\n"),
    Row("halt stops with exit 0", ("--jq", "1, halt, 2"), SMALL, 0, stdout=b"1\n"),
    Row("halt_error(0)", ("--jq", "1, ({a: 1} | halt_error(0)), 2"), SMALL, 0,
        ('apicli: --jq: halt_error(0): {"a":1}',), stdout=b"1\n"),
    Row("a message with control bytes", ("--jq", '"\\u001b]0;owned\\u0007\\nboom" | halt_error(1)'), SMALL, 2,
        ("halt_error(1): \\x1b]0;owned\\x07\\nboom\n",)),
    Row("a huge message", ("--jq", '[range(100000) | "x"] | join("") | halt_error(1)'), SMALL, 2,
        ("halt_error(1): xxxx", "…"), bounded=True),
    Row("halt_error in --until", ("--until", '"boom" | halt_error(4)'), SMALL, 2,
        ("apicli: --until: halt_error(4): boom",), stdout=b""),
    Row("halt_error in a record stream", ("--jq", 'if .n == 2 then "stop" | halt_error(1) else .n end'),
        b'{"n": 1}\n{"n": 2}\n{"n": 3}\n', 2, ("halt_error(1): stop",), stdout=b"1\n", headers=tuple(NDJSON.items())),
    Row("halt in a record stream", ("--jq", "if .n == 2 then halt else .n end"),
        b'{"n": 1}\n{"n": 2}\n{"n": 3}\n', 0, stdout=b"1\n", headers=tuple(NDJSON.items())),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile_jq(row: Row, fault_server: FaultServer) -> None:
    fault_server.script("/body", Reply(200, row.headers, row.body))
    outcome = run(["get", fault_server.url("/body"), *row.args], timeout=row.seconds + 10)
    assert_clean(outcome, row.code, stderr_has=row.stderr_has, bounded=row.bounded)
    assert outcome.seconds < row.seconds, outcome.describe()
    if row.stdout is not None:
        assert outcome.stdout == row.stdout, outcome.describe()


def test_a_typical_40_mb_body_fits_under_the_memory_cap(fault_server: FaultServer) -> None:
    body = json.dumps([{"id": n, "name": f"item {n}", "tags": ["a", "b"], "v": n / 2} for n in range(480_000)])
    fault_server.script("/big", Reply(200, JSON, body.encode()))
    outcome = run(["get", fault_server.url("/big"), "--jq", "length"], timeout=240)
    assert_clean(outcome, 0, bounded=True)
    assert outcome.stdout == b"480000\n"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_an_evaluation_that_the_scanner_once_ran_in_process(
    fault_server: FaultServer, stop: signal.Signals
) -> None:
    fault_server.script("/body", Reply(200, JSON, NUMBERS))
    proc = subprocess.Popen(
        [APICLI, "get", fault_server.url("/body"), "--jq", ".[] as $a | .[] as $b | empty"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not fault_server.requests_for("/body") and time.monotonic() < deadline:
            with pytest.raises(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.5)  # the evaluation is under way
        proc.send_signal(stop)
        started = time.monotonic()
        _out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 3
    assert err.decode().startswith("apicli: interrupted"), err
