"""--jq results are coloured as apicli colours a JSON body, not with libjq's default palette, and
indented as apicli indents, with every number kept as jq spelled it: whether apicli lays them out
(prettystream) or libjq does in its child, with apicli's palette."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.filters.jqfilter import JqProgram, compile_jq
from apicli.filters.libjq import DUMP_COLOR, DUMP_PRETTY, palette
from apicli.output import prettystream
from apicli.output.colorize import render_json, strip_ansi
from apicli.output.prettystream import pretty_json
from tests.sgr import looks_the_same, plain

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


def _jq_shown(compact: str, *, color: bool) -> bytes:
    return pretty_json(compact.encode(), color=color, exact=True)


@given(json_values)
def test_a_jq_result_looks_like_the_same_body(value: Any) -> None:
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    coloured = _jq_shown(compact, color=True)
    assert coloured == render_json(compact.encode(), color=True)
    assert strip_ansi(coloured) == _jq_shown(compact, color=False)


def test_libjq_default_colours_are_gone() -> None:
    coloured = _jq_shown('{"a":[1,null,false,"s"]}', color=True).decode()
    for jq_default in ("\x1b[1;39m", "\x1b[0;39m", "\x1b[1;30m", "\x1b[34;1m", "\x1b[0;32m"):
        assert jq_default not in coloured
    assert coloured == (
        '{\n  \x1b[1;34m"a"\x1b[0m: [\n    1,\n    \x1b[90mnull\x1b[0m,\n    \x1b[33mfalse\x1b[0m,\n'
        '    \x1b[32m"s"\x1b[0m\n  ]\n}\n'
    )


class _Literal(str):
    """A number as libjq may spell it, which must be written as it is."""


LITERALS = ["1.000", "1E+2", "-0", "1E-7", "100000000000000000000001", "1E+1000", "0.1"]
jq_texts = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(LITERALS).map(_Literal),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=6), children, max_size=6),
    max_leaves=40,
)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")  # jq escapes DEL


def _compact(value: Any) -> str:
    """Text as jq writes it."""
    if isinstance(value, _Literal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_compact(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_string(key) + ":" + _compact(item) for key, item in value.items()) + "}"
    return _string(value) if isinstance(value, str) else json.dumps(value)


def _indented(value: Any, depth: int = 0) -> str:
    """The layout of jq's pretty output, written out by hand: json.dumps(indent=2)'s, literals as they are."""
    inner = "  " * (depth + 1)
    if isinstance(value, list) and value:
        items = (inner + _indented(item, depth + 1) for item in value)
        return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
    if isinstance(value, dict) and value:
        members = (inner + _string(key) + ": " + _indented(item, depth + 1) for key, item in value.items())
        return "{\n" + ",\n".join(members) + "\n" + "  " * depth + "}"
    return _compact(value)


@given(jq_texts)
def test_a_result_keeps_every_number_as_jq_spelled_it(value: Any) -> None:
    compact = _compact(value)
    assert _jq_shown(compact, color=False).decode() == _indented(value) + "\n"


@given(jq_texts, st.booleans())
def test_a_result_larger_than_a_window_is_indented_alike(value: Any, color: bool) -> None:
    # A window of a few bytes makes the indenter cut the result into batches and walk what it cannot batch.
    compact = _compact(value)
    whole = _jq_shown(compact, color=color)
    with mock.patch.object(prettystream, "WINDOW", 64):
        assert _jq_shown(compact, color=color) == whole


@pytest.fixture(scope="module")
def identity() -> Iterator[JqProgram]:
    program = compile_jq(".")  # one child for every example: forked once, stopped at the end
    yield program
    if program.worker is not None:
        program.worker.stop()


def _laid_out_by_libjq(program: JqProgram, compact: str) -> bytes:
    pieces = program.streamed_output(
        iter([compact.encode()]), "application/json", 1 << 20, DUMP_PRETTY | DUMP_COLOR, whole=True
    )
    assert pieces is not None
    return b"".join(pieces)


def test_libjq_is_given_apicli_palette_in_jq_colors_form() -> None:
    assert palette() == b"90:33:33::32:::1;34"


@settings(max_examples=60)
@given(jq_texts)
def test_libjq_colours_a_result_as_apicli_does(identity: JqProgram, value: Any) -> None:
    compact = _compact(value)
    by_libjq = _laid_out_by_libjq(identity, compact)
    (as_jq_writes_it,) = identity.results(compact)  # libjq may respell a literal (1e+16 as 1E+16)
    by_apicli = _jq_shown(as_jq_writes_it, color=True)
    assert looks_the_same(by_libjq, by_apicli)
    assert plain(by_libjq) == _jq_shown(as_jq_writes_it, color=False)
