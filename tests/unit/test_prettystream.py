"""Pretty-printing in constant memory gives the same bytes as rendering the whole document, however it is cut."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ParseError, ResponseFormatError
from apicli.output import prettystream
from apicli.output.colorize import render_json, strip_ansi
from apicli.output.prettystream import iter_pretty

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


def _pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A window of a few bytes, so that small documents take the streaming path with every kind of cut."""
    monkeypatch.setattr(prettystream, "WINDOW", 16)


@given(
    document=_json,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    color=st.booleans(),
    spaced=st.booleans(),
    window=st.integers(min_value=1, max_value=64),
)
@settings(max_examples=300)
def test_streaming_equals_the_whole_render(
    document: object, cuts: list[int], color: bool, spaced: bool, window: int
) -> None:
    body = json.dumps(document, indent=1 if spaced else None, ensure_ascii=False).encode()
    saved, prettystream.WINDOW = prettystream.WINDOW, window  # small windows: the streaming path, every cut
    try:
        streamed = b"".join(iter_pretty(iter(_pieces(body, cuts)), color=color))
    finally:
        prettystream.WINDOW = saved
    assert streamed == render_json(body, color=color)
    assert strip_ansi(streamed).decode() == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_a_large_array_of_objects_at_every_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prettystream, "WINDOW", 4096)
    rng = random.Random(7)
    document = {
        "meta": {"n": 3},
        "data": [{"id": i, "tags": ["x" * rng.randint(0, 50)], "deep": {"v": [i, i / 3]}} for i in range(2000)],
        "big": [{"blob": "y" * 10000}],
    }
    body = json.dumps(document).encode()
    chunks = [body[i : i + 777] for i in range(0, len(body), 777)]
    assert b"".join(iter_pretty(iter(chunks), color=True)) == render_json(body, color=True)


def test_a_small_body_that_is_not_json_comes_back_as_it_was() -> None:
    assert b"".join(iter_pretty(iter([b"{not json"]), color=True)) == b"{not json"


def test_a_large_body_that_is_not_json_fails_after_what_it_showed(small_window: None) -> None:
    with pytest.raises(ResponseFormatError, match="not valid JSON"):
        b"".join(iter_pretty(iter([b'[{"a": 1}, {"b": 2}, {"c": ]']), color=False))


def test_one_endless_number_is_refused_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prettystream, "WINDOW", 1024)
    monkeypatch.setattr(prettystream, "MAX_SCALAR", 64 * 1024)
    endless = iter([b"[1" + b"2" * 4096] + [b"3" * 4096] * 100)
    with pytest.raises(ResponseFormatError, match="longer than"):
        b"".join(iter_pretty(endless, color=False))


def test_a_long_string_is_written_in_pieces_as_it_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prettystream, "WINDOW", 1024)
    chunks = [b'["' + b"x" * 4096] + [b"\\u00e9\\ud83d\\ude00\xc3\xa9\\\\" * 300] * 100
    pieces = iter_pretty(iter([*chunks, b'"]']), color=False)
    largest = max(len(piece) for piece in pieces)
    assert largest <= 2048  # never the whole string at once
    body = b"".join(chunks) + b'"]'
    assert b"".join(iter_pretty(iter([*chunks, b'"]']), color=False)) == render_json(body, color=False)


def test_an_unfinished_string_fails_after_what_it_showed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prettystream, "WINDOW", 1024)
    with pytest.raises(ResponseFormatError, match="unfinished string"):
        b"".join(iter_pretty(iter([b'["' + b"x" * 4096] + [b"x" * 4096] * 100), color=False))


def test_nesting_past_the_depth_limit_is_refused_without_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prettystream, "WINDOW", 64)
    with pytest.raises(ResponseFormatError, match="nested deeper than 1024"):
        b"".join(iter_pretty(iter([b"[" * 100_000]), color=False))
    depth = 1000  # deeper than Python's recursion limit, within JSON_DEPTH
    body = b"[" * depth + b"]" * depth
    opening = b"".join(b"  " * level + b"[\n" for level in range(depth - 1))
    closing = b"".join(b"\n" + b"  " * level + b"]" for level in reversed(range(depth - 1)))
    expected = opening + b"  " * (depth - 1) + b"[]" + closing + b"\n"
    assert b"".join(iter_pretty(iter([body]), color=False)) == expected


@given(
    text=st.text(min_size=50, max_size=600),
    ascii_only=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    color=st.booleans(),
    window=st.integers(min_value=1, max_value=200),
)
@settings(max_examples=300)
def test_a_string_cut_anywhere_renders_as_a_whole(
    text: str, ascii_only: bool, cuts: list[int], color: bool, window: int
) -> None:
    # Escapes of every kind, surrogate pairs (\\ud83d\\ude00 with ascii_only) and multibyte characters, cut anywhere.
    body = json.dumps({"k" + text: [text, text]}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    saved, prettystream.WINDOW = prettystream.WINDOW, window
    try:
        try:
            expected = render_json(body, color=color)
        except ParseError:
            with pytest.raises(ResponseFormatError):
                b"".join(iter_pretty(iter(_pieces(body, cuts)), color=color))
            return
        streamed = b"".join(iter_pretty(iter(_pieces(body, cuts)), color=color))
    finally:
        prettystream.WINDOW = saved
    assert streamed == expected
