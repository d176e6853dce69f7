"""The retry policy as a urllib3 `Retry` subclass.

urllib3 decides *whether* to retry; this subclass decides *how long* to wait:
Retry-After (seconds or HTTP-date), RateLimit-Reset / X-RateLimit-Reset when the
remaining budget is 0, else exponential backoff with jitter. Every wait is
capped by --retry-max-wait and never runs past the --max-time deadline, and the
sleep function is injectable so tests never sleep.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple, Self

from urllib3.exceptions import MaxRetryError, ProtocolError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from .spec import DEFAULT_BACKOFF, DEFAULT_RETRY_MAX_WAIT, IDEMPOTENT_METHODS, RetryPolicy

RetryReporter = Callable[[str], None]
_EPOCH_THRESHOLD = 1_000_000_000  # X-RateLimit-Reset above this is a Unix time, below it a delay


def _no_report(message: str) -> None:
    return None


class RetryHooks(NamedTuple):
    """What a Retry needs beyond urllib3's own parameters; shared by every copy."""

    sleep: Callable[[float], None] = time.sleep
    max_wait: float = DEFAULT_RETRY_MAX_WAIT
    backoff: float = DEFAULT_BACKOFF
    deadline: float | None = None  # time.monotonic() value
    report: RetryReporter = _no_report
    clock: Callable[[], float] = time.monotonic


def parse_delay(value: str, now: float | None = None) -> float | None:
    """Seconds to wait for a Retry-After value (delta seconds or HTTP-date); None if unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        try:
            seconds = email.utils.mktime_tz(parsed) - (time.time() if now is None else now)
        except (OverflowError, ValueError):
            return None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def rate_limit_delay(headers: Any, now: float | None = None) -> float | None:
    """Delay until the rate-limit window resets, when the remaining budget is exhausted."""
    remaining = headers.get("RateLimit-Remaining", headers.get("X-RateLimit-Remaining"))
    if remaining is None or remaining.strip() != "0":
        return None
    reset = headers.get("RateLimit-Reset", headers.get("X-RateLimit-Reset"))
    if reset is None:
        return None
    try:
        value = float(reset.strip())
    except ValueError:
        return None
    if value != value or value < 0 or value == float("inf"):
        return None
    if value > _EPOCH_THRESHOLD:
        return max(0.0, value - (time.time() if now is None else now))
    return value


def is_rate_limited(response: BaseHTTPResponse) -> bool:
    remaining = response.headers.get("X-RateLimit-Remaining", response.headers.get("RateLimit-Remaining"))
    return remaining is not None and remaining.strip() == "0"


def is_oversized_head(error: BaseException) -> bool:
    """Whether http.client gave up on the response head: a header line too long, or too many lines."""
    inner = error.args[-1] if isinstance(error, ProtocolError) and error.args else error
    if isinstance(inner, http.client.LineTooLong):
        return True
    return isinstance(inner, http.client.HTTPException) and str(inner).startswith("got more than")


class ApicliRetry(Retry):
    """Retry with capped, deadline-aware, reported and injectable waits."""

    def __init__(self, *args: Any, hooks: RetryHooks | None = None, planned_wait: float = 0.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.hooks = hooks or RetryHooks()
        self.planned_wait = planned_wait

    def new(self, **kw: Any) -> Self:
        kw.setdefault("hooks", self.hooks)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if method is not None and not self._is_method_retryable(method):
            # POST/PATCH without --retry-unsafe or an Idempotency-Key: not even a refused connection.
            self.hooks.report(f"{_describe_error(error)}; not retrying a {method.upper()} (see --retry-unsafe)")
            raise MaxRetryError(_pool, url or "", error)
        if error is not None and is_oversized_head(error):
            # Too many or too long header lines will not shrink on another try.
            raise MaxRetryError(_pool, url or "", error)
        # A 403 is retried only when it is a rate-limit answer (GitHub style).
        if response is not None and response.status == 403 and not is_rate_limited(response):
            raise MaxRetryError(_pool, url or "", ResponseError("403 is not a rate limit"))
        new_retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait, why = self._plan_wait(new_retry, response)
        reason = f"HTTP {response.status}" if response is not None else _describe_error(error)
        deadline = self.hooks.deadline
        if deadline is not None and self.hooks.clock() + wait >= deadline:
            self.hooks.report(f"{reason}; not retrying: waiting {wait:.1f}s would pass --max-time")
            raise MaxRetryError(_pool, url or "", error or ResponseError(reason))
        attempt = len(new_retry.history) + 1
        self.hooks.report(f"{reason}; retrying in {wait:.2f}s ({why}), attempt {attempt}")
        new_retry.planned_wait = wait
        return new_retry

    def _plan_wait(self, new_retry: ApicliRetry, response: BaseHTTPResponse | None) -> tuple[float, str]:
        hooks = self.hooks
        wait: float | None = None
        why = "backoff"
        if response is not None:
            header = response.headers.get("Retry-After")
            if header is not None:
                wait = parse_delay(header)
                why = "Retry-After"
            if wait is None:
                wait = rate_limit_delay(response.headers)
                why = "rate-limit reset"
        if wait is None:
            failures = len(new_retry.history)
            wait = hooks.backoff * (2 ** (failures - 1)) + random.uniform(0, hooks.backoff)
            why = "backoff"
        if wait > hooks.max_wait:
            return hooks.max_wait, f"{why}, capped by --retry-max-wait"
        return wait, why

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.planned_wait > 0:
            self.hooks.sleep(self.planned_wait)


def _describe_error(error: Exception | None) -> str:
    if error is None:
        return "error"
    name = type(error).__name__
    if "ReadTimeout" in name:
        return "read timeout"
    if "NewConnection" in name or "NameResolution" in name:
        return "could not connect"
    if "ConnectTimeout" in name:
        return "connect timeout"
    return f"connection error ({name})"


def build_retry(
    policy: RetryPolicy,
    *,
    unsafe_allowed: bool,
    deadline: float | None,
    report: RetryReporter,
) -> ApicliRetry:
    """The Retry for one session: idempotent methods only unless unsafe retries are allowed."""
    methods = set(IDEMPOTENT_METHODS)
    if unsafe_allowed:
        methods |= {"POST", "PATCH"}
    hooks = RetryHooks(
        sleep=policy.sleep, max_wait=policy.max_wait, backoff=policy.backoff, deadline=deadline, report=report
    )
    return ApicliRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries,
        status=policy.retries,
        other=0,
        redirect=None,
        allowed_methods=frozenset(methods),
        status_forcelist=frozenset((*policy.statuses, 403)),
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
        hooks=hooks,
    )
