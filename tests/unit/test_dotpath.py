"""Dot paths: the grammar, lookups that never raise, and the format/parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ParseError, UsageError
from apicli.pagination.dotpath import MISSING, DotPath, format_path, lookup, parse_path

DOCUMENT = {
    "meta": {"next": "https://api.example.com/items?page=2", "cursor": None},
    "data": {"items": [{"id": 1}, {"id": 2}, {"id": 3}]},
    "a.b": "dotted",
    "a": {"b": "nested"},
    "by_id": {"0": "zero"},
    "": "empty key",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meta.next", ("meta", "next")),
        ("data.items", ("data", "items")),
        (".data.items", ("data", "items")),
        ("items.0", ("items", "0")),
        ("items[0]", ("items", 0)),
        ("items[-1]", ("items", -1)),
        ("items[ 2 ]", ("items", 2)),
        ("[0]", (0,)),
        (".[0].id", (0, "id")),
        ("x[1][2].y", ("x", 1, 2, "y")),
        ("a.[0]", ("a", 0)),
        (r"a\.b", ("a.b",)),
        (r"a\\b", ("a\\b",)),
        (r"a\[0]", ("a[0]",)),
        (r"\.hidden", (".hidden",)),
        ("a]b", ("a]b",)),
        ("with space.é", ("with space", "é")),
        ("-1", ("-1",)),
    ],
)
def test_parse_path(text: str, expected: DotPath) -> None:
    assert parse_path(text) == expected


@pytest.mark.parametrize("text", ["", "."])
def test_empty_path_is_the_whole_document(text: str) -> None:
    assert parse_path(text) == ()
    assert lookup(DOCUMENT, parse_path(text)) is DOCUMENT


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a..b", "empty segment"),
        ("..", "empty segment"),
        ("..a", "empty segment"),
        ("a.", "empty segment at the end"),
        (".a.", "empty segment at the end"),
        ("a[", "unterminated '['"),
        ("a[0", "unterminated '['"),
        ("a[x]", "not an integer"),
        ("a[]", "not an integer"),
        ("a[1.5]", "not an integer"),
        ("a[+1]", "not an integer"),
        ("a[١]", "not an integer"),
        ("a[" + "9" * 5000 + "]", "too large"),
        ("a[0]b", "expected '.' or '['"),
        ("a\\", "backslash at the end"),
    ],
)
def test_malformed_paths_raise_parse_error(text: str, fragment: str) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_path(text)
    message = str(excinfo.value)
    assert message.startswith("invalid path ")
    assert fragment in message
    assert "\n" not in message and len(message) < 150
    assert excinfo.value.hint
    assert isinstance(excinfo.value, UsageError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meta.next", "https://api.example.com/items?page=2"),
        ("meta.cursor", None),
        ("data.items.0.id", 1),
        ("data.items[1].id", 2),
        ("data.items[-1].id", 3),
        ("data.items[-3].id", 1),
        (r"a\.b", "dotted"),
        ("a.b", "nested"),
        ("by_id.0", "zero"),
    ],
)
def test_lookup_finds_values(text: str, expected: object) -> None:
    assert lookup(DOCUMENT, parse_path(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "meta.nope",
        "data.items[3]",
        "data.items[-4]",
        "data.items.3",
        "data.items.-1",  # a negative index needs brackets
        "data.items.id",
        "by_id[0]",  # brackets always mean a list index
        "meta.next.x",  # into a string
        "meta.next[0]",
        "meta.cursor.x",  # into null
        "data.items.0.id.x",  # into a number
        "data.items." + "9" * 5000,
    ],
)
def test_lookup_misses_without_raising(text: str) -> None:
    assert lookup(DOCUMENT, parse_path(text)) is MISSING


def test_lookup_on_scalars_and_tuples() -> None:
    assert lookup("text", (0,)) is MISSING
    assert lookup(None, ("a",)) is MISSING
    assert lookup(True, (0,)) is MISSING
    assert lookup(("x", "y"), ("1",)) == "y"
    assert lookup(42, ()) == 42


def test_missing_is_distinct_from_null() -> None:
    assert MISSING is not None
    assert repr(MISSING) == str(MISSING) == "MISSING"
    assert lookup({"a": None}, ("a",)) is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "."),
        (("meta", "next"), "meta.next"),
        (("items", 0), "items[0]"),
        (("items", -1, "id"), "items[-1].id"),
        ((0, 1), "[0][1]"),
        (("items", "0"), "items.0"),
        (("a.b", "c"), r"a\.b.c"),
        (("a\\b",), r"a\\b"),
        (("a[0]",), r"a\[0]"),
        ((".x",), r"\.x"),
    ],
)
def test_format_path(path: DotPath, text: str) -> None:
    assert format_path(path) == text
    assert parse_path(text) == path


def test_format_path_rejects_an_empty_key() -> None:
    with pytest.raises(ParseError):
        format_path(("a", ""))


# --- properties ---------------------------------------------------------------------------------

_keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)
_special_keys = st.text(alphabet="ab0.[]\\-", min_size=1, max_size=6)
_steps = st.one_of(_keys, _special_keys, st.integers(min_value=-(10**17), max_value=10**17))


@settings(max_examples=500)
@given(path=st.lists(_steps, max_size=6).map(tuple))
def test_format_then_parse_round_trips(path: DotPath) -> None:
    assert parse_path(format_path(path)) == path


@settings(max_examples=500)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet=".[]\\-0123a ", max_size=20)))
def test_arbitrary_text_raises_nothing_but_parse_error(text: str) -> None:
    try:
        path = parse_path(text)
    except ParseError as exc:
        assert "\n" not in str(exc)
        return
    # Whatever parses is a fixed point of format/parse, and can be looked up safely.
    assert parse_path(format_path(path)) == path
    lookup(DOCUMENT, path)
