"""The hostile table's runner: the installed apicli as a real process, its memory sampled while it runs.

Each row of the table (one per file in this folder, a file per input surface) gives hostile input
to one surface and asserts the exit code, a one-line `apicli:` message and no traceback. Rows of
the unbounded kinds (huge, endless) also assert the peak RSS of apicli's own process (and,
separately, of its jq child) sampled from /proc every few milliseconds: an in-process run could
not see memory, signals or a hang. A runaway is killed at a hard ceiling, so a regression fails
the row instead of the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

APICLI = str(Path(sys.executable).with_name("apicli"))  # the installed console script
# apicli's own process stays under this on every unbounded row (the bar).
RSS_CAP_MIB = 100
# A jq child may hold a body of up to 64 MiB parsed; past this it is a runaway.
CHILD_RSS_CAP_MIB = 1024
# A runaway is killed here, well before it could trouble the machine.
KILL_AT_MIB = 1536
STDOUT_KEPT = 1 << 20  # bytes of stdout kept for asserts; the rest is counted


@dataclass
class Outcome:
    code: int
    stdout: bytes  # the first STDOUT_KEPT bytes
    stdout_size: int
    stderr: str
    peak_mib: int  # apicli's own process
    child_peak_mib: int  # the largest of its children (the jq child)
    seconds: float
    killed: str | None  # why the runner killed it, if it did

    def describe(self) -> str:
        return (
            f"exit {self.code}, {self.stdout_size} bytes out, {self.peak_mib} MiB (child {self.child_peak_mib} MiB), "
            f"{self.seconds:.1f} s, killed: {self.killed}; stderr: {self.stderr[:600]!r}"
        )


def _rss_mib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                found.extend(int(child) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return found


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 30.0,
    cwd: Path | None = None,
) -> Outcome:
    """Run `apicli ARGS`, sampling its memory; a runaway past KILL_AT_MIB or `timeout` is killed."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "APICLI_PROFILE")}
    environment.update(env or {})
    started = time.monotonic()
    proc = subprocess.Popen(
        [APICLI, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=cwd,
        start_new_session=True,
    )
    peaks = {"own": 0, "child": 0}
    killed: list[str] = []
    kept = bytearray()
    counted = [0]
    errors = bytearray()

    def kill(reason: str) -> None:
        if not killed:
            killed.append(reason)
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)

    def sample() -> None:
        while proc.poll() is None:
            own = _rss_mib(proc.pid)
            peaks["own"] = max(peaks["own"], own)
            for child in _children(proc.pid):
                peaks["child"] = max(peaks["child"], _rss_mib(child))
            if own > KILL_AT_MIB or peaks["child"] > KILL_AT_MIB:
                kill(f"memory past {KILL_AT_MIB} MiB")
            if time.monotonic() - started > timeout:
                kill(f"still running after {timeout:g} s")
            time.sleep(0.005)

    def drain_stdout() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 16):
            counted[0] += len(chunk)
            if len(kept) < STDOUT_KEPT:
                kept.extend(chunk[: STDOUT_KEPT - len(kept)])

    def drain_stderr() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read(1 << 16):
            if len(errors) < STDOUT_KEPT:
                errors.extend(chunk)

    threads = [threading.Thread(target=target, daemon=True) for target in (sample, drain_stdout, drain_stderr)]
    for thread in threads:
        thread.start()
    if stdin is not None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except OSError:
            pass
    code = proc.wait(timeout=timeout + 30)
    for thread in threads:
        thread.join(timeout=10)
    return Outcome(
        code=code,
        stdout=bytes(kept),
        stdout_size=counted[0],
        stderr=errors.decode("utf-8", "replace"),
        peak_mib=peaks["own"],
        child_peak_mib=peaks["child"],
        seconds=time.monotonic() - started,
        killed=killed[0] if killed else None,
    )


def _log(outcome: Outcome, bounded: bool) -> None:
    """With APICLI_HOSTILE_LOG=FILE, one JSON line per row: the figures the table is reported by."""
    path = os.environ.get("APICLI_HOSTILE_LOG")
    if not path:
        return
    row = {
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        "code": outcome.code,
        "peak_mib": outcome.peak_mib,
        "child_peak_mib": outcome.child_peak_mib,
        "seconds": round(outcome.seconds, 2),
        "bounded": bounded,
    }
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(row) + "\n")


def assert_clean(outcome: Outcome, code: int, *, stderr_has: str | Sequence[str] = (), bounded: bool = False) -> None:
    """The row's verdict: exit `code`, no traceback or internal error, every stderr line apicli's own.

    `bounded` rows (the huge and endless kinds) also hold apicli under RSS_CAP_MIB and the jq child
    under CHILD_RSS_CAP_MIB.
    """
    detail = outcome.describe()
    _log(outcome, bounded)
    assert outcome.killed is None, detail
    assert outcome.code == code, detail
    assert "Traceback" not in outcome.stderr and "internal error" not in outcome.stderr, detail
    assert "\x1b" not in outcome.stderr, detail  # pipes get no colour, and a server's escapes never pass
    needles = [stderr_has] if isinstance(stderr_has, str) else list(stderr_has)
    for needle in needles:
        assert needle in outcome.stderr, detail
    if code != 0:
        assert outcome.stderr.startswith("apicli: "), detail
    if bounded:
        assert outcome.peak_mib < RSS_CAP_MIB, detail
        assert outcome.child_peak_mib < CHILD_RSS_CAP_MIB, detail
