"""The retry policy as a urllib3 `Retry` subclass, and the one backoff schedule.

urllib3 decides *whether* to retry; this subclass decides *how long* to wait:
Retry-After (seconds or HTTP-date), RateLimit-Reset / X-RateLimit-Reset when the
remaining budget is 0, else exponential backoff with jitter. The wait itself comes from
`backoff_wait`, which every wait between attempts in apicli uses (HTTP retries, event-stream
reconnects, download resumes, --until's polling): every retry wait is capped by --retry-max-wait,
none runs past --max-time, and each is taken through the run's clock, so tests never sleep.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple, Self

from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ..clock import UNLIMITED, Clock
from ..spec import DEFAULT_BACKOFF, DEFAULT_RETRY_MAX_WAIT, IDEMPOTENT_METHODS, RetryPolicy

RetryReporter = Callable[[str], None]
_EPOCH_THRESHOLD = 1_000_000_000  # X-RateLimit-Reset above this is a Unix time, below it a delay


def _no_report(message: str) -> None:
    return None


class RetryHooks(NamedTuple):
    """What a Retry needs beyond urllib3's own parameters; shared by every copy."""

    max_wait: float = DEFAULT_RETRY_MAX_WAIT
    backoff: float = DEFAULT_BACKOFF
    clock: Clock = UNLIMITED  # the run's: the waits are taken and checked against --max-time here
    report: RetryReporter = _no_report  # detail for -v
    note: RetryReporter = _no_report  # one line per retry, shown unless -s
    limit: int = 0  # the retries allowed, for "retry 2 of 4"


class Wait(NamedTuple):
    """How long to wait before the next attempt, and why (for the note shown)."""

    seconds: float
    why: str
    past_deadline: bool  # the wait would reach --max-time: do not wait, give up now


_DOUBLINGS = 60  # past this many, 2**n times any backoff exceeds every --retry-max-wait


def no_jitter(low: float, high: float) -> float:
    """For a wait that must be exactly what was asked (--interval)."""
    return 0.0


def backoff_wait(
    attempt: int,
    *,
    backoff: float,
    max_wait: float,
    server_delay: float | None = None,
    server_reason: str = "Retry-After",
    clock: Clock | None = None,
    growth: float = 2.0,
    jitter: Callable[[float, float], float] = random.uniform,
) -> Wait:
    """The wait before retry number `attempt` (from 1): the server's delay when it gave one
    (Retry-After, a rate-limit reset, an event stream's `retry:`), else `backoff` times `growth`
    per earlier attempt (doubled for retries, unchanged for --until's fixed --interval) plus up to
    one `backoff` of `jitter`; capped by --retry-max-wait. `past_deadline` when waiting that long
    would reach the end of `clock`'s budget."""
    if server_delay is not None and server_delay == server_delay:  # not NaN
        wait, why = max(0.0, server_delay), server_reason
    else:
        steps = min(max(attempt, 1) - 1, _DOUBLINGS)
        wait, why = backoff * growth**steps + (jitter(0, backoff) if backoff > 0 else 0.0), "backoff"
    if wait > max_wait:
        wait, why = max_wait, f"{why}, capped by --retry-max-wait"
    return Wait(wait, why, clock is not None and clock.would_pass(wait))


class GaveUp(MaxRetryError):
    """urllib3's MaxRetryError, knowing how many attempts were made, for the final error message."""

    def __init__(self, pool: Any, url: str, reason: Exception | None, attempts: int) -> None:
        super().__init__(pool, url, reason)
        self.attempts = attempts


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

    def __init__(
        self,
        *args: Any,
        hooks: RetryHooks | None = None,
        planned_wait: float = 0.0,
        answers: frozenset[int] = frozenset(),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.hooks = hooks or RetryHooks()
        self.planned_wait = planned_wait
        self.answers = answers  # --expect-status: statuses that are the answer, never retried

    def new(self, **kw: Any) -> Self:
        kw.setdefault("hooks", self.hooks)
        kw.setdefault("answers", self.answers)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # urllib3 retries a 413/429/503 with Retry-After whatever the forcelist says; an expected one is the answer.
        return status_code not in self.answers and super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        attempts = len(self.history) + 1
        reason = describe_failure(response, error, _pool)
        if method is not None and not self._is_method_retryable(method):
            # POST/PATCH without --retry-unsafe or an Idempotency-Key: not even a refused connection.
            self.hooks.report(f"{reason}; not retrying a {method.upper()} (see --retry-unsafe)")
            raise GaveUp(_pool, url or "", error, attempts)
        if error is not None and (is_oversized_head(error) or isinstance(error, NameResolutionError)):
            # Too many header lines will not shrink, and a name that does not resolve will not start to.
            raise GaveUp(_pool, url or "", error, attempts)
        # A 403 is retried only when it is a rate-limit answer (GitHub style).
        if response is not None and response.status == 403 and not is_rate_limited(response):
            raise GaveUp(_pool, url or "", ResponseError("403 is not a rate limit"), attempts)
        try:
            new_retry = super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError as exhausted:
            raise GaveUp(_pool, url or "", exhausted.reason, attempts) from error
        wait, why, past_deadline = self._plan_wait(new_retry, response)
        if past_deadline:
            self.hooks.report(f"{reason}; not retrying: waiting {wait:.1f}s would pass --max-time")
            raise GaveUp(_pool, url or "", error or ResponseError(reason), attempts)
        retry = len(new_retry.history)
        shown = f"{round(wait, 1):g} s" + ("" if why == "backoff" else f" ({why})")
        self.hooks.note(f"{reason}; retry {retry} of {self.hooks.limit} in {shown}")
        new_retry.planned_wait = wait
        return new_retry

    def _plan_wait(self, new_retry: ApicliRetry, response: BaseHTTPResponse | None) -> Wait:
        hooks = self.hooks
        delay: float | None = None
        why = "Retry-After"
        if response is not None:
            header = response.headers.get("Retry-After")
            if header is not None:
                delay = parse_delay(header)
            if delay is None:
                delay = rate_limit_delay(response.headers)
                why = "rate-limit reset"
        return backoff_wait(
            len(new_retry.history),
            backoff=hooks.backoff,
            max_wait=hooks.max_wait,
            server_delay=delay,
            server_reason=why,
            clock=hooks.clock,
        )

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.planned_wait > 0:
            self.hooks.clock.sleep(self.planned_wait)


def describe_failure(response: BaseHTTPResponse | None, error: Exception | None, pool: Any) -> str:
    """What failed, in words, naming the server: `HTTP 503 from host:port`, `connection refused by host`."""
    where = server_name(pool)
    if response is not None:
        return f"HTTP {response.status} from {where}"
    if error is not None and "socks" in sys.modules:  # the pool names the server, not the SOCKS proxy in between
        from .socks_errors import socks_problem

        found = socks_problem(error)
        if found is not None and found.timed_out:
            return f"connecting through {found.proxy} timed out"
        if found is not None:
            return f"could not go through {found.proxy}: {found.problem}"
    inner = error.args[-1] if isinstance(error, ProtocolError) and error.args else error
    if isinstance(inner, NameResolutionError):
        return f"could not resolve {where}"
    if isinstance(inner, NewConnectionError):
        refused = "refused" in str(inner).lower()
        return f"connection refused by {where}" if refused else f"could not connect to {where}"
    if isinstance(inner, ConnectTimeoutError):
        return f"connecting to {where} timed out"
    if isinstance(inner, ReadTimeoutError | TimeoutError):
        return f"no data from {where} within --timeout"
    if isinstance(inner, http.client.RemoteDisconnected):
        return f"{where} closed the connection without a response"
    if isinstance(inner, ConnectionResetError):
        return f"connection reset by {where}"
    if isinstance(inner, http.client.BadStatusLine):
        return f"an answer from {where} that is not HTTP"
    if isinstance(inner, SSLError):
        return f"TLS failure talking to {where}"
    return f"the connection to {where} broke"


def server_name(pool: Any) -> str:
    """host[:port] of a urllib3 pool, the port left out when it is the scheme's default."""
    host = getattr(pool, "host", None)
    if not isinstance(host, str) or not host:
        return "the server"
    shown = f"[{host}]" if ":" in host else host
    port = getattr(pool, "port", None)
    default = {"http": 80, "https": 443}.get(getattr(pool, "scheme", "http"))
    return shown if port is None or port == default else f"{shown}:{port}"


def attempts_made(error: BaseException) -> int | None:
    """How many attempts ended in `error`, when the retry policy recorded it."""
    current: BaseException | None = error
    for _ in range(10):
        if current is None:
            return None
        if isinstance(current, GaveUp):
            return current.attempts
        args = getattr(current, "args", ())
        nested = args[0] if args and isinstance(args[0], BaseException) else None
        current = nested or current.__context__
    return None


def build_retry(
    policy: RetryPolicy,
    *,
    unsafe_allowed: bool,
    clock: Clock,
    report: RetryReporter,
    note: RetryReporter = _no_report,
) -> ApicliRetry:
    """The Retry for one session: idempotent methods only unless unsafe retries are allowed."""
    methods = set(IDEMPOTENT_METHODS)
    if unsafe_allowed:
        methods |= {"POST", "PATCH"}
    hooks = RetryHooks(
        max_wait=policy.max_wait,
        backoff=policy.backoff,
        clock=clock,
        report=report,
        note=note,
        limit=policy.retries,
    )
    return ApicliRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries,
        status=policy.retries,
        other=0,
        redirect=None,
        allowed_methods=frozenset(methods),
        status_forcelist=frozenset((*policy.statuses, 403)) - policy.answers,
        answers=policy.answers,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
        hooks=hooks,
    )
