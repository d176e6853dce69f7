"""Where a jq program runs: in this process for a brief program on a small input, else in its child."""

from __future__ import annotations

import json

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
