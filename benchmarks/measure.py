"""Time commands, interleaved run by run, and record each one's exit status and peak RSS.

Each run is its own child process, spawned through a small launcher (GNU time, or
spawn_rss.py) that reports the command's peak RSS from its rusage; the wall time is taken
around spawn and exit. Tools take turns within a round, and the order rotates from round to round,
so slow drifts of the machine (thermal, page cache, a neighbour) spread over every tool.

The first run of each command writes its output to a file that the command's check
inspects; the other runs write to /dev/null.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# Given the file holding the first run's stdout; returns a complaint, or None if the output looks right.
OutputCheck = Callable[[Path], str | None]


@dataclass(frozen=True)
class Command:
    """One tool's invocation in one scenario."""

    key: str
    label: str
    argv: list[str] | None
    runs: int
    warmup: int = 1
    rss_meaningful: bool = True  # False for shell pipelines, whose RSS is only bash's
    check: OutputCheck | None = None
    output_file: Path | None = None  # a file the command writes itself; checked then removed
    stderr_tty: bool = False  # stderr on a pseudo-terminal, so progress bars are drawn
    tree_memory: bool = False  # peak memory of the whole process tree (spawn_rss.py --tree), not one process
    timeout: float = 300.0
    unavailable: str = ""  # why argv is None, or why the command is skipped


@dataclass(frozen=True)
class Sample:
    """One run."""

    seconds: float
    rss_kb: int
    returncode: int
    stderr_tail: str
    stderr_bytes: int
    timed_out: bool = False


@dataclass
class Measurement:
    """All runs of one command, and what went wrong with them."""

    command: Command
    samples: list[Sample] = field(default_factory=list)
    failure: str = ""
    check_warning: str = ""
    stderr_bytes_first: int = -1  # what the first successful run wrote to stderr
    hyperfine_median: float | None = None

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.failure

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def minimum(self) -> float | None:
        return min(s.seconds for s in self.samples) if self.samples else None

    @property
    def maximum(self) -> float | None:
        return max(s.seconds for s in self.samples) if self.samples else None

    @property
    def peak_rss_mb(self) -> float | None:
        """Largest peak RSS over the runs, in MB (10^6 bytes): the figure a memory goal cares about."""
        if not self.samples or not self.command.rss_meaningful:
            return None
        return max(s.rss_kb for s in self.samples) * 1024 / 1e6


class RssLauncher:
    """Spawns measured commands through a small forker, so that ru_maxrss is the command's own.

    The kernel carries a memory map's RSS high-water mark through fork and exec, so a
    command spawned straight from the harness would report at least the harness's peak
    RSS. GNU time (``-f %M``) forks from a 1 MB process; without it, spawn_rss.py does
    the same from an 8 MB one.
    """

    def __init__(self) -> None:
        gnu_time = Path("/usr/bin/time")
        self.uses_gnu_time = gnu_time.is_file() and _is_gnu_time(gnu_time)
        self._gnu_time = gnu_time
        self._spawner = [sys.executable, "-I", "-S", str(Path(__file__).with_name("spawn_rss.py"))]

    @property
    def name(self) -> str:
        return f"{self._gnu_time} -f %M" if self.uses_gnu_time else "benchmarks/spawn_rss.py (os.fork + os.wait4)"

    def wrap(self, argv: list[str], result_file: Path, *, tree: bool = False) -> list[str]:
        if tree:
            return [*self._spawner, "--tree", str(result_file), *argv]
        if self.uses_gnu_time:
            return [str(self._gnu_time), "-f", "%M", "-o", str(result_file), *argv]
        return [*self._spawner, str(result_file), *argv]

    @staticmethod
    def parse(result_file: Path) -> tuple[int, float | None]:
        """Peak RSS in KiB, and the launcher's own wall time if it reports one."""
        try:
            # GNU time puts "Command exited with non-zero status N" on a line of its own first.
            words = result_file.read_text().strip().splitlines()[-1].split()
            return int(words[0]), float(words[1]) if len(words) > 1 else None
        except (OSError, IndexError, ValueError):
            return 0, None


def _is_gnu_time(path: Path) -> bool:
    with tempfile.NamedTemporaryFile("r") as out:
        probe = subprocess.run([str(path), "-f", "%M", "-o", out.name, "true"], capture_output=True, check=False)
        return probe.returncode == 0 and out.read().strip().isdigit()


@dataclass
class _Drain:
    tail: bytearray = field(default_factory=bytearray)
    total: int = 0


@contextlib.contextmanager
def _pty_sink(cols: int = 100, rows: int = 30) -> Iterator[tuple[int, _Drain]]:
    """A pseudo-terminal whose output is drained and discarded, keeping only the last bytes."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    drained = _Drain()

    def drain() -> None:
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                drained.total += len(chunk)
                drained.tail.extend(chunk)
                del drained.tail[:-4096]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield slave, drained
    finally:
        os.close(slave)
        reader.join(timeout=2)
        os.close(master)


def run_once(command: Command, env: dict[str, str], stdout_path: Path | None, launcher: RssLauncher) -> Sample:
    """Run the command once; stdout goes to ``stdout_path`` or /dev/null."""
    assert command.argv is not None
    with contextlib.ExitStack() as stack:
        stdout = stack.enter_context(open(stdout_path or os.devnull, "wb"))
        err_file = stack.enter_context(tempfile.TemporaryFile())
        rss_file = Path(stack.enter_context(tempfile.NamedTemporaryFile("r", prefix="rss-")).name)
        drained: _Drain | None = None
        stderr_target: int | IO[bytes] = err_file
        if command.stderr_tty:
            stderr_target, drained = stack.enter_context(_pty_sink())
        start = time.perf_counter()
        proc = subprocess.Popen(
            launcher.wrap(command.argv, rss_file, tree=command.tree_memory),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr_target,
            env=env,
            start_new_session=True,  # one process group, so a timeout kills pipelines whole
        )
        # Wait on a pidfd: a timeout is possible without reaping the child early.
        pidfd = os.pidfd_open(proc.pid)
        try:
            ready, _, _ = select.select([pidfd], [], [], command.timeout)
        except BaseException:
            # Ctrl-C reaches only the harness (the child has its own session): take the child down too.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            os.close(pidfd)
        if not ready:
            os.killpg(proc.pid, signal.SIGKILL)
        returncode = proc.wait()
        elapsed = time.perf_counter() - start
        rss_kb, launcher_seconds = launcher.parse(rss_file)
        if drained is not None:
            raw, size = bytes(drained.tail), drained.total
        else:
            size = err_file.seek(0, os.SEEK_END)
            err_file.seek(max(0, size - 4096))
            raw = err_file.read()
    lines = [ln.strip() for ln in raw.decode("utf-8", "replace").replace("\r", "\n").splitlines() if ln.strip()]
    # Two lines: CLIs often end an error with a hint that says less than the line before it.
    tail = " / ".join(lines[-2:])
    # The launcher's own clock, when it has one, leaves out its start-up.
    seconds = launcher_seconds if launcher_seconds is not None else elapsed
    return Sample(seconds, rss_kb, returncode, tail[:300], size, timed_out=not ready)


def _record(measurement: Measurement, sample: Sample, checked_path: Path | None) -> None:
    """Add one run, turning a non-zero exit or a wrong output into a flag on the measurement."""
    command = measurement.command
    if sample.timed_out:
        measurement.failure = f"timed out after {command.timeout:g} s"
        return
    if sample.returncode != 0:
        detail = f": {sample.stderr_tail}" if sample.stderr_tail else ""
        measurement.failure = f"exit {sample.returncode}{detail}"
        return
    if measurement.stderr_bytes_first < 0:
        measurement.stderr_bytes_first = sample.stderr_bytes
    target = command.output_file or checked_path
    if command.check and target is not None and not measurement.check_warning:
        measurement.check_warning = command.check(target) or ""


def measure_interleaved(
    commands: list[Command],
    env: dict[str, str],
    scratch: Path,
    launcher: RssLauncher,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> list[Measurement]:
    """Warm every command up, then run them round-robin until each has its run count.

    A command that exits non-zero is dropped from further rounds: repeating a failure
    costs time and teaches nothing.
    """
    results = [Measurement(c) for c in commands]
    active = [m for m in results if m.command.argv and m.command.runs > 0]
    scratch.mkdir(parents=True, exist_ok=True)

    def one_run(m: Measurement, counted: bool, first: bool) -> None:
        stdout_path = scratch / f"stdout-{m.command.key}" if first else None
        sample = run_once(m.command, env, stdout_path, launcher)
        _record(m, sample, stdout_path if first else None)
        if counted and sample.returncode == 0:
            m.samples.append(sample)
        for leftover in (stdout_path, m.command.output_file):
            if leftover is not None:
                leftover.unlink(missing_ok=True)

    for m in active:
        for i in range(m.command.warmup):
            if not m.failure:
                one_run(m, counted=False, first=i == 0)
    rounds = max((m.command.runs for m in active), default=0)
    for r in range(rounds):
        shift = r % len(active)
        shown = []
        for m in active[shift:] + active[:shift]:
            if m.failure or len(m.samples) >= m.command.runs:
                continue
            one_run(m, counted=True, first=m.command.warmup == 0 and not m.samples)
            last = f"{m.samples[-1].seconds:.3f}s" if m.samples and not m.failure else "failed"
            shown.append(f"{m.command.key} {last}")
        if shown:
            progress(f"  round {r + 1}/{rounds}: " + ", ".join(shown))
    return results


def hyperfine_medians(
    hyperfine: Path, measurements: list[Measurement], env: dict[str, str], runs: int, scratch: Path
) -> None:
    """Cross-check the medians with hyperfine (-N: no shell), for the commands that succeeded."""
    usable = [m for m in measurements if m.ok and m.command.argv and m.command.output_file is None]
    if not usable:
        return
    export = scratch / "hyperfine.json"
    argv = [str(hyperfine), "-N", "--style", "none", "--warmup", "1", "--runs", str(max(runs, 2))]
    argv += ["--export-json", str(export)]
    for m in usable:
        assert m.command.argv is not None
        argv += ["--command-name", m.command.key, shlex.join(m.command.argv)]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"warning: hyperfine failed: {result.stderr.strip()[-200:]}", file=sys.stderr)
        return
    by_name = {r["command"]: r["median"] for r in json.loads(export.read_text())["results"]}
    for m in usable:
        m.hyperfine_median = by_name.get(m.command.key)
    export.unlink(missing_ok=True)
