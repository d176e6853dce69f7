"""Where a jq program runs: in this process for a brief program on a small input, else in its child."""

from __future__ import annotations

import json
import subprocess
import sys

from apicli.filters.jqfilter import BRIEF_INPUT_LIMIT, compile_jq


def test_a_brief_program_on_small_inputs_never_forks() -> None:
    program = compile_jq(".a", brief_here=True)
    assert program.worker is not None and program.worker.child is None
    program.expect(100)
    assert program.results('{"a": 12345678901234567890}') == ["12345678901234567890"]  # exact, as in the child
    assert program.worker.child is None


def test_a_large_or_unknown_input_forks_before_it_is_read() -> None:
    for size in (None, BRIEF_INPUT_LIMIT):
        program = compile_jq(".a", brief_here=True)
        program.expect(size)
        assert program.worker is not None and program.worker.child is not None
        program.worker.stop()


def test_an_input_larger_than_announced_still_goes_to_the_child() -> None:
    program = compile_jq("length", brief_here=True)
    program.expect(10)  # a compressed body can decode to much more than its Content-Length
    big = json.dumps(["x" * 1000] * (BRIEF_INPUT_LIMIT // 1000 + 1))
    assert program.results(big) == [str(BRIEF_INPUT_LIMIT // 1000 + 1)]
    assert program.worker is not None and program.worker.child is not None
    program.worker.stop()


def test_a_program_that_may_compute_for_long_forks_at_once() -> None:
    program = compile_jq("[limit(3; repeat(1))]", brief_here=True)
    assert program.worker is not None and program.worker.child is not None  # before any input
    assert program.results("null") == ["[1,1,1]"]
    program.worker.stop()


def test_stop_ends_the_child_even_after_the_exit_handlers_ran() -> None:
    # Once atexit's handlers have run, a weakref.finalize does nothing when called: stop must not
    # rely on it, or every child forked later would be left running. In a process of its own, as
    # the exit handlers cannot be undone.
    program = (
        "import os\n"
        "from apicli import compat\n"
        "from apicli.filters.jqfilter import compile_jq\n"
        "compile_jq('repeat(1)')\n"  # a first child: weakref.finalize joins the exit handlers
        "compat.run_exit_handlers()\n"
        "program = compile_jq('repeat(1)')\n"  # may compute for long: forked at once
        "pid = program.worker.child[0]\n"
        "program.worker.stop()\n"
        "try:\n"
        "    os.kill(pid, 0)\n"
        "    os.write(1, b'running')\n"
        "except ProcessLookupError:\n"
        "    os.write(1, b'gone')\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"gone", b"")
