"""Server-sent events as they arrive: NDJSON with --events, pretty on a terminal, --jq per event.

Each event is written and flushed the moment its blank line arrives. `data: [DONE]` (a common
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

from ..errors import ConnectionFailed, RequestTimeout
from ..pagination.exact import exact_text
from ..spec import IDEMPOTENT_METHODS, RequestSpec
from .render import RecordRenderer, parse_record
from .sse import Event, EventStreamParser

if TYPE_CHECKING:
    from ..client import Client
    from ..output import ByteSink
    from ..polling import StreamCondition

DONE = "[DONE]"
_REMEMBERED_IDS = 4096  # ids kept to recognise an event replayed after a reconnect
# Events come a few at a time: a read buffer sized for bulk bodies would cost an allocation of its
# full size per event.
EVENT_READ = 16 * 1024


class EventWriter:
    """Writes each event once, in the form the run asked for."""

    def __init__(
        self, sink: ByteSink, renderer: RecordRenderer, *, as_objects: bool, until: StreamCondition | None = None
    ) -> None:
        self.sink = sink
        self.renderer = renderer
        self.as_objects = as_objects  # --events: {"event", "id", "data"} per line
        self.until = until  # --until: the first event that satisfies it is the last one written
        self.seen: deque[str] = deque(maxlen=_REMEMBERED_IDS)  # ids that events carried, newest last
        self.reconnected = False  # after a reconnect, an event whose id was written before is a replay
        self.done = False

    def write(self, event: Event) -> None:
        if self.reconnected and event.own_id and event.id in self.seen:
            return
        if event.data == DONE:
            self.done = True
            return
        if self.as_objects and self.renderer.plain:
            block = ndjson_event(event)
        elif self.as_objects:
            block = self.renderer.value({"event": event.event, "id": event.id, "data": parse_record(event.data)})
        else:
            data = parse_record(event.data)
            block = self.renderer.value(data)
            if self.renderer.terminal and self.renderer.jq is None:
                named = f"event: {event.event}" + (f"  id: {event.id}" if event.id is not None else "")
                block = self.renderer.label(named) + block
        if event.own_id and event.id is not None:
            self.seen.append(event.id)
        self.sink.write(block)
        self.sink.flush()
        if self.until is not None:
            # The condition sees what --jq would: the event object with --events, else its data.
            checked = ndjson_event(event).decode("utf-8", "surrogatepass") if self.as_objects else event.data
            self.done = self.until.holds(checked)


def ndjson_event(event: Event) -> bytes:
    """The event as one compact NDJSON line; JSON data is embedded as sent, so its numbers stay exact."""
    data = event.data.strip()
    try:
        orjson.loads(data)
        embedded = "\n" not in data and "\r" not in data
    except orjson.JSONDecodeError:
        embedded = False
    if not embedded:
        data = exact_text(parse_record(event.data))
    head = orjson.dumps({"event": event.event, "id": event.id}, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
    return head[:-1] + b',"data":' + data.encode("utf-8", "surrogatepass") + b"}\n"


def stream_events(
    client: Client,
    spec: RequestSpec,
    response: requests.Response,
    writer: EventWriter,
    *,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write the events of `response`, reconnecting a broken GET stream up to `retries` times."""
    parser = EventStreamParser()
    reconnects = 0
    with ExitStack() as stack:
        stack.callback(response.close)
        while True:
            try:
                for chunk in client.body_chunks(response, EVENT_READ):
                    for event in parser.feed(chunk):
                        writer.write(event)
                        if writer.done:
                            return
                parser.finish()
                return
            except (ConnectionFailed, RequestTimeout) as exc:
                if spec.method not in IDEMPOTENT_METHODS or reconnects >= retries or _deadline_passed(client):
                    raise
                reconnects += 1
                writer.reconnected = True
                parser.finish()
                delay = parser.retry_ms / 1000 if parser.retry_ms is not None else backoff * 2 ** (reconnects - 1)
                client.reporter.note(
                    f"apicli: the event stream broke ({exc.message}); reconnecting, {reconnects} of {retries}"
                )
                sleep(delay)
                response = _reconnect(client, spec, parser.last_id, stack)


def _reconnect(client: Client, spec: RequestSpec, last_id: str | None, stack: ExitStack) -> requests.Response:
    headers = spec.headers + ((("Last-Event-ID", last_id),) if last_id is not None else ())
    response = client.send(client.prepare(spec._replace(headers=headers), stack))
    stack.callback(response.close)
    client.check_status(response)
    return response


def _deadline_passed(client: Client) -> bool:
    remaining = client.remaining()
    return remaining is not None and remaining <= 0
