"""`apicli batch` pacing in real time, measured by the server's own timestamps (generous bounds).

--rate spaces request starts over every worker; a 429 with Retry-After seen by one worker holds
all of them until it has run.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.faults.behaviours import RetryAfter, json_reply
from tests.faults.faultserver import FaultServer
from tests.faults.loopback import serve
from tests.process.conftest import APICLI, base_environment


@pytest.fixture
def server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


def _run(args: list[str], lines: list[object]) -> subprocess.CompletedProcess[bytes]:
    stdin = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    return subprocess.run(
        [APICLI, "batch", *args], input=stdin, capture_output=True, env=base_environment(), timeout=30
    )


def test_rate_spaces_requests_over_all_workers(server: FaultServer) -> None:
    server.script("/r", json_reply({}))
    done = _run(["--base-url", server.url(), "--parallel", "8", "--rate", "20/s"], [{"url": "/r"}] * 30)
    assert done.returncode == 0, done.stderr
    arrivals = sorted(request.received_at for request in server.requests)
    assert len(arrivals) == 30
    span = arrivals[-1] - arrivals[0]
    assert 1.3 <= span <= 2.0, span  # 29 intervals of 50 ms
    most_in_a_second = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert most_in_a_second <= 21


def test_a_429_with_retry_after_pauses_every_worker(server: FaultServer) -> None:
    server.script("/limited", [RetryAfter(1, status=429), json_reply({"after": True})])
    server.script("/other", json_reply({}))
    lines: list[object] = [{"url": "/other"}] * 4 + [{"url": "/limited"}] + [{"url": "/other"}] * 60
    done = _run(["--base-url", server.url(), "--parallel", "4", "--rate", "40/s"], lines)
    assert done.returncode == 0, done.stderr
    limited = server.requests_for("/limited")
    assert len(limited) == 2
    told = limited[0].received_at
    during = [r.received_at - told for r in server.requests if told + 0.1 < r.received_at < told + 0.9]
    assert during == []  # no worker sent anything while the server's Retry-After ran
    assert limited[1].received_at - told >= 0.9
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results[4]["attempts"] == 2 and results[4]["body"] == {"after": True}
