"""How an event stream is read: as the bytes come, in whatever framing, with the same checks as any body.

Event streams are read through http.client directly (output.streams.iter_wire_direct), past
urllib3's per-read bookkeeping; these pin what that must keep: chunked framing, Content-Encoding,
the byte count -w reports, a body cut short of its Content-Length, and the read timeout.
"""

from __future__ import annotations

import gzip
import json
import subprocess

import pytest

from tests.faults import FaultServer, Reply, ShortBody, StallAfterHeaders
from tests.process.conftest import APICLI, base_environment

SSE = {"Content-Type": "text/event-stream"}
EVENT = b'id: %d\nevent: tick\ndata: {"n": %d, "v": 1.50}\n\n'
BODY = b"".join(EVENT % (n, n) for n in (1, 2, 3)) + b"data: [DONE]\n\n"
EXPECTED = [{"event": "tick", "id": str(n), "data": {"n": n, "v": 1.5}} for n in (1, 2, 3)]


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([APICLI, *args], capture_output=True, timeout=30, env=base_environment(),
                          stdin=subprocess.DEVNULL)


def events_and_size(stdout: bytes) -> tuple[list[object], int]:
    """The --events lines, and the -w '%{size_download}' figure written after them."""
    *lines, size = stdout.splitlines()
    return [json.loads(line) for line in lines], int(size)


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_a_chunked_stream_gives_every_event_and_counts_every_byte(hostile_server: FaultServer,
                                                                  chunk_size: int) -> None:
    hostile_server.script("/s", Reply(200, SSE, BODY, chunked=True, chunk_size=chunk_size))
    done = run("get", hostile_server.url("/s"), "--events", "-w", "%{size_download}")
    assert done.returncode == 0, done.stderr
    assert events_and_size(done.stdout) == (EXPECTED, len(BODY))
    assert b'"v": 1.50' in done.stdout  # JSON data is embedded as sent


def test_a_gzip_stream_is_decoded_and_counted_as_sent(hostile_server: FaultServer) -> None:
    wire = gzip.compress(BODY)
    hostile_server.script("/s", Reply(200, {**SSE, "Content-Encoding": "gzip"}, wire))
    done = run("get", hostile_server.url("/s"), "--events", "-w", "%{size_download}")
    assert done.returncode == 0, done.stderr
    assert events_and_size(done.stdout) == (EXPECTED, len(wire))  # size_download counts wire bytes, as curl does


def test_a_stream_short_of_its_content_length_fails_after_its_whole_events(hostile_server: FaultServer) -> None:
    cut = BODY.index(b"data", BODY.index(b"id: 2"))  # inside the second event
    hostile_server.script("/s", ShortBody(Reply(200, SSE, BODY), sent=cut))
    done = run("get", hostile_server.url("/s"), "--events", "--retries", "0")
    assert done.returncode == 7
    assert [json.loads(line) for line in done.stdout.splitlines()] == EXPECTED[:1]
    assert b"closed the connection before the body was complete" in done.stderr


def test_a_short_stream_is_reconnected_and_repeats_nothing(hostile_server: FaultServer) -> None:
    cut = BODY.index(b"data", BODY.index(b"id: 2"))
    hostile_server.script("/s", [ShortBody(Reply(200, SSE, BODY), sent=cut), Reply(200, SSE, BODY)])
    done = run("get", hostile_server.url("/s"), "--events", "--retries", "1", "--backoff", "0")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == EXPECTED
    assert [r.headers.get("last-event-id") for r in hostile_server.requests_for("/s")] == [None, "1"]


def test_a_silent_stream_times_out(hostile_server: FaultServer) -> None:
    hostile_server.script("/s", StallAfterHeaders(Reply(200, SSE, BODY), seconds=10))
    done = run("get", hostile_server.url("/s"), "--events", "--timeout", "1", "--retries", "0")
    assert done.returncode == 8
    assert f"no data from {hostile_server.url('/s')} within 1s".encode() in done.stderr
