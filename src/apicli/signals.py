"""Process signals: SIGTERM acts like Ctrl-C, and an alarm backs up the run's clock.

The alarm is the backstop that makes "never hangs" true even where no code can look at
the clock (clock.py): its handler raises in the main thread, wherever it is waiting.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .clock import SHORTEST_TIMEOUT, Clock


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def install_termination_handlers() -> None:
    signal.signal(signal.SIGTERM, _raise_interrupt)


@contextmanager
def deadline_alarm(clock: Clock) -> Iterator[None]:
    """Raise the clock's run-out-of-time error in the main thread once its budget is spent.

    Every wait and read checks the clock itself; the alarm is the backstop for what cannot:
    a blocking call that makes progress too slowly for any socket timeout to fire (a response
    head trickled a byte at a time), a name lookup, a libjq computation, a write to a full pipe.
    """
    remaining = clock.remaining()
    if remaining is None or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise clock.expired_error()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(remaining, SHORTEST_TIMEOUT))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
