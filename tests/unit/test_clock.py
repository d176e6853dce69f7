"""The run's clock: what is left of --max-time, timeouts cut to it, waits taken through it, and its error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.clock import SHORTEST_TIMEOUT, Clock, TimeSource, given_time_source, run_time_source
from apicli.errors import ExitCode, RequestTimeout
from tests.manual_time import ManualTime


def test_without_max_time_nothing_runs_out() -> None:
    time = ManualTime()
    clock = time.clock()
    time.advance(1e9)
    assert (clock.limited, clock.remaining(), clock.expired(), clock.would_pass(1e9)) == (False, None, False, False)
    assert clock.cap(30.0) == 30.0
    clock.check()
    clock.sleep(5)
    assert time.sleeps == [5]


@pytest.mark.parametrize("max_time", [0, -1, 1e8, float("inf"), float("nan")])
def test_an_out_of_range_max_time_sets_no_budget(max_time: float) -> None:
    # It is refused with a usage error once the flags are checked; until then it must not trip anything.
    assert Clock(max_time).remaining() is None


def test_the_budget_counts_down_from_the_start() -> None:
    time = ManualTime()
    clock = time.clock(max_time=5)
    time.advance(2)
    assert clock.remaining() == 3
    assert clock.would_pass(3) and not clock.would_pass(2.9)
    assert not clock.expired() and clock.expired(slack=3)
    time.advance(3)
    assert clock.expired()


def test_timeouts_are_cut_to_what_is_left_and_never_to_zero() -> None:
    time = ManualTime()
    clock = time.clock(max_time=5)
    assert (clock.cap(30), clock.cap(1)) == (5, 1)
    time.advance(10)
    assert clock.cap(30) == SHORTEST_TIMEOUT  # 0 would make the socket non-blocking
    assert clock.timeout() == SHORTEST_TIMEOUT


def test_check_raises_the_max_time_error_once_the_budget_is_spent() -> None:
    time = ManualTime()
    clock = time.clock(max_time=2.5)
    clock.check()
    time.advance(2.5)
    with pytest.raises(RequestTimeout) as raised:
        clock.check()
    assert (raised.value.message, raised.value.hint) == ("--max-time of 2.5s reached", "raise --max-time")
    assert raised.value.exit_code == ExitCode.TIMEOUT
    with pytest.raises(RequestTimeout, match=r"^--max-time reached while reading the body$"):
        clock.check("reading the body")


def test_a_wait_within_the_budget_is_taken_whole() -> None:
    time = ManualTime()
    clock = time.clock(max_time=5)
    clock.sleep(1.5)
    clock.sleep(0)
    assert time.sleeps == [1.5]


def test_a_wait_that_reaches_the_deadline_ends_there_with_the_error() -> None:
    time = ManualTime()
    clock = time.clock(max_time=5)
    time.advance(4)
    with pytest.raises(RequestTimeout, match="--max-time of 5s reached"):
        clock.sleep(10)
    assert time.sleeps == [1]
    with pytest.raises(RequestTimeout):
        clock.sleep(1)  # already spent: no wait at all
    assert time.sleeps == [1]


def test_a_budget_within_the_run_ends_with_whichever_comes_first() -> None:
    time = ManualTime()
    run = time.clock(max_time=10)
    assert run.within(30).remaining() == 10
    assert run.within(3).remaining() == 3
    assert time.clock().within(30).remaining() == 30


def test_runs_start_their_clocks_on_the_given_time_source() -> None:
    source = TimeSource(monotonic=lambda: 42.0, sleep=lambda seconds: None)
    with given_time_source(source):
        assert run_time_source() is source
        with given_time_source(None):
            assert run_time_source() is not source
        assert Clock(5, run_time_source()).now() == 42.0
    assert run_time_source() is not source


@given(st.floats(0.01, 1e6), st.floats(-1e6, 1e6), st.floats(0, 1e6))
def test_a_capped_timeout_is_within_what_was_asked_and_what_is_left(
    max_time: float, elapsed: float, asked: float
) -> None:
    time = ManualTime()
    clock = time.clock(max_time=max_time)
    time.advance(max(elapsed, 0))
    capped = clock.cap(asked)
    left = clock.remaining()
    assert left is not None
    assert capped <= asked
    assert capped <= max(left, SHORTEST_TIMEOUT)
    assert capped == asked or capped >= SHORTEST_TIMEOUT
