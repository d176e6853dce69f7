"""End to end against a misbehaving server: every fault ends in the right exit code, promptly.

Each test scripts one fault on the loopback fault server, runs the CLI, and checks the exit code,
stdout, stderr, any file on disk, how many requests reached the server and how long it took.
Retry waits go through the injected sleep (``Result.sleeps``), so nothing here sleeps for real
beyond the fractions of a second a stall or drip takes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Invoke, Result
from tests.faults import (
    Drip,
    Exchange,
    FaultServer,
    NoReply,
    RateLimited,
    Reply,
    ResetMidBody,
    RetryAfter,
    ShortBody,
    SilentListener,
    StallAfterHeaders,
    forbidden_rate_limited,
    json_reply,
    redirect,
)

BODY = bytes(range(256)) * 40  # 10 KiB that is not text, so any mangling shows
FAST = ("--retries", "0")
NO_WAIT = ("--backoff", "0")


class CloseAtOnce:
    """Read the request, then reset the connection before a single byte of response."""

    def serve(self, exchange: Exchange) -> None:
        exchange.reset()


def timed(call: Callable[[], Result]) -> tuple[Result, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def assert_clean_failure(result: Result, code: int, start: str) -> None:
    assert result.code == code, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert "Traceback" not in result.stderr


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# -- connections that break ----------------------------------------------------------------------


def test_reset_mid_body_is_exit_7_and_says_the_output_is_incomplete(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/reset", ResetMidBody(Reply(200, body=BODY), after=3000))

    result = invoke("get", fault_server.url("/reset"))

    assert_clean_failure(result, 7, "apicli: connection reset by the server")
    assert "output is incomplete (3000 bytes written)" in result.stderr
    # What was streamed is exactly what arrived, and a body already under way is never retried
    # (a second attempt would write the start of the body twice).
    assert result.stdout == BODY[:3000]
    assert len(fault_server.requests_for("/reset")) == 1


def test_reset_mid_body_leaves_an_output_file_untouched(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/reset", ResetMidBody(Reply(200, body=BODY), after=3000))
    target = tmp_path / "data.bin"
    target.write_bytes(b"previous contents")

    result = invoke("get", fault_server.url("/reset"), "-o", str(target))

    assert_clean_failure(result, 7, "apicli: connection reset by the server")
    assert result.stdout == b""
    assert target.read_bytes() == b"previous contents"
    assert leftovers(tmp_path) == ["data.bin"]  # no temporary file left behind


def test_reset_before_the_response_is_retried_and_output_once(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/flaky", [CloseAtOnce(), CloseAtOnce(), Reply(200, body=BODY)])

    result = invoke("get", fault_server.url("/flaky"), *NO_WAIT)

    assert result.code == 0, result.stderr
    assert result.stdout == BODY
    assert len(fault_server.requests_for("/flaky")) == 3


def test_reset_before_the_response_exhausts_retries(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/dead", CloseAtOnce())

    result = invoke("get", fault_server.url("/dead"), "--retries", "2", *NO_WAIT)

    assert_clean_failure(result, 7, "apicli: ")
    assert result.stdout == b""
    assert len(fault_server.requests_for("/dead")) == 3


def test_post_is_not_resent_after_the_connection_drops(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/orders", [CloseAtOnce(), json_reply({"id": 1}, status=201)])

    result = invoke("post", fault_server.url("/orders"), "item=book", *NO_WAIT)

    assert_clean_failure(result, 7, "apicli: ")
    assert len(fault_server.requests_for("/orders")) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_short_body_is_an_error_never_success(fault_server: FaultServer, invoke: Invoke, chunked: bool) -> None:
    fault_server.script("/short", ShortBody(Reply(200, body=BODY, chunked=chunked), sent=4000))

    result = invoke("get", fault_server.url("/short"))

    assert_clean_failure(result, 7, "apicli: the server closed the connection before the body was complete")
    assert "output is incomplete" in result.stderr
    assert BODY.startswith(result.stdout) and len(result.stdout) < len(BODY)


@pytest.mark.parametrize("mode", ["--pretty", "-o"])
def test_short_body_with_pretty_or_file_writes_nothing(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, mode: str
) -> None:
    body = json.dumps({"items": list(range(2000))}).encode()
    fault_server.script("/short", ShortBody(Reply(200, {"Content-Type": "application/json"}, body), sent=500))
    target = tmp_path / "out.json"
    args = ("--pretty",) if mode == "--pretty" else ("-o", str(target))

    result = invoke("get", fault_server.url("/short"), *args)

    assert_clean_failure(result, 7, "apicli: the server closed the connection before the body was complete")
    assert result.stdout == b""
    assert leftovers(tmp_path) == []


# -- servers that go quiet -----------------------------------------------------------------------


def test_stall_after_headers_hits_the_read_timeout(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/stall", StallAfterHeaders(Reply(200, body=b"late"), seconds=10))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/stall"), "--timeout", "0.3"))

    assert_clean_failure(result, 8, "apicli: no data from http://127.0.0.1")
    assert "within 0.3s" in result.stderr and "--timeout" in result.stderr
    assert result.stdout == b""
    assert elapsed < 1.5
    assert len(fault_server.requests_for("/stall")) == 1  # the body was under way: no retry


def test_stall_after_headers_is_cut_by_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/stall", StallAfterHeaders(Reply(200, body=b"late"), seconds=10))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/stall"), "--max-time", "0.5"))

    assert_clean_failure(result, 8, "apicli: ")
    assert "--max-time" in result.stderr
    assert result.stdout == b""
    assert 0.4 <= elapsed < 1.5


def test_no_reply_is_retried_then_times_out(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/quiet", NoReply(seconds=10))

    result, elapsed = timed(
        lambda: invoke("get", fault_server.url("/quiet"), "--timeout", "0.2", "--retries", "2", *NO_WAIT)
    )

    assert_clean_failure(result, 8, "apicli: no data from")
    assert len(fault_server.requests_for("/quiet")) == 3
    assert elapsed < 2.0


def test_no_reply_with_retries_is_bounded_by_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/quiet", NoReply(seconds=10))

    result, elapsed = timed(
        lambda: invoke("get", fault_server.url("/quiet"), "--timeout", "5", "--retries", "10", "--max-time", "0.6")
    )

    assert result.code == 8, result.stderr
    assert "Traceback" not in result.stderr
    assert elapsed < 1.6


def test_post_with_no_reply_is_sent_once(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/orders", NoReply(seconds=10))

    result = invoke("post", fault_server.url("/orders"), "item=book", "--timeout", "0.2", *NO_WAIT)

    assert_clean_failure(result, 8, "apicli: no data from")
    assert len(fault_server.requests_for("/orders")) == 1


def test_a_slow_but_steady_drip_completes(fault_server: FaultServer, invoke: Invoke) -> None:
    # 0.4 s in all, more than --timeout, but no single gap is: a read timeout is per read.
    fault_server.script("/drip", Drip(Reply(200, body=b"0123456789" * 2), size=1, interval=0.02))

    result = invoke("get", fault_server.url("/drip"), "--timeout", "0.3")

    assert (result.code, result.stdout, result.stderr) == (0, b"0123456789" * 2, "")


def test_a_drip_slower_than_the_timeout_fails(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/drip", Drip(Reply(200, body=b"abcdef"), size=2, interval=1.0))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/drip"), "--timeout", "0.2"))

    assert_clean_failure(result, 8, "apicli: no data from")
    assert result.stdout == b"ab"
    assert elapsed < 1.0


def test_an_endless_drip_is_cut_by_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    # Each piece beats --timeout, so only the overall deadline can end it.
    fault_server.script("/drip", Drip(Reply(200, body=b"x" * 500), size=1, interval=0.02))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/drip"), "--max-time", "0.5"))

    assert_clean_failure(result, 8, "apicli: --max-time of 0.5s reached")
    assert 0 < len(result.stdout) < 500
    assert 0.45 <= elapsed < 1.5


def test_an_endless_drip_into_a_file_is_cut_and_leaves_nothing(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/drip", Drip(Reply(200, body=b"x" * 500), size=1, interval=0.02))

    result, elapsed = timed(
        lambda: invoke("get", fault_server.url("/drip"), "--max-time", "0.5", "-o", str(tmp_path / "f"))
    )

    assert_clean_failure(result, 8, "apicli: --max-time of 0.5s reached")
    assert leftovers(tmp_path) == []
    assert elapsed < 1.5


def test_silent_server_is_a_read_timeout(silent_server: SilentListener, invoke: Invoke) -> None:
    result, elapsed = timed(lambda: invoke("get", silent_server.url("/"), "--timeout", "0.2", *FAST))

    assert_clean_failure(result, 8, f"apicli: no data from {silent_server.url('/')} within 0.2s")
    assert result.stdout == b""
    assert elapsed < 1.0


def test_backlogged_server_is_a_connect_timeout(backlogged_server: SilentListener, invoke: Invoke) -> None:
    result, elapsed = timed(lambda: invoke("get", backlogged_server.url("/"), "--connect-timeout", "0.2", *FAST))

    assert_clean_failure(result, 8, f"apicli: connecting to {backlogged_server.url('/')} timed out after 0.2s")
    assert "--connect-timeout" in result.stderr
    assert elapsed < 1.0


def test_backlogged_server_with_retries_is_bounded_by_max_time(
    backlogged_server: SilentListener, invoke: Invoke
) -> None:
    result, elapsed = timed(
        lambda: invoke(
            "get", backlogged_server.url("/"), "--connect-timeout", "5", "--retries", "5", "--max-time", "0.5"
        )
    )

    assert result.code == 8, result.stderr
    assert elapsed < 1.5


def test_refused_connection_is_exit_7(refused_url: str, invoke: Invoke) -> None:
    result, elapsed = timed(lambda: invoke("get", refused_url, "--retries", "2", *NO_WAIT))

    where = refused_url.removeprefix("http://").rstrip("/")
    assert result.stderr.splitlines() == [
        f"apicli: connection refused by {where}; retry 1 of 2 in 0 s",
        f"apicli: connection refused by {where}; retry 2 of 2 in 0 s",
        f"apicli: connection refused ({refused_url}), after 3 attempts",
        "hint: check the host and port, and that the server is up",
    ]
    assert (result.code, result.stdout) == (7, b"")
    assert elapsed < 1.0


# -- throttling ----------------------------------------------------------------------------------


def test_503_storm_with_retry_after_seconds(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", [RetryAfter(seconds=7)] * 3 + [json_reply({"ok": True})])

    result = invoke("get", fault_server.url("/busy"))

    assert (result.code, result.stdout) == (0, b'{"ok": true}'), result.stderr
    assert len(fault_server.requests_for("/busy")) == 4
    assert result.sleeps == [7, 7, 7]


def test_503_storm_with_retry_after_http_date(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", [RetryAfter(seconds=30, http_date=True)] * 2 + [json_reply({"ok": True})])

    result = invoke("get", fault_server.url("/busy"))

    assert result.code == 0, result.stderr
    assert len(fault_server.requests_for("/busy")) == 3
    assert len(result.sleeps) == 2 and all(27 <= wait <= 31 for wait in result.sleeps), result.sleeps


def test_503_storm_that_never_ends_exits_5_with_nothing_on_stdout(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", RetryAfter(seconds=2))

    result = invoke("get", fault_server.url("/busy"), "--retries", "4")

    retries = [
        f"apicli: HTTP 503 from 127.0.0.1:{fault_server.port}; retry {n} of 4 in 2 s (Retry-After)" for n in range(1, 5)
    ]
    assert result.stderr.splitlines()[:4] == retries
    assert (
        result.stderr.splitlines()[4]
        == f"apicli: HTTP 503 Service Unavailable (GET {fault_server.url('/busy')}), after 5 attempts"
    )
    assert_clean_failure(result, 5, retries[0])
    assert '"error": "try later"' in result.stderr  # the last error body, on stderr
    assert result.stdout == b""
    assert len(fault_server.requests_for("/busy")) == 5
    assert result.sleeps == [2, 2, 2, 2]


def test_retry_after_is_capped_by_retry_max_wait(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", [RetryAfter(seconds=86400), json_reply({})])

    result = invoke("get", fault_server.url("/busy"), "--retry-max-wait", "3")

    assert result.code == 0 and result.sleeps == [3]
    # The long wait is announced, not taken in silence.
    assert result.stderr == (
        f"apicli: HTTP 503 from 127.0.0.1:{fault_server.port}; retry 1 of 3 in 3 s "
        "(Retry-After, capped by --retry-max-wait)\n"
    )


def test_retry_after_longer_than_max_time_gives_up_at_once(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", [RetryAfter(seconds=30), json_reply({})])

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/busy"), "--max-time", "5"))

    assert_clean_failure(result, 5, "apicli: HTTP 503")
    assert result.sleeps == []
    assert len(fault_server.requests_for("/busy")) == 1
    assert elapsed < 1.0


@pytest.mark.parametrize("header", ["RateLimit-Reset", "X-RateLimit-Reset"])
def test_429_waits_for_the_rate_limit_reset(fault_server: FaultServer, invoke: Invoke, header: str) -> None:
    fault_server.script("/limited", [RateLimited(reset_after=7, header=header), json_reply({"ok": True})])

    result = invoke("get", fault_server.url("/limited"))

    assert (result.code, result.stdout) == (0, b'{"ok": true}'), result.stderr
    assert result.sleeps == [7]
    assert len(fault_server.requests_for("/limited")) == 2


def test_403_with_no_remaining_rate_limit_is_retried_after_the_epoch_reset(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/limited", [forbidden_rate_limited(reset_after=60), json_reply({"ok": True})])

    result = invoke("get", fault_server.url("/limited"))

    assert result.code == 0, result.stderr
    assert len(result.sleeps) == 1 and 57 <= result.sleeps[0] <= 61
    assert len(fault_server.requests_for("/limited")) == 2


def test_403_rate_limit_that_persists_exits_4(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/limited", forbidden_rate_limited(reset_after=60))

    result = invoke("get", fault_server.url("/limited"), "--retries", "2", "-s")

    assert_clean_failure(result, 4, "apicli: HTTP 403 Forbidden")
    assert "; retry " not in result.stderr  # -s keeps only the error
    assert result.stdout == b""
    assert len(fault_server.requests_for("/limited")) == 3


def test_plain_403_is_not_a_rate_limit(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/forbidden", json_reply({"error": "no"}, status=403))

    result = invoke("get", fault_server.url("/forbidden"))

    assert_clean_failure(result, 4, "apicli: HTTP 403 Forbidden")
    assert result.sleeps == [] and len(fault_server.requests_for("/forbidden")) == 1


def test_unreadable_retry_after_falls_back_to_backoff(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", [RetryAfter(value="soon, maybe"), RetryAfter(value="Caturday"), json_reply({})])

    result = invoke("get", fault_server.url("/busy"), "--backoff", "0.25")

    assert result.code == 0, result.stderr
    assert len(result.sleeps) == 2 and all(0 <= wait <= 1.5 for wait in result.sleeps), result.sleeps


# -- redirects -----------------------------------------------------------------------------------


def test_redirect_loop_exits_6(fault_server: FaultServer, invoke: Invoke) -> None:
    first = fault_server.redirect_loop()

    result, elapsed = timed(lambda: invoke("get", fault_server.url(first), "--max-redirects", "5"))

    assert_clean_failure(result, 6, "apicli: more than 5 redirects from ")
    assert result.stdout == b""
    assert len(fault_server.requests) == 6
    assert elapsed < 2.0


def test_redirect_loop_with_the_default_limit_exits_6(fault_server: FaultServer, invoke: Invoke) -> None:
    first = fault_server.redirect_loop()

    result = invoke("get", fault_server.url(first))

    assert_clean_failure(result, 6, "apicli: more than 30 redirects")
    assert len(fault_server.requests) == 31


def test_redirect_chain_within_the_limit_is_followed(fault_server: FaultServer, invoke: Invoke) -> None:
    first = fault_server.redirect_chain(5, json_reply({"end": True}))

    result = invoke("get", fault_server.url(first), "--max-redirects", "5")

    assert (result.code, result.stdout) == (0, b'{"end": true}')


def test_redirect_to_another_origin_is_followed(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/away", redirect(other_fault_server.url("/landing"), status=307))
    other_fault_server.script("/landing", json_reply({"landed": True}))

    result = invoke("get", fault_server.url("/away"))

    assert (result.code, result.stdout, result.stderr) == (0, b'{"landed": true}', "")
    assert len(other_fault_server.requests_for("/landing")) == 1


def test_redirect_not_followed_exits_3(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/old", redirect("/new", status=301))

    result = invoke("get", fault_server.url("/old"), "--no-follow")

    assert_clean_failure(result, 3, "apicli: HTTP 301 Moved Permanently")
    assert "Location: /new" in result.stderr and result.stdout == b""
