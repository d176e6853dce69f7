"""Retry waits: Retry-After and rate-limit parsing, caps, deadlines, and method rules."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Iterator

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.response import HTTPResponse

from apicli.clock import UNLIMITED
from apicli.spec import RetryPolicy
from apicli.transport.retry import (
    ApicliRetry,
    GaveUp,
    RetryHooks,
    attempts_made,
    backoff_wait,
    build_retry,
    no_jitter,
    parse_delay,
    rate_limit_delay,
)
from tests.conftest import Invoke
from tests.faults import FaultServer, Reply
from tests.faults.loopback import serve
from tests.hostile.test_streams import Dropped, sse
from tests.manual_time import ManualTime


def test_parse_delay_seconds_and_dates() -> None:
    assert parse_delay("5") == 5
    assert parse_delay(" 2.5 ") == 2.5
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_delay(date, now=1_000_000) == pytest.approx(30)
    assert parse_delay(email.utils.formatdate(999_000, usegmt=True), now=1_000_000) == 0
    assert parse_delay("soon") is None
    assert parse_delay("nan") is None


def test_rate_limit_delay_needs_an_exhausted_budget() -> None:
    assert rate_limit_delay({"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}) == 12
    assert rate_limit_delay({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000100"}, now=1_700_000_000) == 100
    assert rate_limit_delay({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "9"}) is None
    assert rate_limit_delay({"X-RateLimit-Remaining": "0"}) is None
    assert rate_limit_delay({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-4"}) is None


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=40))
def test_parse_delay_never_raises(text: str) -> None:
    result = parse_delay(text)
    assert result is None or result >= 0


@settings(max_examples=1000, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Remaining", "X-RateLimit-Reset"]),
        st.text(max_size=20),
    )
)
def test_rate_limit_delay_never_raises(headers: dict[str, str]) -> None:
    result = rate_limit_delay(headers)
    assert result is None or result >= 0


def _response(status: int, headers: dict[str, str] | None = None) -> HTTPResponse:
    return HTTPResponse(body=b"", headers=headers or {}, status=status, preload_content=False)


def test_waits_are_capped_and_reported() -> None:
    lines: list[str] = []
    retry = ApicliRetry(total=3, status_forcelist={503}, hooks=RetryHooks(max_wait=5, note=lines.append, limit=3))
    following = retry.increment("GET", "/x", response=_response(503, {"Retry-After": "100"}))
    assert following.planned_wait == 5
    assert lines == ["HTTP 503 from the server; retry 1 of 3 in 5 s (Retry-After, capped by --retry-max-wait)"]


def test_a_wait_past_the_deadline_is_not_taken() -> None:
    hooks = RetryHooks(clock=ManualTime().clock(max_time=2.0))
    retry = ApicliRetry(total=3, status_forcelist={503}, hooks=hooks)
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/x", response=_response(503, {"Retry-After": "5"}))


def test_sleep_waits_on_the_runs_clock() -> None:
    time = ManualTime()
    retry = ApicliRetry(total=3, hooks=RetryHooks(clock=time.clock()), planned_wait=1.5)
    retry.sleep()
    assert time.sleeps == [1.5]


def test_copies_keep_the_hooks() -> None:
    hooks = RetryHooks()
    retry = ApicliRetry(total=2, hooks=hooks)
    assert retry.new(total=1).hooks is hooks


def test_unsafe_methods_are_allowed_only_when_asked() -> None:
    safe = build_retry(RetryPolicy(), unsafe_allowed=False, clock=UNLIMITED, report=print)
    unsafe = build_retry(RetryPolicy(), unsafe_allowed=True, clock=UNLIMITED, report=print)
    assert not safe.is_retry("POST", 503)
    assert safe.is_retry("GET", 503)
    assert unsafe.is_retry("POST", 503) and unsafe.is_retry("PATCH", 429)


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    lines: list[str] = []
    retry = ApicliRetry(total=3, connect=3, hooks=RetryHooks(note=lines.append, limit=3))
    failure = NameResolutionError("api.invalid", None, OSError("Name or service not known"))  # type: ignore[arg-type]
    with pytest.raises(GaveUp) as raised:
        retry.increment("GET", "/x", error=failure)
    assert raised.value.attempts == 1
    assert lines == []


def test_the_attempts_made_are_known_when_retries_run_out() -> None:
    lines: list[str] = []
    retry = ApicliRetry(total=1, connect=1, hooks=RetryHooks(note=lines.append, limit=1, backoff=0))
    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    second = retry.increment("GET", "/x", error=refused)
    with pytest.raises(GaveUp) as raised:
        second.increment("GET", "/x", error=refused)
    assert raised.value.attempts == 2
    assert attempts_made(requests.exceptions.ConnectionError(raised.value)) == 2
    assert lines == ["connection refused by the server; retry 1 of 1 in 0 s"]


# -- the one backoff schedule (B22) -----------------------------------------------------------------

NO_JITTER = {"jitter": lambda low, high: 0.0}


@pytest.fixture
def server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


def test_the_backoff_doubles_from_the_base_and_the_cap_holds() -> None:
    waits = [backoff_wait(n, backoff=0.5, max_wait=3, **NO_JITTER).seconds for n in (1, 2, 3, 4, 5)]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]
    capped = backoff_wait(3, backoff=8, max_wait=1, **NO_JITTER)
    assert (capped.seconds, capped.why) == (1, "backoff, capped by --retry-max-wait")


def test_jitter_adds_at_most_one_backoff() -> None:
    waits = {backoff_wait(2, backoff=1, max_wait=60).seconds for _ in range(200)}
    assert all(2 <= wait <= 3 for wait in waits) and len(waits) > 1


def test_a_servers_delay_replaces_the_backoff_and_is_capped() -> None:
    assert backoff_wait(1, backoff=8, max_wait=60, server_delay=2.5).seconds == 2.5
    huge = backoff_wait(1, backoff=0, max_wait=1, server_delay=99999999.999, server_reason="the stream's retry:")
    assert (huge.seconds, huge.why) == (1, "the stream's retry:, capped by --retry-max-wait")


def test_a_wait_that_reaches_the_deadline_is_past_it() -> None:
    assert backoff_wait(1, backoff=1, max_wait=5, clock=ManualTime().clock(max_time=0.5), **NO_JITTER).past_deadline
    assert not backoff_wait(1, backoff=1, max_wait=5, clock=ManualTime().clock(max_time=2), **NO_JITTER).past_deadline


# The schedule, pinned: any change to a wait or its reason fails here. Jitter is fixed at half a
# backoff (it may add anything up to one); `left` is what remains of --max-time (None: no budget).
HALF_JITTER = {"jitter": lambda low, high: high / 2}
RA, SSE, RESET = "Retry-After", "the stream's retry:", "rate-limit reset"
CAPPED = ", capped by --retry-max-wait"
SCHEDULE = [
    # attempt, backoff, max_wait, (server delay, its reason), left -> seconds, why, past the deadline
    (1, 0.5, 60, None, None, 0.75, "backoff", False),
    (2, 0.5, 60, None, None, 1.25, "backoff", False),
    (3, 0.5, 60, None, None, 2.25, "backoff", False),
    (4, 1.0, 60, None, None, 8.5, "backoff", False),
    (7, 1.0, 60, None, None, 60, "backoff" + CAPPED, False),
    (10**6, 1.0, 60, None, None, 60, "backoff" + CAPPED, False),
    (1, 0.0, 60, None, None, 0.0, "backoff", False),
    (3, 8.0, 1, None, None, 1, "backoff" + CAPPED, False),
    (1, 0.5, 60, (30.0, RA), None, 30.0, RA, False),
    (3, 0.5, 60, (0.0, RA), None, 0.0, RA, False),
    (1, 0.5, 5, (100.0, RA), None, 5, RA + CAPPED, False),
    (1, 0.5, 60, (float("nan"), RA), None, 0.75, "backoff", False),
    (1, 0.5, 60, (7.0, RESET), None, 7.0, RESET, False),
    (2, 0.5, 60, (1.5, SSE), None, 1.5, SSE, False),
    (1, 0.5, 2.5, (1e11, SSE), None, 2.5, SSE + CAPPED, False),
    (1, 1.0, 60, None, 2.0, 1.5, "backoff", False),
    (1, 1.0, 60, None, 1.5, 1.5, "backoff", True),  # a wait that ends at the deadline is not taken
    (1, 0.5, 60, (30.0, RA), 5.0, 30.0, RA, True),
    (1, 0.5, 60, (1.5, SSE), 1.0, 1.5, SSE, True),
    (1, 0.5, 10, (30.0, RA), 12.0, 10, RA + CAPPED, False),  # the cap brings it within the budget
    (1, 0.0, 60, None, 0.0, 0.0, "backoff", True),  # the budget is spent: not even a 0 s wait
]


@pytest.mark.parametrize(("attempt", "backoff", "max_wait", "server", "left", "seconds", "why", "past"), SCHEDULE)
def test_the_one_backoff_schedule(
    attempt: int,
    backoff: float,
    max_wait: float,
    server: tuple[float, str] | None,
    left: float | None,
    seconds: float,
    why: str,
    past: bool,
) -> None:
    delay, reason = server if server is not None else (None, RA)
    clock = ManualTime().clock(max_time=left) if left is not None and left > 0 else None
    if left == 0:
        time = ManualTime()
        clock = time.clock(max_time=1)
        time.advance(1)
    wait = backoff_wait(
        attempt, backoff=backoff, max_wait=max_wait, server_delay=delay, server_reason=reason, clock=clock,
        **HALF_JITTER,
    )  # fmt: skip
    assert (wait.seconds, wait.why, wait.past_deadline) == (seconds, why, past)


def test_until_polling_is_the_schedule_with_a_base_that_does_not_grow() -> None:
    waits = [backoff_wait(n, backoff=2, max_wait=math.inf, growth=1.0, jitter=no_jitter) for n in (1, 2, 50)]
    assert [(wait.seconds, wait.why) for wait in waits] == [(2, "backoff")] * 3


@given(st.integers(min_value=1, max_value=10**6), st.floats(0, 1e6), st.floats(0, 1e6), st.none() | st.floats(0, 1e300))
def test_any_attempt_gives_a_wait_within_the_cap(attempt: int, backoff: float, cap: float, delay: float | None) -> None:
    wait = backoff_wait(attempt, backoff=backoff, max_wait=cap, server_delay=delay)
    assert 0 <= wait.seconds <= cap


def test_http_retries_wait_no_longer_than_retry_max_wait(server: FaultServer, invoke: Invoke) -> None:
    server.script("/busy", Reply(503))
    result = invoke("get", server.url("/busy"), "--backoff", "8", "--retries", "3", "--retry-max-wait", "1")
    assert result.code == 5
    assert result.sleeps == [1, 1, 1]


def test_stream_reconnects_follow_the_same_schedule(server: FaultServer, invoke: Invoke) -> None:
    broken = Dropped(sse(b"data: 1\n\n"))
    server.script("/s", [broken, broken, broken, sse(b"data: [DONE]\n\n")])
    result = invoke("get", server.url("/s"), "--events", "--backoff", "8", "--retries", "3",
                    "--retry-max-wait", "1")  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.sleeps == [1, 1, 1]  # not 8, 16, 32: 56 s


def test_a_streams_retry_field_is_capped_too(server: FaultServer, invoke: Invoke) -> None:
    server.script("/s", [Dropped(sse(b"retry: 99999999999\ndata: 1\n\n")), sse(b"data: [DONE]\n\n")])
    result = invoke("get", server.url("/s"), "--events", "--retries", "2", "--retry-max-wait", "2.5")
    assert result.code == 0, result.stderr
    assert result.sleeps == [2.5]
    assert "in 2.5 s (the stream's retry:, capped by --retry-max-wait)" in result.stderr


def test_a_streams_retry_field_sets_the_wait(server: FaultServer, invoke: Invoke) -> None:
    server.script("/s", [Dropped(sse(b"retry: 1500\ndata: 1\n\n")), sse(b"data: [DONE]\n\n")])
    result = invoke("get", server.url("/s"), "--events", "--retries", "2")
    assert (result.code, result.sleeps) == (0, [1.5])


def test_a_streams_retry_field_changes_the_reconnect_delay_each_time_it_is_sent(
    server: FaultServer, invoke: Invoke
) -> None:
    server.script(
        "/s",
        [
            Dropped(sse(b"data: 1\n\n")),  # no retry: yet: the backoff
            Dropped(sse(b"retry: 4000\ndata: 2\n\n")),
            Dropped(sse(b"retry: 250\ndata: 3\n\n")),
            Dropped(sse(b"data: 4\n\n")),  # the last retry: holds for the rest of the stream
            sse(b"data: [DONE]\n\n"),
        ],
    )
    result = invoke("get", server.url("/s"), "--events", "--retries", "4", "--backoff", "0")
    assert result.code == 0, result.stderr
    assert result.sleeps == [4, 0.25, 0.25]  # the first, 0 s, is no wait at all
    assert [line.rpartition(" in ")[2] for line in result.stderr.splitlines()] == [
        "0 s",
        "4 s (the stream's retry:)",
        "0.2 s (the stream's retry:)",
        "0.2 s (the stream's retry:)",
    ]
