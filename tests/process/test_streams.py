"""Server-sent events and NDJSON through the installed apicli: record by record, as they arrive."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.faults import FaultServer, Reply
from tests.process.conftest import APICLI, base_environment, run_on_terminal

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"


class ScriptedStream:
    """A loopback server whose connection handlers are plain functions over the socket (one per connection)."""

    def __init__(self, *handlers: object) -> None:
        self.handlers = list(handlers)
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(15)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for handler in self.handlers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(15)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        break
                    request += data
                self.requests.append(request)
                with contextlib.suppress(OSError):
                    handler(conn)  # type: ignore[operator]

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=15)


@contextmanager
def scripted(*handlers: object) -> Iterator[ScriptedStream]:
    server = ScriptedStream(*handlers)
    try:
        yield server
    finally:
        server.close()


def test_each_event_reaches_stdout_before_the_next_is_sent() -> None:
    released: list[threading.Event] = [threading.Event() for _ in range(3)]

    def handler(conn: socket.socket) -> None:
        conn.sendall(HEAD)
        for number, gate in enumerate(released):
            conn.sendall(b'id: %d\ndata: {"n": %d}\n\n' % (number, number))
            if not gate.wait(10):  # the next event only once the reader has seen this one
                return
        conn.sendall(b"data: [DONE]\n\n")

    with scripted(handler) as server:
        proc = subprocess.Popen([APICLI, "get", f"127.0.0.1:{server.port}/events", "--events"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=base_environment())
        assert proc.stdout is not None
        lines = []
        for gate in released:
            line = proc.stdout.readline()
            lines.append(json.loads(line))
            gate.set()
        out, err = proc.communicate(timeout=20)
    assert [event["data"]["n"] for event in lines] == [0, 1, 2]
    assert lines[0] == {"event": "message", "id": "0", "data": {"n": 0}}
    assert (proc.returncode, out, err) == (0, b"", b"")  # [DONE] ends it quietly


def test_a_dropped_stream_reconnects_with_last_event_id_and_repeats_nothing() -> None:
    def first(conn: socket.socket) -> None:
        conn.sendall(HEAD + b"retry: 10\n\nid: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: thr")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset

    def second(conn: socket.socket) -> None:
        # A server that replays from the start although asked for what follows id 2.
        conn.sendall(HEAD + b"id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: three\n\ndata: [DONE]\n\n")

    with scripted(first, second) as server:
        done = subprocess.run([APICLI, "get", f"127.0.0.1:{server.port}/s", "--events", "--retries", "2"],
                              capture_output=True, timeout=30, env=base_environment(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["data"] for line in done.stdout.splitlines()] == ["one", "two", "three"]
    assert b"last-event-id: 2" in server.requests[1].lower()
    assert b"reconnecting, 1 of 2" in done.stderr


def test_a_dropped_stream_past_the_retry_budget_fails_with_the_events_so_far() -> None:
    def drop(conn: socket.socket) -> None:
        conn.sendall(HEAD + b"id: 1\ndata: one\n\ndata: cut")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    with scripted(drop) as server:
        done = subprocess.run([APICLI, "get", f"127.0.0.1:{server.port}/s", "--events", "--retries", "0"],
                              capture_output=True, timeout=30, env=base_environment(), stdin=subprocess.DEVNULL)
    assert done.returncode == 7
    assert [json.loads(line)["data"] for line in done.stdout.splitlines()] == ["one"]


def test_events_on_a_terminal_are_pretty_with_dim_names(hostile_server: FaultServer) -> None:
    body = b'event: tick\nid: 9\ndata: {"n": 1}\n\ndata: \x1b]0;T\x07hi\n\n'
    hostile_server.script("/s", Reply(200, headers={"Content-Type": "text/event-stream"}, body=body))
    shown = run_on_terminal(["get", hostile_server.url("/s")])
    assert shown.code == 0
    assert shown.screen.startswith(b"\x1b[2mevent: tick  id: 9\x1b[0m\n{\n  \x1b[1;34m\"n\"\x1b[0m: 1\n}\n")
    assert b"\\x1b]0;T\\x07hi\n" in shown.screen and b"\x07" not in shown.screen


def test_jq_runs_per_event_and_a_pipe_without_flags_gets_the_bytes(hostile_server: FaultServer) -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: [DONE]\n\n'
    hostile_server.script("/s", Reply(200, headers={"Content-Type": "text/event-stream"}, body=body))
    filtered = subprocess.run([APICLI, "get", hostile_server.url("/s"), "--jq", ".n * 10"], capture_output=True,
                              timeout=30, env=base_environment())
    assert (filtered.returncode, filtered.stdout) == (0, b"10\n20\n")
    with_objects = subprocess.run([APICLI, "get", hostile_server.url("/s"), "--events", "--jq", ".event"],
                                  capture_output=True, timeout=30, env=base_environment())
    assert with_objects.stdout == b'"message"\n"message"\n'
    raw = subprocess.run([APICLI, "get", hostile_server.url("/s")], capture_output=True, timeout=30,
                         env=base_environment())
    assert (raw.returncode, raw.stdout) == (0, body)


NDJSON = b'{"id": 1, "v": 1.50}\n{"id": 2, "v": 12345678901234567890123}\n\n{"id": 3}\n'


@pytest.mark.parametrize("media", ["application/x-ndjson", "application/jsonl", "application/json-seq"])
def test_ndjson_records_one_by_one(hostile_server: FaultServer, media: str) -> None:
    body = NDJSON if media != "application/json-seq" else b"".join(b"\x1e" + line + b"\n"
                                                                    for line in NDJSON.splitlines() if line)
    hostile_server.script("/r", Reply(200, headers={"Content-Type": media}, body=body))
    jq = subprocess.run([APICLI, "get", hostile_server.url("/r"), "--jq", ".v"], capture_output=True, timeout=30,
                        env=base_environment())
    assert (jq.returncode, jq.stdout) == (0, b"1.50\n12345678901234567890123\nnull\n")
    shown = run_on_terminal(["get", hostile_server.url("/r"), "--no-color"])
    # Pretty output reads numbers as json.dumps does (1.5), keeping integers whole, as for any JSON body.
    assert shown.screen == (b'{\n  "id": 1,\n  "v": 1.5\n}\n{\n  "id": 2,\n  "v": 12345678901234567890123\n}\n'
                            b'{\n  "id": 3\n}\n')


def test_ndjson_schema_checks_every_record(hostile_server: FaultServer, tmp_path: object) -> None:
    from pathlib import Path

    schema = Path(str(tmp_path)) / "s.json"
    schema.write_text(json.dumps({"type": "object", "required": ["v"]}))
    hostile_server.script("/r", Reply(200, headers={"Content-Type": "application/x-ndjson"}, body=NDJSON))
    done = subprocess.run([APICLI, "get", hostile_server.url("/r"), "--schema", str(schema)], capture_output=True,
                          timeout=30, env=base_environment())
    assert done.returncode == 9
    assert len(done.stdout.splitlines()) == 3  # every record is written, then the mismatch fails the run
    assert b"$[2]" in done.stderr


def _read_until(fd: int, enough: Callable[[bytes], bool], seconds: float = 10) -> bytes:
    """What arrives on `fd` until `enough` holds of it; fails after `seconds`, or if the pipe closes first."""
    got = b""
    deadline = time.monotonic() + seconds
    while not enough(got):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {got!r} arrived"
        if select.select([fd], [], [], remaining)[0]:
            data = os.read(fd, 65536)
            assert data, f"stdout closed after {got!r}"
            got += data
    return got


def _interrupted_stream(media: str, sent: bytes, args: list[str], enough: Callable[[bytes], bool],
                        sig: signal.Signals) -> tuple[int, bytes, bytes]:
    """Serve `sent` and keep the stream open; once apicli's stdout has `enough`, send `sig`.

    Returns the exit code, all of stdout, and stderr."""
    hang_up = threading.Event()

    def handler(conn: socket.socket) -> None:
        conn.sendall(HEAD.replace(b"text/event-stream", media.encode()) + sent)
        hang_up.wait(15)  # open, with nothing more to say, until the test is done

    with scripted(handler) as server:
        proc = subprocess.Popen([APICLI, "get", f"127.0.0.1:{server.port}/stream", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=base_environment())
        try:
            assert proc.stdout is not None
            shown = _read_until(proc.stdout.fileno(), enough)
            proc.send_signal(sig)
            rest, err = proc.communicate(timeout=10)
        finally:
            hang_up.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.returncode, shown + rest, err


# Three whole records, then the start of a fourth that never ends.
EVENTS_SENT = b"".join(b'id: %d\ndata: {"n": %d}\n\n' % (n, n) for n in (1, 2, 3)) + b'id: 4\ndata: {"n": 4'
RECORDS_SENT = b'{"n": 1}\n{"n": 2}\n{"n": 3}\n{"n": 4'
SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


def _lines(count: int) -> Callable[[bytes], bool]:
    return lambda out: out.count(b"\n") >= count


@SIGNALS
def test_ctrl_c_ends_an_event_stream_with_the_events_so_far_each_whole(sig: signal.Signals) -> None:
    code, out, err = _interrupted_stream("text/event-stream", EVENTS_SENT, ["--events"], _lines(3), sig)
    assert (code, err) == (130, b"apicli: interrupted\n")  # one line, no traceback
    assert out.endswith(b"\n")  # no line cut short, and nothing of the unfinished fourth event
    assert [json.loads(line) for line in out.splitlines()] == [
        {"event": "message", "id": str(n), "data": {"n": n}} for n in (1, 2, 3)
    ]


@SIGNALS
def test_ctrl_c_ends_an_ndjson_stream_under_jq_with_the_records_so_far(sig: signal.Signals) -> None:
    code, out, err = _interrupted_stream("application/x-ndjson", RECORDS_SENT, ["--jq", ".n"], _lines(3), sig)
    assert (code, err) == (130, b"apicli: interrupted\n")
    assert out == b"1\n2\n3\n"


@pytest.mark.parametrize(("media", "sent"), [("text/event-stream", EVENTS_SENT),
                                             ("application/x-ndjson", RECORDS_SENT)], ids=["sse", "ndjson"])
def test_ctrl_c_on_a_piped_stream_without_flags_keeps_exactly_the_bytes_received(media: str, sent: bytes) -> None:
    # Piped without --events or --jq the output is the body's bytes as they arrive: the unfinished
    # record is part of them.
    code, out, err = _interrupted_stream(media, sent, [], lambda out: len(out) >= len(sent), signal.SIGINT)
    assert (code, err) == (130, b"apicli: interrupted\n")
    assert out == sent
