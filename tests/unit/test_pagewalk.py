"""The page walk: a page's items found in its text as it arrives, against the same page parsed whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ApicliError, ResponseFormatError
from apicli.pagination.documents import ITEM_KEYS, ItemBatch, PageItems, find_items
from apicli.pagination.dotpath import DotPath
from apicli.pagination.pagewalk import PageWalk, read_items

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from('ab,]}[{"\\ é\u2028'), max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)
keys = st.sampled_from([*ITEM_KEYS[:4], "next", "meta", "x"])
pages = st.one_of(
    st.lists(values, max_size=30),
    st.lists(st.tuples(keys, st.one_of(values, st.lists(values, max_size=30))), max_size=5),
)


def _text(page: Any) -> bytes:
    """The page's JSON text; a list of pairs is an object, whose keys may repeat."""
    if isinstance(page, list) and page and all(isinstance(p, tuple) for p in page):
        members = (json.dumps(key) + ":" + json.dumps(value) for key, value in page)
        return ("{" + ", ".join(members) + "}").encode()
    return json.dumps(page, ensure_ascii=False).encode()


def _chunks(text: bytes, size: int) -> Iterator[bytes]:
    return (text[i : i + size] for i in range(0, len(text), size))


def _items(items: PageItems) -> list[Any]:
    found: list[Any] = []
    for batch in items.batches():
        found.extend(batch.items() if isinstance(batch, ItemBatch) else batch)
    return found


def _whole(text: bytes, path: DotPath | None) -> list[Any] | str:
    """The items as a page parsed whole gives them, or its error."""
    try:
        return find_items(json.loads(text), path)
    except ResponseFormatError as exc:
        return exc.message


def _walked(text: bytes, path: DotPath | None, *, hold: int, chunk: int) -> tuple[list[Any] | str, PageWalk]:
    walk = PageWalk(_chunks(text, chunk), path, exact=False, hold=hold)
    try:
        return _items(read_items(walk, None)), walk
    except ResponseFormatError as exc:
        return exc.message, walk


@settings(max_examples=300, deadline=None)
@given(page=pages, chunk=st.integers(1, 64))
def test_a_page_held_whole_gives_the_items_a_parsed_page_gives(page: Any, chunk: int) -> None:
    text = _text(page)
    walked, walk = _walked(text, None, hold=1 << 30, chunk=chunk)
    assert walked == _whole(text, None)
    if not isinstance(walked, str):
        document = json.loads(text)
        if isinstance(document, dict) and walk.document is not None:
            assert set(walk.document) == set(document)  # every member kept, the items' list emptied


@settings(max_examples=300, deadline=None)
@given(page=pages, chunk=st.integers(1, 64), hold=st.integers(0, 64))
def test_a_streamed_page_gives_the_same_items_or_says_it_cannot(page: Any, chunk: int, hold: int) -> None:
    text = _text(page)
    walked, _ = _walked(text, None, hold=hold, chunk=chunk)
    if isinstance(walked, str) and "another list of items" in walked:
        return  # a later list would have been chosen; the first was already handed on
    assert walked == _whole(text, None)


@settings(max_examples=200, deadline=None)
@given(
    inner=st.lists(values, max_size=20),
    around=st.dictionaries(st.sampled_from(["a", "b", "next"]), values, max_size=3),
    repeat=st.booleans(),
    hold=st.sampled_from([0, 16, 1 << 30]),
)
def test_an_items_path_finds_the_list_a_lookup_finds(
    inner: list[Any], around: dict[str, Any], repeat: bool, hold: int
) -> None:
    body = json.dumps({**around, "page": [0, {"rows": inner}]})
    if repeat:  # a later member of the same name replaces the first, as a parser keeps the last
        body = body[:-1] + ', "page": [0, {"rows": [7]}]}'
    walked, _ = _walked(body.encode(), ("page", "1", "rows"), hold=hold, chunk=7)
    if isinstance(walked, str) and "another list of items" in walked:
        assert repeat and hold < 1 << 30
        return
    assert walked == _whole(body.encode(), ("page", "1", "rows"))


@settings(max_examples=200, deadline=None)
@given(page=pages, data=st.data())
def test_a_page_cut_anywhere_is_refused_before_any_item_while_held(page: Any, data: st.DataObject) -> None:
    text = _text(page)
    cut = data.draw(st.integers(0, max(len(text) - 1, 0)))
    broken = text[:cut]
    try:
        json.loads(broken)
        return  # a cut that is still JSON (a number cut short)
    except ValueError:
        pass
    walk = PageWalk(_chunks(broken, 5), None, exact=False, hold=1 << 30)
    with pytest.raises(ResponseFormatError):
        read_items(walk, None)


def test_past_the_hold_the_items_arrive_while_the_page_is_read() -> None:
    rows = [{"id": i, "pad": "x" * 50} for i in range(20_000)]
    text = json.dumps({"data": rows, "next": "/p2"}).encode()
    read = []

    def chunks() -> Iterator[bytes]:
        for chunk in _chunks(text, 4096):
            read.append(len(chunk))
            yield chunk

    walk = PageWalk(chunks(), None, exact=False, hold=10_000)
    items = read_items(walk, None)
    assert items.streaming and not walk.finished
    assert sum(read) < len(text)  # the page is not read through before its first items are handed on
    assert _items(items) == rows
    assert walk.finished and walk.document == {"data": [], "next": "/p2"}
    assert items.whole and len(items) == 20_000


def test_a_page_that_breaks_past_the_hold_hands_on_the_items_before_the_break() -> None:
    text = json.dumps([{"id": i} for i in range(3000)]).encode()[:-1] + b',{"id":}]'
    items = read_items(PageWalk(_chunks(text, 1000), None, exact=False, hold=4096), None)
    got: list[Any] = []
    with pytest.raises(ResponseFormatError, match="not JSON"):
        for batch in items.batches():
            assert isinstance(batch, ItemBatch)
            got.extend(batch.items())
    assert got == [{"id": i} for i in range(3000)]


def test_the_end_hooks_run_once_with_the_error() -> None:
    text = b"[" + b",".join(b"1" for _ in range(5000)) + b",}"
    items = read_items(PageWalk(_chunks(text, 500), None, exact=False, hold=100), None)
    seen: list[ApicliError | None] = []
    items.on_end.append(seen.append)
    with pytest.raises(ResponseFormatError):
        list(items.batches())
    items.close()
    assert len(seen) == 1 and isinstance(seen[0], ResponseFormatError)


def test_a_page_closed_unread_ends_once_without_an_error() -> None:
    text = b"[" + b",".join(b"1" for _ in range(5000)) + b"]"
    items = read_items(PageWalk(_chunks(text, 500), None, exact=False, hold=100), None)
    seen: list[ApicliError | None] = []
    items.on_end.append(seen.append)
    batches = items.batches()
    next(batches)
    items.close()
    items.close()
    assert seen == [None] and not items.whole


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"items":[1,2],"data":[3]}', "another list of items at 'data'"),
        (b'{"data":[1,2],"data":[3]}', "another list of items at 'data'"),
        (b'{"data":[1,2],"data":null}', "another list of items at 'data'"),
    ],
)
def test_a_list_that_would_change_the_choice_after_the_commit_fails(body: bytes, message: str) -> None:
    items = read_items(PageWalk(iter([body]), None, exact=False, hold=0), None)
    with pytest.raises(ResponseFormatError, match=message):
        list(items.batches())


def test_a_later_lesser_list_after_the_commit_is_kept_as_the_document() -> None:
    walk = PageWalk(iter([b'{"data":[1,2],"items":[3]}']), None, exact=False, hold=0)
    assert _items(read_items(walk, None)) == [1, 2]
    assert walk.document == {"data": [], "items": [3]}
