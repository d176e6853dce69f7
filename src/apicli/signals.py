"""Process signals: SIGTERM acts like Ctrl-C, and an alarm backs up the run's clock.

The alarm is the backstop that makes "never hangs" true even where no code can look at
the clock (clock.py): its handler raises in the main thread, wherever it is waiting.

A Python signal handler runs in the main thread between bytecodes; a blocking call there is
cut short (EINTR) so that it can. A signal that arrives after the main thread's last check
but before its next blocking call starts (a window of microseconds, longer on a loaded
machine), or one the kernel hands to another thread, interrupts nothing: it is noted, and
its handler waits until the call returns of itself, which on a silent stream is never. So a
watcher thread reads the wake-up descriptor CPython writes each signal's number to, and
after each one nudges the main thread a few times with SIGURG. That signal's handler does
nothing (and its default is to be ignored), but each nudge that finds the main thread
blocked cuts the call short, and the noted handler runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .clock import SHORTEST_TIMEOUT, Clock

_NUDGE = signal.SIGURG
# Seconds between a signal and each nudge: a main thread held off the processor inside the
# window is most likely back in its blocking call by the first, and surely by the last.
_NUDGE_PAUSES = (0.01, 0.04, 0.2, 0.75)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _nudged(signum: int, frame: FrameType | None) -> None:
    """The nudge's handler: being a Python handler is all it needs (a blocking call gets EINTR)."""


def install_termination_handlers() -> None:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    _watch_wakeups()


_watcher: tuple[int, int] | None = None  # the wake-up pipe (read end, write end) while a watcher runs


def _watch_wakeups() -> None:
    """Start the watcher, once per process (from the main thread; elsewhere there is no window to close)."""
    global _watcher
    if _watcher is not None or threading.current_thread() is not threading.main_thread():
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # CPython's handler never waits on a full pipe
    signal.signal(_NUDGE, _nudged)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    _watcher = (read_end, write_end)
    watcher = threading.Thread(
        target=_nudge_after_signals, args=(read_end, threading.main_thread().ident), name="apicli-signals", daemon=True
    )
    # Started with every signal blocked, which it keeps: the kernel then gives each signal to
    # the main thread, the only one that runs Python handlers.
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        watcher.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)


def _nudge_after_signals(read_end: int, main_thread: int | None) -> None:
    if main_thread is None:
        return
    while True:
        try:
            numbers = os.read(read_end, 64)
        except OSError:
            return
        if not numbers:
            return
        if all(number == _NUDGE for number in numbers):
            continue  # the watcher's own nudges
        for pause in _NUDGE_PAUSES:
            time.sleep(pause)
            try:
                signal.pthread_kill(main_thread, _NUDGE)
            except OSError:  # the main thread has ended
                return


def _forget_wakeups() -> None:
    """In a forked child: the watcher thread did not come along, and its pipe must not stay open
    (nor its number be written to once the child reuses it)."""
    global _watcher
    if _watcher is None:
        return
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for fd in _watcher:
        with contextlib.suppress(OSError):
            os.close(fd)
    _watcher = None


os.register_at_fork(after_in_child=_forget_wakeups)


def fork() -> int:
    """os.fork, without Python 3.12's warning that forking a process with threads may deadlock
    the child: apicli's children (the jq evaluator and its compile check) take none of the locks
    another thread may hold, and the watcher holds none while it waits."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork")
        return os.fork()


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
