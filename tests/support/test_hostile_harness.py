"""The runner itself: it must see memory, kill a runaway and report a traceback, or the table proves nothing."""

from __future__ import annotations

import pytest

from tests.hostile.harness import Outcome, assert_clean, run


def test_a_clean_usage_error_passes() -> None:
    outcome = run(["get"])
    assert_clean(outcome, 2)


def test_memory_is_sampled_while_the_process_runs() -> None:
    # A usage error still imports the CLI: some tens of MiB, never zero.
    outcome = run(["--version"])
    assert outcome.code == 0
    assert 5 < outcome.peak_mib < 100, outcome.describe()


def test_a_traceback_fails_the_row() -> None:
    outcome = Outcome(1, b"", 0, "Traceback (most recent call last):\n", 10, 0, 0.1, None)
    with pytest.raises(AssertionError):
        assert_clean(outcome, 1)


def test_memory_past_the_cap_fails_a_bounded_row() -> None:
    outcome = Outcome(0, b"", 0, "", 400, 0, 0.1, None)
    with pytest.raises(AssertionError):
        assert_clean(outcome, 0, bounded=True)
