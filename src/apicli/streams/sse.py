"""The event-stream format (text/event-stream), parsed as the HTML standard describes it.

`EventStreamParser.feed` takes bytes as they arrive, in pieces of any size, and returns the
events completed so far. Lines end in CRLF, LF or CR (a CR at the end of a piece waits for the
next piece to tell which); a leading byte-order mark is dropped; a line starting with a colon
is a comment; `data` lines join with newlines; an event is dispatched at a blank line, and
only when it has data. The last event id persists from event to event, as the standard says,
and `retry` takes digits only. An id takes effect when its event is dispatched. Lines are
capped so that a stream without line ends cannot grow without bound.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ResponseFormatError

MAX_LINE = 1024 * 1024  # bytes in one line, and in one event's data
_BOM = "\ufeff"


class Event(NamedTuple):
    event: str  # "message" unless the stream named it
    data: str
    id: str | None  # the last event id at dispatch time; None when the stream never set one
    own_id: bool = False  # the event carried an id field of its own (the id persists to later events)


class EventStreamParser:
    def __init__(self) -> None:
        self._pending = b""  # bytes of the current, unfinished line
        self._started = False
        self._after_cr = False  # the last piece ended in CR: a following LF belongs to it
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._own_id = False
        self._id_buffer: str | None = None
        self.last_id: str | None = None  # of the last dispatched event: what a reconnect sends
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        """The events that `chunk` completes."""
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._after_cr = chunk.endswith(b"\r")
        text = self._pending + chunk
        if b"\r" in text:
            text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = text.split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE:
            raise ResponseFormatError(f"event stream: a line is longer than {MAX_LINE} bytes")
        events: list[Event] = []
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            if not self._started:
                self._started = True
                line = line.removeprefix(_BOM)
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def finish(self) -> None:
        """The stream ended: an event without its blank line is dropped, as the standard says."""
        self._pending = b""
        self._reset()

    def _reset(self) -> None:
        self._data = []
        self._data_size = 0
        self._event = ""
        self._own_id = False

    def _line(self, line: str) -> Event | None:
        if not line:
            # The id takes effect at a blank line, so a stream cut mid-event resumes from the last whole one.
            self.last_id = self._id_buffer
            if not self._data:
                self._event = ""
                self._own_id = False
                return None
            event = Event(self._event or "message", "\n".join(self._data), self.last_id, self._own_id)
            self._reset()
            return event
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data_size += len(value) + 1
            if self._data_size > MAX_LINE:
                raise ResponseFormatError(f"event stream: an event's data is longer than {MAX_LINE} bytes")
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id_buffer = value
                self._own_id = True
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None
