"""--max-time holds wherever a run waits or reads: one clock, checked by each, and the alarm behind it.

The runs here are in-process on the fake clock (conftest.FakeTime): a wait passes at once and moves
the clock on by its length, so a loop of waits meets --max-time without any real waiting. The reads
run in real time against loopback servers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import FakeTime, Invoke
from tests.faults import FaultServer, RangeFile, Reply
from tests.faults.behaviours import Drip, NoReply
from tests.faults.test_fault_e2e import assert_clean_failure, timed
from tests.faults.wire import Exchange, format_head
from tests.hostile.test_streams import Dropped, sse


def test_until_polling_stops_when_the_next_interval_would_pass_max_time(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/ready", Reply(200, body=b'{"ready": false}'))

    result = invoke("get", fault_server.url("/ready"), "--until", ".ready", "--interval", "2", "--max-time", "5")

    assert result.code == 8, result.stderr
    assert result.sleeps == [2, 2]  # attempts at 0, 2 and 4 s; a fourth at 6 s would be past 5
    assert len(fault_server.requests_for("/ready")) == 3
    assert "apicli: --until: not met after 3 attempts in 4.0 s; the last one got HTTP 200" in result.stderr
    assert result.stdout == b""


def test_until_polling_keeps_its_interval_whatever_the_backoff(fault_server: FaultServer, invoke: Invoke) -> None:
    # --interval is not a retry wait: neither --backoff nor --retry-max-wait changes it.
    fault_server.script("/ready", [Reply(503), Reply(503), Reply(503), Reply(200, body=b'{"ready": true}')])

    result = invoke(
        "get", fault_server.url("/ready"), "--until", ".ready", "--interval", "3", "--retries", "0",
        "--backoff", "7", "--retry-max-wait", "1",
    )  # fmt: skip

    assert (result.code, json.loads(result.stdout)) == (0, {"ready": True}), result.stderr
    assert result.sleeps == [3, 3, 3]


def test_an_event_stream_that_keeps_breaking_reconnects_only_within_max_time(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/s", Dropped(sse(b"data: 1\n\n")))

    result = invoke(
        "get", fault_server.url("/s"), "--events", "--retries", "50", "--backoff", "1", "--retry-max-wait", "1",
        "--max-time", "3.5",
    )  # fmt: skip

    # Three waits of 1 s fit in 3.5 s; the fourth would reach it, so the break is the error.
    assert result.sleeps == [1, 1, 1]
    assert len(fault_server.requests_for("/s")) == 4
    assert result.code == 7, result.stderr
    assert result.stderr.count("reconnecting") == 3
    assert len(result.stdout.splitlines()) == 4  # the one event of each connection


def test_a_download_that_keeps_breaking_resumes_only_within_max_time(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/blob.bin", RangeFile(bytes(range(256)) * 40, cut_after=100))

    result = invoke(
        "download", fault_server.url("/blob.bin"), "-d", str(tmp_path), "--retries", "50", "--backoff", "1",
        "--retry-max-wait", "1", "--max-time", "3.5",
    )  # fmt: skip

    assert result.sleeps == [1, 1, 1]
    assert len(fault_server.requests_for("/blob.bin")) == 4
    assert result.code == 1
    assert f"apicli: short body from {fault_server.url('/blob.bin')}: got 100 of 9940 bytes after 3 resumes" in (
        result.stderr
    )
    assert "blob.bin" not in {path.name for path in tmp_path.iterdir()}  # only the part, kept to resume


def test_a_retry_wait_longer_than_what_is_left_is_not_taken(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/busy", Reply(503))

    result = invoke("get", fault_server.url("/busy"), "--retries", "9", "--backoff", "2", "--retry-max-wait", "2",
                    "--max-time", "5", "-v")  # fmt: skip

    # Waits of 2 s (capped) at 0 and 2 s; at 4 s another 2 s would reach 5.
    assert result.sleeps == [2, 2]
    assert len(fault_server.requests_for("/busy")) == 3
    assert result.code == 5
    assert "not retrying: waiting 2.0s would pass --max-time" in result.stderr


@dataclass(frozen=True)
class SpendsTheBudget:
    """Sends part of a body, moves the run's clock past its --max-time, then sends the rest slowly."""

    time: FakeTime
    seconds: float

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [("Content-Length", "20")])
        exchange.send(b"0123456789")
        self.time.skipped += self.seconds
        for byte in b"abcdefghij":
            if not exchange.wait(0.2):
                return
            exchange.send(bytes([byte]))


def test_a_body_read_past_the_budget_is_cut_by_the_clock_before_the_alarm(
    fault_server: FaultServer, invoke: Invoke, fake_time: FakeTime
) -> None:
    # The alarm would fire after 30 s of real time; the clock says the budget is gone at once.
    fault_server.script("/body", SpendsTheBudget(fake_time, seconds=60))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/body"), "--max-time", "30"))

    assert_clean_failure(result, 8, "apicli: --max-time of 30s reached")
    assert len(result.stdout) < 20
    assert elapsed < 5


def test_a_body_trickled_a_byte_a_second_ends_at_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    # Every byte beats --timeout; only the overall budget ends the read.
    fault_server.script("/drip", Drip(Reply(200, body=b"x" * 30), size=1, interval=1.0))

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/drip"), "--timeout", "5", "--max-time", "1.5"))

    assert_clean_failure(result, 8, "apicli: --max-time of 1.5s reached")
    assert result.stdout in (b"x", b"xx")
    assert 1.4 <= elapsed < 3


@dataclass(frozen=True)
class TrickledHead:
    """A response head sent a byte at a time: http.client reads it with no chance to look at a clock."""

    interval: float = 0.05

    def serve(self, exchange: Exchange) -> None:
        head = format_head(200, [(f"X-Filler-{number}", "y" * 20) for number in range(500)])
        for byte in head:
            if not exchange.wait(self.interval):
                return
            try:
                exchange.send(bytes([byte]))
            except OSError:
                return


def test_a_head_trickled_a_byte_at_a_time_is_ended_by_the_alarm(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/head", TrickledHead())

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/head"), "--timeout", "5", "--max-time", "0.6"))

    assert_clean_failure(result, 8, "apicli: --max-time of 0.6s reached")
    assert result.stdout == b""
    assert 0.5 <= elapsed < 2


def test_a_stall_before_the_head_ends_at_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    # The socket timeout is cut to what is left of --max-time, so the read ends with the budget.
    fault_server.script("/quiet", NoReply(seconds=10))

    result, elapsed = timed(
        lambda: invoke("get", fault_server.url("/quiet"), "--timeout", "10", "--retries", "0", "--max-time", "0.5")
    )

    assert_clean_failure(result, 8, "apicli: --max-time of 0.5s reached")
    assert 0.4 <= elapsed < 2


def test_a_download_read_past_the_budget_is_cut_by_the_clock_and_keeps_its_part(
    fault_server: FaultServer, invoke: Invoke, fake_time: FakeTime, tmp_path: Path
) -> None:
    # The copy checks the clock between chunks, as a body on stdout does; the alarm is 30 s away.
    fault_server.script("/blob.bin", SpendsTheBudget(fake_time, seconds=60))

    result, elapsed = timed(
        lambda: invoke("download", fault_server.url("/blob.bin"), "-d", str(tmp_path), "--max-time", "30")
    )

    assert_clean_failure(result, 8, "apicli: --max-time of 30s reached")
    assert elapsed < 5
    names = {path.name for path in tmp_path.iterdir()}
    assert "blob.bin" not in names  # never a partial file under its name
    assert any(name.startswith("blob.bin.") for name in names), names  # the part, kept for a resume
