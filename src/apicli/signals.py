"""Process signals: SIGTERM acts like Ctrl-C, and --max-time is enforced by an alarm.

The alarm is the backstop that makes "never hangs" true even while a socket
read blocks: its handler raises in the main thread, wherever it is waiting.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import RequestTimeout

_LONGEST_ALARM = 1e8  # seconds; setitimer overflows far beyond any real deadline


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def install_termination_handlers() -> None:
    signal.signal(signal.SIGTERM, _raise_interrupt)


@contextmanager
def deadline_alarm(max_time: float | None) -> Iterator[float | None]:
    """Raise RequestTimeout in the main thread once `max_time` seconds have passed.

    Yields the deadline as a time.monotonic() value (None without --max-time), which the
    client uses to shorten socket timeouts and retry waits so that they end before it.
    """
    if max_time is None or not 0 < max_time < _LONGEST_ALARM:
        # Out-of-range values are refused with a usage error once the flags are checked.
        yield None
        return
    deadline = time.monotonic() + max_time
    if not hasattr(signal, "setitimer"):
        yield deadline
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RequestTimeout(f"--max-time of {max_time:g}s reached", hint="raise --max-time")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max_time)
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
