"""The JSON pretty-printer and colouriser: token roles, json.dumps equality, fallbacks, fuzzing."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ParseError
from apicli.output import colorize
from apicli.output.colorize import (
    BOOL_COLOR,
    KEY_COLOR,
    NULL_COLOR,
    RESET,
    STRING_COLOR,
    colorize_indented,
    render_json,
    render_value,
    strip_ansi,
)

_SEGMENT = re.compile(rb"(\x1b\[[0-9;]*m)([^\x1b]*)\x1b\[0m")
# What may stay uncoloured: whitespace, punctuation and numbers.
_PLAIN = re.compile(rb"[ \n\[\]{},:0-9.eE+\-]*")


def stdlib_pretty(value: Any, indent: int = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False) + "\n"


def walk(value: Any, keys: list[Any], strings: list[Any], literals: list[Any]) -> None:
    """Keys, string values and true/false/null in the order a serialiser writes them."""
    if isinstance(value, dict):
        for key, item in value.items():
            keys.append(key)
            walk(item, keys, strings, literals)
    elif isinstance(value, list):
        for item in value:
            walk(item, keys, strings, literals)
    elif isinstance(value, str):
        strings.append(value)
    elif value is None or isinstance(value, bool):
        literals.append(value)


def assert_roles(colored: bytes, value: Any) -> None:
    """Each key, string and literal is wrapped in its own colour; nothing else is coloured."""
    roles: dict[bytes, list[Any]] = {KEY_COLOR: [], STRING_COLOR: [], BOOL_COLOR: [], NULL_COLOR: []}
    literals: list[Any] = []
    for match in _SEGMENT.finditer(colored):
        code, token = match.groups()
        decoded = json.loads(token)
        if code in (BOOL_COLOR, NULL_COLOR):
            literals.append(decoded)
        roles[code].append(decoded)
    assert _PLAIN.fullmatch(_SEGMENT.sub(b"", colored))
    keys: list[Any] = []
    strings: list[Any] = []
    expected_literals: list[Any] = []
    walk(value, keys, strings, expected_literals)
    assert roles[KEY_COLOR] == keys
    assert roles[STRING_COLOR] == strings
    assert literals == expected_literals
    assert all(isinstance(item, bool) for item in roles[BOOL_COLOR])
    assert all(item is None for item in roles[NULL_COLOR])


TRICKY = [
    'a": "b',
    '": ',
    "colon: value",
    'say "hi"',
    "C:\\",
    "C:\\\\",
    '\\"',
    '"',
    "\\",
    "back\\slash",
    "tab\tnew\nline\r\x00\x1b",
    "true",
    "false",
    "null",
    "123",
    "-1.5e+10",
    "{[]}",
    "a,b",
    "%s %d %%",
    "Zürich 日本語 😀 \u2028 \x7f",
    "",
    " ",
    "ends with space ",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_are_coloured_as_strings_and_keys_as_keys(text: str) -> None:
    value = {text: text, "list": [text, {text: [text]}], "n": 1}
    body = json.dumps(value).encode()
    colored = render_json(body, color=True)
    assert_roles(colored, value)
    assert strip_ansi(colored) == render_json(body, color=False)
    assert render_json(body, color=False).decode() == stdlib_pretty(value)


def test_exact_colours_of_a_small_document() -> None:
    colored = render_json(b'{"k": ["v", 1, true, null]}', color=True)
    assert colored == (
        b"{\n  " + KEY_COLOR + b'"k"' + RESET + b": [\n"
        b"    " + STRING_COLOR + b'"v"' + RESET + b",\n"
        b"    1,\n"
        b"    " + BOOL_COLOR + b"true" + RESET + b",\n"
        b"    " + NULL_COLOR + b"null" + RESET + b"\n  ]\n}\n"
    )


@pytest.mark.parametrize(
    "body",
    [b"{}", b"[]", b"[{}, [], [[]], {}]", b'{"a": {}, "b": [], "c": {"d": {}}}', b"[[[[{}]]]]"],
)
def test_empty_containers(body: bytes) -> None:
    value = json.loads(body)
    assert render_json(body, color=False).decode() == stdlib_pretty(value)
    colored = render_json(body, color=True)
    assert_roles(colored, value)
    assert strip_ansi(colored) == render_json(body, color=False)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'"top"', STRING_COLOR + b'"top"' + RESET + b"\n"),
        (b'  "a\\"b"  ', STRING_COLOR + b'"a\\"b"' + RESET + b"\n"),
        (b"true", BOOL_COLOR + b"true" + RESET + b"\n"),
        (b"false", BOOL_COLOR + b"false" + RESET + b"\n"),
        (b"null", NULL_COLOR + b"null" + RESET + b"\n"),
        (b"-12", b"-12\n"),
        (b"0.00001", b"1e-05\n"),
        (b"1E16", b"1e+16\n"),
    ],
)
def test_top_level_scalars(body: bytes, expected: bytes) -> None:
    assert render_json(body, color=True) == expected
    assert render_json(body, color=False) == strip_ansi(expected)


@pytest.mark.parametrize(
    "number",
    [
        1e16,
        1.2345678901234567e17,
        1e22,
        1e-4,
        1e-5,
        -1e-5,
        1.5e-5,
        9.999999999999999e-05,
        1e-6,
        1.5e-7,
        -2.5e-9,
        1e-10,
        5e-324,
        1.7976931348623157e308,
        -0.0,
        0.1,
        100.0,
        1234567890123456.8,
    ],
)
def test_floats_are_written_as_python_writes_them(number: float) -> None:
    # orjson spells 1e-05 as 0.00001 and 1e-07 as 1e-7 (and, before 3.11.7, 1e+16 as 1e16).
    value = [number, {"x": number}]
    body = json.dumps(value).encode()
    assert render_json(body, color=False).decode() == stdlib_pretty(value)
    assert strip_ansi(render_json(body, color=True)) == render_json(body, color=False)


def test_a_number_in_a_string_is_left_alone() -> None:
    value = {"s": "0.00001", "t": "1e-7", "u": "x 0.00001"}
    assert render_json(json.dumps(value).encode(), color=False).decode() == stdlib_pretty(value)


@pytest.mark.parametrize(
    "body",
    [
        b"[18446744073709551616, -9223372036854775809, 1]",
        b'{"big": 123456789012345678901234567890, "x": [1.5, "18446744073709551616"]}',
        b"18446744073709551616",
        b"-9223372036854775809",
    ],
)
def test_integers_beyond_64_bits_are_exact(body: bytes) -> None:
    value = json.loads(body)
    assert render_json(body, color=False).decode() == stdlib_pretty(value)
    assert json.loads(strip_ansi(render_json(body, color=True))) == value


@pytest.mark.parametrize(
    "body",
    [
        b"[18446744073709551615, -9223372036854775808, 1234567890123456789]",
        b'["12345678901234567890123", "id 123456789012345678901234", 0.123456789012345678901234]',
    ],
)
def test_long_digit_runs_that_fit_stay_exact(body: bytes) -> None:
    assert render_json(body, color=False).decode() == stdlib_pretty(json.loads(body))


def test_numbers_beyond_double_range_keep_their_spelling() -> None:
    body = b'{"a": 1e400, "b": [-1E+400, 2]}'
    assert render_json(body, color=False) == b'{\n  "a": 1e400,\n  "b": [\n    -1E+400,\n    2\n  ]\n}\n'
    assert strip_ansi(render_json(body, color=True)) == render_json(body, color=False)


def test_very_long_integer_is_kept_verbatim() -> None:
    digits = "9" * 5000
    assert render_json(f"[{digits}]".encode(), color=False) == f"[\n  {digits}\n]\n".encode()


def test_lone_surrogate_is_written_as_its_escape() -> None:
    body = b'{"s": "a\\ud800b"}'
    assert render_json(body, color=False) == b'{\n  "s": "a\\ud800b"\n}\n'
    assert json.loads(strip_ansi(render_json(body, color=True))) == {"s": "a\ud800b"}


def test_byte_order_mark_is_ignored() -> None:
    assert render_json(b'\xef\xbb\xbf{"a": 1}', color=False) == b'{\n  "a": 1\n}\n'


def test_nesting_deeper_than_orjson_writes() -> None:
    body = b"[" * 300 + b"1" + b"]" * 300
    assert render_json(body, color=False).decode() == stdlib_pretty(json.loads(body))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"NaN",
        b"[Infinity]",
        b"[-Infinity]",
        b"[1,]",
        b"{'a': 1}",
        b'{"a" 1}',
        b'"unterminated',
        b'["\x01"]',
        b"\xff\xfe",
        b'"\xed\xa0\x80"',
        b"[1] [2]",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_invalid_documents_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        render_json(body, color=True)
    with pytest.raises(ParseError):
        render_json(body, color=False)


@pytest.mark.parametrize("indent", [0, 1, 4])
def test_other_indents(indent: int) -> None:
    value = {"a": [1, "x", {"b": None}], "c": 1e-7}
    body = json.dumps(value).encode()
    assert render_json(body, color=False, indent=indent).decode() == stdlib_pretty(value, indent)
    colored = render_json(body, color=True, indent=indent)
    assert_roles(colored, value)
    assert strip_ansi(colored) == render_json(body, color=False, indent=indent)


def test_colorize_indented_takes_json_dumps_and_compact_text() -> None:
    value = {"k": ['a"b', "c\\", True, None, 1.5], "": {}}
    for text in (stdlib_pretty(value).encode(), json.dumps(value, separators=(",", ":")).encode()):
        colored = colorize_indented(text)
        assert strip_ansi(colored) == text
        assert_roles(colored, value)


def test_colorize_indented_survives_text_that_is_not_json() -> None:
    assert colorize_indented(b'{"a":\x00 1}') == b'{"a":\x00 1}'
    assert colorize_indented(b'"unterminated \\"') == b'"unterminated \\"'
    assert strip_ansi(colorize_indented(b'["%s", 100% %d]')) == b'["%s", 100% %d]'


def test_strip_ansi_removes_other_sequences_too() -> None:
    assert strip_ansi(b"\x1b[1;31mred\x1b[0m \x1b[2K\x1b[38;5;208mx\x1b[m") == b"red x"


def test_render_value() -> None:
    value = {"id": 2**70, "name": "Zoë", "tags": ["a"], "ok": True, "none": None}
    assert render_value(value, color=False).decode() == stdlib_pretty(value)
    colored = render_value(value, color=True)
    assert_roles(colored, value)
    assert strip_ansi(colored) == render_value(value, color=False)
    assert render_value({1: 1e-7}, color=False) == b'{\n  "1": 1e-07\n}\n'


# Values both json and orjson read alike: no NaN or infinities; surrogates are not in st.text().
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_properties_of_rendered_documents(value: Any, ascii_input: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_input).encode()
    plain = render_json(body, color=False)
    colored = render_json(body, color=True)
    assert strip_ansi(colored) == plain
    assert plain.decode() == stdlib_pretty(value)
    assert json.loads(strip_ansi(colored)) == value
    assert_roles(colored, value)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_properties_of_colorize_indented(value: Any) -> None:
    text = stdlib_pretty(value).encode()
    colored = colorize_indented(text)
    assert strip_ansi(colored) == text
    assert_roles(colored, value)


@settings(max_examples=100, deadline=None)
@given(json_values, st.integers(min_value=1, max_value=200))
def test_colouring_in_runs_of_lines_matches_colouring_at_once(value: Any, run_size: int) -> None:
    # Large texts are coloured in runs of whole lines; tiny runs put a boundary after every line.
    text = stdlib_pretty(value).encode()
    body = json.dumps(value).encode()
    at_once = (colorize_indented(text), render_json(body, color=True))
    with mock.patch.object(colorize, "_RUN_SIZE", run_size):
        assert (colorize_indented(text), render_json(body, color=True)) == at_once


def test_a_document_larger_than_one_run() -> None:
    records = [
        {"id": n, "name": TRICKY[n % len(TRICKY)], TRICKY[(n + 1) % len(TRICKY)]: [n * 1e-7, None, True]}
        for n in range(12000)
    ]
    body = json.dumps({"data": records}).encode()
    assert len(body) > 2 * colorize._RUN_SIZE
    plain = render_json(body, color=False)
    colored = render_json(body, color=True)
    assert plain.decode() == stdlib_pretty(json.loads(body))
    assert strip_ansi(colored) == plain
    assert_roles(colored, json.loads(body))


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_properties_of_render_value(value: Any) -> None:
    colored = render_value(value, color=True)
    assert strip_ansi(colored) == render_value(value, color=False)
    assert render_value(value, color=False).decode() == stdlib_pretty(value)


json_like_bytes = st.binary(max_size=64) | st.text(alphabet='[]{}",:0123456789.eE+- \\tfalsenu\x00', max_size=40).map(
    str.encode
)


@settings(max_examples=500, deadline=None)
@given(json_like_bytes, st.booleans())
def test_arbitrary_bytes_raise_nothing_but_parse_error(body: bytes, color: bool) -> None:
    try:
        rendered = render_json(body, color=color)
    except ParseError:
        return
    parsed = json.loads(strip_ansi(rendered))
    original = json.loads(body.decode("utf-8-sig"))
    assert parsed == original
