"""A stale pooled connection is not a failed attempt.

The server keeps each connection alive, then drops it when the client reuses it: the request
meets a socket the server has just given up on. Each such reuse must be sent again at once on a
fresh connection, outside the retry budget, so a 503 storm always ends in the 503 (exit 5).
"""

from __future__ import annotations

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, KeepAliveThenDrop, json_reply

STORM_RUNS = 50
BUSY = json_reply({"error": "busy"}, status=503)


@pytest.mark.parametrize("run", range(STORM_RUNS))
def test_a_503_storm_on_dropped_keep_alive_connections_always_ends_in_the_503(
    fault_server: FaultServer, invoke: Invoke, run: int
) -> None:
    storm = KeepAliveThenDrop(BUSY)
    fault_server.script("/storm", storm)
    # Odd and even budgets: counting each dead reuse as an attempt would end an odd one on the reset.
    retries = 3 + run % 2

    result = invoke("get", fault_server.url("/storm"), "--retries", str(retries), "--backoff", "0")

    assert result.code == 5, result.stderr
    assert result.stdout == b""
    assert "apicli: HTTP 503 Service Unavailable (GET " in result.stderr, result.stderr
    assert "reset" not in result.stderr
    # Every attempt answered; each reuse in between was dropped and sent again for free.
    assert len(fault_server.requests_for("/storm")) == retries + 1
    assert storm.dropped == ["/storm"] * retries
    assert f", after {retries + 1} attempts" in result.stderr


@pytest.mark.parametrize("run", range(STORM_RUNS))
def test_a_server_that_closes_right_after_each_response_still_ends_in_the_503(
    fault_server: FaultServer, invoke: Invoke, run: int
) -> None:
    fault_server.script("/storm", KeepAliveThenDrop(BUSY, on_next_request=False))

    result = invoke("get", fault_server.url("/storm"), "--retries", "4", "--backoff", "0")

    assert result.code == 5, result.stderr
    assert len(fault_server.requests_for("/storm")) == 5


def test_a_post_on_a_dropped_connection_is_not_sent_again(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/first", KeepAliveThenDrop(json_reply({"ok": True})))
    fault_server.script("/post", json_reply({"created": True}, status=201))

    # Two requests of one run share the pool: the paginated case would too, but a redirect is simpler.
    fault_server.script("/go", KeepAliveThenDrop(json_reply({}, status=307, headers={"Location": "/post"})))
    result = invoke("post", fault_server.url("/go"), "a=1", "--retries", "4", "--backoff", "0")

    assert result.code == 7, result.stderr
    assert result.stderr.startswith("apicli: "), result.stderr
    assert fault_server.requests_for("/post") == []
