"""Shared fixtures: run the CLI in-process (on a fake clock: no real sleeps) or as a real subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from apicli.cli import run
from apicli.clock import TimeSource


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str
    sleeps: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8")


Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the developer's own ~/.config/apicli profiles out of every test (and its subprocesses)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.delenv("APICLI_CONFIG", raising=False)
    monkeypatch.delenv("APICLI_PROFILE", raising=False)


class FakeTime(TimeSource):
    """A run's time source whose waits are recorded and pass at once: the clock jumps ahead by each.

    The time is the real monotonic time plus every wait taken, so socket timeouts and servers
    still run in real time while a run's --max-time sees the waits as spent.

    A parallel run may return while a speculative page request is still in flight; that thread
    outlives its test, and its waits must not land in the next test's record.
    """

    __slots__ = ("earlier", "skipped", "sleeps")

    def __init__(self) -> None:
        super().__init__(monotonic=self.now, sleep=self.wait)
        self.sleeps: list[float] = []
        self.skipped = 0.0
        self.earlier = {thread for thread in threading.enumerate() if thread is not threading.main_thread()}

    def now(self) -> float:
        return time.monotonic() + self.skipped

    def wait(self, seconds: float) -> None:
        if threading.current_thread() not in self.earlier:
            self.sleeps.append(seconds)
            self.skipped += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    """The time source of the in-process runs of a test (`invoke`)."""
    return FakeTime()


@pytest.fixture
def sleeps(fake_time: FakeTime) -> list[float]:
    """The waits the test's runs took, in order."""
    return fake_time.sleeps


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> Invoke:
    """Run `apicli ARGS` in this process with captured streams; stdin is empty unless given."""

    def call(*args: str, stdin: bytes = b"", env: Mapping[str, str] | None = None) -> Result:
        out, err = io.BytesIO(), io.BytesIO()
        stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
        stdin_stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", stdout)
            patch.setattr(sys, "stderr", stderr)
            patch.setattr(sys, "stdin", stdin_stream)
            for name in ("NO_COLOR", "FORCE_COLOR", "APICLI_PROFILE", "APICLI_CONFIG"):
                patch.delenv(name, raising=False)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            before = len(fake_time.sleeps)
            code = run(list(args), time_source=fake_time)
        return Result(code, out.getvalue(), err.getvalue().decode("utf-8"), fake_time.sleeps[before:])

    return call


def apicli_command() -> list[str]:
    return [sys.executable, "-m", "apicli"]


@contextlib.contextmanager
def running_apicli(*args: str, release: threading.Event | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """apicli as a real process with piped output, killed if still running at the end; `release`
    (what a test server waits on) is set on the way out, so that no handler is left waiting."""
    process = subprocess.Popen(
        [*apicli_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        if release is not None:
            release.set()
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def run_process() -> Iterator[Callable[..., subprocess.CompletedProcess[bytes]]]:
    """Run apicli as a real process (pipes, signals, stdin behaviour)."""

    def call(
        *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[bytes]:
        environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        environment.update(env or {})
        return subprocess.run(
            [*apicli_command(), *args],
            input=stdin,
            capture_output=True,
            env=environment,
            timeout=timeout,
            stdin=subprocess.DEVNULL if stdin is None else None,
        )

    yield call


@pytest.fixture
def unused_port() -> int:
    """A loopback port with nothing listening on it."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def second_server() -> Iterator[object]:
    """Another loopback server on a different port: a different origin."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver listens on IPv4 loopback only."""
    return ("127.0.0.1", 0)
