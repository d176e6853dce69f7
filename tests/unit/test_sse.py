"""The event-stream parser: the HTML standard's rules, whatever the pieces the bytes arrive in."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import ResponseFormatError
from apicli.streams.sse import MAX_LINE, Event, EventStreamParser

STREAM = (
    b"\xef\xbb\xbf: a comment first\r\n"
    b"retry: 2500\r\n"
    b'event: update\r\nid: 7\r\ndata: {"a": 1}\r\n\r\n'
    b"data: line one\rdata: line two\r\r"
    b"data\n\n"
    b"id: 8\nevent: \ndata:  two spaces\n\n"
    b"id: bad\x00id\ndata: no id change\n\n"
    b"event: ignored without data\n\n"
    b"retry: soon\ndata: ends unterminated"
)
EXPECTED = [
    Event("update", '{"a": 1}', "7", True),
    Event("message", "line one\nline two", "7", False),
    Event("message", "", "7", False),
    Event("message", " two spaces", "8", True),
    Event("message", "no id change", "8", False),
]


def _parse(pieces: list[bytes]) -> tuple[list[Event], EventStreamParser]:
    parser = EventStreamParser()
    events: list[Event] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    parser.finish()
    return events, parser


def test_the_standard_rules_in_one_stream() -> None:
    events, parser = _parse([STREAM])
    assert events == EXPECTED
    assert parser.retry_ms == 2500  # "soon" is ignored


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_of_the_bytes_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert _parse(pieces)[0] == EXPECTED


def test_every_single_byte_position() -> None:
    for cut in range(len(STREAM) + 1):
        assert _parse([STREAM[:cut], STREAM[cut:]])[0] == EXPECTED, cut


@given(st.binary(max_size=300))
def test_junk_never_breaks_the_parser(junk: bytes) -> None:
    events, _ = _parse([junk])
    assert all(isinstance(event.data, str) for event in events)


def test_a_stream_that_drops_mid_event_loses_only_that_event() -> None:
    events, _ = _parse([b"data: whole\n\ndata: half"])
    assert [e.data for e in events] == ["whole"]


def test_a_line_without_end_is_bounded() -> None:
    parser = EventStreamParser()
    with pytest.raises(ResponseFormatError, match="longer than"):
        for _ in range(MAX_LINE // 65536 + 2):
            parser.feed(b"x" * 65536)


def _reference(stream: bytes) -> tuple[list[Event], str | None, int | None]:
    """The standard's algorithm, as written: decode the whole stream, split it into lines, process each."""
    text = stream.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = re.split("\r\n|\r|\n", text)[:-1]  # the text after the last line end is no line (yet)
    events: list[Event] = []
    data, name, id_buffer, own_id = "", "", None, False
    last_id: str | None = None
    retry: int | None = None
    for line in lines:
        if not line:
            last_id = id_buffer
            if data:
                events.append(Event(name or "message", data.removesuffix("\n"), last_id, own_id))
            data, name, own_id = "", "", False
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ") if ":" in line else ""
        if field == "data":
            data += value + "\n"
        elif field == "event":
            name = value
        elif field == "id" and not any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in value):
            id_buffer, own_id = value, True  # NUL, as the standard says, and any control a header cannot carry
        elif field == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value) if len(value) <= 15 else 10**15  # however many digits: the wait is capped
    return events, last_id, retry


_VALUES = st.binary(max_size=6).filter(lambda b: b"\r" not in b and b"\n" not in b) | st.sampled_from(
    [
        b"",
        b" ",
        b"  x",
        b"12",
        b"\xd9\xa3",
        b"\x00",
        b"[DONE]",
        b'{"a": 1.50}',
        b"\xe2\x82",
        b"\xef\xbb\xbf",
        b"9" * 5000,
        b"99999999999",
        b"\xe2\x82\xac",
        b"a\x01b",
        b"\x7f",
        b"\t",
    ]
)
_LINES = st.one_of(
    st.just(b""),
    st.builds(b"data:".__add__, _VALUES),
    st.builds(b"data: ".__add__, _VALUES),
    st.just(b"data"),
    st.builds(b"event: ".__add__, _VALUES),
    st.builds(b"id:".__add__, _VALUES),
    st.builds(b"retry: ".__add__, _VALUES),
    st.builds(b":".__add__, _VALUES),
    _VALUES,  # a field nobody knows, or junk
)


@st.composite
def _streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_LINES, max_size=14))
    ends = draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=len(lines), max_size=len(lines)))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + b"".join(line + end for line, end in zip(lines, ends, strict=True)) + draw(_VALUES)


@given(_streams(), st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_the_parser_agrees_with_the_standards_algorithm_however_the_bytes_are_cut(
    stream: bytes, cuts: list[int]
) -> None:
    points = sorted({min(cut, len(stream)) for cut in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    events, parser = _parse(pieces)
    assert (events, parser.last_id, parser.retry_ms) == _reference(stream)


def test_after_finish_the_next_bytes_are_a_new_stream_with_a_bom_of_its_own() -> None:
    parser = EventStreamParser()  # as after a reconnect
    assert parser.feed(b"\xef\xbb\xbfdata: one\n\ndata: cut") == [Event("message", "one", None)]
    parser.finish()
    assert parser.feed(b"\xef\xbb\xbfdata: two\n\n") == [Event("message", "two", None)]


def test_a_retry_of_thousands_of_digits_is_read_without_error() -> None:
    parser = EventStreamParser()
    parser.feed(b"retry: " + b"9" * 5000 + b"\n\n")
    assert parser.retry_ms == 10**15


@pytest.mark.parametrize("value", [b"1e3", b"-5", b" 12", b"12ms", b"\xd9\xa3"])  # Arabic-Indic digit
def test_a_retry_that_is_not_ascii_digits_is_ignored(value: bytes) -> None:
    parser = EventStreamParser()
    parser.feed(b"retry: 7\n" + b"retry: " + value + b"\n\n")
    assert parser.retry_ms == 7


@pytest.mark.parametrize("value", [b"a\x00b", b"a\x01b", b"\x1b[2J", b"\x7f"])
def test_an_id_with_a_control_character_is_ignored(value: bytes) -> None:
    parser = EventStreamParser()
    events = parser.feed(b"id: 1\ndata: a\n\nid: " + value + b"\ndata: b\n\n")
    assert [event.id for event in events] == ["1", "1"] and parser.last_id == "1"
