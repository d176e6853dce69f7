"""Pacing requests (--delay, --rate) and the worker threads that fetch pages ahead (--parallel).

`Throttle` is shared by every thread that sends; it waits through the run's clock, so a
pause never runs past --max-time and tests never wait. `DaemonExecutor` is a thread pool whose workers are daemon
threads: a Ctrl-C, --max-time or an error ends the run at once, because nothing
joins a worker still blocked on a slow page (ThreadPoolExecutor joins its workers
at interpreter exit).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..clock import Clock

if TYPE_CHECKING:  # batch's workers come here without the pagination settings, so they are not loaded
    from .settings import Pacing

__all__ = ["DaemonExecutor", "Throttle"]

P = ParamSpec("P")
T = TypeVar("T")
_Job = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class Throttle:
    """Spaces request starts: a fixed pause before each request after the first, or a minimum interval.

    Not a backoff: --delay and --rate set a pace that nothing answered with, so it does not grow."""

    def __init__(self, pacing: Pacing, clock: Clock) -> None:
        self.pacing = pacing
        self.clock = clock
        self._lock = threading.Lock()
        self._last_start: float | None = None

    def wait(self) -> None:
        """Block until the next request may start."""
        interval = self.pacing.interval
        if interval <= 0:
            return
        # Held while sleeping so that parallel workers start one after another, not all together.
        with self._lock:
            if self._last_start is not None:
                pause = interval if self.pacing.fixed else self._last_start + interval - self.clock.now()
                if pause > 0:
                    self.clock.sleep(pause)
            self._last_start = self.clock.now()


class DaemonExecutor(Executor):
    """A fixed-size pool of daemon worker threads with the `concurrent.futures` interface."""

    def __init__(self, workers: int, name: str = "apicli-page") -> None:
        self._size = workers
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to an executor that was shut down")
            self._jobs.put((future, fn, args, kwargs))
            if len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads) + 1}", daemon=True)
                thread.start()
                self._threads.append(thread)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        job[0].cancel()
            for _ in self._threads:
                self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
            else:
                future.set_result(result)
