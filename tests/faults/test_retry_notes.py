"""Retries are visible: one line per retry on stderr (none with -s), and the final error counts the attempts."""

from __future__ import annotations

import pytest

from tests.conftest import Invoke
from tests.faults import Behaviour, Exchange, FaultServer, NoReply, SilentListener, json_reply

NO_WAIT = ("--backoff", "0")


def test_each_retry_of_a_read_timeout_is_announced_and_the_error_counts_the_attempts(
    silent_server: SilentListener, invoke: Invoke
) -> None:
    url = silent_server.url("/slow")

    result = invoke("get", url, "--timeout", "0.2", "--retries", "2", *NO_WAIT)

    where = f"127.0.0.1:{silent_server.port}"
    assert (result.code, result.stdout) == (8, b"")
    assert result.stderr.splitlines() == [
        f"apicli: no data from {where} within --timeout; retry 1 of 2 in 0 s",
        f"apicli: no data from {where} within --timeout; retry 2 of 2 in 0 s",
        f"apicli: no data from {url} within 0.2s, after 3 attempts",
        "hint: raise --timeout",
    ]


def test_quiet_keeps_only_the_final_error(refused_url: str, invoke: Invoke) -> None:
    result = invoke("get", refused_url, "--retries", "3", "-s", *NO_WAIT)

    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.splitlines() == [
        f"apicli: connection refused ({refused_url}), after 4 attempts",
        "hint: check the host and port, and that the server is up",
    ]


def test_a_retry_that_succeeds_leaves_its_lines_and_a_clean_body(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/flaky", [NoReply(seconds=1), json_reply({"ok": True})])

    result = invoke("get", fault_server.url("/flaky"), "--timeout", "0.2", *NO_WAIT)

    assert (result.code, result.stdout) == (0, b'{"ok": true}')
    assert (
        result.stderr == f"apicli: no data from 127.0.0.1:{fault_server.port} within --timeout; retry 1 of 3 in 0 s\n"
    )


def test_a_single_attempt_does_not_count_itself(refused_url: str, invoke: Invoke) -> None:
    result = invoke("get", refused_url, "--retries", "0")

    assert result.code == 7
    assert result.stderr.splitlines()[0] == f"apicli: connection refused ({refused_url})"


class HangUpAtOnce:
    """Read the request and close cleanly (FIN) without a byte of response."""

    def serve(self, exchange: Exchange) -> None:
        return None


class NotHttp:
    def serve(self, exchange: Exchange) -> None:
        exchange.send(b"HTTP/1.1 abc\r\n\r\n")


@pytest.mark.parametrize(
    ("behaviour", "retry_line", "error"),
    [
        (
            HangUpAtOnce(),
            "{where} closed the connection without a response",
            "the server closed the connection without a response",
        ),
        (NotHttp(), "an answer from {where} that is not HTTP", "the server's answer is not an HTTP response"),
    ],
    ids=["hang-up", "not-http"],
)
def test_broken_answers_are_named_in_words_not_reprs(
    fault_server: FaultServer, invoke: Invoke, behaviour: Behaviour, retry_line: str, error: str
) -> None:
    fault_server.script("/broken", behaviour)
    url = fault_server.url("/broken")

    result = invoke("get", url, "--retries", "1", *NO_WAIT)

    where = f"127.0.0.1:{fault_server.port}"
    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.splitlines() == [
        "apicli: " + retry_line.format(where=where) + "; retry 1 of 1 in 0 s",
        f"apicli: {error} ({url}), after 2 attempts",
    ]
