"""--jq evaluation is bounded: --max-time and Ctrl-C stop any program, and its output is capped.

libjq holds the GIL while it runs, so these run apicli as a real process: an alarm or a signal
that cannot reach Python code would leave the process running past the test's timeout.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from apicli.filters import jqfilter
from tests.conftest import Invoke
from tests.faults import FaultServer, json_reply
from tests.faults.test_signals import interrupt, start, wait_until

RunProcess = Callable[..., subprocess.CompletedProcess[bytes]]
# A stream of results; one result after a long computation; one that never comes.
ENDLESS = ["range(1e9)", "[range(1e9)] | length", "last(range(1e9))"]


@pytest.mark.parametrize("program", ENDLESS)
def test_max_time_bounds_jq_evaluation(fault_server: FaultServer, run_process: RunProcess, program: str) -> None:
    fault_server.script("/doc", json_reply({"a": 1}))

    started = time.monotonic()
    result = run_process("get", fault_server.url("/doc"), "--jq", program, "--max-time", "1", timeout=20)
    took = time.monotonic() - started

    assert result.returncode == 8
    _streamed_whole_lines(program, result.stdout, interrupted=True)
    assert result.stderr == b"apicli: --max-time of 1s reached\nhint: raise --max-time\n"
    assert took < 4


def _streamed_whole_lines(program: str, stdout: bytes, *, interrupted: bool = False) -> None:
    """A stream of results passes through as libjq writes it: what came before the stop (a write
    that the stop cut short may end in part of a line, as the exit code says); the other programs
    write nothing before their one result."""
    if program != "range(1e9)":
        assert stdout == b""
        return
    whole = stdout[: stdout.rfind(b"\n") + 1]
    assert whole == b"".join(b"%d\n" % n for n in range(whole.count(b"\n")))
    assert interrupted or whole == stdout


@pytest.mark.parametrize("program", ENDLESS)
def test_ctrl_c_stops_jq_evaluation(fault_server: FaultServer, program: str) -> None:
    fault_server.script("/doc", json_reply({"a": 1}))
    proc = start("get", fault_server.url("/doc"), "--jq", program)
    wait_until(lambda: bool(fault_server.requests_for("/doc")))
    time.sleep(0.5)  # well into the evaluation

    code, out, err, took = interrupt(proc, signal.SIGINT)

    assert (code, err) == (130, "apicli: interrupted\n")
    _streamed_whole_lines(program, out, interrupted=True)
    assert took < 2


def test_max_time_bounds_jq_on_every_page(fault_server: FaultServer, run_process: RunProcess) -> None:
    fault_server.script("/items", json_reply([{"a": 1}, {"a": 2}]))

    result = run_process("paginate", fault_server.url("/items"), "--jq", "[range(1e9)] | length", "--max-time", "1")

    assert (result.returncode, result.stdout) == (8, b"")
    # The page's items run in one evaluation, so the deadline names the page, not an item.
    assert result.stderr == b"apicli: page 1: --max-time of 1s reached\nhint: raise --max-time\n"


def test_jq_output_held_in_memory_is_capped(
    fault_server: FaultServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With --schema the results are held until the body is checked (without it they pass through).
    monkeypatch.setattr(jqfilter, "RESULTS_LIMIT", 100_000)
    fault_server.script("/doc", json_reply({"a": 1}))
    schema = tmp_path / "any.json"
    schema.write_text("{}")

    result = invoke("get", fault_server.url("/doc"), "--jq", "range(1e9)", "--schema", str(schema))

    assert (result.code, result.stdout) == (1, b"")
    assert result.stderr == (
        "apicli: --jq output is larger than 100000 bytes\nhint: narrow the jq program, e.g. with limit(N; ...)\n"
    )


def test_a_jq_error_after_results_and_a_later_run_still_work(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/doc", json_reply([1, 2, "x", 4]))

    failed = invoke("get", fault_server.url("/doc"), "--jq", ".[] + 1")
    worked = invoke("get", fault_server.url("/doc"), "--jq", ".[0]")

    # The results before the error are written, as jq writes them.
    assert (failed.code, failed.stdout) == (2, b"2\n3\n"), failed.stderr
    assert failed.stderr.startswith('apicli: jq: error: string ("x") and number (1) cannot be added')
    assert (worked.code, worked.stdout, worked.stderr) == (0, b"1\n", "")


@pytest.mark.parametrize("program", ENDLESS)
def test_max_time_bounds_an_until_condition_that_computes_forever(
    fault_server: FaultServer, run_process: RunProcess, program: str
) -> None:
    # A small body, where a brief condition would be checked in-process: these are not brief, so
    # they still run in the child that the deadline can stop.
    fault_server.script("/doc", json_reply({"a": 1}))

    started = time.monotonic()
    result = run_process("get", fault_server.url("/doc"), "--until", program, "--max-time", "1", timeout=20)
    took = time.monotonic() - started

    assert (result.returncode, result.stdout) == (8, b"")
    assert result.stderr.startswith(b"apicli: ")
    assert took < 4


def test_ctrl_c_stops_an_until_condition_that_computes_forever(fault_server: FaultServer) -> None:
    fault_server.script("/doc", json_reply({"a": 1}))
    proc = start("get", fault_server.url("/doc"), "--until", "[range(1e9)] | length")
    wait_until(lambda: bool(fault_server.requests_for("/doc")))
    time.sleep(0.5)  # well into the evaluation

    code, out, err, took = interrupt(proc, signal.SIGINT)

    assert (code, out) == (130, b"")
    assert err.endswith("apicli: interrupted\n")
    assert took < 2
