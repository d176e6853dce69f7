"""Retry waits: Retry-After and rate-limit parsing, caps, deadlines, and method rules."""

from __future__ import annotations

import email.utils

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.response import HTTPResponse

from apicli.retry import (
    ApicliRetry,
    GaveUp,
    RetryHooks,
    attempts_made,
    build_retry,
    parse_delay,
    rate_limit_delay,
)
from apicli.spec import RetryPolicy


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
    hooks = RetryHooks(deadline=10.0, clock=lambda: 8.0)
    retry = ApicliRetry(total=3, status_forcelist={503}, hooks=hooks)
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/x", response=_response(503, {"Retry-After": "5"}))


def test_sleep_uses_the_injected_function() -> None:
    slept: list[float] = []
    retry = ApicliRetry(total=3, hooks=RetryHooks(sleep=slept.append), planned_wait=1.5)
    retry.sleep()
    assert slept == [1.5]


def test_copies_keep_the_hooks() -> None:
    hooks = RetryHooks()
    retry = ApicliRetry(total=2, hooks=hooks)
    assert retry.new(total=1).hooks is hooks


def test_unsafe_methods_are_allowed_only_when_asked() -> None:
    safe = build_retry(RetryPolicy(), unsafe_allowed=False, deadline=None, report=print)
    unsafe = build_retry(RetryPolicy(), unsafe_allowed=True, deadline=None, report=print)
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
