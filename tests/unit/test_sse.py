"""The event-stream parser: the HTML standard's rules, whatever the pieces the bytes arrive in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import ResponseFormatError
from apicli.streams.sse import MAX_LINE, Event, EventStreamParser

STREAM = (
    b"\xef\xbb\xbf: a comment first\r\n"
    b"retry: 2500\r\n"
    b"event: update\r\nid: 7\r\ndata: {\"a\": 1}\r\n\r\n"
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
