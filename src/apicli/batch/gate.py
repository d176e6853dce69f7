"""What the workers of a batch share besides the session: one gate every attempt passes, one token refresh.

`Gate` spaces attempts by --rate over all workers (the interval `paginate --rate` gives) and
holds them all while a server's Retry-After (or rate-limit reset) runs: a 429 seen by one
worker slows every worker. `GatedRetry` is the session's retry policy with its waits taken at
the gate, so a retry is paced like a first attempt. Every wait goes through the run's clock,
so none runs past --max-time and tests never sleep.

`SharedRefresh` wraps fetched credentials (OAuth2, a credential helper): a 401 seen by several
workers at once refreshes the token once, and the others reuse the fresh one.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any, Self

from urllib3.response import BaseHTTPResponse

from ..clock import Clock
from ..errors import Interrupted
from ..spec import HeaderSource
from ..transport.retry import ApicliRetry, backoff_wait, is_rate_limited, parse_delay, rate_limit_delay

# A request whose own line carries an Idempotency-Key may be retried though it is a POST or PATCH.
_UNSAFE = frozenset({"POST", "PATCH"})
_this_request = threading.local()


def allow_unsafe_retries(allowed: bool) -> None:
    """Whether the request this thread sends next may be retried if it is a POST or PATCH (its Idempotency-Key)."""
    _this_request.unsafe = allowed


# The statuses whose Retry-After (or rate-limit reset) pauses every worker, not only the one that got it.
PAUSING_STATUSES = frozenset({429, 503})


class Gate:
    """The one place a batch's attempts wait: their own retry wait, a shared pause, their turn under --rate."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval  # seconds between attempt starts over all workers; 0: no pacing
        self.clock = clock
        self._lock = threading.Lock()
        self._next_slot: float | None = None
        self._paused_until = float("-inf")
        self._closed = False
        self.pauses = 0  # how often a server asked every worker to wait

    def pause(self, seconds: float) -> None:
        """Hold every attempt for `seconds` from now (a longer pause already running stands)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock.now() + seconds)
            self.pauses += 1

    def close(self) -> None:
        """The run is stopping: an attempt that comes to the gate from now on is not made."""
        with self._lock:
            self._closed = True

    def enter(self, own_wait: float = 0.0) -> None:
        """Block until this attempt may go: after `own_wait` seconds, any pause, and its --rate slot."""
        ready_at = self.clock.now() + own_wait
        while True:
            with self._lock:
                if self._closed:
                    raise Interrupted("no further attempt: the batch was stopping")
                now = self.clock.now()
                target = max(ready_at, self._paused_until)
                if self.interval > 0 and self._next_slot is not None:
                    target = max(target, self._next_slot)
                if target <= now:
                    self._take_slot(now)
                    return
            # Outside the lock, and again after: a pause may have begun while this one waited.
            self.clock.sleep(target - now)

    def _take_slot(self, now: float) -> None:
        if self.interval <= 0:
            return
        slot = self._next_slot
        # Slots follow the schedule, not the moment a waiter woke, so wake-up delays do not add up;
        # after an idle spell the schedule restarts from now rather than letting a burst catch up.
        start = slot if slot is not None and now - slot < self.interval else now
        self._next_slot = start + self.interval


def server_delay(response: BaseHTTPResponse) -> float | None:
    """The wait a response asks of every client: Retry-After, else a rate-limit reset; None if it asks none."""
    header = response.headers.get("Retry-After")
    delay = parse_delay(header) if header is not None else None
    return delay if delay is not None else rate_limit_delay(response.headers)


class GatedRetry(ApicliRetry):
    """ApicliRetry whose waits are taken at the batch's gate, and whose server delays pause every worker."""

    def __init__(self, *args: Any, gate: Gate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    @classmethod
    def gating(cls, retry: ApicliRetry, gate: Gate) -> GatedRetry:
        """`retry` (the session's policy as built) with its waits taken at `gate`."""
        gated = copy.copy(retry)
        gated.__class__ = cls
        assert isinstance(gated, GatedRetry)
        gated.gate = gate
        return gated

    def new(self, **kw: Any) -> Self:
        kw.setdefault("gate", self.gate)
        return super().new(**kw)

    def _is_method_retryable(self, method: str) -> bool:
        if super()._is_method_retryable(method):
            return True
        return method.upper() in _UNSAFE and getattr(_this_request, "unsafe", False)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        if response is not None and self.gate is not None and _asks_everyone_to_wait(response):
            delay = server_delay(response)
            if delay is not None:
                hooks = self.hooks
                wait = backoff_wait(1, backoff=hooks.backoff, max_wait=hooks.max_wait, server_delay=delay)
                self.gate.pause(wait.seconds)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.gate is None:
            super().sleep(response)
            return
        self.gate.enter(self.planned_wait)


def _asks_everyone_to_wait(response: BaseHTTPResponse) -> bool:
    return response.status in PAUSING_STATUSES or (response.status == 403 and is_rate_limited(response))


class SharedRefresh:
    """A HeaderSource over another: after a 401, only the first worker with the old token fetches a new one."""

    def __init__(self, source: HeaderSource) -> None:
        self.source = source
        self.refresh_on_401 = source.refresh_on_401
        self.header_names = source.header_names
        self._lock = threading.Lock()
        self._current: Mapping[str, str] | None = None
        self.refreshes = 0

    def headers(self, request: Any, *, fresh: bool = False) -> dict[str, str]:
        with self._lock:
            current = self._current
            if fresh and current is not None and not _carries(request, current):
                return dict(current)  # sent with an older token: another worker has refreshed it already
            if fresh:
                self.refreshes += 1
            self._current = dict(self.source.headers(request, fresh=fresh))
            return dict(self._current)


def _carries(request: Any, headers: Mapping[str, str]) -> bool:
    sent = getattr(request, "headers", {}) or {}
    return all(sent.get(name) == value for name, value in headers.items())
