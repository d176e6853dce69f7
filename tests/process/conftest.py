"""Run the installed `apicli` as a real process: on a pseudo-terminal, or with standard streams closed.

In-process runs swap sys.stdout for an in-memory stream, which can neither be a terminal nor
be closed; these helpers give the real thing, and return the exact bytes that were shown.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.faults.conftest import fault_ca, fault_ca_pem, fault_tls_context, tls_fault_server
from tests.faults.faultserver import FaultServer
from tests.terminal_screen import read_screen

__all__ = ["fault_ca", "fault_ca_pem", "fault_tls_context", "tls_fault_server"]  # fixtures shared with faults/

APICLI = str(Path(sys.executable).with_name("apicli"))  # the installed console script


def base_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "APICLI_PROFILE")}
    environment.update(extra or {})
    return environment


class Shown(NamedTuple):
    code: int
    screen: bytes  # everything the terminal received, stdout and stderr interleaved


def run_on_terminal(args: list[str], *, env: Mapping[str, str] | None = None, stdout_on_terminal: bool = True) -> Shown:
    """Run apicli with stderr (and stdout, unless told otherwise) on a pseudo-terminal; stdin is /dev/null."""
    main, secondary = pty.openpty()
    environment = base_environment({"TERM": "xterm-256color", **(env or {})})
    stdout = secondary if stdout_on_terminal else subprocess.DEVNULL
    proc = subprocess.Popen(
        [APICLI, *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=secondary, env=environment
    )
    os.close(secondary)
    screen = read_screen(main, proc)
    code = proc.wait(timeout=10)
    os.close(main)
    # The terminal driver turns "\n" into "\r\n"; undo that to compare with what apicli wrote.
    return Shown(code, screen.replace(b"\r\n", b"\n"))


def run_with_streams(
    args: list[str],
    *,
    close: tuple[int, ...] = (),
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run apicli with the given standard descriptors closed before it starts (as `>&-` does)."""

    def close_descriptors() -> None:
        for fd in close:
            os.close(fd)

    return subprocess.run(
        [APICLI, *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None and 0 not in close else None,
        capture_output=True,
        env=base_environment(env),
        cwd=cwd,
        timeout=30,
        preexec_fn=close_descriptors,
    )


@pytest.fixture
def hostile_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server
    if server.errors:
        raise server.errors[0]
