"""Local input is bounded, in real processes: uploads stream, --max-time and Ctrl-C end any read.

`--data @FILE` of a regular file goes with its size as Content-Length and in constant memory;
a FIFO or device goes chunked, bounded by --max-time; Ctrl-C stops a read or an upload at once.
Peak memory is apicli's own, taken from wait4() by a small process that starts it: a child
forked straight from the (large) test process would carry that process's peak into its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import apicli_command
from tests.faults import FaultServer, Reply, json_reply, redirect

# Far above what apicli needs to stream a body, far below holding one of the bodies below.
MAX_RSS_KIB = 160 * 1024


class DrainingServer:
    """Reads and discards one request body on 127.0.0.1, then answers 200; stops by itself after `lifetime`."""

    def __init__(self, lifetime: float = 15.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(lifetime)
        self.port = self.listener.getsockname()[1]
        self.head = b""
        self.received = 0
        self.deadline = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(1.0)
            data = b""
            while b"\r\n\r\n" not in data and time.monotonic() < self.deadline:
                data += conn.recv(65536)
            self.head, _, rest = data.partition(b"\r\n\r\n")
            self.received = len(rest)
            length = self.content_length
            while time.monotonic() < self.deadline and (length is None or self.received < length):
                try:
                    chunk = conn.recv(1 << 20)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                self.received += len(chunk)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    @property
    def content_length(self) -> int | None:
        for line in self.head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return int(value)
        return None

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


@pytest.fixture
def draining_server() -> Iterator[DrainingServer]:
    server = DrainingServer()
    yield server
    server.close()


# Forks apicli, passes SIGINT and SIGTERM on to it, and reports its exit status and peak RSS on the
# descriptor its first argument names.
_LAUNCHER = """
import os, signal, sys
report = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(report)
    os.execv(sys.argv[2], sys.argv[2:])
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda number, frame: os.kill(pid, number))
while True:
    try:
        _, status, usage = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
os.write(report, b"%d %d" % (os.waitstatus_to_exitcode(status), usage.ru_maxrss))
"""


class Launched(subprocess.Popen[bytes]):
    report: int  # the read end of the launcher's report pipe


def start(*args: str) -> Launched:
    read_end, write_end = os.pipe()
    command = apicli_command()
    proc = Launched(
        [command[0], "-I", "-S", "-c", _LAUNCHER, str(write_end), *command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    proc.report = read_end
    return proc


def finish(proc: Launched, timeout: float = 10.0) -> tuple[int, str, int]:
    """(exit code, stderr, peak memory in KiB) of apicli started with start()."""
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("apicli did not end in time") from None
    with os.fdopen(proc.report, "rb") as report:
        code, peak = (int(word) for word in report.read().split())
    assert proc.stderr is not None and proc.stdout is not None
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    proc.stdout.close()
    return code, stderr, peak


def test_a_regular_file_is_streamed_with_its_size(draining_server: DrainingServer, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    size = 256 * 1024 * 1024
    with big.open("wb") as stream:
        stream.truncate(size)  # sparse: costs no disk

    code, stderr, peak = finish(start("post", draining_server.url("/up"), "--data", f"@{big}", "--retries", "0"))

    assert (code, stderr) == (0, "")
    assert draining_server.content_length == size
    assert b"transfer-encoding" not in draining_server.head.lower()
    assert draining_server.received == size
    assert peak < MAX_RSS_KIB


def test_max_time_bounds_an_upload_from_dev_zero(draining_server: DrainingServer) -> None:
    started = time.monotonic()
    proc = start("post", draining_server.url("/up"), "--data", "@/dev/zero", "--max-time", "1")

    code, stderr, peak = finish(proc)

    assert code == 8, stderr
    assert stderr.startswith("apicli: --max-time of 1s reached\n"), stderr
    assert time.monotonic() - started < 4
    assert b"transfer-encoding: chunked" in draining_server.head.lower()
    assert draining_server.received > 1024 * 1024  # it was sending, not reading everything first
    assert peak < MAX_RSS_KIB


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_an_upload_from_dev_zero(draining_server: DrainingServer, sig: signal.Signals) -> None:
    proc = start("post", draining_server.url("/up"), "--data", "@/dev/zero")
    deadline = time.monotonic() + 10
    while draining_server.received < 1024 * 1024 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert draining_server.received >= 1024 * 1024
    sent = time.monotonic()
    proc.send_signal(sig)

    code, stderr, peak = finish(proc)

    assert (code, stderr) == (130, "apicli: interrupted\n")
    assert time.monotonic() - sent < 1
    assert peak < MAX_RSS_KIB


class FifoWriter:
    """Writes `data` into a new FIFO once a reader opens it, then holds it open for `hold` seconds."""

    def __init__(self, path: Path, data: bytes, hold: float = 0.0) -> None:
        os.mkfifo(path)
        self.path = path
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._write, args=(data, hold), daemon=True)
        self.thread.start()

    def _write(self, data: bytes, hold: float) -> None:
        # O_NONBLOCK polled: an open that waits for a reader could not be given up at teardown.
        deadline = time.monotonic() + 10
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.005)
        os.set_blocking(fd, True)
        self.opened.set()
        try:
            for start_at in range(0, len(data), 1000):
                os.write(fd, data[start_at : start_at + 1000])
            time.sleep(hold)
        except OSError:
            pass  # the reader went away
        finally:
            os.close(fd)

    def join(self) -> None:
        self.thread.join(timeout=15)


def test_a_fifo_is_sent_chunked(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/up", json_reply({"ok": True}))
    data = b"line of a stream\n" * 5000
    writer = FifoWriter(tmp_path / "fifo", data)

    code, stderr, _ = finish(start("post", fault_server.url("/up"), "--data", f"@{tmp_path / 'fifo'}"))
    writer.join()

    assert (code, stderr) == (0, "")
    [request] = fault_server.requests
    assert request.headers.get("Transfer-Encoding") == "chunked"
    assert request.body == data


def test_a_fifo_body_is_not_sent_twice(fault_server: FaultServer, tmp_path: Path) -> None:
    """A retry would resend an exhausted stream, an empty body: a pipe is sent once, without retries."""
    fault_server.script("/up", Reply(503))
    writer = FifoWriter(tmp_path / "fifo", b"payload")

    code, stderr, _ = finish(start("put", fault_server.url("/up"), "--data", f"@{tmp_path / 'fifo'}"))
    writer.join()

    assert code == 5, stderr
    assert len(fault_server.requests) == 1
    assert fault_server.requests[0].body == b"payload"


def test_a_fifo_body_is_not_resent_empty_after_a_307(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/up", redirect("/moved", status=307))
    fault_server.script("/moved", json_reply({"ok": True}))
    writer = FifoWriter(tmp_path / "fifo", b"payload")

    code, stderr, _ = finish(start("put", fault_server.url("/up"), "--data", f"@{tmp_path / 'fifo'}"))
    writer.join()

    assert code == 1, stderr
    assert stderr.startswith(f"apicli: the body read from '{tmp_path / 'fifo'}' cannot be sent a second time\n")
    assert fault_server.requests_for("/moved") == []


@pytest.mark.parametrize("item", ["f=@{fifo}", "f:=@{fifo}", "--json=@{fifo}"])
def test_ctrl_c_stops_a_read_that_waits_on_a_fifo(fault_server: FaultServer, tmp_path: Path, item: str) -> None:
    writer = FifoWriter(tmp_path / "fifo", b'"a start, and then nothing', hold=10)
    proc = start("post", fault_server.url("/up"), item.format(fifo=tmp_path / "fifo"))
    assert writer.opened.wait(10)
    time.sleep(0.2)  # blocked in its read of the FIFO
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)

    code, stderr, _ = finish(proc)

    assert (code, stderr) == (130, "apicli: interrupted\n")
    assert time.monotonic() - sent < 1
    assert fault_server.requests == []
