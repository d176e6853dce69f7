"""Properties of the request-item grammar: nested keys, top-level arrays, gaps and escapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ItemError
from apicli.formats.nested_keys import parse_key_path
from apicli.inputs.items import parse_items, split_item

_ITEM_SPECIAL = ":;=@"
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
# A key that reads as a negative index has no spelling in HTTPie's grammar either.
_KEY = _TEXT.filter(lambda k: not (k.startswith("-") and k[1:].isdigit()))
_LEAF = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=6)


def _escape_name(key: str) -> str:
    return "".join(f"\\{ch}" if ch in _ITEM_SPECIAL + "[]\\" else ch for ch in key)


def _escape_segment(key: str) -> str:
    """A key inside brackets: brackets and backslashes escaped, and a leading digit too (so it stays a key)."""
    text = "".join(f"\\{ch}" if ch in _ITEM_SPECIAL + "[]\\" else ch for ch in key)
    return "\\" + text if key[:1].isdigit() else text


def _flatten(value: Any, prefix: str) -> list[str]:
    """Items that build `value` (no empty containers) under the key text `prefix`."""
    if isinstance(value, dict):
        return [item for key, child in value.items() for item in _flatten(child, f"{prefix}[{_escape_segment(key)}]")]
    if isinstance(value, list):
        return [item for index, child in enumerate(value) for item in _flatten(child, f"{prefix}[{index}]")]
    return [f"{prefix}:={json.dumps(value)}"]


_NESTED = st.recursive(
    _LEAF,
    lambda children: (
        st.lists(children, min_size=1, max_size=3) | st.dictionaries(_KEY, children, min_size=1, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_KEY, _NESTED, min_size=1, max_size=3))
def test_items_built_from_a_document_rebuild_it(document: dict[str, Any]) -> None:
    items = [item for key, value in document.items() for item in _flatten(value, _escape_name(key))]
    assert parse_items(items).data == document


@settings(max_examples=200, deadline=None)
@given(st.lists(_NESTED, min_size=1, max_size=5))
def test_a_top_level_array_rebuilds_from_appends_and_from_indexes(values: list[Any]) -> None:
    assert parse_items([f"[]:={json.dumps(value)}" for value in values]).data == values
    indexed = [item for index, value in enumerate(values) for item in _flatten(value, f"[{index}]")]
    assert parse_items(indexed).data == values


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(0, 40), st.integers(), min_size=1, max_size=6))
def test_indexes_past_the_end_fill_the_gaps_with_null(entries: dict[int, int]) -> None:
    expected: list[Any] = [None] * (max(entries) + 1)
    for index, value in entries.items():
        expected[index] = value
    assert parse_items([f"arr[{index}]:={value}" for index, value in entries.items()]).data == {"arr": expected}


@settings(max_examples=800, deadline=None)
@given(st.text(max_size=16))
def test_any_key_parses_or_is_an_item_error(key: str) -> None:
    try:
        has_name, segments = parse_key_path(key, f"{key}=x")
    except ItemError:
        return
    assert segments and (has_name or not isinstance(segments[0], str))


@settings(max_examples=500, deadline=None)
@given(_TEXT, _TEXT.filter(lambda v: not v.startswith(("=", "@")) and "\\" not in v))
def test_escaped_separators_are_literal_in_name_and_value(name: str, value: str) -> None:
    key = "".join(f"\\{ch}" if ch in _ITEM_SPECIAL else ch for ch in name.replace("\\", ""))
    shown = "".join(f"\\{ch}" if ch in _ITEM_SPECIAL else ch for ch in value)
    assert split_item(f"{key}={shown}") == (name.replace("\\", ""), "=", value)


@pytest.mark.parametrize(
    ("items", "data"),
    [
        (["[]:=1", "[]:=2"], [1, 2]),
        ([r"a\[b\]=c"], {"a[b]": "c"}),
        (["arr[0]=x", "arr[2]=z"], {"arr": ["x", None, "z"]}),
        (
            [r"object[\1]=s", r"object[\100]=same", "array[1]=i"],
            {"object": {"1": "s", "100": "same"}, "array": [None, "i"]},
        ),
        ([r"foo\[bar\]:=1", r"baz[\[]:=2", r"baz[\]]:=3"], {"foo[bar]": 1, "baz": {"[": 2, "]": 3}}),
        (["x[][]=1", "x[1][a]=2"], {"x": [["1"], {"a": "2"}]}),
        (["a[2]:=1", "a[0][x]=2"], {"a": [{"x": "2"}, None, 1]}),
        ([r"a\xb=1", r"w[\\]=2"], {"a\\xb": "1", "w": {"\\": "2"}}),
        (["a[01]=x"], {"a": [None, "x"]}),
    ],
)
def test_httpie_documented_forms(items: list[str], data: Any) -> None:
    assert parse_items(items).data == data


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["a=1", "a[b]=2"], "'a' is a value, so it has no key 'b'"),
        (["a[]=1", "a[b]=2"], "'a' is an array, so it has no key 'b'"),
        (["a[b]=1", "a[0]=2"], "'a' is an object, so [0] cannot index it"),
        (["a=1", "[]:=2"], "the body is an object, so it cannot be a top-level array too"),
        (["[]:=1", "a=2"], "the body is a top-level array ([]), so it has no named keys"),
        (["[foo]=x"], "a top-level segment is [] or a number"),
        (["foo[bar=x"], "a '[' in the key is never closed"),
        (["a[b]c=1"], "expected '[' at position 5"),
        (["x[-1]=a"], "negative array indexes are not supported"),
        (["x[10001]=a"], "array index 10001 is beyond 10000"),
    ],
)
def test_conflicts_and_syntax_errors_name_the_item(items: list[str], message: str) -> None:
    with pytest.raises(ItemError) as caught:
        parse_items(items)
    assert message in str(caught.value) and caught.value.hint


def test_empty_and_file_headers(tmp_path: Any) -> None:
    value = tmp_path / "v.txt"
    value.write_text("from a file\n")
    parsed = parse_items(["X-Empty;", f"X-File:@{value}", "X-Gone:", r"X-At:\@home"])
    assert parsed.headers == [("X-Empty", ""), ("X-File", "from a file"), ("X-At", "@home")]
    assert parsed.removed_headers == ["X-Gone"]
    with pytest.raises(ItemError, match="nothing may follow"):
        parse_items(["X-A;b"])
    assert parse_items([f"q==@{value}"]).query == [("q", "from a file")]
