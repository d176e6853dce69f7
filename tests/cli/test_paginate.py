"""End-to-end: `apicli paginate` against real loopback servers, every scheme, guard and output mode."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from apicli.pagination.pagesize import PAGE_SIZE_PARAMS, asked_page_size, full_page_note
from apicli.pagination.query import query_fields, with_query_param
from tests.conftest import Invoke, apicli_command, running_apicli

PER_PAGE = 3
Handler = Callable[[Request], Response]


def items_of(page: int, per_page: int = PER_PAGE) -> list[dict[str, Any]]:
    return [{"id": (page - 1) * per_page + i, "name": f"item {(page - 1) * per_page + i}"} for i in range(per_page)]


def ndjson(*pages: int) -> bytes:
    return b"".join(json.dumps(item, separators=(",", ":")).encode() + b"\n" for p in pages for item in items_of(p))


def json_response(body: Any, headers: list[tuple[str, str]] | None = None, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or [], content_type="application/json")


def page_number(request: Request, name: str = "page", default: int = 1) -> int:
    return int(request.args.get(name, default))


def link_api(base: str, pages: int, *, last: bool = True) -> Handler:
    """GitHub-style: a JSON array per page, Link rel="next" and rel="last"."""

    def handle(request: Request) -> Response:
        number = page_number(request)
        links = [f'<{base}?page={number + 1}>; rel="next"'] if number < pages else []
        if last:
            links.append(f'<{base}?page={pages}>; rel="last"')
        return json_response(items_of(number), [("Link", ", ".join(links))] if links else [])

    return handle


def requested(server: HTTPServer, name: str) -> list[str | None]:
    return [request.args.get(name) for request, _ in server.log]


# Next-page schemes


def test_link_header_pages_become_ndjson(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 3))
    result = invoke("paginate", httpserver.url_for("/items"))
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == ndjson(1, 2, 3)
    assert requested(httpserver, "page") == [None, "2", "3"]


def test_link_header_grammar_variants(httpserver: HTTPServer, invoke: Invoke) -> None:
    """Several headers, several links per header, `next last` rels, unquoted rels, any order, relative URLs."""

    def handle(request: Request) -> Response:
        number = page_number(request)
        headers = {
            1: [("Link", '</items?page=9>; rel="last"'), ("Link", '<items?page=2>; title="two"; rel=next')],
            2: [("Link", '</items?page=1>; rel="first", </items?page=3>; type="application/json"; rel="next last"')],
            3: [("Link", '</items?page=1>; rel="first prev"')],
        }[number]
        return json_response(items_of(number), headers)

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/items"), "-v")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2, 3)
    assert 'detected next pages from the Link header (rel="next")' in result.stderr


def test_link_header_is_tried_before_a_body_next_url(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/a").respond_with_json({"data": items_of(2)})
    httpserver.expect_request("/b").respond_with_json({"data": [{"wrong": True}]})
    httpserver.expect_request("/start").respond_with_json(
        {"data": items_of(1), "next": httpserver.url_for("/b")}, headers={"Link": '</a>; rel="next"'}
    )
    result = invoke("paginate", httpserver.url_for("/start"))
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2)


def test_a_flag_forces_the_body_scheme_over_the_link_header(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/a").respond_with_json({"data": [{"wrong": True}]})
    httpserver.expect_request("/b").respond_with_json({"data": items_of(2)})
    httpserver.expect_request("/start").respond_with_json(
        {"data": items_of(1), "next": httpserver.url_for("/b")}, headers={"Link": '</a>; rel="next"'}
    )
    result = invoke("paginate", httpserver.url_for("/start"), "--scheme", "body")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2)


@pytest.mark.parametrize(
    "place",
    ["next", "links.next", "_links.next.href", "meta.next", "paging.next"],
)
def test_next_url_in_a_common_place_of_the_body(httpserver: HTTPServer, invoke: Invoke, place: str) -> None:
    def nest(value: Any) -> dict[str, Any]:
        document: Any = value
        for key in reversed(place.split(".")):
            document = {key: document}
        return dict(document)

    def handle(request: Request) -> Response:
        number = page_number(request)
        target = f"/items?page={number + 1}" if number < 3 else None
        return json_response({"items": items_of(number), **nest(target)})

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/items"), "-v")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2, 3)
    assert f"next URL in the body at {place!r}" in result.stderr


def test_explicit_next_path(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        number = page_number(request)
        more = httpserver.url_for(f"/items?page={number + 1}") if number < 2 else ""
        return json_response({"rows": {"list": items_of(number), "continue": [more]}})

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/items"), "--next", "rows.continue[0]", "--items", "rows.list")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2)


@pytest.mark.parametrize("end", ["null", "missing", "empty"])
def test_cursor_pagination(httpserver: HTTPServer, invoke: Invoke, end: str) -> None:
    cursors = {None: "c2", "c2": "c3"}

    def handle(request: Request) -> Response:
        cursor = request.args.get("after")
        number = {None: 1, "c2": 2, "c3": 3}[cursor]
        meta: dict[str, Any] = {}
        if cursor in cursors:
            meta["next_cursor"] = cursors[cursor]
        elif end != "missing":
            meta["next_cursor"] = None if end == "null" else ""
        return json_response({"data": items_of(number), "meta": meta})

    httpserver.expect_request("/events").respond_with_handler(handle)
    url = httpserver.url_for("/events") + "?kind=x"
    result = invoke("paginate", url, "--cursor", "meta.next_cursor", "--cursor-param", "after")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2, 3)
    assert requested(httpserver, "after") == [None, "c2", "c3"]
    assert requested(httpserver, "kind") == ["x", "x", "x"]


def test_page_numbers_stop_at_an_empty_page(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        number = page_number(request, "p")
        return json_response({"results": items_of(number) if number <= 2 else []})

    httpserver.expect_request("/list").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/list"), "--page-param", "p", "-v")
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2)
    assert requested(httpserver, "p") == ["1", "2", "3"]
    assert "page numbers in ?p=, from 1" in result.stderr


def test_page_numbers_stop_at_the_known_total(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        number = page_number(request, "p")
        return json_response(items_of(number)[: 8 - (number - 1) * PER_PAGE], [("X-Total-Count", "8")])

    httpserver.expect_request("/list").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/list"), "--page-param", "p", "--start", "1")
    assert result.code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 8
    assert requested(httpserver, "p") == ["1", "2", "3"]  # no fourth, empty request


def test_offset_and_limit(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        offset, size = int(request.args["from"]), int(request.args["size"])
        everything = items_of(1, 7)
        return json_response({"records": everything[offset : offset + size], "total": 7})

    httpserver.expect_request("/rows").respond_with_handler(handle)
    result = invoke(
        "paginate", httpserver.url_for("/rows"), "--offset-param", "from", "--limit", "3", "--limit-param", "size"
    )
    assert result.code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == list(range(7))
    assert requested(httpserver, "from") == ["0", "3", "6"]


# Items


def test_wrapped_items_and_the_items_flag(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/wrapped").respond_with_json({"count": 3, "results": items_of(1)})
    httpserver.expect_request("/deep").respond_with_json({"payload": {"users": items_of(1)}})
    assert invoke("paginate", httpserver.url_for("/wrapped")).stdout == ndjson(1)
    result = invoke("paginate", httpserver.url_for("/deep"), "--items", "payload.users")
    assert (result.code, result.stdout) == (0, ndjson(1))


def test_an_object_without_items_is_a_usage_error_listing_its_keys(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/one").respond_with_json({"id": 1, "login": "ann", "orgs": {"list": [1]}})
    result = invoke("paginate", httpserver.url_for("/one"))
    assert result.code == 2
    assert result.stdout == b""
    assert "apicli: page 1: no list of items found in the response object; its top-level keys: id, login, orgs" in (
        result.stderr
    )
    assert "--items orgs.list" in result.stderr


def test_a_non_json_page_is_a_usage_error(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items", query_string="page=2").respond_with_data("<html>", content_type="text/html")
    httpserver.expect_request("/items").respond_with_json(items_of(1), headers={"Link": f'<{url}?page=2>; rel="next"'})
    result = invoke("paginate", url)
    assert result.code == 2
    assert result.stdout == ndjson(1)
    assert result.stderr.startswith("apicli: page 2: the response is not JSON (text/html)")


def test_wide_integers_pass_through_exactly(httpserver: HTTPServer, invoke: Invoke) -> None:
    body = b'[{"id": 123456789012345678901234567890, "x": 1.5}]'
    httpserver.expect_request("/big").respond_with_data(body, content_type="application/json")
    result = invoke("paginate", httpserver.url_for("/big"))
    assert result.stdout == b'{"id":123456789012345678901234567890,"x":1.5}\n'


# Output


def test_array_is_valid_json_and_empty_pages_are_fine(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 3))
    httpserver.expect_request("/none").respond_with_json([])
    result = invoke("paginate", httpserver.url_for("/items"), "--array")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == items_of(1) + items_of(2) + items_of(3)
    assert result.stdout.endswith(b"]\n")
    empty = invoke("paginate", httpserver.url_for("/none"), "--array")
    assert (empty.code, empty.stdout) == (0, b"[]\n")
    nothing = invoke("paginate", httpserver.url_for("/none"))
    assert (nothing.code, nothing.stdout, nothing.stderr) == (0, b"", "")


def test_pretty_output_uses_the_json_renderer(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_json([{"a": 1}, {"b": [2]}])
    result = invoke("paginate", httpserver.url_for("/items"), "--pretty", "--no-color")
    assert result.stdout == b'{\n  "a": 1\n}\n{\n  "b": [\n    2\n  ]\n}\n'
    array = invoke("paginate", httpserver.url_for("/items"), "--pretty", "--no-color", "--array")
    assert json.loads(array.stdout) == [{"a": 1}, {"b": [2]}]


def test_output_file_is_written_atomically(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 2))
    httpserver.expect_request("/broken").respond_with_data("no", status=500)
    target = tmp_path / "items.ndjson"
    result = invoke("paginate", httpserver.url_for("/items"), "-o", str(target))
    assert (result.code, result.stdout) == (0, b"")
    assert target.read_bytes() == ndjson(1, 2)
    failed = tmp_path / "failed.ndjson"
    assert invoke("paginate", httpserver.url_for("/broken"), "--retries", "0", "-o", str(failed)).code == 5
    assert list(tmp_path.iterdir()) == [target]


def test_ndjson_is_flushed_page_by_page(threaded_server: HTTPServer, tmp_path: Path) -> None:
    """The first line is readable while page 2 is still held back by the server."""
    release = threading.Event()
    url = threaded_server.url_for("/items")

    def handle(request: Request) -> Response:
        number = page_number(request)
        if number == 2:
            release.wait(timeout=10)
        links = [("Link", f'<{url}?page={number + 1}>; rel="next"')] if number < 2 else []
        return json_response(items_of(number), links)

    threaded_server.expect_request("/items").respond_with_handler(handle)
    with running_apicli("paginate", url, release=release) as process:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "no output while page 2 was held back"
        first = os.read(process.stdout.fileno(), 65536)
        assert first == ndjson(1)  # the whole first page, in one write
        assert not release.is_set()
        release.set()
        rest, errors = process.communicate(timeout=10)
    assert process.returncode == 0, errors
    assert first + rest == ndjson(1, 2)


def test_a_closed_pipe_ends_quietly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 40))
    process = subprocess.Popen(
        [*apicli_command(), "paginate", httpserver.url_for("/items")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    errors = process.stderr.read()
    assert process.wait(timeout=10) == 0
    assert errors == b""


# Guards


def test_max_pages_and_max_items_stop_early_with_success(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 9))
    pages = invoke("paginate", httpserver.url_for("/items"), "--max-pages", "2")
    assert (pages.code, pages.stdout) == (0, ndjson(1, 2))
    httpserver.clear_log()
    some = invoke("paginate", httpserver.url_for("/items"), "--max-items", "4", "--array")
    assert some.code == 0
    assert json.loads(some.stdout) == (items_of(1) + items_of(2))[:4]
    assert len(httpserver.log) == 2


def test_a_cycle_stops_the_run(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")

    def handle(request: Request) -> Response:
        number = page_number(request)
        return json_response(items_of(number), [("Link", f'<{url}?page={number % 2 + 1}>; rel="next"')])

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", f"{url}?page=1")
    assert result.code == 1
    assert result.stdout == ndjson(1, 2)
    assert "apicli: page 2: the next link" in result.stderr and "cycle" in result.stderr
    assert len(httpserver.log) == 2


def test_an_http_error_on_page_3_keeps_pages_1_and_2(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items", query_string="page=3").respond_with_json({"error": "boom"}, status=500)
    httpserver.expect_request("/items").respond_with_handler(link_api(url, 5))
    result = invoke("paginate", url)
    assert result.code == 5
    assert result.stdout == ndjson(1, 2)
    assert "apicli: page 3: HTTP 500" in result.stderr
    assert len(result.sleeps) == 3  # each page is retried by the session


@pytest.mark.parametrize("extra", [(), ("--pretty", "--no-color")], ids=["compact", "pretty"])
def test_an_error_leaves_the_array_open(httpserver: HTTPServer, invoke: Invoke, extra: tuple[str, ...]) -> None:
    """A failed run's partial array must not parse as the whole collection; the items written stay."""
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items", query_string="page=2").respond_with_data("gone", status=404)
    httpserver.expect_request("/items").respond_with_handler(link_api(url, 3))
    result = invoke("paginate", url, "--array", *extra)
    assert result.code == 4
    assert result.stderr.startswith("apicli: page 2: HTTP 404")
    assert result.stdout.startswith(b"[") and not result.stdout.rstrip().endswith(b"]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
    assert json.loads(result.stdout + b"]") == items_of(1)


def test_an_error_keeps_the_ndjson_lines_already_written(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/items")
    httpserver.expect_request("/items", query_string="page=3").respond_with_data("gone", status=404)
    httpserver.expect_request("/items").respond_with_handler(link_api(url, 3))
    result = invoke("paginate", url)
    assert (result.code, result.stdout) == (4, ndjson(1, 2))


# Credentials and origins


def _cross_origin(httpserver: HTTPServer, second_server: HTTPServer) -> str:
    elsewhere = second_server.url_for("/more")
    second_server.expect_request("/more").respond_with_json({"data": items_of(2)})
    httpserver.expect_request("/items").respond_with_json(
        {"data": items_of(1), "links": {"next": f"{elsewhere}?page=2"}}
    )
    return httpserver.url_for("/items")


def test_a_next_link_to_another_origin_is_followed_with_a_note_when_no_credential_is_in_play(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke
) -> None:
    result = invoke("paginate", _cross_origin(httpserver, second_server))
    assert (result.code, result.stdout) == (0, ndjson(1, 2)), result.stderr
    assert result.stderr == (
        "apicli: paginate: following next links to another origin, "
        f"{second_server.url_for('/more')}?page=2 (started at {httpserver.url_for('/items')})\n"
    )


def test_a_next_link_to_another_origin_is_refused_when_a_credential_is_in_play(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke
) -> None:
    result = invoke("paginate", _cross_origin(httpserver, second_server), "Cookie:session=s3cr3t")
    assert result.code == 1
    assert result.stdout == ndjson(1)
    assert "apicli: page 1: the next link" in result.stderr and "another origin" in result.stderr
    assert "--allow-cross-origin" in result.stderr
    assert second_server.log == []


def test_no_credential_reaches_another_origin(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke
) -> None:
    url = _cross_origin(httpserver, second_server)
    result = invoke(
        "paginate",
        url,
        "--allow-cross-origin",
        "--token-env",
        "PAGINATE_TOKEN",
        "Cookie:session=s3cr3t",
        "X-Api-Key:k3y-value",
        "Proxy-Authorization:Basic cHJveHk6cHc=",
        "X-Trace:kept",
        env={"PAGINATE_TOKEN": "t0ken-value"},
    )
    assert result.code == 0, result.stderr
    assert result.stdout == ndjson(1, 2)
    (first, _), (second, _) = httpserver.log[0], second_server.log[0]
    assert first.headers["Authorization"] == "Bearer t0ken-value"
    assert first.headers["Cookie"] == "session=s3cr3t" and first.headers["X-Api-Key"] == "k3y-value"
    for name in ("Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization"):
        assert name not in second.headers
    assert second.headers["X-Trace"] == "kept"
    assert b"t0ken-value" not in second.query_string and b"s3cr3t" not in second.query_string


def test_an_api_key_in_the_query_stays_home(httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke) -> None:
    url = _cross_origin(httpserver, second_server)
    result = invoke(
        "paginate",
        url,
        "--allow-cross-origin",
        "--api-key-env",
        "PAGINATE_KEY",
        "--api-key-query",
        "api_key",
        env={"PAGINATE_KEY": "qu3ry-key"},
    )
    assert result.code == 0, result.stderr
    assert httpserver.log[0][0].args["api_key"] == "qu3ry-key"
    second = second_server.log[0][0]
    assert "api_key" not in second.args and second.args["page"] == "2"
    assert b"qu3ry-key" not in second.query_string


# Parallel pages


def _page_api_with_total(request: Request) -> Response:
    number = page_number(request)
    return json_response(items_of(number) if number <= 7 else [], [("X-Total-Count", str(7 * PER_PAGE))])


def _offset_api_with_total(request: Request) -> Response:
    offset, limit = int(request.args["offset"]), int(request.args["limit"])
    return json_response({"data": items_of(1, 20)[offset : offset + limit], "meta": {"total": 20}})


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("page", ["--page-param", "page"]),
        ("offset", ["--offset-param", "offset", "--limit", "3"]),
        ("link", []),
    ],
)
def test_parallel_output_is_the_sequential_output(
    threaded_server: HTTPServer, invoke: Invoke, kind: str, args: list[str]
) -> None:
    url = threaded_server.url_for("/items")
    handler = {"page": _page_api_with_total, "offset": _offset_api_with_total, "link": link_api(url, 8)}[kind]
    served: list[str] = []

    def counting(request: Request) -> Response:
        served.append(request.full_path)
        return handler(request)

    threaded_server.expect_request("/items").respond_with_handler(counting)
    sequential = invoke("paginate", url, *args)
    sequential_requests = sorted(served)
    served.clear()
    parallel = invoke("paginate", url, *args, "--parallel", "4", "-v")
    assert sequential.code == parallel.code == 0, parallel.stderr
    assert parallel.stdout == sequential.stdout
    assert len(sequential.stdout.splitlines()) in (20, 21, 24)
    assert "--parallel 4: fetching ahead" in parallel.stderr
    assert sorted(served) == sequential_requests  # the same pages, none wasted


def test_parallel_follows_the_server_when_its_links_differ_from_the_plan(
    threaded_server: HTTPServer, invoke: Invoke
) -> None:
    url = threaded_server.url_for("/items")

    def handle(request: Request) -> Response:
        number = page_number(request)  # rel="last" claims 6 pages, but page 3 is the end
        links = [f'<{url}?page={number + 1}>; rel="next"'] if number < 3 else []
        return json_response(items_of(number), [("Link", ", ".join([*links, f'<{url}?page=6>; rel="last"']))])

    threaded_server.expect_request("/items").respond_with_handler(handle)
    sequential = invoke("paginate", url)
    parallel = invoke("paginate", url, "--parallel", "3")
    assert (parallel.code, parallel.stdout) == (0, sequential.stdout)
    assert parallel.stdout == ndjson(1, 2, 3)


def test_parallel_falls_back_to_one_page_at_a_time_for_cursors(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        number = int(request.args.get("cursor", "1"))
        return json_response({"data": items_of(number), "next_cursor": str(number + 1) if number < 3 else None})

    httpserver.expect_request("/items").respond_with_handler(handle)
    result = invoke("paginate", httpserver.url_for("/items"), "--cursor-param", "cursor", "--parallel", "4", "-v")
    assert (result.code, result.stdout) == (0, ndjson(1, 2, 3))
    assert "--parallel 4: the next URLs cannot be known" in result.stderr
    assert "fetching one page at a time" in result.stderr


def test_max_time_ends_a_parallel_run_without_waiting_for_stuck_pages(
    threaded_server: HTTPServer, invoke: Invoke
) -> None:
    release = threading.Event()
    url = threaded_server.url_for("/items")

    def handle(request: Request) -> Response:
        if page_number(request) >= 3:
            release.wait(timeout=10)
        return link_api(url, 12)(request)

    threaded_server.expect_request("/items").respond_with_handler(handle)
    started = time.monotonic()
    try:
        result = invoke("paginate", url, "--parallel", "4", "--max-time", "0.6")
    finally:
        release.set()
    assert time.monotonic() - started < 5  # the held pages would take 10 s
    assert result.code == 8
    assert result.stdout == ndjson(1, 2)
    assert "--max-time" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_ends_a_parallel_run_promptly(threaded_server: HTTPServer) -> None:
    release = threading.Event()
    url = threaded_server.url_for("/items")

    def handle(request: Request) -> Response:
        if page_number(request) >= 2:
            release.wait(timeout=15)
        return link_api(url, 12)(request)

    threaded_server.expect_request("/items").respond_with_handler(handle)
    process = subprocess.Popen(
        [*apicli_command(), "paginate", url, "--parallel", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready
        process.stdout.readline()
        time.sleep(0.2)  # let the workers block on the held pages
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, errors = process.communicate(timeout=10)
        assert time.monotonic() - started < 5  # the held pages would take 15 s
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert errors.endswith(b"apicli: interrupted\n"), errors
    assert b"Traceback" not in errors


# Politeness and reporting


def test_delay_and_rate_use_the_injected_sleep(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_handler(link_api(httpserver.url_for("/items"), 3))
    delayed = invoke("paginate", httpserver.url_for("/items"), "--delay", "2.5")
    assert (delayed.code, delayed.sleeps) == (0, [2.5, 2.5])
    rated = invoke("paginate", httpserver.url_for("/items"), "--rate", "2/s")
    assert rated.code == 0
    assert len(rated.sleeps) == 2 and all(0.3 < s <= 0.5 for s in rated.sleeps)
    assert rated.stdout == delayed.stdout == ndjson(1, 2, 3)


def test_verbose_says_when_nothing_was_detected(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/items").respond_with_json({"data": items_of(1), "next": "opaque-token"})
    result = invoke("paginate", httpserver.url_for("/items"), "-v")
    assert (result.code, result.stdout) == (0, ndjson(1))
    assert "one page" in result.stderr and "--cursor next" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page-param", "p", "--cursor", "c"], "choose different pagination schemes"),
        (["--offset-param", "o"], "needs --limit"),
        (["--delay", "1", "--rate", "1/s"], "cannot be combined"),
        (["--rate", "fast"], "invalid --rate"),
        (["--items", "a..b"], "--items: invalid path"),
    ],
)
def test_conflicting_flags_are_usage_errors(
    httpserver: HTTPServer, invoke: Invoke, args: list[str], message: str
) -> None:
    result = invoke("paginate", httpserver.url_for("/items"), *args)
    assert result.code == 2
    assert message in result.stderr
    assert httpserver.log == []


# --- the page size a request named (the full-first-page note) -----------------------------------

_QUERY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(st.lists(st.tuples(_QUERY_TEXT, _QUERY_TEXT), max_size=6), _QUERY_TEXT)
def test_asked_page_size_never_fails_and_reads_only_whole_positive_sizes(
    pairs: list[tuple[str, str]], fragment: str
) -> None:
    url = "http://127.0.0.1/items"
    for name, value in pairs:
        if name:
            url = with_query_param(url, name, value)
    url += f"#{fragment}"
    asked = asked_page_size(url)
    if asked is not None:
        name, size = asked
        assert name in PAGE_SIZE_PARAMS and 0 < size <= 10**9
        assert (name, str(size)) in [(n, v.lstrip("0") or "0") for n, v in query_fields(url)]


@given(st.sampled_from(PAGE_SIZE_PARAMS), st.integers(min_value=1, max_value=10**9), st.integers(0, 2 * 10**9))
def test_the_note_is_given_exactly_when_the_page_was_full(name: str, size: int, items: int) -> None:
    url = with_query_param("http://127.0.0.1/items?q=a%26b", name, str(size))
    assert asked_page_size(url) == (name, size)
    note = full_page_note(url, items, "somewhere")
    assert (note is not None) == (items >= size)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/items?per_page=0",
        "http://127.0.0.1/items?per_page=-5",
        "http://127.0.0.1/items?per_page=2.5",
        "http://127.0.0.1/items?per_page=%EF%BC%95",  # a fullwidth digit is no size
        "http://127.0.0.1/items?per_page=99999999999",
        "http://127.0.0.1/items?PER_PAGE=5",
        "http://127.0.0.1/items#per_page=5",
    ],
)
def test_what_is_no_page_size(url: str) -> None:
    assert asked_page_size(url) is None
