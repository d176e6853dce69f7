"""--until on an event or record stream: checked on each event as it arrives, and it ends the stream.

The servers keep their streams open after the events of interest (until the test lets them go),
so a run that ends in time proves the condition, not the server, ended it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time

from tests.process.conftest import APICLI, base_environment
from tests.process.test_streams import HEAD, scripted

NDJSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
STATES = (b"queued", b"building", b"ready", b"deployed")


def _events_then_hold(release: threading.Event, *, states: tuple[bytes, ...] = STATES) -> object:
    def handler(conn: socket.socket) -> None:
        conn.sendall(HEAD)
        for number, state in enumerate(states):
            conn.sendall(b'id: %d\ndata: {"state": "%s"}\n\n' % (number, state))
        release.wait(20)  # an endless stream, as far as the client can tell

    return handler


def _run(args: list[str], timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([APICLI, *args], capture_output=True, timeout=timeout, env=base_environment(),
                          stdin=subprocess.DEVNULL)


def test_the_first_event_that_meets_the_condition_ends_an_open_stream() -> None:
    release = threading.Event()
    with scripted(_events_then_hold(release)) as server:
        started = time.monotonic()
        done = _run(["get", f"127.0.0.1:{server.port}/deploy", "--events", "--until", '.data.state == "ready"'])
        took = time.monotonic() - started
        release.set()
    assert (done.returncode, done.stderr) == (0, b"")
    assert took < 10  # the server would have held the stream for 20 s
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["data"]["state"] for line in lines] == ["queued", "building", "ready"]  # nothing after it
    assert lines[2] == {"event": "message", "id": "2", "data": {"state": "ready"}}
    assert len(server.requests) == 1


def test_without_events_the_condition_and_the_output_are_each_events_data() -> None:
    release = threading.Event()
    with scripted(_events_then_hold(release)) as server:
        done = _run(["get", f"127.0.0.1:{server.port}/deploy", "--until", '.state == "building"'])
        release.set()
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == b'{"state":"queued"}\n{"state":"building"}\n'  # compact, one per line, as with --jq


def test_a_stream_that_ends_before_the_condition_holds_is_exit_8_with_its_events_kept() -> None:
    def short(conn: socket.socket) -> None:
        conn.sendall(HEAD + b'data: {"state": "queued"}\n\ndata: not json\n\ndata: {"state": "failed"}\n\n')

    with scripted(short) as server:
        done = _run(["get", f"127.0.0.1:{server.port}/deploy", "--until", '.state == "ready"'])
    assert done.returncode == 8
    # Each line stays JSON for jq: data that is not JSON is written as a JSON string.
    assert done.stdout.splitlines() == [b'{"state":"queued"}', b'"not json"', b'{"state":"failed"}']
    assert done.stderr.splitlines()[0] == (
        b"apicli: --until: the stream ended after 3 events; '.state == \"ready\"' never held"
    )
    assert b"Traceback" not in done.stderr


def test_until_waits_for_the_stream_to_come_up_then_checks_its_events() -> None:
    release = threading.Event()

    def unavailable(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nwait")

    with scripted(unavailable, _events_then_hold(release)) as server:
        done = _run(["get", f"127.0.0.1:{server.port}/deploy", "--events", "--until", '.data.state == "queued"',
                     "--interval", "0.05", "--retries", "0"])
        release.set()
    assert done.returncode == 0
    assert done.stderr == b"apicli: waiting: attempt 1, 0.0 s, last: HTTP 503, wait\n"
    assert [json.loads(line)["data"]["state"] for line in done.stdout.splitlines()] == ["queued"]
    assert len(server.requests) == 2  # the 503 counted as "not yet"; no body of it reached stdout


def test_max_time_bounds_a_stream_whose_condition_never_holds() -> None:
    release = threading.Event()
    with scripted(_events_then_hold(release)) as server:
        started = time.monotonic()
        done = _run(["get", f"127.0.0.1:{server.port}/deploy", "--events", "--until", '.data.state == "gone"',
                     "--max-time", "1.5"])
        took = time.monotonic() - started
        release.set()
    assert done.returncode == 8
    assert 1.4 < took < 10
    assert [json.loads(line)["data"]["state"] for line in done.stdout.splitlines()] == [
        state.decode() for state in STATES
    ]
    assert done.stderr.startswith(b"apicli: ") and b"Traceback" not in done.stderr


def test_until_status_alone_streams_the_events_as_they_come() -> None:
    seen_first = threading.Event()

    def handler(conn: socket.socket) -> None:
        conn.sendall(HEAD + b"data: one\n\n")
        if seen_first.wait(10):  # the second event only once the first reached the reader
            conn.sendall(b"data: two\n\n")

    with scripted(handler) as server:
        proc = subprocess.Popen([APICLI, "get", f"127.0.0.1:{server.port}/s", "--until-status", "200", "--events"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=base_environment())
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        seen_first.set()
        out, err = proc.communicate(timeout=20)
    assert first["data"] == "one"
    assert (proc.returncode, [json.loads(line)["data"] for line in out.splitlines()], err) == (0, ["two"], b"")


def test_the_first_record_that_meets_the_condition_ends_an_ndjson_stream() -> None:
    release = threading.Event()

    def handler(conn: socket.socket) -> None:
        conn.sendall(NDJSON_HEAD + b'{"n": 1}\n{"n": 2, "last": true}\n{"n": 3}\n')
        release.wait(20)

    with scripted(handler) as server:
        done = _run(["get", f"127.0.0.1:{server.port}/export", "--until", ".last"])
        release.set()
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == b'{"n":1}\n{"n":2,"last":true}\n'


def test_an_ndjson_stream_that_ends_first_counts_its_records() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(NDJSON_HEAD + b'{"n": 1}\n{"n": 2}\n')

    with scripted(handler) as server:
        done = _run(["get", f"127.0.0.1:{server.port}/export", "--until", ".last"])
    assert done.returncode == 8
    assert done.stdout == b'{"n":1}\n{"n":2}\n'
    assert done.stderr.splitlines()[0] == b"apicli: --until: the stream ended after 2 records; '.last' never held"
