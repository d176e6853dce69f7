"""The request-item parser: examples for each separator, and properties under fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ApicliError, ItemError, UsageError
from apicli.inputs.items import build_body, parse_items, split_item, stdin_reader


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("Accept:application/json", ("Accept", ":", "application/json")),
        ("url==http://x.test/?a=b", ("url", "==", "http://x.test/?a=b")),
        ("name=ann", ("name", "=", "ann")),
        ("n:=1", ("n", ":=", "1")),
        ("f=@a.txt", ("f", "=@", "a.txt")),
        ("f:=@a.json", ("f", ":=@", "a.json")),
        ("doc@a.pdf", ("doc", "@", "a.pdf")),
        ("email=a@b.test", ("email", "=", "a@b.test")),
        ("Authorization:Bearer x=y", ("Authorization", ":", "Bearer x=y")),
        (r"a\=b=c", ("a=b", "=", "c")),
        (r"key\:x:=2", ("key:x", ":=", "2")),
    ],
)
def test_split_item_picks_the_earliest_longest_separator(item: str, expected: tuple[str, str, str]) -> None:
    assert split_item(item) == expected


def test_parse_items_sorts_items_by_kind(tmp_path: Path) -> None:
    upload = tmp_path / "u.bin"
    upload.write_bytes(b"\x00")
    parsed = parse_items(["X-A:1", "q==v", "s=t", "n:=[1]", f"file@{upload}", "Drop:"])
    assert parsed.headers == [("X-A", "1")]
    assert parsed.removed_headers == ["Drop"]
    assert parsed.query == [("q", "v")]
    assert parsed.data == {"s": "t", "n": [1]}
    assert [f.field for f in parsed.files] == ["file"]


def test_nested_keys_build_objects_and_arrays() -> None:
    parsed = parse_items(["user[name]=ann", "user[roles][]=admin", "user[roles][]=dev", "m[0]=x", "m[1]=y"])
    assert parsed.data == {"user": {"name": "ann", "roles": ["admin", "dev"]}, "m": ["x", "y"]}


def test_conflicting_nested_keys_are_item_errors() -> None:
    with pytest.raises(ItemError):
        parse_items(["a=1", "a[b]=2"])
    with pytest.raises(ItemError):
        parse_items(["a[]=1", "a[b]=2"])
    with pytest.raises(ItemError):
        parse_items(["a=1", "[]:=2"])  # an object body cannot also be a top-level array


def test_an_index_past_the_end_fills_the_gap_with_null() -> None:
    assert parse_items(["a[2]=x"]).data == {"a": [None, None, "x"]}
    assert parse_items(["arr[0]=x", "arr[2]=z"]).data == {"arr": ["x", None, "z"]}


def test_stdin_is_read_only_when_asked_and_only_once() -> None:
    import io

    reader = stdin_reader(io.BytesIO(b'{"x": 1}'))
    parsed = parse_items(["a:=@-"], reader)
    assert parsed.data == {"a": {"x": 1}}
    with pytest.raises(UsageError):
        parse_items(["b=@-"], reader)


def test_body_conflicts_are_usage_errors() -> None:
    parsed = parse_items(["a=1"])
    with pytest.raises(UsageError):
        build_body(parsed, json_arg="{}", data_arg=None, form=False, stdin=None)
    with pytest.raises(UsageError):
        build_body(parse_items(["n:=1"]), json_arg=None, data_arg=None, form=True, stdin=None)
    body = build_body(parsed, json_arg=None, data_arg=None, form=False, stdin=None)
    assert body is not None and body.kind == "json" and body.json == {"a": "1"}


def test_header_names_are_validated() -> None:
    with pytest.raises(ItemError):
        parse_items(["Bad Name:x"])


item_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=1500, deadline=None)
@given(st.lists(item_text, max_size=5))
def test_any_items_parse_or_raise_only_apicli_errors(items: list[str]) -> None:
    try:
        parsed = parse_items(items)
    except ApicliError:
        return
    if parsed.data is not None:
        json.dumps(parsed.data)


@settings(max_examples=500, deadline=None)
@given(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    # A backslash before a separator is an escape in values too (HTTPie's rule), tested with the escapes.
    st.text(max_size=30).filter(lambda v: not v.startswith(("@", "=")) and "\\" not in v),
)
def test_string_fields_round_trip(key: str, value: str) -> None:
    parsed = parse_items([f"{key}={value}"])
    assert parsed.data == {key: value}


@settings(max_examples=500, deadline=None)
@given(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    ),
)
def test_raw_json_fields_round_trip(key: str, value: object) -> None:
    parsed = parse_items([f"{key}:={json.dumps(value)}"])
    assert parsed.data == {key: value}


_TOKEN = st.from_regex(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", fullmatch=True)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_PLAIN_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
_SPECIAL = "\\:;=@[]"
# A value that means itself: no leading @ (which reads a file) and no backslash (which escapes).
_LITERAL_VALUE = _PLAIN_TEXT.filter(lambda v: not v.startswith("@") and "\\" not in v)


@settings(max_examples=500, deadline=None)
@given(_TOKEN, _PLAIN_TEXT.filter(lambda v: v.strip() != "" and not v.startswith(("=", "@")) and "\\" not in v))
def test_header_items_round_trip(name: str, value: str) -> None:
    parsed = parse_items([f"{name}:{value}"])
    assert parsed.headers == [(name, value.strip())]
    assert (parsed.query, parsed.data, parsed.removed_headers) == ([], None, [])


@settings(max_examples=300, deadline=None)
@given(_TOKEN)
def test_a_header_item_without_a_value_removes_the_header(name: str) -> None:
    parsed = parse_items([f"{name}:"])
    assert (parsed.headers, parsed.removed_headers) == ([], [name])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9_.-]{1,10}", fullmatch=True), _LITERAL_VALUE), max_size=4))
def test_query_items_keep_their_order_and_values(pairs: list[tuple[str, str]]) -> None:
    parsed = parse_items([f"{name}=={value}" for name, value in pairs])
    assert parsed.query == pairs
    assert parsed.data is None


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_NAME, min_size=1, max_size=4, unique=True),
    # A backslash in a value is an escape (HTTPie's rule, tested with the escapes): kept out here.
    _PLAIN_TEXT.filter(lambda v: not v.startswith(("=", "@")) and "\\" not in v),
)
def test_nested_keys_build_nested_objects(path: list[str], value: str) -> None:
    key = path[0] + "".join(f"[{segment}]" for segment in path[1:])
    expected: object = value
    for segment in reversed(path):
        expected = {segment: expected}
    assert parse_items([f"{key}={value}"]).data == expected


@settings(max_examples=300, deadline=None)
@given(_NAME, st.lists(st.integers() | st.booleans() | _PLAIN_TEXT, min_size=1, max_size=5))
def test_empty_brackets_append_in_order(name: str, values: list[object]) -> None:
    items = [f"{name}[]:={json.dumps(value)}" for value in values]
    assert parse_items(items).data == {name: values}


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20),
    _PLAIN_TEXT.filter(lambda v: not v.startswith(("=", "@")) and "\\" not in v),
)
def test_a_backslash_makes_any_character_of_a_key_literal(key: str, value: str) -> None:
    # Separators (:;=@) are escaped for the item grammar, brackets and backslashes for the key grammar.
    escaped = "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in key)
    assert parse_items([f"{escaped}={value}"]).data == {key: value}
