"""The one time budget of a run: --max-time, and every wait and read measured against it.

A run creates one `Clock` when its command starts (from --max-time, or the overall limit
that --until always has) and hands it to the transport and to everything that waits or
reads. This is the only module that compares the time with the deadline: the others ask
the clock what is left (`remaining`), for a socket timeout or wait cut to that (`cap`),
whether it ran out (`expired`, `check`), or to wait (`sleep`).

The time and the waiting come from a `TimeSource`, real by default; a test passes one of
its own, so no test sleeps or patches a module to keep a run from sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import RequestTimeout

# setitimer overflows far beyond any real budget; a larger --max-time is refused as a usage error.
LONGEST_BUDGET = 1e8  # seconds
# A socket timeout of 0 would mean "do not block" to the socket layer: the least the clock hands out.
SHORTEST_TIMEOUT = 0.001


class TimeSource:
    """Where a run reads the time, and how it waits (a plain class: a NamedTuple costs start-up time)."""

    __slots__ = ("monotonic", "sleep")

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.monotonic = monotonic
        self.sleep = sleep


REAL_TIME = TimeSource()
# The source of the run being started; one run at a time starts in a process (`run`).
_given = [REAL_TIME]


@contextmanager
def given_time_source(source: TimeSource | None) -> Iterator[None]:
    """Within the block, runs start their clocks on `source` (None: the real time)."""
    _given.append(source or REAL_TIME)
    try:
        yield
    finally:
        _given.pop()


def run_time_source() -> TimeSource:
    """The time source the run being started was given."""
    return _given[-1]


class Clock:
    """A run's time budget: unlimited without --max-time."""

    __slots__ = ("_deadline", "max_time", "source")

    def __init__(self, max_time: float | None = None, source: TimeSource = REAL_TIME) -> None:
        # An out-of-range --max-time is refused with a usage error once the flags are checked;
        # until then it sets no budget.
        self.max_time = max_time if max_time is not None and 0 < max_time < LONGEST_BUDGET else None
        self.source = source
        self._deadline = None if self.max_time is None else source.monotonic() + self.max_time

    @property
    def limited(self) -> bool:
        return self._deadline is not None

    def now(self) -> float:
        """The source's monotonic time: for measuring durations in the run's own time."""
        return self.source.monotonic()

    def remaining(self) -> float | None:
        """Seconds left (negative once past); None without a budget."""
        return None if self._deadline is None else self._deadline - self.source.monotonic()

    def expired(self, slack: float = 0.0) -> bool:
        """Whether at most `slack` seconds are left."""
        left = self.remaining()
        return left is not None and left <= slack

    def would_pass(self, seconds: float) -> bool:
        """Whether waiting `seconds` from now reaches the deadline."""
        left = self.remaining()
        return left is not None and seconds >= left

    def timeout(self) -> float | None:
        """What is left as a timeout for a blocking call: never below SHORTEST_TIMEOUT; None without a budget."""
        left = self.remaining()
        return None if left is None else max(left, SHORTEST_TIMEOUT)

    def cap(self, seconds: float) -> float:
        """`seconds` cut to what is left: a socket timeout or a poll that ends with the run."""
        left = self.timeout()
        return seconds if left is None else min(seconds, left)

    def expired_error(self, while_doing: str | None = None) -> RequestTimeout:
        """The error of a run out of time (exit 8), naming what it was doing when that is not plain."""
        if while_doing is not None:
            message = f"--max-time reached while {while_doing}"
        elif self.max_time is not None:
            message = f"--max-time of {self.max_time:g}s reached"
        else:
            message = "--max-time reached"
        return RequestTimeout(message, hint="raise --max-time")

    def check(self, while_doing: str | None = None) -> None:
        """Raise the run-out-of-time error once the deadline has passed."""
        if self.expired():
            raise self.expired_error(while_doing)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`; a wait that reaches the deadline ends there, with the run-out-of-time error."""
        if seconds <= 0:
            return
        left = self.remaining()
        if left is not None and seconds >= left:
            if left > 0:
                self.source.sleep(left)
            raise self.expired_error()
        self.source.sleep(seconds)

    def within(self, seconds: float) -> Clock:
        """A budget of `seconds` from now that ends no later than this one (a helper's own time limit)."""
        inner = Clock(source=self.source)
        inner.max_time = seconds
        inner._deadline = self.now() + seconds
        if self._deadline is not None:
            inner._deadline = min(inner._deadline, self._deadline)
        return inner


UNLIMITED = Clock()
