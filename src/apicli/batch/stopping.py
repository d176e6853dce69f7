"""How a batch stops: Ctrl-C, SIGTERM and --max-time ask it to, and it finishes its lines whole.

While a batch runs, the first SIGINT or SIGTERM only asks the run to stop (it stops sending, lets
the requests in flight finish within a short grace, and writes their results); a second one ends
it at once, unless a result line is being written, which is finished first (a third does not
wait). The --max-time alarm asks the same way, and is the backstop it always was when a write
blocks: it raises if the run is still writing a second later.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from ..clock import Clock

# A blocked write gets this long after the deadline before the alarm raises through it.
WRITE_BACKSTOP = 1.0


class StopRequest:
    """Why the run should stop, once something asked; set from a signal handler or the main loop."""

    def __init__(self) -> None:
        self.reason: str | None = None  # "interrupted", "deadline", "fail-fast"
        self.event = threading.Event()
        self.writing = False
        self.presses = 0

    def ask(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.event.set()

    @property
    def asked(self) -> bool:
        return self.reason is not None

    @contextmanager
    def whole_write(self) -> Iterator[None]:
        """A result line is being written: a second Ctrl-C waits for it."""
        self.writing = True
        try:
            yield
        finally:
            self.writing = False


@contextmanager
def stop_signals(stop: StopRequest, clock: Clock) -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and the deadline alarm ask `stop` instead of raising at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        stop.presses += 1
        stop.ask("interrupted")
        if stop.presses >= 3 or (stop.presses == 2 and not stop.writing):
            raise KeyboardInterrupt

    def deadline(signum: int, frame: FrameType | None) -> None:
        if stop.reason == "deadline" and stop.writing:
            raise clock.expired_error()
        stop.ask("deadline")
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, WRITE_BACKSTOP)

    previous: list[tuple[int, Any]] = []
    handlers: list[tuple[int, Callable[[int, FrameType | None], None]]] = [
        (signal.SIGINT, interrupt),
        (signal.SIGTERM, interrupt),
    ]
    if hasattr(signal, "SIGALRM"):
        handlers.append((signal.SIGALRM, deadline))
    for signum, handler in handlers:
        previous.append((signum, signal.signal(signum, handler)))
    try:
        yield
    finally:
        if stop.reason == "deadline" and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)  # the backstop re-armed above is no longer needed
        for signum, handler in previous:
            signal.signal(signum, handler)
