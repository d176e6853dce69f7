"""The event writer: --events lines built without parsing the data, agreeing with the general renderer."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.formats.jsontext import JSONTooDeep
from apicli.pagination.exact import exact_text, loads_exact
from apicli.streams.events import EventWriter
from apicli.streams.render import NotJSON, RecordRenderer, loads_record, parse_record
from apicli.streams.sse import RawEvent


class RecordingSink:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.data = b""

    def write(self, data: bytes, /) -> int:
        self.calls.append("write")
        self.data += data
        return len(data)

    def flush(self) -> None:
        self.calls.append("flush")


PLAIN = RecordRenderer()


def written(events: list[RawEvent], renderer: RecordRenderer = PLAIN, *, as_objects: bool = True) -> bytes:
    sink = RecordingSink()
    EventWriter(sink, renderer, as_objects=as_objects).write(events)
    return sink.data


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b'{"v": 1.50, "big": 12345678901234567890123}', b'{"v": 1.50, "big": 12345678901234567890123}'),
        (b" \t[1, 2] ", b"[1, 2]"),  # JSON's own white space is dropped
        (b"\x0c1", b'"\\f1"'),  # a form feed is not JSON white space: the data is text
        (b"1e400", b"1e400"),  # beyond a double: parsed the long way, still as written
        (b'{"a":\n 1.50}', b'{"a":1.50}'),  # JSON over several data lines, on one line
        (b"caf\xc3\xa9 \xff", '"café \ufffd"'.encode()),  # text; invalid UTF-8 replaced
        (b'"\\ud800"', b'"\\ud800"'),  # a lone surrogate, which orjson refuses and json takes
    ],
)
def test_a_plain_line_embeds_one_line_of_json_as_sent_and_reads_the_rest_as_parse_record_does(
    data: bytes, shown: bytes
) -> None:
    assert written([("message", data, None, False)]) == b'{"event":"message","id":null,"data":' + shown + b"}\n"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_DATA = st.one_of(
    st.binary(max_size=24),
    st.builds(
        lambda value, indent: json.dumps(value, indent=indent).encode(), _JSON_VALUES, st.sampled_from([None, 1])
    ),
    st.sampled_from([b"NaN", b"-0", b"1E2", b"[1,]", b'{"a":1,"a":2}', b"\xef\xbb\xbf1", b"[DON", b""]),
).filter(lambda data: data != b"[DONE]")  # which ends the stream instead
# As the parser makes them: decoded with replacement, so without lone surrogates, and one line.
_NAMES = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), min_size=1, max_size=6
)


@given(_DATA, _NAMES, st.none() | _NAMES)
def test_a_plain_line_means_what_the_general_renderer_writes(data: bytes, name: str, event_id: str | None) -> None:
    fast = written([(name, data, event_id, False)])
    value: dict[str, Any] = {"event": name, "id": event_id, "data": parse_record(data.decode("utf-8", "replace"))}
    general = PLAIN.value(value)
    assert fast.endswith(b"\n") and fast.count(b"\n") == 1
    assert exact_text(loads_exact(fast)) == exact_text(loads_exact(general))


def test_the_events_of_one_read_are_written_and_flushed_once() -> None:
    sink = RecordingSink()
    writer = EventWriter(sink, PLAIN, as_objects=True)
    writer.write([("message", b"%d" % n, None, False) for n in range(3)])
    assert sink.calls == ["write", "flush"]
    assert [json.loads(line)["data"] for line in sink.data.splitlines()] == [0, 1, 2]
    writer.write([])
    assert sink.calls == ["write", "flush"]  # nothing completed, nothing written


def test_done_ends_the_stream_and_nothing_after_it_is_written() -> None:
    sink = RecordingSink()
    writer = EventWriter(sink, PLAIN, as_objects=True)
    writer.write([("message", b"1", None, False), ("message", b"[DONE]", None, False), ("message", b"3", None, False)])
    assert writer.done
    assert [json.loads(line)["data"] for line in sink.data.splitlines()] == [1]


def test_after_a_reconnect_an_event_already_written_is_skipped() -> None:
    sink = RecordingSink()
    writer = EventWriter(sink, PLAIN, as_objects=True)
    writer.write([("message", b"1", "1", True), ("message", b"2", "2", True)])
    writer.reconnected = True
    writer.write([("message", b"1", "1", True), ("message", b"2", "2", True), ("message", b"3", "3", True)])
    assert [json.loads(line)["id"] for line in sink.data.splitlines()] == ["1", "2", "3"]


class FailingOnSecond(RecordRenderer):
    def value(self, value: Any) -> bytes:
        if value == 2:
            raise RuntimeError("cannot show 2")
        return super().value(value)


def test_the_events_before_a_failure_are_still_written_whole() -> None:
    sink = RecordingSink()
    writer = EventWriter(sink, FailingOnSecond(), as_objects=False)
    with pytest.raises(RuntimeError):
        writer.write([("message", b"%d" % n, None, False) for n in (1, 2, 3)])
    assert (sink.data, sink.calls) == (b"1\n", ["write", "flush"])


# -- one record's value: exact numbers however wide, refusals without recursion ----------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=5)  # escapes may be spelled otherwise
_WIDE_JSON = st.recursive(
    st.sampled_from(["null", "true", "false", "-0"])
    | st.integers(-(2**200), 2**200).map(str)
    | st.builds(lambda head, tail: head + "7" * tail, st.sampled_from(["1", "-9"]), st.integers(4290, 4500))
    | st.from_regex(r"-?(0|[1-9][0-9]{0,30})\.[0-9]{1,20}([eE][+-]?[0-9]{1,3})?", fullmatch=True)
    | _TEXT.map(lambda text: json.dumps(text, ensure_ascii=False)),
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        | st.dictionaries(_TEXT, inner, max_size=3).map(
            lambda members: "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{v}" for k, v in members.items()) + "}"
        )
    ),
    max_leaves=12,
)


def _as_written(text: str) -> object:
    """A JSON text's value with every number as its text: equal when the values and the numbers' spelling are."""
    return json.loads(text, parse_int=str, parse_float=str, parse_constant=str)


@given(_WIDE_JSON)
def test_a_record_is_written_back_with_every_number_as_sent(text: str) -> None:
    # Strings may come back with escapes spelled otherwise; numbers come back exactly.
    assert _as_written(exact_text(loads_record(text.encode()))) == _as_written(text)


@given(st.integers(min_value=1025, max_value=20_000), st.sampled_from(["[", '{"a":']))
def test_deep_records_are_refused_without_recursion(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    with pytest.raises(JSONTooDeep):
        loads_record((opener * depth + "1" + closer * depth).encode())


@given(st.binary(max_size=200))
def test_any_bytes_are_a_value_or_a_refusal(data: bytes) -> None:
    with contextlib.suppress(NotJSON, JSONTooDeep):
        loads_record(data)
