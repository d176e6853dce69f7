"""The batch input parser: any bytes give requests or line errors (never an exception), however they are chunked."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.batch.lines import LineError, LineRequest, raw_lines, read_requests
from apicli.batch.results import one_line
from apicli.limits import Limit

SMALL = Limit(64, "a test line")


def _chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


@given(st.binary(max_size=600), st.lists(st.integers(min_value=0, max_value=600), max_size=8))
@settings(max_examples=150, deadline=None)
def test_lines_do_not_depend_on_chunking_and_long_ones_are_dropped(data: bytes, cuts: list[int]) -> None:
    whole = list(raw_lines([data], SMALL))
    assert list(raw_lines(_chunked(data, cuts), SMALL)) == whole
    expected = data.split(b"\n")
    if expected and expected[-1] == b"":
        expected.pop()
    assert [number for number, _, _ in whole] == list(range(1, len(expected) + 1))
    offset = 0
    for (_, line, end), wanted in zip(whole, expected, strict=True):
        assert line == (wanted if len(wanted) <= SMALL.bytes else None)
        offset = min(offset + len(wanted) + 1, len(data))
        assert end == offset


@given(st.binary(max_size=400))
@settings(max_examples=150, deadline=None)
def test_any_input_gives_requests_or_line_errors(data: bytes) -> None:
    items = list(read_requests([data]))
    assert [item.position for item in items] == list(range(len(items)))
    assert [item.end for item in items] == sorted(item.end for item in items)
    assert all(0 < item.end <= len(data) for item in items)
    for item in items:
        assert isinstance(item, LineRequest | LineError)
        if isinstance(item, LineError):
            assert item.message.startswith(f"line {item.line}")


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_NAMES = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,10}\Z")
_REQUESTS = st.fixed_dictionaries(
    {"url": st.from_regex(r"\A/[a-z0-9/]{0,12}\Z")},
    optional={
        "method": st.sampled_from(["GET", "post", "Put", "DELETE"]),
        "headers": st.dictionaries(_NAMES, st.one_of(_TEXT, st.lists(_TEXT, min_size=1, max_size=3)), max_size=3),
        "query": st.dictionaries(_TEXT, st.one_of(_TEXT, st.integers()), max_size=3),
        "json": st.recursive(st.none() | st.booleans() | st.integers() | _TEXT, lambda inner: st.lists(inner)),
        "id": st.one_of(st.integers(), _TEXT),
    },
)


@given(_REQUESTS)
@settings(max_examples=100, deadline=None)
def test_a_valid_request_object_comes_back_as_written(document: dict[str, object]) -> None:
    line = json.dumps(document, ensure_ascii=False).encode()
    (item,) = list(read_requests([line + b"\n"]))
    assert isinstance(item, LineRequest), item
    assert item.url == document["url"]
    assert item.method == (str(document["method"]).upper() if "method" in document else None)
    assert (json.loads(item.id) if item.id is not None else None) == document.get("id")
    if "json" in document:
        assert item.body is not None and item.body.content_type == "application/json"
        assert json.loads(item.body.raw) == document["json"]
    headers = document.get("headers", {})
    assert isinstance(headers, dict)
    expected = [
        (name, text) for name, value in headers.items() for text in (value if isinstance(value, list) else [value])
    ]
    assert list(item.headers) == expected


# A JSON number as a line may spell it: any digits, a fraction with trailing zeros, any exponent, -0.
_NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?\Z")


def _spelled(value: object, spaced: bool) -> str:
    """JSON text for a value whose numbers are given as their literals (`_Literal`), spaced or compact."""
    comma, colon = (", ", ": ") if spaced else (",", ":")
    if isinstance(value, _Literal):
        return value.text
    if isinstance(value, list):
        return "[" + comma.join(_spelled(member, spaced) for member in value) + "]"
    if isinstance(value, dict):
        members = (
            json.dumps(key, ensure_ascii=False) + colon + _spelled(member, spaced) for key, member in value.items()
        )
        return "{" + comma.join(members) + "}"
    return json.dumps(value, ensure_ascii=False)


class _Literal:
    def __init__(self, text: str) -> None:
        self.text = text


_SPELLED = st.recursive(
    _NUMBER.map(_Literal) | st.booleans() | st.none() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(_SPELLED, _NUMBER)
@settings(max_examples=150, deadline=None)
def test_numbers_go_out_as_the_line_spelled_them(value: object, header_number: str) -> None:
    body = _spelled(value, True)
    line = f'{{"url": "/x", "json": {body}, "headers": {{"X-N": {header_number}}}, "id": {header_number}}}'
    (item,) = list(read_requests([line.encode() + b"\n"]))
    assert isinstance(item, LineRequest), item
    assert item.body is not None and item.body.raw == _spelled(value, False).encode()
    assert item.headers == (("X-N", header_number),)
    assert item.id == header_number


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8), lambda inner: st.lists(inner)
                    | st.dictionaries(st.text(max_size=4), inner), max_leaves=20))  # fmt: skip
@settings(max_examples=100, deadline=None)
def test_one_line_keeps_every_value_and_drops_only_layout(value: object) -> None:
    pretty = json.dumps(value, indent=2, ensure_ascii=False)
    compact = one_line(pretty)
    assert "\n" not in compact and json.loads(compact) == value
