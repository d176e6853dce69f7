"""Server-sent events as they arrive: NDJSON with --events, pretty on a terminal, --jq per event.

Each event is written and flushed as soon as it is read; a busy stream is read every GATHER
seconds rather than once per event. `data: [DONE]` (a common
convention of model APIs) ends the stream quietly. A GET stream that breaks is reconnected
within the retry budget, with Last-Event-ID and after the server's `retry:` delay (or the
backoff), and an event id already written is never written again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

import orjson
import requests

from ..errors import ApicliError, ConnectionFailed, RequestTimeout
from ..pagination.exact import exact_text
from ..spec import DEFAULT_RETRY_MAX_WAIT, IDEMPOTENT_METHODS, RequestSpec
from .render import RecordRenderer, halt_output, parse_record
from .sse import EventStreamParser, RawEvent

if TYPE_CHECKING:
    from ..output import ByteSink
    from ..request.client import Client
    from ..request.polling import StreamCondition

DONE = b"[DONE]"
_LF = ord("\n")
_REMEMBERED_IDS = 4096  # ids kept to recognise an event replayed after a reconnect
# Events come a few at a time: a read buffer sized for bulk bodies would cost an allocation of its
# full size per event.
EVENT_READ = 16 * 1024
# On a busy stream (a read that found data waiting, or waited less than this), pause this long
# before reading again: the events of that moment then cost one wake-up instead of one each
# (about a third less CPU time at 2,000 events a second). A quiet stream is never paused.
GATHER = 0.002


class EventWriter:
    """Writes each event once, in the form the run asked for."""

    def __init__(
        self, sink: ByteSink, renderer: RecordRenderer, *, as_objects: bool, until: StreamCondition | None = None
    ) -> None:
        self.sink = sink
        self.renderer = renderer
        self.as_objects = as_objects  # --events: {"event", "id", "data"} per line
        self.until = until  # --until: the first event that satisfies it is the last one written
        self.plain = as_objects and renderer.plain  # compact NDJSON lines, built without parsing the data
        # Hashes of the ids that events carried, newest last: an id may be as long as a line.
        self.seen: deque[int] = deque(maxlen=_REMEMBERED_IDS)
        self.reconnected = False  # after a reconnect, an event whose id was written before is a replay
        self.done = False
        # The start of a plain line, up to "data":, for the event name and id it was made for.
        self._head_for: tuple[str, str | None] = ("", None)
        self._head = b""

    def write(self, events: list[RawEvent]) -> None:
        """Write the events one read completed, then flush once: each reaches the reader as soon as it arrived.

        The events formatted before a failure (or Ctrl-C) are still written, each whole."""
        blocks: list[bytes] = []
        try:
            for name, data, event_id, own_id in events:
                if own_id and self.reconnected and hash(event_id) in self.seen:
                    continue
                if data == DONE:
                    self.done = True
                    break
                if self.plain:
                    # Inline rather than a call per event: at one event per read, every step shows in the CPU time.
                    if name != self._head_for[0] or event_id != self._head_for[1]:  # a name is never ""
                        self._head_for = (name, event_id)
                        self._head = b'{"event":%b,"id":%b,"data":' % (orjson.dumps(name), orjson.dumps(event_id))
                    # Lines of data are JSON only once joined: re-encoded. (A byte value: a memchr, unlike b"\n".)
                    embedded = _LF not in data
                    if embedded:
                        try:
                            orjson.loads(data)  # valid JSON, and so valid UTF-8: embedded as sent
                        except orjson.JSONDecodeError:
                            embedded = False
                    # Only JSON's own white space can surround what orjson accepted.
                    blocks.append(self._head + (data.strip() if embedded else reencoded(data)) + b"}\n")
                else:
                    try:
                        blocks.append(self._block(name, data.decode("utf-8", "replace"), event_id))
                    except ApicliError as exc:
                        blocks.append(halt_output(exc))  # written below, after the events before it
                        raise
                if own_id and event_id is not None:
                    self.seen.append(hash(event_id))
                if self.renderer.jq is not None and self.renderer.jq.halted:
                    self.done = True  # `halt`: nothing more is written
                    break
                if self.until is not None and self._satisfies(name, data, event_id, blocks[-1]):
                    self.done = True
                    break
        finally:
            if blocks:
                self.sink.write(blocks[0] if len(blocks) == 1 else b"".join(blocks))
                self.sink.flush()

    def _satisfies(self, name: str, data: bytes, event_id: str | None, block: bytes) -> bool:
        """--until sees what --jq would: the event object with --events, else the event's data."""
        assert self.until is not None
        if not self.as_objects:
            return self.until.holds(data.decode("utf-8", "replace"))
        if self.plain:
            line = block[:-1]  # the NDJSON line just built
        else:
            value = {"event": name, "id": event_id, "data": parse_record(data.decode("utf-8", "replace"))}
            line = exact_text(value).encode("utf-8", "surrogatepass")
        return self.until.holds(line.decode("utf-8", "surrogatepass"))

    def _block(self, name: str, data: str, event_id: str | None) -> bytes:
        if self.as_objects:
            return self.renderer.value({"event": name, "id": event_id, "data": parse_record(data)})
        block = self.renderer.value(parse_record(data))
        if self.renderer.terminal and self.renderer.jq is None:
            named = f"event: {name}" + (f"  id: {event_id}" if event_id is not None else "")
            block = self.renderer.label(named) + block
        return block


def reencoded(data: bytes) -> bytes:
    """Data that is not one line of JSON, as parse_record reads it: multi-line JSON compacted (numbers as
    written), anything else a string (invalid UTF-8 replaced, as everywhere in an event stream)."""
    return exact_text(parse_record(data.decode("utf-8", "replace"))).encode("utf-8", "surrogatepass")


def stream_events(
    client: Client,
    spec: RequestSpec,
    response: requests.Response,
    writer: EventWriter,
    *,
    retries: int,
    backoff: float,
    max_wait: float = DEFAULT_RETRY_MAX_WAIT,
    pause: Callable[[float], None] = time.sleep,
    gather: float = GATHER,
    timer: Callable[[], float] = time.monotonic,
) -> None:
    """Write the events of `response`, reconnecting a broken GET stream up to `retries` times.

    The client's clock waits before a reconnect, as long as the one backoff schedule says
    (retry.py): the stream's `retry:` or the backoff, capped by `max_wait` and --max-time;
    `pause` and `timer` time the gathering of a busy stream's events (GATHER)."""
    parser = EventStreamParser()
    reconnects = 0
    with ExitStack() as stack:
        stack.callback(response.close)
        while True:
            try:
                ready = timer()  # when the read began
                for chunk in client.body_chunks(response, EVENT_READ, direct=True):
                    waited = timer() - ready
                    events = parser.feed_raw(chunk)
                    if events:
                        writer.write(events)
                        if writer.done:
                            return
                    if waited < gather:
                        pause(gather)
                    ready = timer()
                parser.finish()
                return
            except (ConnectionFailed, RequestTimeout) as exc:
                if spec.method not in IDEMPOTENT_METHODS or reconnects >= retries or client.clock.expired():
                    raise
                from ..transport.retry import backoff_wait

                wait = backoff_wait(
                    reconnects + 1,
                    backoff=backoff,
                    max_wait=max_wait,
                    server_delay=parser.retry_ms / 1000 if parser.retry_ms is not None else None,
                    server_reason="the stream's retry:",
                    clock=client.clock,
                )
                if wait.past_deadline:
                    raise
                reconnects += 1
                writer.reconnected = True
                parser.finish()
                shown = f"{round(wait.seconds, 1):g} s" + ("" if wait.why == "backoff" else f" ({wait.why})")
                client.reporter.note(
                    f"apicli: the event stream broke ({exc.message}); reconnecting, {reconnects} of {retries},"
                    f" in {shown}"
                )
                client.clock.sleep(wait.seconds)
                response = _reconnect(client, spec, parser.last_id, stack)


def _reconnect(client: Client, spec: RequestSpec, last_id: str | None, stack: ExitStack) -> requests.Response:
    # The id is the server's text, sent as its UTF-8 bytes as every header's text is (Client.prepare);
    # the parser keeps no id a header cannot carry.
    sent = (("Last-Event-ID", last_id),) if last_id is not None else ()
    headers = spec.headers + sent
    response = client.send(client.prepare(spec._replace(headers=headers), stack))
    stack.callback(response.close)
    client.check_status(response)
    return response
