"""stream_events pauses between reads of a busy event stream, and never on a quiet one."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from apicli.spec import RequestSpec
from apicli.streams.events import GATHER, EventWriter, stream_events
from apicli.streams.render import RecordRenderer

EVENTS = [b'data: {"n": %d}\n\n' % number for number in range(5)]


class _Stream:
    """A client and response whose body arrives as `EVENTS`, `gap` seconds of clock apart."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def body_chunks(self, response: Any, size: int, *, direct: bool) -> Iterator[bytes]:
        for event in EVENTS:
            self.now += self.gap  # the read waits this long for the event
            yield event

    def close(self) -> None:
        pass


def _run(gap: float) -> tuple[list[Any], list[float]]:
    stream = _Stream(gap)
    sink = io.BytesIO()
    writer = EventWriter(sink, RecordRenderer(), as_objects=False)
    stream_events(
        stream,  # type: ignore[arg-type]
        RequestSpec("GET", "http://127.0.0.1:1/events"),
        stream,  # type: ignore[arg-type]
        writer,
        retries=0,
        backoff=0,
        pause=stream.pause,
        timer=stream.clock,
    )
    return [json.loads(line) for line in sink.getvalue().splitlines()], stream.pauses


def test_a_busy_stream_is_read_every_gather_seconds_and_loses_nothing() -> None:
    written, pauses = _run(gap=GATHER / 10)
    assert written == [{"n": number} for number in range(5)]
    assert pauses == [GATHER] * 5


def test_a_quiet_stream_is_never_paused() -> None:
    written, pauses = _run(gap=GATHER * 10)
    assert written == [{"n": number} for number in range(5)]
    assert pauses == []
