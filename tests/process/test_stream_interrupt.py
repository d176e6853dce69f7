"""Ctrl-C on a stream: exit 130, every event or record written so far whole, nothing cut or repeated."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.process.conftest import APICLI, base_environment
from tests.process.test_streams import HEAD, scripted

NDJSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"


def _open_stream(head: bytes, records: list[bytes], release: threading.Event) -> object:
    """Send `records`, the last one cut in half, then hold the stream open until released."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(head + b"".join(records[:-1]) + records[-1][: len(records[-1]) // 2])
        release.wait(20)

    return handler


def _interrupt_after(args: list[str], lines: int, port: int) -> tuple[int, list[bytes], bytes, float]:
    proc = subprocess.Popen([APICLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=base_environment())
    assert proc.stdout is not None
    seen = [proc.stdout.readline() for _ in range(lines)]  # the run is in the middle of the stream
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    rest, err = proc.communicate(timeout=10)
    return proc.returncode, seen + rest.splitlines(keepends=True), err, time.monotonic() - started


@pytest.mark.parametrize("flags", [["--events"], ["--jq", ".n"], ["--events", "--until", ".data.n == 99"]])
def test_ctrl_c_ends_an_event_stream_with_the_events_so_far_whole(flags: list[str]) -> None:
    release = threading.Event()
    events = [b'id: %d\ndata: {"n": %d}\n\n' % (n, n) for n in range(4)]
    with scripted(_open_stream(HEAD, events, release)) as server:
        code, out, err, took = _interrupt_after(["get", f"127.0.0.1:{server.port}/s", *flags], 3, server.port)
        release.set()
    assert code == 130
    assert err.endswith(b"apicli: interrupted\n") and b"Traceback" not in err
    assert took < 2
    assert all(line.endswith(b"\n") for line in out)  # every line whole
    values = [json.loads(line) for line in out]
    numbers = [value if isinstance(value, int) else value["data"]["n"] for value in values]
    assert numbers == [0, 1, 2]  # the cut fourth event is not written, nothing is repeated


def test_ctrl_c_ends_an_ndjson_stream_with_the_records_so_far_whole() -> None:
    release = threading.Event()
    records = [b'{"n": %d}\n' % n for n in range(4)]
    with scripted(_open_stream(NDJSON_HEAD, records, release)) as server:
        code, out, err, took = _interrupt_after(["get", f"127.0.0.1:{server.port}/r", "--jq", ".n"], 3, server.port)
        release.set()
    assert (code, out) == (130, [b"0\n", b"1\n", b"2\n"])
    assert err.endswith(b"apicli: interrupted\n")
    assert took < 2


def test_ctrl_c_on_a_raw_piped_stream_keeps_the_bytes_that_came() -> None:
    release = threading.Event()
    events = [b"data: one\n\n", b"data: two\n\n", b"data: three\n\n"]
    with scripted(_open_stream(HEAD, events, release)) as server:
        proc = subprocess.Popen([APICLI, "get", f"127.0.0.1:{server.port}/s"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=base_environment())
        assert proc.stdout is not None
        first = proc.stdout.read(len(b"data: one\n\ndata: two\n\n"))  # raw bytes, passed on as they come
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=10)
        release.set()
    assert proc.returncode == 130
    sent = b"".join(events[:-1]) + events[-1][: len(events[-1]) // 2]
    # Bytes in, bytes out: a prefix of what arrived, unaltered (the half event may or may not have been read).
    assert sent.startswith(first + rest) and len(first + rest) >= len(b"".join(events[:-1]))
    assert err.endswith(b"apicli: interrupted\n")
