"""Hostile responses: resumes answered with another version, malformed heads, Locations with no host.

A resumed download is spliced only onto the version it was fetched from: a 206 whose validator
(ETag, or Last-Modified when that was the one) differs from the If-Range sent, or is missing, or
whose Content-Range does not start where the part ends or gives another total, restarts the file
from zero, or fails when it cannot, within one run and from a .part left by an earlier one. A
malformed answer (Content-Length values that disagree, a final 1xx) is the server's fault: exit 7,
like any answer that is not a usable HTTP response. A Location naming no host is exit 3, like
every other Location that cannot be followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply, ShortBody, json_reply, redirect
from tests.faults.behaviours import Behaviour
from tests.faults.wire import Exchange
from tests.hostile.harness import assert_clean, run

SIZE = 60_000
CUT = 20_000
V1 = bytes(range(256)) * (SIZE // 256) + b"1" * (SIZE % 256)
V2 = bytes(reversed(range(256))) * (SIZE // 256) + b"2" * (SIZE % 256)
TUE, WED = "Tue, 01 Jul 2025 10:00:00 GMT", "Wed, 02 Jul 2025 10:00:00 GMT"
RESUME = ("--retries", "2", "--backoff", "0")


def _validators(etag: str | None, modified: str | None) -> list[tuple[str, str]]:
    pairs = [("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream")]
    if etag is not None:
        pairs.append(("ETag", etag))
    if modified is not None:
        pairs.append(("Last-Modified", modified))
    return pairs


def whole(body: bytes, etag: str | None = '"v1"', modified: str | None = None) -> Reply:
    return Reply(200, _validators(etag, modified), body)


def cut(body: bytes, etag: str | None = '"v1"', modified: str | None = None) -> ShortBody:
    """The whole body announced, CUT bytes of it sent: the client resumes from CUT."""
    return ShortBody(whole(body, etag, modified), CUT)


def part(
    body: bytes, etag: str | None, modified: str | None = None, *, start: int = CUT, total: int | None = None
) -> Reply:
    """A 206 from `start`, whatever If-Range said: the server that ignores it."""
    total = len(body) if total is None else total
    headers = [*_validators(etag, modified), ("Content-Range", f"bytes {start}-{len(body) - 1}/{total}")]
    return Reply(206, headers, body[start:])


@dataclass(frozen=True)
class ResumeRow:
    id: str
    behaviours: Sequence[Behaviour]
    code: int
    stderr_has: str
    saved: bytes | None  # the file's bytes at the end; None: no file under the final name


IN_ONE_RUN = [
    ResumeRow("etag_changed", [cut(V1), part(V2, '"v2"'), whole(V2, '"v2"')], 0, 'ETag: "v2" instead of "v1"', V2),
    ResumeRow("etag_missing", [cut(V1), part(V2, None), whole(V2, None)], 0, "it has no ETag", V2),
    ResumeRow("etag_weak", [cut(V1), part(V2, 'W/"v1"'), whole(V2, '"v2"')], 0, 'ETag: W/"v1" instead of "v1"', V2),
    ResumeRow(
        "last_modified_changed",
        [cut(V1, None, TUE), part(V2, None, WED), whole(V2, None, WED)],
        0,
        f"Last-Modified: {WED} instead of {TUE}",
        V2,
    ),
    ResumeRow(
        "last_modified_missing",
        [cut(V1, None, TUE), part(V2, None, None), whole(V2, None, None)],
        0,
        "it has no Last-Modified",
        V2,
    ),
    ResumeRow(
        "range_starts_elsewhere",
        [cut(V1), part(V1, '"v1"', start=CUT - 100), whole(V1)],
        0,
        "another range than the one asked for",
        V1,
    ),
    ResumeRow(
        "total_changed",
        [cut(V1), part(V2 + V2, '"v1"', total=2 * SIZE), whole(V1)],
        0,
        f"{2 * SIZE} bytes long instead of {SIZE}",
        V1,
    ),
    # The server answers every request with the other version's tail: restarted once, then refused.
    ResumeRow("always_another_version", [cut(V1), part(V2, '"v2"')], 1, "does not start at 0", None),
    ResumeRow(
        "endless_cuts_and_versions",
        [cut(V1), part(V2, '"v2"'), cut(V2, '"v2"'), part(V1, '"v1"'), cut(V1)],
        1,
        "short body",
        None,
    ),
]


@pytest.mark.parametrize("row", IN_ONE_RUN, ids=[row.id for row in IN_ONE_RUN])
def test_a_resume_within_one_run_never_splices_two_versions(
    fault_server: FaultServer, tmp_path: Path, row: ResumeRow
) -> None:
    fault_server.script("/file.bin", row.behaviours)
    out = tmp_path / "file.bin"
    outcome = run(["download", fault_server.url("/file.bin"), "-o", str(out), *RESUME])
    assert_clean(outcome, row.code, stderr_has=row.stderr_has, bounded=True)
    if row.saved is None:
        assert not out.exists()
    else:
        assert out.read_bytes() == row.saved
    ranges = [request.headers.get("Range") for request in fault_server.requests]
    assert ranges[1] == f"bytes={CUT}-"


def test_into_stdout_a_part_of_another_version_is_refused_not_appended(fault_server: FaultServer) -> None:
    fault_server.script("/file.bin", [cut(V1), part(V2, '"v2"')])
    outcome = run(["download", fault_server.url("/file.bin"), "-o", "-", *RESUME])
    assert_clean(outcome, 1, stderr_has="cannot start stdout again from zero", bounded=True)
    assert outcome.stdout == V1[:CUT]


LATER_RUN = [
    ResumeRow("etag_changed", [part(V2, '"v2"'), whole(V2, '"v2"')], 0, 'ETag: "v2" instead of "v1"', V2),
    ResumeRow("etag_missing", [part(V2, None), whole(V2, None)], 0, "it has no ETag", V2),
    ResumeRow("range_starts_elsewhere", [part(V1, '"v1"', start=0), whole(V1)], 0, "another range", V1),
    ResumeRow("total_changed", [part(V2 + V2, '"v1"', total=2 * SIZE), whole(V1)], 0, "bytes long instead of", V1),
    ResumeRow("same_version", [part(V1, '"v1"')], 0, "resuming", V1),
]


@pytest.mark.parametrize("row", LATER_RUN, ids=[row.id for row in LATER_RUN])
def test_a_resume_in_a_later_run_checks_the_part_meta_validator(
    fault_server: FaultServer, tmp_path: Path, row: ResumeRow
) -> None:
    out = tmp_path / "file.bin"
    fault_server.script("/file.bin", [cut(V1), *row.behaviours])
    first = run(["download", fault_server.url("/file.bin"), "-o", str(out), "--retries", "0"])
    assert_clean(first, 1, stderr_has="run the same command again to resume it")
    assert (tmp_path / "file.bin.part").read_bytes() == V1[:CUT]

    outcome = run(["download", "--continue", fault_server.url("/file.bin"), "-o", str(out), *RESUME])
    assert_clean(outcome, row.code, stderr_has=row.stderr_has, bounded=True)
    assert out.read_bytes() == row.saved
    resumed = fault_server.requests[1].headers
    assert (resumed.get("Range"), resumed.get("If-Range")) == (f"bytes={CUT}-", '"v1"')


def test_a_later_run_with_last_modified_as_validator(fault_server: FaultServer, tmp_path: Path) -> None:
    out = tmp_path / "file.bin"
    fault_server.script("/file.bin", [cut(V1, None, TUE), part(V2, None, WED), whole(V2, None, WED)])
    run(["download", fault_server.url("/file.bin"), "-o", str(out), "--retries", "0"])
    outcome = run(["download", "--continue", fault_server.url("/file.bin"), "-o", str(out), *RESUME])
    assert_clean(outcome, 0, stderr_has=f"Last-Modified: {WED} instead of {TUE}")
    assert out.read_bytes() == V2
    assert fault_server.requests[1].headers.get("If-Range") == TUE


# --- malformed responses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EndlessContinues:
    """`100 Continue` interim responses, one after another, until the client leaves or a budget runs out."""

    budget: int = 64 << 20

    def serve(self, exchange: Exchange) -> None:
        line = b"HTTP/1.1 100 Continue\r\n\r\n" * 256
        for _ in range(self.budget // len(line)):
            try:
                exchange.send(line)
            except OSError:
                return


MALFORMED = [
    ("content_length_conflict", Reply(200, [("Content-Length", "5"), ("Content-Length", "7")], b"hello")),
    ("content_length_conflict_joined", Reply(200, [("Content-Length", "5, 7")], b"hello")),
    ("final_150", Reply(150, [], b"", reason="Odd")),
    ("final_101_unasked", Reply(101, [("Connection", "upgrade"), ("Upgrade", "websocket")], b"")),
    ("final_103_alone", Reply(103, [("Link", "</style.css>; rel=preload")], b"")),
    ("final_199", Reply(199, [], b"")),
]


@pytest.mark.parametrize("command", ["get", "download"])
@pytest.mark.parametrize(("name", "behaviour"), MALFORMED, ids=[row[0] for row in MALFORMED])
def test_a_malformed_response_is_the_servers_fault(
    fault_server: FaultServer, tmp_path: Path, command: str, name: str, behaviour: Behaviour
) -> None:
    fault_server.script("/odd", behaviour)
    extra = ["-o", str(tmp_path / "odd")] if command == "download" else []
    outcome = run([command, fault_server.url("/odd"), "--retries", "0", *extra])
    assert_clean(outcome, 7, stderr_has="apicli: malformed response from http://127.0.0.1:")
    assert outcome.stdout == b""
    assert not (tmp_path / "odd").exists()


def test_endless_interim_responses_end_at_max_time(fault_server: FaultServer) -> None:
    fault_server.script("/odd", EndlessContinues())
    outcome = run(["get", fault_server.url("/odd"), "--retries", "0", "--max-time", "1"])
    assert_clean(outcome, 8, stderr_has="apicli: ", bounded=True)


# --- Locations that name no host ------------------------------------------------------------------

NO_HOST = ["http://", "https://", "//", "///x", "http:", "https://:443/", "http://@/x"]


@pytest.mark.parametrize("command", ["get", "download"])
@pytest.mark.parametrize("location", NO_HOST)
def test_a_location_with_no_host_is_exit_3_not_a_redirect_loop(
    fault_server: FaultServer, tmp_path: Path, command: str, location: str
) -> None:
    fault_server.script("/moved", redirect(location))
    extra = ["-o", str(tmp_path / "moved")] if command == "download" else []
    outcome = run([command, fault_server.url("/moved"), *extra])
    assert_clean(outcome, 3, stderr_has="cannot be followed: its Location '")
    assert "' names no host" in outcome.stderr
    assert len(fault_server.requests) == 1


def test_a_relative_location_still_works(fault_server: FaultServer) -> None:
    fault_server.script("/moved", redirect("/there"))
    fault_server.script("/there", json_reply({"ok": True}))
    outcome = run(["get", fault_server.url("/moved")])
    assert_clean(outcome, 0)
    assert b'"ok"' in outcome.stdout


# --- Locations whose bytes are not a URL's ---------------------------------------------------------

# Header text here is the wire's bytes as Latin-1: \x9b is a lone byte, \xe2\x82 a cut character.
NOT_UTF8 = ["/a\x9bb", "/\xff", "http://127.0.0.1:9/\xe2\x82", "/ok?\xc3("]


@pytest.mark.parametrize("follow", [True, False], ids=["following", "no-follow"])
@pytest.mark.parametrize("location", NOT_UTF8)
def test_a_location_that_is_not_utf8_is_exit_3(fault_server: FaultServer, location: str, follow: bool) -> None:
    fault_server.script("/moved", redirect(location))
    outcome = run(["get", fault_server.url("/moved"), *([] if follow else ["--no-follow"])])
    assert_clean(outcome, 3)
    if follow:
        assert "' is not valid UTF-8" in outcome.stderr
    assert len(fault_server.requests) == 1
