"""Process signals: SIGTERM acts like Ctrl-C, and --max-time is enforced by an alarm.

The alarm is the backstop that makes "never hangs" true even while a socket
read blocks: its handler raises in the main thread, wherever it is waiting.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import RequestTimeout


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def install_termination_handlers() -> None:
    signal.signal(signal.SIGTERM, _raise_interrupt)


@contextmanager
def deadline_alarm(max_time: float | None) -> Iterator[None]:
    """Raise RequestTimeout in the main thread once `max_time` seconds have passed."""
    if max_time is None or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RequestTimeout(f"--max-time of {max_time:g}s reached", hint="raise --max-time")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max_time)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
