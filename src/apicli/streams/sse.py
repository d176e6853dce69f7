"""The event-stream format (text/event-stream), parsed as the HTML standard describes it.

`EventStreamParser.feed` takes bytes as they arrive, in pieces of any size, and returns the
events completed so far. Lines end in CRLF, LF or CR (a CR at the end of a piece waits for the
next piece to tell which); a leading byte-order mark is dropped; a line starting with a colon
is a comment; `data` lines join with newlines; an event is dispatched at a blank line, and
only when it has data. The last event id persists from event to event, as the standard says,
and `retry` takes digits only (any other value is ignored). An id takes effect when its event
is dispatched. Lines are capped so that a stream without line ends cannot grow without bound.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ResponseFormatError
from ..formats.headertext import has_controls
from ..limits import EVENT_LINE

MAX_LINE = EVENT_LINE.bytes  # bytes in one line, and in one event's data
_BOM = b"\xef\xbb\xbf"
_RETRY_DIGITS = 15  # milliseconds: thousands of years, and well within what int() reads
_COLON, _CR = ord(":"), ord("\r")


class Event(NamedTuple):
    event: str  # "message" unless the stream named it
    data: str
    id: str | None  # the last event id at dispatch time; None when the stream never set one
    own_id: bool = False  # the event carried an id field of its own (the id persists to later events)


# An event as feed_raw gives it: Event's fields, with the data still in bytes (UTF-8 as sent, not yet checked).
RawEvent = tuple[str, bytes, str | None, bool]


class EventStreamParser:
    def __init__(self) -> None:
        self._pending = b""  # bytes of the current, unfinished line
        self._started = False
        self._after_cr = False  # the last piece ended in CR: a following LF belongs to it
        self._data: list[bytes] = []  # the event's data lines, undecoded
        self._data_size = 0
        self._event = ""
        self._own_id = False
        self._id_buffer: str | None = None
        self.last_id: str | None = None  # of the last dispatched event: what a reconnect sends
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        """The events that `chunk` completes."""
        return [Event(name, data.decode("utf-8", "replace"), id_, own) for name, data, id_, own in self.feed_raw(chunk)]

    def feed_raw(self, chunk: bytes) -> list[RawEvent]:
        """The events that `chunk` completes, their data undecoded: a writer that embeds JSON needs no text."""
        # Byte values (10, 13) rather than one-byte needles below: `13 in text` is a plain memchr,
        # `b"\r" in text` costs ten times as much, and this runs for every event.
        if self._after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._after_cr = chunk[-1:] == b"\r"
        text = self._pending + chunk if self._pending else chunk
        if _CR in text:
            text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = text.split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE:
            raise ResponseFormatError(f"event stream: a line is longer than {MAX_LINE} bytes")
        if not lines:
            return []
        if not self._started:
            self._started = True
            lines[0] = lines[0].removeprefix(_BOM)
        # One pass with the common lines (data and blank) inline: this runs for every event, and
        # a method call per line was a good part of the parser's cost.
        events: list[RawEvent] = []
        data = self._data
        for line in lines:
            if not line:
                # The id takes effect at a blank line, so a stream cut mid-event resumes from the last whole one.
                self.last_id = self._id_buffer
                if data:
                    events.append((self._event or "message", b"\n".join(data), self.last_id, self._own_id))
                    data = self._data = []
                    self._data_size = 0
                self._event = ""
                self._own_id = False
            elif line[:5] == b"data:":
                value = line[6:] if line[5:6] == b" " else line[5:]
                self._data_size += len(value) + 1
                if self._data_size > MAX_LINE:
                    raise ResponseFormatError(f"event stream: an event's data is longer than {MAX_LINE} bytes")
                data.append(value)
            elif line[0] != _COLON:  # a line starting with a colon is a comment
                self._field(line.decode("utf-8", "replace"))
        return events

    def finish(self) -> None:
        """The stream ended: an event without its blank line is dropped, as the standard says.

        What is fed next is a new stream (a reconnect), which may start with a BOM of its own."""
        self._pending = b""
        self._started = False
        self._data = []
        self._data_size = 0
        self._event = ""
        self._own_id = False

    def _field(self, line: str) -> None:
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":  # only "data" without a colon gets here: an empty line of data
            self._data_size += 1
            if self._data_size > MAX_LINE:
                raise ResponseFormatError(f"event stream: an event's data is longer than {MAX_LINE} bytes")
            self._data.append(b"")
        elif field == "event":
            self._event = value
        elif field == "id":
            # The standard ignores an id holding NUL; one holding any other control character is
            # ignored too, as it could not be sent back in Last-Event-ID.
            if not has_controls(value):
                self._id_buffer = value
                self._own_id = True
        elif field == "retry" and value.isascii() and value.isdigit():
            # Digits only, as the standard says; however many, the wait is capped (retry.backoff_wait).
            self.retry_ms = int(value) if len(value) <= _RETRY_DIGITS else 10**_RETRY_DIGITS
