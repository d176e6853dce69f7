"""libjq fed a body in pieces (libjq.py, jqworker.py): the same results as the bindings given it whole."""

from __future__ import annotations

import itertools
import json
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator

import jq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apicli.errors import OutputError, ResponseFormatError
from apicli.filters import jqworker
from apicli.filters.jqfilter import body_text, json_chunks
from apicli.filters.jqworker import JqFailed, JqWorker
from apicli.filters.libjq import load

LIMIT = 1 << 30  # bytes of one result
PROGRAMS = (".", ".[]?", "length", "[paths]", "tostring", ".. | numbers")

number_literals = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
strings = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


def _json_texts() -> st.SearchStrategy[str]:
    """JSON text as a server might send it: odd number literals, escapes, spacing, duplicate keys."""
    scalars = st.one_of(
        number_literals,
        strings.map(json.dumps),
        strings.map(lambda s: json.dumps(s, ensure_ascii=False)),
        st.sampled_from(["true", "false", "null", '"\\/\\u00e9\\t"']),
    )
    spaces = st.sampled_from(["", " ", "\n", "\r\n  "])

    def containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arrays = st.tuples(st.lists(children, max_size=5), spaces).map(lambda p: "[" + (p[1] + ",").join(p[0]) + "]")
        members = st.lists(st.tuples(st.sampled_from(['"a"', '"b"', '"ü"', '""']), children), max_size=5)
        objects = members.map(lambda m: "{" + ",".join(f"{k}:{v}" for k, v in m) + "}")
        return arrays | objects

    return st.recursive(scalars, containers, max_leaves=25)


def _whole(program: str, text: str) -> list[str]:
    return list(jq.compile(f"({program}) | tojson").input_text(text))


def _cut(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return (data[a:b] for a, b in itertools.pairwise(edges))


@pytest.fixture(scope="module")
def workers() -> Iterator[dict[str, JqWorker]]:
    made = {program: JqWorker(jq.compile(f"({program}) | tojson"), program) for program in PROGRAMS}
    yield made
    for worker in made.values():
        worker.stop()


def test_libjq_is_reachable_through_the_jq_package() -> None:
    # Without it every body would fall back to the bindings, held whole: this must not pass silently.
    assert load() is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(_json_texts(), min_size=1, max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
    program=st.sampled_from(PROGRAMS),
)
def test_results_for_an_input_cut_anywhere_equal_the_bindings_on_the_whole(
    workers: dict[str, JqWorker], texts: list[str], cuts: list[int], program: str
) -> None:
    text = " ".join(texts)
    expected = _outcome(lambda: _whole(program, text))
    assert _outcome(lambda: list(workers[program].results(_cut(text.encode(), cuts), LIMIT))) == expected


@pytest.mark.parametrize(
    ("program", "text"),
    [
        (".", '{"a": [1, 2'),
        (".", "[1,2] x"),
        (".", '{"a": tru}'),
        (".a", "5"),
        (".[]", '"abc"'),
        ('error("custom")', "1"),
    ],
)
def test_an_error_carries_the_message_the_bindings_give(program: str, text: str) -> None:
    with pytest.raises(ValueError) as whole:
        _whole(program, text)
    worker = JqWorker(None, program)
    try:
        with pytest.raises(JqFailed) as streamed:
            list(worker.results(_cut(text.encode(), [3, 5]), LIMIT))
        assert str(streamed.value) == str(whole.value)
        # The child was stopped at the error; the next input gets a new one, and its own outcome.
        follow_up = '{"a": [7]}'
        assert _outcome(lambda: list(worker.results([follow_up.encode()], LIMIT))) == _outcome(
            lambda: _whole(program, follow_up)
        )
    finally:
        worker.stop()


def _outcome(run: Callable[[], list[str]]) -> list[str] | str:
    try:
        return run()
    except ValueError as exc:
        return f"error: {exc}"


def test_results_come_back_while_the_input_is_still_being_sent() -> None:
    # Both pipes full at once: the parent writing input, the child writing results. Neither may wait for the other.
    count = 2_000_000
    body = b"[" + b"1," * (count - 1) + b"1]"
    worker = JqWorker(None, ".[]")
    try:
        results = worker.results((body[i : i + 100_000] for i in range(0, len(body), 100_000)), LIMIT)
        assert sum(1 for result in results if result == "1") == count
    finally:
        worker.stop()


def test_one_result_past_the_limit_is_refused_before_it_is_all_read() -> None:
    worker = JqWorker(None, "[range(2000000)]")  # one line of about 15 MB
    try:
        with pytest.raises(OutputError, match="--jq output is larger than 1 MiB"):
            list(worker.results([b"null"], 1024 * 1024))
        assert len(worker.buffer) == 0  # stopped, and what it had read let go
    finally:
        worker.stop()


def test_without_libjq_s_c_interface_the_bindings_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jqworker, "load", lambda: None)  # read by the forked child
    text = '{"n": 1.000, "big": 100000000000000000000001, "s": "\\u00e9"} [1E2]'
    worker = JqWorker(jq.compile("(.) | tojson"), ".")
    try:
        assert list(worker.results(_cut(text.encode(), [4, 20, 41]), LIMIT)) == _whole(".", text)
    finally:
        worker.stop()


@settings(max_examples=300)
@given(
    body=st.one_of(st.binary(max_size=40), _json_texts().map(str.encode)),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=6),
)
def test_a_body_checked_in_pieces_fails_exactly_when_the_whole_body_fails(body: bytes, cuts: list[int]) -> None:
    def whole() -> list[str]:
        if not body.strip():
            raise ResponseFormatError("--jq: the response is not JSON (the body is empty)")
        return [body_text(body)]

    def pieces() -> list[str]:
        return [b"".join(json_chunks(_cut(body, cuts), None, 1 << 20)).decode()]

    got, expected = _checked(pieces), _checked(whole)
    if b"\x00" in body and isinstance(expected, str):
        assert isinstance(got, str)  # NUL bytes and bad UTF-8 both: either reason may be named first
    else:
        assert got == expected
    with pytest.raises(OutputError, match="larger than 10 bytes, too large to filter with --jq"):
        list(json_chunks(iter([b"[1,2,3,4,", b"5,6]"]), None, 10))


def _checked(run: Callable[[], list[str]]) -> list[str] | str:
    try:
        return run()
    except ResponseFormatError as exc:
        return f"error: {exc.message}"


@given(st.text(max_size=40), st.integers(0, 200))
def test_output_pieces_end_on_a_character(text: str, cut: int) -> None:
    data = text.encode("utf-8")[:cut]
    end = jqworker._whole_characters(bytearray(data))
    whole = data[:end].decode("utf-8")  # no character cut in two
    assert text.startswith(whole)
    # All that came is passed on, but the first bytes of a character still coming.
    assert end == len(data) or len(data) - end < len(text[len(whole)].encode("utf-8"))


@pytest.mark.parametrize("size", [1, 3_000, 300_000], ids=["bytes", "small-pieces", "past-a-pipe"])
def test_an_input_in_pieces_of_any_size_reaches_the_child_whole(size: int) -> None:
    # Many small pieces are joined before they are sent; a few large ones go out as they are
    # (os.writev), in as many writes as the pipe takes.
    body = json.dumps([{"n": n, "s": "é" * (n % 7)} for n in range(40_000)]).encode()
    worker = JqWorker(None, "length, (.[-1] | .n), ([.[].n] | add)")
    try:
        pieces = (body[i : i + size] for i in range(0, len(body), size))
        assert list(worker.results(pieces, LIMIT)) == ["40000", "39999", str(sum(range(40_000)))]
    finally:
        worker.stop()


_HEAP_PROBE = """
import ctypes
from apicli.filters.jqworker import HEAP_BLOCK_LIMIT, steady_heap

def heap_range():
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith("[heap]"):
                return tuple(int(edge, 16) for edge in line.split()[0].split("-"))

def on_heap(blocks):
    start, end = heap_range()
    addresses = (ctypes.addressof((ctypes.c_char * len(block)).from_buffer(block)) for block in blocks)
    return sum(start <= address < end for address in addresses)

size = HEAP_BLOCK_LIMIT + HEAP_BLOCK_LIMIT // 2  # under glibc's first threshold (128 KiB)
before = [bytearray(size) for _ in range(40)]
steady_heap()
after = [bytearray(size) for _ in range(40)]
print(on_heap(before), on_heap(after))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's threshold is glibc's")
def test_once_a_jq_child_starts_the_heap_no_longer_grows_for_large_blocks() -> None:
    # In a process of its own: the threshold stays set for the rest of a process's life. A large
    # block still comes from room the heap already has; beyond that it gets a mapping of its own.
    done = subprocess.run([sys.executable, "-c", _HEAP_PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert (before, after <= 2) == (40, True), (before, after)
