"""Hostile paginate pages: huge, bomb-sized, deep, malformed; a page costs what is held of it and one batch.

Each row runs the installed apicli's paginate against a loopback server and asserts its exit code,
its one `apicli:` line, how many item lines it wrote, and (for the huge kinds) its peak memory.
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass

import pytest
from backports import zstd

from tests.faults import Exchange, FaultServer, Reply
from tests.hostile.harness import assert_clean, run

MIB = 1 << 20
JSON = ("Content-Type", "application/json")


@functools.lru_cache(maxsize=8)
def _items(count: int, item: bytes = b'{"a":1}') -> bytes:
    return b"[" + b",".join([item] * count) + b"]"


def _page(body: bytes, coding: str | None = None) -> Reply:
    if coding == "gzip":
        return Reply(200, [JSON, ("Content-Encoding", "gzip")], gzip.compress(body, 1))
    if coding == "zstd":
        return Reply(200, [JSON, ("Content-Encoding", "zstd")], zstd.compress(body, 3))
    return Reply(200, [JSON], body)


@dataclass(frozen=True)
class EndlessPage:
    """`{"data":[` and then items with no end (no length), until 1 GiB or a hang-up."""

    item: bytes = b'{"a":1},'

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [JSON, ("Connection", "close")])
        block, sent = self.item * 8192, 0
        try:
            exchange.send(b'{"data":[')
            while sent < 1 << 30:
                exchange.send(block)
                sent += len(block)
        except OSError:
            return  # the client hung up: what it should do


# (page, extra args, exit code, bytes written or None, stderr has, bounded)
PAGE_ROWS = [
    pytest.param(_page(_items(1_000_000)), [], 0, 8_000_000, (), True, id="million-items-8MB"),
    pytest.param(_page(_items(1_000_000)), ["--array"], 0, 8_000_002, (), True, id="million-items-array"),
    pytest.param(
        _page(b'{"meta":{"n":1},"data":' + _items(1_000_000) + b',"next":null}'),
        [],
        0,
        8_000_000,
        (),
        True,
        id="million-items-under-data",
    ),
    pytest.param(
        _page(b'{"a":{"b":[0,' + _items(1_000_000)[1:] + b"}}"),
        ["--items", "a.b"],
        0,
        8_000_002,
        (),
        True,
        id="items-path",
    ),
    pytest.param(_page(_items(4_000_000, b"0"), "zstd"), [], 0, 8_000_000, (), True, id="zstd-4M-items"),
    pytest.param(
        _page(_items(200_000, b'"' + b"s" * 64 + b'"'), "gzip"), ["--jq", "."], 0, 13_400_000, (), True, id="jq-items"
    ),
    pytest.param(_page(_items(100_000)), ["--pretty", "--no-color"], 0, None, (), True, id="pretty-items"),
    # --jq takes a batch of items (about 256 KB of text) in one evaluation
    pytest.param(_page(_items(1_000_000)), ["--jq", ".a"], 0, 2_000_000, (), True, id="jq-million-items"),
    pytest.param(
        _page(_items(1_000, b'"x"')),
        ["--jq", "range(1e9)"],
        1,
        0,
        "item $[0]: --jq output is larger",
        True,
        id="jq-endless-results-per-item",
    ),
    pytest.param(
        _page(b'[{"s":"a,b],[c"},' + b'{"s":"]],,[{"},' * 100_000 + b"1]"),
        ["--jq", ".s?"],
        0,
        900_010,
        (),
        True,
        id="jq-separators-in-strings",
    ),
    # A page past what is held (8 MiB of items) streams: its size costs nothing.
    pytest.param(_page(_items(20_000_000, b"{}"), "zstd"), [], 0, 60_000_000, (), True, id="zstd-20M-items-streamed"),
    pytest.param(
        _page(b'{"data":' + _items(3_000_000) + b',"next":null}', "gzip"),
        ["--jq", ".a"],
        0,
        6_000_000,
        (),
        True,
        id="jq-streamed-page",
    ),
    # Broken past the hold: the items before the break are written, then the same error and exit code.
    pytest.param(
        _page(_items(3_000_000)[:-1] + b',{"a":}]'), [], 2, 24_000_000, "not JSON", True, id="streamed-broken-last-item"
    ),
    pytest.param(_page(_items(3_000_000)[:-1]), [], 2, 24_000_000, "not JSON", True, id="streamed-unclosed-page"),
    pytest.param(
        _page(b'[{"a":1},"' + b"x" * (17 * MIB) + b'"]'),
        [],
        1,
        0,  # the item before it is still held back: nothing of the page is written
        "an item of the page is larger than 16 MiB",
        True,
        id="item-past-limit",
    ),
    pytest.param(
        _page(b'{"items":' + _items(2_000_000) + b',"data":[1]}'),
        [],
        2,
        16_000_000,
        "another list of items",
        True,
        id="streamed-list-then-a-preferred-one",
    ),
    pytest.param(_page(b"[" + b" " * (64 * MIB)), [], 2, 0, "not JSON", True, id="endless-whitespace"),
    # A page with no end streams until a guard ends it, in constant memory.
    pytest.param(EndlessPage(), ["--max-items", "3000000"], 0, 24_000_000, (), True, id="endless-page-max-items"),
    pytest.param(EndlessPage(), ["--max-time", "3"], 8, None, "page 1:", True, id="endless-page-max-time"),
    pytest.param(
        _page(_items(2_000_000)[:-1] + b"," + b"[" * 5000 + b"]" * 5000 + b"]"),
        [],
        2,
        16_000_000,
        "not JSON",
        True,
        id="streamed-deep-last-item",
    ),
    pytest.param(
        _page(b'{"data":' + _items(1_000_000, rb'"\u001b[31m\u00e9\ud800"') + b"}"),
        [],
        0,
        None,
        (),
        True,
        id="streamed-escapes-and-lone-surrogates",
    ),
    pytest.param(
        _page(b'{"data":[1],"included":[' + b"[]," * (2 * MIB) + b"[]]}"),
        [],
        2,
        0,
        "without its list of items is larger than 1 MiB",
        True,
        id="outside-items-huge",
    ),
    # Many small members around the items: the rest of a page is held as its bytes, not as pieces.
    pytest.param(
        _page(b'{"items":' + _items(2_000_000) + b"," + b'"a":1,' * 170_000 + b'"z":0}'),
        [],
        0,
        16_000_000,
        (),
        True,
        id="streamed-many-members-after",
    ),
    pytest.param(
        _page(b"{" + b'"items":[1],' * 80_000 + b'"data":' + _items(2_000_000) + b"}"),
        [],
        0,
        16_000_000,  # "data" is preferred to "items", as on a page read whole
        (),
        True,
        id="many-repeated-item-keys",
    ),
    pytest.param(_page(b"[" * (4 * MIB)), [], 2, 0, "not JSON", True, id="deep-unclosed"),
    pytest.param(_page(b"[" + b"[" * 5000 + b"]" * 5000 + b"]"), [], 2, 0, "not JSON", True, id="deep-item"),
    pytest.param(_page(_items(500_000)[:-1] + b',{"a":}]'), [], 2, 0, "not JSON", True, id="broken-last-item"),
    pytest.param(_page(_items(500_000) + b" [1]"), [], 2, 0, "not JSON", True, id="data-after-page"),
    pytest.param(_page(_items(500_000)[:-1]), [], 2, 0, "not JSON", True, id="unclosed-page"),
    pytest.param(
        _page(b'[{"s":"a,b],[c"},' + b'{"s":"]],,[{"},' * 100_000 + b"1]"),
        [],
        0,
        1_500_018,
        (),
        True,
        id="separators-in-strings",
    ),
    pytest.param(_page(b'["\xff\xfe",' + _items(100_000)[1:]), [], 2, 0, "not JSON", True, id="invalid-utf8"),
]


@pytest.mark.parametrize(("page", "extra", "code", "size", "stderr_has", "bounded"), PAGE_ROWS)
def test_hostile_pages(
    fault_server: FaultServer,
    page: Reply | EndlessPage,
    extra: list[str],
    code: int,
    size: int | None,
    stderr_has: str | tuple[str, ...],
    bounded: bool,
) -> None:
    fault_server.script("/p", page)
    outcome = run(["paginate", fault_server.url("/p"), "--max-pages", "1", "--retries", "0", *extra], timeout=120)
    assert_clean(outcome, code, stderr_has=stderr_has, bounded=bounded)
    if size is not None:
        assert outcome.stdout_size == size, outcome.describe()
    if not bounded:
        assert outcome.peak_mib < 200, outcome.describe()


def test_items_come_out_as_the_server_wrote_them(fault_server: FaultServer) -> None:
    body = b'{"data":[{"id":1,"v":"caf\xc3\xa9"},[1,2],"s,]",12345678901234567890123,1.5,null],"next":null}'
    fault_server.script("/p", _page(body))
    outcome = run(["paginate", fault_server.url("/p")])
    assert_clean(outcome, 0)
    assert outcome.stdout == (b'{"id":1,"v":"caf\xc3\xa9"}\n[1,2]\n"s,]"\n12345678901234567890123\n1.5\nnull\n')
