"""`apicli batch` as a real process: Ctrl-C and SIGTERM mid-run, closed stdout, and terminals.

A stopped batch writes a whole result line for every request it sent (the ones in flight finish
within the grace) and nothing for the lines it never sent, then exits 130.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.faults.behaviours import json_reply
from tests.faults.faultserver import FaultServer
from tests.faults.loopback import serve
from tests.faults.wire import Exchange
from tests.process.conftest import APICLI, base_environment, run_with_streams
from tests.terminal_screen import read_screen


@pytest.fixture
def server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


@dataclass(frozen=True)
class Slow:
    seconds: float

    def serve(self, exchange: Exchange) -> None:
        exchange.wait(self.seconds)
        json_reply({"slow": self.seconds}).serve(exchange)


def _request_lines(count: int, path: str = "/slow") -> bytes:
    return b"".join(json.dumps({"url": path, "id": number}).encode() + b"\n" for number in range(count))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_batch_finishes_what_it_sent_and_exits_130(server: FaultServer, signum: int) -> None:
    server.script("/slow", Slow(0.3))
    proc = subprocess.Popen(
        [APICLI, "batch", "--base-url", server.url(), "--parallel", "4"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_environment(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_request_lines(200))
    proc.stdin.close()
    first = proc.stdout.readline()  # a result is out: requests are in flight behind it
    proc.send_signal(signum)
    rest = proc.stdout.read()
    errors = proc.stderr.read() if proc.stderr is not None else b""
    assert proc.wait(timeout=20) == 130, errors
    written = [json.loads(line) for line in (first + rest).splitlines()]
    assert [item["index"] for item in written] == list(range(len(written)))
    assert len(written) == len(server.requests) < 200  # every request sent has its whole result
    assert all(item["ok"] for item in written)  # the ones in flight finished within the grace
    text = errors.decode()
    assert text.startswith("apicli: interrupted: batch stopped after ") and "Traceback" not in text


def test_closed_stdout_is_one_error(server: FaultServer) -> None:
    server.script("/a", json_reply({"a": 1}))
    done = run_with_streams(["batch", "--base-url", server.url()], close=(1,), stdin=_request_lines(3, "/a"))
    assert done.returncode == 1
    assert done.stderr.decode().startswith("apicli: cannot write to standard output: it is closed")


def test_a_reader_that_leaves_early_ends_the_run_quietly(server: FaultServer) -> None:
    server.script("/a", json_reply({"a": 1}))
    batch = subprocess.Popen(
        [APICLI, "batch", "--base-url", server.url(), "--parallel", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_environment(),
    )
    assert batch.stdin is not None and batch.stdout is not None
    batch.stdin.write(_request_lines(300, "/a"))
    batch.stdin.close()
    assert json.loads(batch.stdout.readline())["index"] == 0
    batch.stdout.close()  # as `| head -1` does
    errors = batch.stderr.read() if batch.stderr else b""
    assert batch.wait(timeout=20) == 0, errors
    assert b"Traceback" not in errors
    assert len(server.requests) < 300


def test_stdin_on_a_terminal_is_a_usage_error() -> None:
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [APICLI, "batch"], stdin=secondary, stdout=secondary, stderr=secondary, env=base_environment()
    )
    os.close(secondary)
    screen = read_screen(main, proc).replace(b"\r\n", b"\n")
    os.close(main)
    assert proc.wait(timeout=10) == 2
    assert screen.startswith(b"apicli: batch reads request lines from FILE or stdin, and stdin is a terminal\n")
    assert b"hint: pipe the lines in, e.g. jq -c" in screen


def test_input_is_read_lazily(server: FaultServer) -> None:
    """A line is answered before the input has ended: the run does not wait to read everything."""
    server.script("/a", json_reply({"a": 1}))
    proc = subprocess.Popen(
        [APICLI, "batch", "--base-url", server.url()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_environment(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b'{"url": "/a", "id": "first"}\n')
    proc.stdin.flush()
    ready = select.select([proc.stdout], [], [], 15)[0]
    assert ready, "no result while the input was still open"
    assert json.loads(proc.stdout.readline())["id"] == "first"
    started = time.monotonic()
    proc.stdin.close()
    assert proc.stdout.read() == b""
    assert proc.wait(timeout=15) == 0 and time.monotonic() - started < 10
