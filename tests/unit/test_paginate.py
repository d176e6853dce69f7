"""Pagination's pure parts: items, next links, cursors, totals, URL planning, encoders, pacing, settings."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.clock import Clock, TimeSource
from apicli.errors import ResponseFormatError, UsageError
from apicli.pagination.documents import (
    ITEM_KEYS,
    NEXT_PATHS,
    Page,
    cursor_text,
    decode_page,
    detect_next_path,
    find_items,
    total_items,
)
from apicli.pagination.pacing import DaemonExecutor, Throttle
from apicli.pagination.query import query_value, step_parameter, with_query_param
from apicli.pagination.runner import VisitedUrls
from apicli.pagination.schemes import (
    BodyPager,
    LinkPager,
    OffsetPager,
    PagePager,
    SinglePage,
    detect_pager,
)
from apicli.pagination.settings import Pacing, Scheme, build_settings, parse_rate
from apicli.pagination.sinks import ArraySink, NdjsonSink, array_block, ndjson_block

BASE = "https://api.example.com/v1/items"

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
param_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
param_values = st.text(alphabet="abcXYZ0123456789-_.~", max_size=8)


def page(document: Any, *, links: tuple[str, ...] = (), total: str | None = None, url: str = BASE) -> Page:
    items = find_items(document, None) if isinstance(document, list | dict) else []
    return Page(url, url, links, total, document, items)


# Items


@settings(max_examples=40)
@given(st.sampled_from(ITEM_KEYS), st.lists(json_values, max_size=5), st.dictionaries(param_names, json_scalars))
def test_a_common_key_holding_a_list_is_found(key: str, items: list[Any], others: dict[str, Any]) -> None:
    document = {**{k: v for k, v in others.items() if k not in ITEM_KEYS}, key: items}
    assert find_items(document, None) is items


@settings(max_examples=40)
@given(st.lists(json_values, max_size=5))
def test_a_top_level_array_is_the_items(items: list[Any]) -> None:
    assert find_items(items, None) is items


def test_common_keys_are_tried_in_order_and_must_hold_lists() -> None:
    assert find_items({"data": {"id": 1}, "items": [1, 2]}, None) == [1, 2]
    assert find_items({"results": [3], "values": [4]}, None) == [3]
    assert find_items({"data": None, "next": None}, None) == []


def test_explicit_items_path() -> None:
    document = {"data": {"users": [{"id": 1}], "count": 1}}
    assert find_items(document, ("data", "users")) == [{"id": 1}]
    assert find_items({"data": {"users": None}}, ("data", "users")) == []
    with pytest.raises(ResponseFormatError, match="not a list"):
        find_items(document, ("data", "count"))


def test_no_item_list_is_an_error_naming_the_keys() -> None:
    with pytest.raises(ResponseFormatError) as caught:
        find_items({"id": 7, "name": "ann", "meta": {"users": []}}, None)
    assert "top-level keys: id, name, meta" in caught.value.message
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None and "--items meta.users" in caught.value.hint
    with pytest.raises(ResponseFormatError, match="a string"):
        find_items("hello", None)


def test_decode_keeps_wide_integers_exact_and_rejects_non_json() -> None:
    assert decode_page(b'{"n": 123456789012345678901234567890}', None) == {"n": 123456789012345678901234567890}
    assert decode_page(b"[-9223372036854775809]", None) == [-9223372036854775809]
    assert decode_page(b'[1, "x"]', "application/json") == [1, "x"]
    with pytest.raises(ResponseFormatError, match=r"not JSON \(text/html\)") as caught:
        decode_page(b"<html>oops</html>", "text/html")
    assert caught.value.exit_code == 2
    with pytest.raises(ResponseFormatError, match="empty"):
        decode_page(b"", None)


# Next links, cursors, totals


@pytest.mark.parametrize("path", NEXT_PATHS)
def test_each_common_place_of_a_next_url_is_detected(path: tuple[str, ...]) -> None:
    document: Any = "/v1/items?page=2"
    for key in reversed(path):
        document = {key: document}
    document["data"] = []
    assert detect_next_path(document) == (path, True)
    pager = detect_pager(page(document))
    assert isinstance(pager, BodyPager)
    assert pager.next_url(page(document)) == "https://api.example.com/v1/items?page=2"


@given(st.text(max_size=30))
def test_only_url_like_strings_count_as_detected_next_links(value: str) -> None:
    path, _ = detect_next_path({"next": value, "data": []})
    assert (path is not None) == value.startswith(("http://", "https://", "/", "?", "./", "../"))


def test_a_non_url_next_value_suggests_the_cursor_flags() -> None:
    pager = detect_pager(page({"data": [], "next": "c2VjcmV0"}))
    assert isinstance(pager, SinglePage)
    assert "--cursor next" in pager.describe()


def test_link_header_wins_over_a_body_next_url() -> None:
    first = page({"data": [1], "next": "/b"}, links=('</a?page=2>; rel="next"',))
    pager = detect_pager(first)
    assert isinstance(pager, LinkPager)
    assert pager.next_url(first) == "https://api.example.com/a?page=2"


def test_cursor_values() -> None:
    assert cursor_text("abc", "c") == "abc"
    assert cursor_text(42, "c") == "42"
    for end in (None, "", False):
        assert cursor_text(end, "c") is None
    with pytest.raises(ResponseFormatError, match="an object"):
        cursor_text({"x": 1}, "meta.cursor")


def test_totals_from_header_or_body() -> None:
    assert total_items(page([1], total="42")) == 42
    assert total_items(page({"data": [], "meta": {"total": 7}})) == 7
    assert total_items(page({"data": [], "total": True})) is None
    assert total_items(page([1])) is None


# URL planning


@given(param_names, param_values, st.lists(st.tuples(param_names, param_values), max_size=4))
def test_with_query_param_sets_one_field_and_keeps_the_others(name: str, value: str, others: list[Any]) -> None:
    query = "&".join(f"{k}={v}" for k, v in others)
    url = f"{BASE}?{query}" if query else BASE
    result = with_query_param(url, name, value)
    assert query_value(result, name) == value
    assert with_query_param(result, name, value) == result
    kept = [(k, v) for k, v in parse_qsl(urlsplit(result).query, keep_blank_values=True) if k != name]
    assert kept == [(k, v) for k, v in others if k != name]


def test_with_query_param_replaces_in_place_and_keeps_the_fragment() -> None:
    assert with_query_param(f"{BASE}?page=1&per_page=5#top", "page", "2") == f"{BASE}?page=2&per_page=5#top"
    assert with_query_param(f"{BASE}?page[number]=1", "page[number]", "3") == f"{BASE}?page[number]=3"
    assert with_query_param(BASE, "cursor", "a b/=") == f"{BASE}?cursor=a%20b%2F%3D"


@given(
    st.lists(st.tuples(param_names, param_values), max_size=3),
    param_names,
    st.integers(0, 10_000),
    st.integers(0, 50),
)
def test_step_parameter_finds_the_page_number(others: list[Any], name: str, low: int, extra: int) -> None:
    others = [(k, v) for k, v in others if k != name]
    fields = [f"{k}={v}" for k, v in others]

    def url(number: int) -> str:
        return f"{BASE}?" + "&".join([*fields, f"{name}={number}"])

    assert step_parameter(url(low), url(low + extra + 1)) == (name, low, low + extra + 1)
    # Every page in between is the next URL with only the number changed, byte for byte.
    assert with_query_param(url(low), name, str(low + extra)) == url(low + extra)


def test_step_parameter_refuses_anything_but_one_numeric_difference() -> None:
    assert step_parameter(f"{BASE}?page=2&a=1", f"{BASE}?page=9&a=2") is None
    assert step_parameter(f"{BASE}?page=2", "https://api.example.com/v2/items?page=9") is None
    assert step_parameter(f"{BASE}?page=x", f"{BASE}?page=9") is None
    assert step_parameter(f"{BASE}?page=9", f"{BASE}?page=2") is None


def test_github_style_link_plan() -> None:
    links = (
        '<https://api.github.com/repositories/1/issues?per_page=2&page=2>; rel="next", '
        '<https://api.github.com/repositories/1/issues?per_page=2&page=4>; rel="last"',
    )
    first = page([1, 2], links=links, url="https://api.github.com/repos/o/r/issues?per_page=2")
    pager = LinkPager()
    next_url = pager.next_url(first)
    assert next_url is not None
    plan = pager.plan(first, next_url)
    assert plan.urls is not None
    assert [query_value(u, "page") for u in plan.urls] == ["2", "3", "4"]


def test_page_pager_stops_at_the_total_or_an_empty_page() -> None:
    pager = PagePager("p", None)
    assert pager.first_url(BASE) == f"{BASE}?p=1"
    first = page([1, 2, 3], total="7")
    assert pager.next_url(first) == f"{BASE}?p=2"
    plan = pager.plan(first, f"{BASE}?p=2")
    assert plan.urls is not None and list(plan.urls) == [f"{BASE}?p=2", f"{BASE}?p=3"]
    assert pager.next_url(page([4, 5, 6], total="7")) == f"{BASE}?p=3"
    assert pager.next_url(page([7], total="7")) is None
    unknown = PagePager("p", 0)
    assert unknown.first_url(f"{BASE}?p=5") == f"{BASE}?p=0"
    assert unknown.next_url(page([1])) == f"{BASE}?p=1"
    assert unknown.plan(page([1]), f"{BASE}?p=1").urls is None
    assert unknown.next_url(page([])) is None


def test_page_pager_reads_the_last_page_from_rel_last_or_a_page_count() -> None:
    pager = PagePager("page", None)
    pager.first_url(f"{BASE}?page=1&per_page=2")
    links = (f'<{BASE}?per_page=2&page=2>; rel="next", <{BASE}?per_page=2&page=4>; rel="last"',)
    first = page([1, 2], links=links)
    next_url = pager.next_url(first)
    assert next_url == f"{BASE}?page=2&per_page=2"
    plan = pager.plan(first, next_url)
    assert plan.urls is not None and [query_value(u, "page") for u in plan.urls] == ["2", "3", "4"]
    counted = PagePager("page", 0)
    counted.first_url(BASE)
    first = page({"data": [1], "meta": {"total_pages": 3}})
    assert counted.next_url(first) == f"{BASE}?page=1"
    plan = counted.plan(first, f"{BASE}?page=1")
    assert plan.urls is not None and [query_value(u, "page") for u in plan.urls] == ["1", "2"]


def test_offset_pager_plans_only_with_a_total_and_full_pages() -> None:
    pager = OffsetPager("offset", 2, "size", None)
    assert pager.first_url(BASE) == f"{BASE}?size=2&offset=0"
    first = page({"data": [1, 2], "total": 5})
    assert pager.next_url(first) == f"{BASE}?size=2&offset=2"
    plan = pager.plan(first, f"{BASE}?size=2&offset=2")
    assert plan.urls is not None and [query_value(u, "offset") for u in plan.urls] == ["2", "4"]
    capped = OffsetPager("offset", 10, "limit", None)
    capped.first_url(BASE)
    short = page({"data": [1, 2], "total": 50})
    assert capped.next_url(short) == f"{BASE}?limit=10&offset=2"  # steps by what arrived
    assert capped.plan(short, f"{BASE}?limit=10&offset=2").urls is None


# Encoders and sinks


@settings(max_examples=60)
@given(st.lists(json_values, max_size=6))
def test_ndjson_block_is_one_compact_line_per_item(items: list[Any]) -> None:
    block = ndjson_block(items)
    assert block.count(b"\n") == len(items)
    assert [json.loads(line) for line in block.splitlines()] == items
    assert json.loads(b"[" + array_block(items) + b"]") == items


def test_values_orjson_cannot_encode_fall_back_to_json() -> None:
    items = [{"big": 2**70}, {"neg": -(2**65)}]
    assert ndjson_block(items) == b'{"big":1180591620717411303424}\n{"neg":-36893488147419103232}\n'
    assert array_block([2**64, "é"]) == '18446744073709551616,"é"'.encode()


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.flushes = 0

    def write(self, data: bytes) -> int:
        self.writes.append(data)
        return len(data)

    def flush(self) -> None:
        self.flushes += 1


def test_sinks_write_once_per_page() -> None:
    out = Recorder()
    ndjson = NdjsonSink(out)  # type: ignore[arg-type]
    ndjson.write_page([1, 2, 3])
    ndjson.write_page([])
    ndjson.write_page([4])
    ndjson.finish()
    assert out.writes == [b"1\n2\n3\n", b"4\n"] and out.flushes == 2
    out = Recorder()
    array = ArraySink(out)  # type: ignore[arg-type]
    array.write_page([])
    array.write_page([1, 2])
    array.write_page([3])
    array.finish()
    assert b"".join(out.writes) == b"[1,2,3]\n" and len(out.writes) == 3
    empty = Recorder()
    ArraySink(empty).finish()  # type: ignore[arg-type]
    assert empty.writes == [b"[]\n"]


# Pacing, workers, visited URLs


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_delay_pauses_before_every_request_after_the_first() -> None:
    clock = FakeClock()
    throttle = Throttle(Pacing(0.5, fixed=True), Clock(source=TimeSource(clock, clock.sleep)))
    for _ in range(3):
        throttle.wait()
        clock.now += 2.0  # a slow page does not shorten the pause
    assert clock.sleeps == [0.5, 0.5]


def test_rate_spaces_request_starts() -> None:
    clock = FakeClock()
    throttle = Throttle(Pacing(0.25), Clock(source=TimeSource(clock, clock.sleep)))
    throttle.wait()
    clock.now += 0.1
    throttle.wait()
    clock.now += 1.0
    throttle.wait()
    assert clock.sleeps == [pytest.approx(0.15)]


def test_daemon_executor_runs_jobs_and_cancels_pending_ones() -> None:
    executor = DaemonExecutor(1)
    gate = threading.Event()
    blocked = executor.submit(gate.wait, 5)
    queued = executor.submit(lambda: 1)
    failing = DaemonExecutor(2).submit(int, "x")
    with pytest.raises(ValueError):
        failing.result(timeout=5)
    assert all(thread.daemon for thread in executor._threads)
    executor.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    gate.set()
    assert blocked.result(timeout=5) is True
    with pytest.raises(RuntimeError):
        executor.submit(int, "1")


def test_visited_urls_ignore_fragments() -> None:
    visited = VisitedUrls()
    assert visited.add(f"{BASE}?page=1")
    assert not visited.add(f"{BASE}?page=1#again")
    assert visited.add(f"{BASE}?page=2")


# Settings


@pytest.mark.parametrize(
    ("text", "interval"),
    [("5/s", 0.2), ("2", 0.5), ("0.5/s", 2.0), ("120/min", 0.5), ("1/h", 3600.0), (" 10 / second ", 0.1)],
)
def test_parse_rate(text: str, interval: float) -> None:
    assert parse_rate(text) == pytest.approx(interval)


@pytest.mark.parametrize("text", ["", "fast", "0/s", "5/fortnight", "-1/s", "1e999"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_rate(text)


@settings(max_examples=50)
@given(st.floats(min_value=0.001, max_value=1e6), st.sampled_from(["s", "min", "h"]))
def test_parse_rate_round_trips(count: float, unit: str) -> None:
    seconds = {"s": 1, "min": 60, "h": 3600}[unit]
    assert parse_rate(f"{count!r}/{unit}") == pytest.approx(seconds / count)


def test_settings_pick_one_scheme() -> None:
    assert build_settings().scheme is Scheme.AUTO
    assert build_settings(page_param="p", start=0).scheme is Scheme.PAGE
    assert build_settings(cursor="meta.next").cursor_param == "cursor"
    assert build_settings(offset_param="o", limit=5).limit_param == "limit"
    assert build_settings(delay=0.5).pacing == Pacing(0.5, fixed=True)
    for bad in (
        {"page_param": "p", "cursor": "c"},
        {"scheme": Scheme.LINK, "next_path": "next"},
        {"offset_param": "o"},
        {"start": 2},
        {"delay": 1.0, "rate": "1/s"},
        {"items_path": "a..b"},
    ):
        with pytest.raises(UsageError):
            build_settings(**bad)  # type: ignore[arg-type]
