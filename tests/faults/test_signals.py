"""Signals and pipes, in real processes: Ctrl-C and SIGTERM exit 130, a closed pipe ends quietly.

The fault server records a request the moment it arrives, so "the request is in flight" is
known exactly, and apicli has installed its handlers by then (they go in before any request).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import apicli_command
from tests.faults import Drip, FaultServer, NoReply, Reply, RetryAfter, json_reply

SIGNALS = [signal.SIGINT, signal.SIGTERM]


def start(*args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*apicli_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd
    )


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def interrupt(proc: subprocess.Popen[bytes], sig: signal.Signals) -> tuple[int, bytes, str, float]:
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err.decode(), time.monotonic() - sent


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_signal_while_waiting_for_a_reply_exits_130(fault_server: FaultServer, sig: signal.Signals) -> None:
    fault_server.script("/slow", NoReply(seconds=20))
    proc = start("get", fault_server.url("/slow"))
    wait_until(lambda: bool(fault_server.requests_for("/slow")))

    code, out, err, took = interrupt(proc, sig)

    assert (code, out) == (130, b"")
    assert err == "apicli: interrupted\n"  # one line, never a traceback
    assert took < 2


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_retry_wait_exits_130_at_once(fault_server: FaultServer, sig: signal.Signals) -> None:
    fault_server.script("/busy", RetryAfter(seconds=30))
    proc = start("get", fault_server.url("/busy"))
    wait_until(lambda: bool(fault_server.requests_for("/busy")))
    time.sleep(0.2)  # now sleeping the 30 s Retry-After

    code, out, err, took = interrupt(proc, sig)

    assert (code, out) == (130, b"")
    # The retry that was waiting was announced; then one line for the interruption.
    announced = f"apicli: HTTP 503 from 127.0.0.1:{fault_server.port}; retry 1 of 3 in 30 s (Retry-After)\n"
    assert err == announced + "apicli: interrupted\n"
    assert took < 2
    assert len(fault_server.requests_for("/busy")) == 1


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_signal_while_writing_a_file_leaves_nothing(
    fault_server: FaultServer, tmp_path: Path, sig: signal.Signals
) -> None:
    fault_server.script("/slow", Drip(Reply(200, body=b"x" * 100_000), size=100, interval=0.02))
    target = tmp_path / "out.bin"
    target.write_bytes(b"keep me")
    proc = start("get", fault_server.url("/slow"), "-o", str(target))
    wait_until(lambda: any(path.name.endswith(".tmp") for path in tmp_path.iterdir()))
    time.sleep(0.1)

    code, out, err, _ = interrupt(proc, sig)

    assert (code, out, err) == (130, b"", "apicli: interrupted\n")
    assert [path.name for path in tmp_path.iterdir()] == ["out.bin"]
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_download_leaves_only_the_part_file(
    fault_server: FaultServer, tmp_path: Path, sig: signal.Signals
) -> None:
    data = bytes(range(256)) * 400
    headers = {"Content-Type": "application/octet-stream"}
    fault_server.script("/big.bin", Drip(Reply(200, headers, data), size=1000, interval=0.02))
    proc = start("download", fault_server.url("/big.bin"), "-d", str(tmp_path))
    part = tmp_path / "big.bin.part"
    wait_until(part.exists)
    time.sleep(0.3)  # a few dozen pieces in: the transfer is under way

    code, out, err, took = interrupt(proc, sig)

    assert (code, out) == (130, b""), err
    assert err.startswith("apicli: interrupted\n"), err  # then a hint: where the part is, how a rerun uses it
    assert "Traceback" not in err
    assert took < 2
    assert not (tmp_path / "big.bin").exists()
    # The .part file (and the small .part.meta that lets --continue check it) stay for a resume.
    assert {path.name for path in tmp_path.iterdir()} <= {"big.bin.part", "big.bin.part.meta"}
    assert data.startswith(part.read_bytes())


# A process that installs apicli's handlers, then waits in a read that nothing will end. The
# signal goes to a second thread that accepts signals: CPython's handler runs there and notes
# it, and the main thread's read is not interrupted. This is what happens, rarely, to a signal
# that arrives just before the main thread starts a blocking call (the thread runs between its
# last check and the call), made certain.
_LOST_WAKEUP = """
import os, signal, sys, threading, time
from apicli.signals import install_termination_handlers

install_termination_handlers()
started = threading.Event()
other = threading.Thread(target=lambda: (started.set(), time.sleep(30)), daemon=True)
other.start()
started.wait()
read_end, _write_end = os.pipe()
threading.Timer(0.2, signal.pthread_kill, (other.ident, int(sys.argv[1]))).start()
began = time.monotonic()
try:
    os.read(read_end, 1)
except KeyboardInterrupt:
    print(round(time.monotonic() - began, 3))
    sys.exit(130)
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_a_signal_that_interrupts_no_call_still_ends_the_wait_at_once(sig: signal.Signals) -> None:
    waiting = subprocess.run(
        [sys.executable, "-c", _LOST_WAKEUP, str(int(sig))],
        capture_output=True,
        timeout=20,
        # Python turns SIGINT into KeyboardInterrupt only if it was not ignored when the process
        # started (a background job's is).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert (waiting.returncode, waiting.stderr) == (130, b"")
    assert 0.2 <= float(waiting.stdout) < 1.2  # the first nudge ends it; without them, only the 30 s sleep


_FORKED = """
import os, signal
from apicli.signals import install_termination_handlers

install_termination_handlers()
listed = set(os.listdir("/proc/self/fd"))
pid = os.fork()
if pid == 0:
    # -1: no wake-up descriptor was set in the child (the watcher's pipe is closed there).
    kept = set(os.listdir("/proc/self/fd"))
    os._exit(0 if signal.set_wakeup_fd(-1) == -1 and len(listed - kept) == 2 else 1)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def test_a_forked_child_keeps_nothing_of_the_signal_watcher() -> None:
    # The jq child is forked: a wake-up descriptor left set there would have signals write into
    # whatever the child opens under that number next.
    forked = subprocess.run([sys.executable, "-c", _FORKED], capture_output=True, timeout=20)
    assert (forked.returncode, forked.stdout, forked.stderr) == (0, b"0\n", b"")


def pipe_into_head(args: list[str]) -> tuple[int, bytes, bytes, float]:
    """`apicli ARGS | head -1`; returns apicli's exit code and stderr, head's output, and the time taken."""
    started = time.monotonic()
    apicli = subprocess.Popen([*apicli_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert apicli.stdout is not None and apicli.stderr is not None
    head = subprocess.Popen(["head", "-1"], stdin=apicli.stdout, stdout=subprocess.PIPE)
    apicli.stdout.close()  # head alone holds the read end, so its exit closes the pipe
    first_line, _ = head.communicate(timeout=20)
    code = apicli.wait(timeout=20)
    stderr = apicli.stderr.read()
    apicli.stderr.close()
    return code, first_line, stderr, time.monotonic() - started


def test_a_long_stream_into_head_ends_quietly_and_fast(fault_server: FaultServer) -> None:
    lines = b"".join(json.dumps({"n": n}).encode() + b"\n" for n in range(500))
    # 500 lines over ~10 s; head is done after the first.
    fault_server.script(
        "/stream", Drip(Reply(200, {"Content-Type": "application/x-ndjson"}, lines), size=9, interval=0.02)
    )

    code, first_line, stderr, took = pipe_into_head(["get", fault_server.url("/stream")])

    assert first_line == b'{"n": 0}\n'
    assert (code, stderr) == (0, b"")
    assert took < 3


def test_paginate_into_head_ends_quietly_without_fetching_every_page(fault_server: FaultServer) -> None:
    pages = 200
    for page in range(pages):
        links = [("Link", f'</pages/{page + 1}>; rel="next"')] if page + 1 < pages else []
        fault_server.script(f"/pages/{page}", json_reply([{"page": page, "i": i} for i in range(50)], headers=links))

    code, first_line, stderr, took = pipe_into_head(["paginate", fault_server.url("/pages/0")])

    assert json.loads(first_line) == {"page": 0, "i": 0}
    assert (code, stderr) == (0, b"")
    assert took < 5
    assert len(fault_server.requests) < pages


def test_get_into_head_on_a_huge_body_is_fast(fault_server: FaultServer) -> None:
    body = b"line\n" * 4_000_000  # 20 MB
    fault_server.script("/big", Reply(200, {"Content-Type": "text/plain"}, body))

    code, first_line, stderr, took = pipe_into_head(["get", fault_server.url("/big")])

    assert (code, first_line, stderr) == (0, b"line\n", b"")
    assert took < 3
