"""End-to-end: pages larger than what paginate holds back, whose items are written as they arrive.

Most tests set a small hold (PAGE_HOLD is read when a page is walked), so that a page of a few
hundred kilobytes is already past it; the process test uses the real one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Invoke, running_apicli
from tests.unit.test_testreport import json_report

HOLD = 4096
ROWS = 5000  # about 150 KB of items a page: past HOLD, and more than one run of ITEM_BATCH with padding


@pytest.fixture(autouse=True)
def small_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    from apicli.pagination import pagewalk

    monkeypatch.setattr(pagewalk, "PAGE_HOLD", HOLD)


def rows(page: int, count: int = ROWS) -> list[dict[str, Any]]:
    return [{"id": page * 100_000 + i, "pad": "p" * 40, "big": 12345678901234567890123} for i in range(count)]


def ndjson(items: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(item, separators=(",", ":")).encode() + b"\n" for item in items)


def body_next_api(url: str, pages: int) -> Any:
    """Items first, then the next link: the link is read only after the items are written."""

    def handle(request: Request) -> Response:
        number = int(request.args.get("page", 1))
        following = f"{url}?page={number + 1}" if number < pages else None
        body = json.dumps({"data": rows(number), "meta": {"total_pages": pages}, "next": following})
        return Response(body, content_type="application/json")

    return handle


def test_the_next_link_after_a_streamed_list_of_items_is_followed(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 3))
    result = invoke("paginate", url, "-v")
    assert (result.code, result.stdout) == (0, ndjson(rows(1) + rows(2) + rows(3)))
    assert "detected" in result.stderr
    assert "3 pages, 15000 items" in result.stderr


def test_a_page_broken_past_the_hold_writes_the_items_before_the_break(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    broken = json.dumps(rows(2)).encode()[:-1] + b', {"id": }]'
    httpserver.expect_request("/items", query_string="page=2").respond_with_data(
        broken, content_type="application/json"
    )
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 3))
    result = invoke("paginate", url, "--array")
    assert result.code == 2
    assert result.stderr.startswith("apicli: page 2: the response is not JSON (application/json)")
    assert result.stdout.startswith(b"[")
    assert not result.stdout.rstrip().endswith(b"]")  # partial output never parses as the whole collection
    assert json.loads(result.stdout + b"]") == rows(1) + rows(2)


def test_a_page_broken_within_the_hold_writes_none_of_its_items(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items", query_string="page=2").respond_with_data(
        b'{"data": [1, 2, 3], "next": nul}', content_type="application/json"
    )
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 3))
    result = invoke("paginate", url)
    assert (result.code, result.stdout) == (2, ndjson(rows(1)))
    assert result.stderr.startswith("apicli: page 2: the response is not JSON")


def test_max_items_ends_a_streamed_page_part_way(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 3))
    result = invoke("paginate", url, "--max-items", "7000", "-v")
    assert (result.code, result.stdout) == (0, ndjson((rows(1) + rows(2))[:7000]))
    assert "stopped at --max-items 7000" in result.stderr
    assert [request.args.get("page") for request, _ in httpserver.log] == [None, "2"]


def test_write_out_reports_a_streamed_page_after_its_items(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 2))
    result = invoke("paginate", url, "-w", "%{stderr}page %{size_download}\n")
    assert result.code == 0
    sizes = [int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("page ")]
    first = json.dumps({"data": rows(1), "meta": {"total_pages": 2}, "next": f"{url}?page=2"})
    assert sizes[0] == len(first)
    assert len(sizes) == 2


def test_report_has_a_case_per_streamed_page_and_fails_the_broken_one(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = httpserver.url_for("/items")
    broken = json.dumps({"data": rows(3)}).encode()[:-2] + b"!}"
    page_3 = httpserver.expect_request("/items", query_string="page=3")
    page_3.respond_with_data(broken, content_type="application/json")
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 4))
    report = tmp_path / "pages.jsonl"
    result = invoke("paginate", url, "--report", f"json:{report}")
    assert result.code == 2
    assert result.stdout == ndjson(rows(1) + rows(2) + rows(3))
    cases = json_report(report)
    assert [case["kind"] for case in cases] == ["page"] * 3
    assert [case["passed"] for case in cases] == [True, True, False]
    assert "not JSON" in str(cases[2]["error"])


def test_jq_over_a_streamed_page_keeps_numbers_as_written(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items").respond_with_handler(body_next_api(url, 2))
    result = invoke("paginate", url, "--jq", "select(.id % 1000 == 0) | [.id, .big]")
    assert result.code == 0, result.stderr
    expected = [[page * 100_000 + i, 12345678901234567890123] for page in (1, 2) for i in range(0, ROWS, 1000)]
    assert result.stdout == b"".join(json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in expected)


def test_parallel_pages_past_the_hold_come_out_in_order(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")

    def handle(request: Request) -> Response:
        number = int(request.args.get("page", 1))
        return Response(json.dumps(rows(number) if number <= 4 else []), content_type="application/json")

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", url, "--page-param", "page", "--parallel", "3")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(rows(1) + rows(2) + rows(3) + rows(4))


def test_a_later_list_that_a_whole_page_would_choose_fails_clearly(httpserver: HTTPServer, invoke: Invoke) -> None:
    body = json.dumps({"items": rows(1), "data": [1]})
    httpserver.expect_request("/items").respond_with_data(body, content_type="application/json")
    result = invoke("paginate", httpserver.url_for("/items"))
    assert result.code == 2
    assert result.stdout == ndjson(rows(1))
    assert "page 1: the page has another list of items at 'data'" in result.stderr
    assert "hint: name the list of items with --items PATH" in result.stderr
    named = invoke("paginate", httpserver.url_for("/items"), "--items", "items")
    assert (named.code, named.stdout) == (0, ndjson(rows(1)))


ITEM = b'{"id":1,"pad":"' + b"q" * 100 + b'"}'
COUNT = 100_000  # 12 MB, past the 8 MiB held back


def _held_page(server: HTTPServer, release: threading.Event) -> str:
    """A page whose items all come at once, and whose end waits for `release`."""

    def handle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b'{"data":['
            for start in range(0, COUNT, 1000):
                yield b",".join([ITEM] * 1000) + (b"," if start + 1000 < COUNT else b"")
            release.wait(timeout=20)
            yield b'],"next":null}'

        return Response(body(), content_type="application/json")

    server.expect_request("/big").respond_with_handler(handle)
    return server.url_for("/big")


def _read_half(process: subprocess.Popen[bytes]) -> bytes:
    """Half the page's items, read while its end is held back."""
    assert process.stdout is not None
    received = b""
    while received.count(b"\n") < COUNT // 2:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, f"{len(received)} bytes out while the page's end was held back"
        chunk = os.read(process.stdout.fileno(), 1 << 20)
        assert chunk, "the output ended early"
        received += chunk
    return received


def test_items_are_written_while_the_rest_of_the_page_is_still_coming(threaded_server: HTTPServer) -> None:
    """A real process and the real hold: 12 MB of items come out before the server sends the page's end."""
    release = threading.Event()
    with running_apicli("paginate", _held_page(threaded_server, release), release=release) as process:
        received = _read_half(process)
        assert not release.is_set()
        release.set()
        rest, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors
    assert received + rest == (ITEM + b"\n") * COUNT


def test_ctrl_c_while_a_page_is_arriving_ends_the_run_cleanly(threaded_server: HTTPServer) -> None:
    release = threading.Event()
    with running_apicli("paginate", _held_page(threaded_server, release), release=release) as process:
        received = _read_half(process)
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=10)
    assert process.returncode == 130
    assert errors.endswith(b"apicli: interrupted\n"), errors
    assert b"Traceback" not in errors
    whole_lines = (received + rest).split(b"\n")[:-1]  # the items written before the interrupt
    assert COUNT // 2 <= len(whole_lines) < COUNT and set(whole_lines) == {ITEM}


def test_a_closed_pipe_ends_a_streamed_page_quietly(threaded_server: HTTPServer) -> None:
    """`paginate … | head -1` on a page whose end never comes: apicli leaves at once, exit 0."""
    release = threading.Event()
    with running_apicli("paginate", _held_page(threaded_server, release), release=release) as process:
        assert process.stdout is not None and process.stderr is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "no items while the page's end was held back"
        assert os.read(process.stdout.fileno(), 4096).startswith(ITEM)
        process.stdout.close()  # the reader goes away, as `head` does
        assert process.wait(timeout=20) == 0
        assert not release.is_set()  # it ended without the page's end
        errors = process.stderr.read()
    assert errors == b""
