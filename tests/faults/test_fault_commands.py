"""Faults under `paginate` and `download`: a page or a file breaks, and the run says so.

Pagination writes the items of the pages it got and fails on the page that broke, naming it;
nothing is written twice. A download keeps its bytes in NAME.part, resumes with a Range
request when the server allows it, and gives the file its name only once it is whole.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import (
    HOSTILE_DISPOSITIONS,
    Drip,
    FaultServer,
    RangeFile,
    RateLimited,
    Reply,
    ResetMidBody,
    RetryAfter,
    ShortBody,
    StallAfterHeaders,
    disposition_reply,
    gzipped,
    huge_headers,
    invalid_json,
    json_reply,
)
from tests.faults.test_fault_e2e import assert_clean_failure, leftovers, timed

DATA = bytes(range(256)) * 400  # 100 KiB
BINARY = {"Content-Type": "application/octet-stream"}


def pages(server: FaultServer, count: int, *, last: object = None, per_page: int = 3) -> None:
    """Script /pages/0 .. /pages/<count-1>, linked by rel="next"; `last` replaces the final page."""
    for page in range(count):
        links = [("Link", f'</pages/{page + 1}>; rel="next"')] if page + 1 < count else []
        items = [{"page": page, "i": i} for i in range(per_page)]
        server.script(f"/pages/{page}", json_reply(items, headers=links))
    if last is not None:
        server.script(f"/pages/{count - 1}", last)  # type: ignore[arg-type]


def ndjson(result_stdout: bytes) -> list[dict[str, int]]:
    return [json.loads(line) for line in result_stdout.splitlines()]


# -- paginate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "start"),
    [
        (ResetMidBody(json_reply([{"x": 1}] * 50), after=10), "apicli: page 3: connection reset by the server"),
        (ShortBody(json_reply([{"x": 1}] * 50), sent=10), "apicli: page 3: the server closed the connection"),
    ],
    ids=["reset", "short"],
)
def test_a_page_that_breaks_fails_the_run_after_the_pages_before_it(
    fault_server: FaultServer, invoke: Invoke, fault: object, start: str
) -> None:
    pages(fault_server, 3, last=fault)

    result = invoke("paginate", fault_server.url("/pages/0"))

    assert_clean_failure(result, 7, start)
    assert ndjson(result.stdout) == [{"page": p, "i": i} for p in (0, 1) for i in range(3)]
    assert len(fault_server.requests_for("/pages/2")) == 1


def test_a_page_that_breaks_leaves_no_output_file(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    pages(fault_server, 3, last=ResetMidBody(json_reply([1] * 50), after=10))

    for extra in ((), ("--array",)):
        result = invoke("paginate", fault_server.url("/pages/0"), "-o", str(tmp_path / "items.json"), *extra)
        assert_clean_failure(result, 7, "apicli: page 3: ")
    assert leftovers(tmp_path) == []


def test_a_503_storm_on_a_page_is_waited_out_and_items_are_written_once(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    pages(fault_server, 3)
    fault_server.script(
        "/pages/1",
        [RetryAfter(seconds=4)] * 3 + [json_reply([{"page": 1}], headers=[("Link", '</pages/2>; rel="next"')])],
    )

    result = invoke("paginate", fault_server.url("/pages/0"))

    assert result.code == 0, result.stderr
    assert ndjson(result.stdout) == [*({"page": 0, "i": i} for i in range(3)), {"page": 1}] + [
        {"page": 2, "i": i} for i in range(3)
    ]
    assert result.sleeps == [4, 4, 4]
    assert len(fault_server.requests_for("/pages/1")) == 4


def test_a_rate_limited_page_waits_for_the_reset(fault_server: FaultServer, invoke: Invoke) -> None:
    pages(fault_server, 2)
    fault_server.script("/pages/1", [RateLimited(reset_after=9), json_reply([{"page": 1}])])

    result = invoke("paginate", fault_server.url("/pages/0"))

    assert result.code == 0, result.stderr
    assert result.sleeps == [9]


def test_a_page_that_stalls_is_cut_by_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    pages(fault_server, 3, last=StallAfterHeaders(json_reply([1]), seconds=10))

    result, elapsed = timed(lambda: invoke("paginate", fault_server.url("/pages/0"), "--max-time", "0.5"))

    assert_clean_failure(result, 8, "apicli: ")
    assert "--max-time" in result.stderr
    assert len(ndjson(result.stdout)) == 6
    assert elapsed < 1.5


def test_endless_pages_are_cut_by_max_time(fault_server: FaultServer, invoke: Invoke) -> None:
    # Every page links to a fresh next page and arrives slowly: only the deadline ends it.
    for page in range(200):
        links = [("Link", f'</slow/{page + 1}>; rel="next"')]
        fault_server.script(f"/slow/{page}", Drip(json_reply([page], headers=links), size=2, interval=0.02))

    result, elapsed = timed(lambda: invoke("paginate", fault_server.url("/slow/0"), "--max-time", "0.6"))

    assert_clean_failure(result, 8, "apicli: ")
    assert elapsed < 1.6


def test_a_page_that_is_not_json_fails_with_exit_2(fault_server: FaultServer, invoke: Invoke) -> None:
    pages(fault_server, 2, last=invalid_json())

    result = invoke("paginate", fault_server.url("/pages/0"))

    assert_clean_failure(result, 2, "apicli: page 2: the response is not JSON (application/json)")
    assert len(ndjson(result.stdout)) == 3


def test_pages_that_loop_are_a_cycle(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/a", json_reply([1], headers=[("Link", '</b>; rel="next"')]))
    fault_server.script("/b", json_reply([2], headers=[("Link", '</a>; rel="next"')]))

    result = invoke("paginate", fault_server.url("/a"))

    assert_clean_failure(result, 1, "apicli: page 2: the next link ")
    assert "cycle" in result.stderr
    assert result.stdout == b"1\n2\n"
    assert len(fault_server.requests) == 2


def test_gzipped_pages_are_decoded(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/gz", gzipped(json.dumps([{"z": n} for n in range(100)])))

    result = invoke("paginate", fault_server.url("/gz"))

    assert result.code == 0, result.stderr
    assert ndjson(result.stdout) == [{"z": n} for n in range(100)]


def test_a_page_with_huge_headers_is_a_clear_error(fault_server: FaultServer, invoke: Invoke) -> None:
    pages(fault_server, 2, last=huge_headers(total=1_100_000))  # past 10,000 lines

    result = invoke("paginate", fault_server.url("/pages/0"))

    assert_clean_failure(result, 7, "apicli: page 2: the response headers are too large")


# -- download ------------------------------------------------------------------------------------


def test_a_cut_download_resumes_with_a_range_request(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/big.bin", [RangeFile(DATA, cut_after=30_000), RangeFile(DATA)])

    result = invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path), "--backoff", "0")

    assert result.code == 0, result.stderr
    assert (tmp_path / "big.bin").read_bytes() == DATA
    assert leftovers(tmp_path) == ["big.bin"]
    assert [r.headers.get("Range") for r in fault_server.requests] == [None, "bytes=30000-"]


def test_a_short_download_keeps_its_part_file_and_continue_finishes_it(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/big.bin", [RangeFile(DATA, cut_after=30_000), RangeFile(DATA)])

    first = invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path), "--retries", "0")
    after_first = leftovers(tmp_path)
    second = invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path), "--continue")

    assert_clean_failure(first, 1, f"apicli: short body from {fault_server.url('/big.bin')}: got 30000 of 102400 bytes")
    assert "big.bin" not in after_first and "big.bin.part" in after_first
    assert second.code == 0, second.stderr
    assert (tmp_path / "big.bin").read_bytes() == DATA
    assert fault_server.requests[-1].headers["Range"] == "bytes=30000-"


def test_a_download_that_stalls_is_cut_by_max_time_and_named_nothing(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/big.bin", Drip(Reply(200, BINARY, DATA), size=500, interval=0.02))

    result, elapsed = timed(
        lambda: invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path), "--max-time", "0.5")
    )

    assert_clean_failure(result, 8, "apicli: ")
    assert elapsed < 1.5
    assert "big.bin" not in leftovers(tmp_path)


def test_a_checksum_mismatch_never_gets_the_final_name(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/big.bin", RangeFile(DATA))
    wrong, right = "0" * 64, hashlib.sha256(DATA).hexdigest()

    bad = invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path), "--sha256", wrong)
    names_after_bad = leftovers(tmp_path)
    good = invoke("download", fault_server.url("/big.bin"), "-o", str(tmp_path / "ok.bin"), "--sha256", right)

    assert_clean_failure(bad, 1, "apicli: sha256 mismatch for ")
    assert "big.bin" not in names_after_bad
    assert good.code == 0 and (tmp_path / "ok.bin").read_bytes() == DATA


def test_a_503_before_a_download_is_waited_out(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/big.bin", [RetryAfter(seconds=5), RetryAfter(seconds=5), RangeFile(DATA)])

    result = invoke("download", fault_server.url("/big.bin"), "-d", str(tmp_path))

    assert result.code == 0, result.stderr
    assert result.sleeps == [5, 5]
    assert (tmp_path / "big.bin").read_bytes() == DATA


def test_a_gzip_download_with_compressed_length_is_saved_decoded_with_decode(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    text = "line of text\n" * 5000
    fault_server.script("/notes.txt", gzipped(text, content_type="text/plain"))

    result = invoke("download", fault_server.url("/notes.txt"), "-d", str(tmp_path), "--decode")

    assert result.code == 0, result.stderr
    assert (tmp_path / "notes.txt").read_text() == text


def test_a_download_redirect_loop_exits_6_and_saves_nothing(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    first = fault_server.redirect_loop("/dl/a.bin", "/dl/b.bin")

    result = invoke("download", fault_server.url(first), "-d", str(tmp_path), "--max-redirects", "4")

    assert_clean_failure(result, 6, "apicli: more than 4 redirects")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("value", HOSTILE_DISPOSITIONS)
def test_hostile_content_disposition_never_escapes_the_directory(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, value: str
) -> None:
    fault_server.script("/files/report.csv", disposition_reply(value))
    target = tmp_path / "a" / "b"
    target.mkdir(parents=True)

    result = invoke("download", fault_server.url("/files/report.csv"), "-d", str(target))

    assert result.code == 0, result.stderr
    [saved] = list(target.iterdir())
    assert saved.read_bytes() == b"payload\n"
    assert not saved.name.startswith(".")
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["a", "b", saved.name])


def test_a_download_never_overwrites_an_existing_file(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/report.csv", Reply(200, {"Content-Type": "text/csv"}, "new\n"))
    (tmp_path / "report.csv").write_text("mine\n")

    result = invoke("download", fault_server.url("/report.csv"), "-d", str(tmp_path))

    assert result.code == 0, result.stderr
    assert (tmp_path / "report.csv").read_text() == "mine\n"
    assert (tmp_path / "report (1).csv").read_text() == "new\n"
