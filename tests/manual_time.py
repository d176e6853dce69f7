"""A time source that moves only when told to or when waited on: for unit tests of the clock's users."""

from __future__ import annotations

from apicli.clock import Clock, TimeSource


class ManualTime(TimeSource):
    __slots__ = ("current", "sleeps")

    def __init__(self, now: float = 1000.0) -> None:
        super().__init__(monotonic=self.now, sleep=self.wait)
        self.current = now
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.current

    def wait(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds

    def advance(self, seconds: float) -> None:
        self.current += seconds

    def clock(self, max_time: float | None = None) -> Clock:
        """A run's clock on this time, with `max_time` seconds of budget from now."""
        return Clock(max_time, self)
