"""Streamed --jq selections against the whole-document path, byte for byte.

Every program of the corpus runs on generated documents through both paths: the whole body
given to libjq (JqProgram.body_results, as before) and the body split into elements
(JqProgram.streamed_output). For a valid document the output and the error are the same; for
a document cut short or broken at any byte, the error (message and exit code) is the same and
the streamed output is what the elements before the break produced. A small window makes the
splitter cut batches and walk elements one by one on documents of a few hundred bytes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apicli.errors import ApicliError
from apicli.filters import jqsplit
from apicli.filters.jqfilter import JqProgram, compile_jq
from apicli.filters.jqshape import find_selection
from apicli.filters.libjq import DUMP_PRETTY
from apicli.formats import jsonreader
from apicli.output.render import Renderer

LIMIT = 1 << 26
STREAMED = [
    ".[]",
    ".[] | .id",
    ". | .[]",
    ".items[]",
    ".items[] | .id",
    ".items[]|.",
    ".items[] | tojson",
    ".items[] | length",
    ".items[] | type",
    ".items[] | keys",
    ".items[] | .[]?",
    ".items[] | .. | numbers",
    ".items[] | [paths]",
    ".items[] | tostring",
    '.items[] | select(type == "object") | .id',
    ".items[] | (.id, .name)?",
    ".items[] | {v: .}",
    ".items[] | [.]",
    ".items[] | . as $x | [$x, $x]",
    ".items[] | limit(1; .[]?)",
    ".items[] | first(.[]?) // null",
    ".items[] | reduce (.[]? // empty) as $x (0; . + 1)",
    '.items[] | if type == "number" then . + 1 else . end',
    ".items[] | error",
    ".items[] | halt",
    '.items[] | "stop" | halt_error(3)',
    ".items[] | if . == 1 then halt_error else . end",
    ".items[] # a comment",
    ".items[] | .id # a comment",
    '."items"[]',
    '.["items"][]',
    ".data.results[]",
    ".data.results[] | .name",
    ".data | .results[] | .name",
    '.data["results"][] | .id',
    ".a.b.c[]",
    ".items[] | ascii_downcase?",
    ".items[] | @json",
    ".items[] | tojson | fromjson",
    ".items[] | .[0]?",
    ".[] | .items?",
    '.items[] | getpath(["id"])?',
]
WHOLE = [
    "first(.items[])",
    "limit(2; .items[])",
    "[.items[]]",
    "reduce .items[] as $x (0; . + 1)",
    ".items[]?",
    ".items[] as $x | $x",
    "(.items)[]",
    ".items[] | input",
    "[.items[] | inputs]",
    ".items[] | $__loc__",
    ".items[0][]",
    "..[]?",
    ".items[], .other",
    ".",
    ".items",
]

number_literals = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
strings = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)


def _json_texts() -> st.SearchStrategy[str]:
    """JSON as a server might send it: odd and exact numbers, escapes, unicode, spacing, empty containers."""
    scalars = st.one_of(
        number_literals,
        strings.map(json.dumps),
        strings.map(lambda s: json.dumps(s, ensure_ascii=False)),
        st.sampled_from(["true", "false", "null", '"\\/\\u00e9\\t"', "1E+1000", "100000000000000000000001"]),
    )
    spaces = st.sampled_from(["", " ", "\n", "\r\n  "])

    def containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arrays = st.tuples(st.lists(children, max_size=5), spaces).map(lambda p: "[" + (p[1] + ",").join(p[0]) + "]")
        keys = st.sampled_from(['"id"', '"name"', '"ü"', '""', '"items"', '"results"'])
        members = st.lists(st.tuples(keys, spaces, children), max_size=5)
        objects = members.map(lambda m: "{" + ",".join(f"{k}{s}:{s}{v}" for k, s, v in m) + "}")
        return arrays | objects

    return st.recursive(scalars, containers, max_leaves=30)


def _documents() -> st.SearchStrategy[str]:
    """Documents shaped for the corpus's paths, and some that are not."""
    value = _json_texts()
    items = st.lists(value, max_size=8).map(lambda v: "[" + ",".join(v) + "]") | value
    shaped = st.one_of(
        st.tuples(value, items, value).map(lambda t: f'{{"before": {t[0]}, "items": {t[1]}, "after": {t[2]}}}'),
        items,
        st.tuples(items, value).map(lambda t: f'{{"data": {{"results": {t[0]}, "n": {t[1]}}}}}'),
        st.tuples(items, items).map(lambda t: f'{{"items": {t[0]}}}\n{{"items": {t[1]}}}'),
        st.tuples(value, value).map(lambda t: f'{{"items": {{"a": {t[0]}, "b": {t[1]}}}}}'),
        value,
    )
    return shaped


@contextmanager
def _small_window() -> Iterator[None]:
    with mock.patch.object(jsonreader, "WINDOW", 48), mock.patch.object(jqsplit, "WINDOW", 48):
        yield


_programs: dict[tuple[str, str], JqProgram] = {}


def _program(expression: str, path: str) -> JqProgram:
    if (expression, path) not in _programs:
        # Forked when first used, and stopped after each use (_stopped): a child forked from a large
        # test process holds its pages, and a hundred of them idle at once would hold them all. The
        # whole path runs a brief program on these small bodies here, as apicli does, with no fork.
        _programs[expression, path] = compile_jq(expression, fork_now=False, brief_here=path == "whole")
    return _programs[expression, path]


def _stopped(program: JqProgram) -> None:
    for worker in (program.worker, program.streamer.worker if program.streamer else None):
        if worker is not None:
            worker.stop()


def _pieces(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return (data[a:b] for a, b in itertools.pairwise(edges))


Outcome = tuple[bytes, tuple[str, str, int] | None]


def _failure(exc: ApicliError) -> tuple[str, str, int]:
    return type(exc).__name__, exc.message, int(exc.exit_code)


def whole(expression: str, body: bytes, cuts: list[int], renderer: Renderer | None = None) -> Outcome:
    program = _program(expression, "whole")
    try:
        results = program.body_results(_pieces(body, cuts), "application/json", LIMIT)
        return (renderer or Renderer()).jq_output(program, results), None
    except ApicliError as exc:
        return getattr(exc, "output", b""), _failure(exc)
    finally:
        _stopped(program)


def streamed(expression: str, body: bytes, cuts: list[int], flags: int = 0) -> Outcome:
    program = _program(expression, f"streamed {flags}")
    pieces = program.streamed_output(_pieces(body, cuts), "application/json", LIMIT, flags, whole=flags != 0)
    assert pieces is not None
    written = bytearray()
    try:
        for piece in pieces:
            written += piece
    except ApicliError as exc:
        return bytes(written), _failure(exc)
    finally:
        _stopped(program)
    return bytes(written), None


@pytest.fixture(scope="module", autouse=True)
def _stop_children() -> Iterator[None]:
    yield
    for program in _programs.values():
        for worker in (program.worker, program.streamer.worker if program.streamer else None):
            if worker is not None:
                worker.stop()


def test_the_corpus_has_each_shape() -> None:
    assert len(STREAMED) + len(WHOLE) >= 40
    assert all(find_selection(program) is not None for program in STREAMED)
    assert all(find_selection(program) is None for program in WHOLE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STREAMED), _documents(), st.lists(st.integers(0, 10_000), max_size=6))
def test_a_valid_document_gives_the_same_output_and_errors(expression: str, text: str, cuts: list[int]) -> None:
    body = text.encode()
    expected = whole(expression, body, cuts)
    with _small_window():
        got = streamed(expression, body, cuts)
    if got[1] is not None and "more than once along" in got[1][1]:
        return  # a key repeated along the path: refused by design (test_a_repeated_key_...)
    if expected[1] is None or got[1] is None or "halt_error" in expected[1][1]:
        assert got == expected
    else:  # an error after results: the whole path shows none of them, the stream the ones before
        assert got[1] == expected[1]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.sampled_from([".items[]", ".[] | .id", ".data.results[] | .name", ".items[] | tojson"]),
    _documents().filter(lambda text: len(text) <= 90),
    st.sampled_from(["x", "]", "}", ",", '"']),
)
def test_a_document_broken_at_any_character_fails_alike(expression: str, text: str, junk: str) -> None:
    # Cut between characters: a body cut inside one is not UTF-8, which both paths refuse as such.
    for end in range(1, len(text)):
        for mangled in (text[:end].encode(), (text[:end] + junk + text[end:]).encode()):
            if not mangled.strip():
                continue
            expected = whole(expression, mangled, [])
            with _small_window():
                got = streamed(expression, mangled, [end])
            if got[1] is not None and "more than once along" in got[1][1]:
                continue  # the junk repeated a key along the path: refused by design
            assert got[1] == expected[1], (mangled, got, expected)
            if expected[1] is None:
                assert got[0] == expected[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([".", ".items", ".items[]", ".[] | {v: .}"]), _documents())
def test_libjq_indents_as_apicli_does(expression: str, text: str) -> None:
    body = text.encode()
    expected = whole(expression, body, [], Renderer(pretty=True))
    got = streamed(expression, body, [], DUMP_PRETTY)
    if got[1] is not None and "more than once along" in got[1][1]:
        return  # a key repeated along the path: refused by design
    if expected[1] is None:
        assert got == expected
    else:
        assert got[1] == expected[1]


def test_a_repeated_key_along_the_path_is_refused() -> None:
    output, failure = streamed(".items[]", b'{"items": [1, 2], "items": [3]}', [])
    assert output == b"1\n2\n"
    assert failure is not None and failure[2] == 2
    assert 'the key "items" more than once along .items[]' in failure[1]


def test_a_repeated_key_of_an_iterated_object_across_batches_is_refused() -> None:
    body = b'{"a": "' + b"x" * 100 + b'", "b": 1, "a": 2}'
    with _small_window():
        output, failure = streamed(".[]", body, [])
    assert failure is not None and 'the key "a" more than once' in failure[1]
    assert output.startswith(b'"xxx')


def test_a_missing_path_and_a_value_that_cannot_be_iterated_fail_as_jq_does() -> None:
    for body in (b'{"a": 5}', b'{"items": 5}', b'{"items": "text"}', b"[1]", b'{"items": null}', b"7"):
        assert streamed(".items[]", body, []) == whole(".items[]", body, [])
        assert streamed(".items[]", body, [])[1] is not None
