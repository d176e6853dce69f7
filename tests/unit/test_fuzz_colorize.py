"""Fuzzing the JSON colouriser: colour is only decoration, and bad input is only a ParseError.

Properties, for any JSON value however it is spelled on the wire:
- the plain rendering is ``json.dumps(value, indent=2, ensure_ascii=False)`` plus a newline;
- stripping the colour from the coloured rendering gives back the plain rendering exactly;
- the plain rendering parses back to the same value.
For arbitrary bytes, ``render_json`` either renders or raises ParseError, nothing else.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apicli.errors import ParseError
from apicli.output.colorize import render_json, render_value, strip_ansi

# Strings that stress the colouriser: quotes, backslashes, things that look like escapes,
# colour codes and JSON words inside strings, and any non-surrogate code point.
_tricky_text = st.text(alphabet='"\\/:,{}[] nultrefas%\x00\x01\x02\x1b[0m\u2028\u00e9\U0001f600', max_size=12)
_strings = st.one_of(st.text(max_size=20), _tricky_text)
_floats = st.floats(allow_nan=False, allow_infinity=False)
_integers = st.one_of(st.integers(min_value=-(2**63), max_value=2**64), st.integers())  # 64 bits and beyond
_scalars = st.one_of(st.none(), st.booleans(), _integers, _floats, _strings)
json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_strings, inner, max_size=5)),
    max_leaves=15,
)
# The same value spelled the ways servers spell it.
_spellings = st.sampled_from(
    [
        lambda v: json.dumps(v),
        lambda v: json.dumps(v, separators=(",", ":")),
        lambda v: json.dumps(v, ensure_ascii=False),
        lambda v: json.dumps(v, indent=4),
        lambda v: "\r\n " + json.dumps(v, indent="\t") + "\n\n",
    ]
)


def expected_text(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def same_json(left: Any, right: Any) -> bool:
    """Equality where -0.0 == 0.0 and a float equals itself (no NaN can occur here)."""
    if isinstance(left, float) and isinstance(right, float):
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, spell=_spellings)
def test_plain_rendering_is_indented_json_and_colour_strips_back_to_it(value: Any, spell: Any) -> None:
    body = spell(value).encode("utf-8")

    plain = render_json(body, color=False)
    coloured = render_json(body, color=True)

    assert plain == expected_text(value)
    assert strip_ansi(coloured) == plain
    assert b"\x1b" not in plain  # a raw ESC inside a string is always escaped in JSON
    assert same_json(json.loads(plain), value)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_render_value_matches_render_json(value: Any) -> None:
    body = json.dumps(value).encode()

    assert render_value(value, color=False) == render_json(body, color=False)
    assert strip_ansi(render_value(value, color=True)) == render_value(value, color=False)


@settings(max_examples=100, deadline=None)
@given(value=json_values)
def test_a_byte_order_mark_is_ignored(value: Any) -> None:
    body = json.dumps(value).encode()

    assert render_json(b"\xef\xbb\xbf" + body, color=False) == render_json(body, color=False)


# Bytes that are often almost JSON, and bytes that are anything at all.
_json_alphabet = b'{}[]:,"\\ \t\n0123456789.eE+-truefalsnul\xc3\xa9\xff'
_near_json = st.lists(st.sampled_from([bytes([b]) for b in _json_alphabet]), max_size=40).map(b"".join)
_mutated_json = st.tuples(json_values, st.integers(min_value=0, max_value=200), st.binary(max_size=3)).map(
    lambda case: _mutate(json.dumps(case[0]).encode(), case[1], case[2])
)


def _mutate(body: bytes, position: int, insert: bytes) -> bytes:
    cut = position % (len(body) + 1)
    return body[:cut] + insert + body[cut + 1 :]


@settings(max_examples=1500, deadline=None)
@given(body=st.one_of(st.binary(max_size=60), _near_json, _mutated_json))
def test_arbitrary_bytes_render_or_raise_only_parse_error(body: bytes) -> None:
    for color in (False, True):
        try:
            rendered = render_json(body, color=color)
        except ParseError as exc:
            assert str(exc)
            continue
        # What renders was JSON: the rendering is the document, indented.
        plain = strip_ansi(rendered) if color else rendered
        assert plain.endswith(b"\n")
        assert same_json(json.loads(plain), json.loads(body.removeprefix(b"\xef\xbb\xbf")))


@pytest.mark.parametrize("depth", [1, 127, 128, 129, 1023, 1024, 1025, 5000, 200_000])
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deep_nesting_renders_or_raises_parse_error(depth: int, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    body = opener * depth + b"1" + closer * depth
    with contextlib.suppress(ParseError):
        render_json(body, color=True)


def test_constants_json_does_not_allow_are_parse_errors() -> None:
    for body in (b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"", b"   ", b"[1] [2]", b"\xff"):
        try:
            render_json(body, color=False)
        except ParseError:
            continue
        raise AssertionError(f"{body!r} rendered")
