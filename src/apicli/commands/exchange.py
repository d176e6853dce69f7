"""What the request verbs run: send one request (or poll with --until) and deliver its answer.

The answer goes to the run's Printer: the body (or, for HEAD, the head), or with --envelope
the whole exchange as one JSON document. With -w/--write-out, curl's report of
the transfer follows on stdout (or stderr), on success and on failure alike.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, NamedTuple

import requests

from ..errors import ApicliError, HTTPStatusError
from ..output.body import PRETTY_LIMIT, ResponseBody
from ..output.format import is_event_stream, is_record_stream
from ..output.printer import Printer
from ..output.streams import read_limited
from ..request.client import NO_BODY_STATUSES, Client
from ..spec import DEFAULT_BACKOFF, DEFAULT_RETRY_MAX_WAIT, RequestSpec

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator
    from ..inputs.writeout import Segment
    from ..request.polling import StreamCondition, UntilCondition
    from ..request.transferinfo import WriteOut
    from ..transport.timing import TransferClock
    from .checks import Checks


class ExchangeOptions(NamedTuple):
    include: bool = False
    ignore_status: bool = False
    jq: JqProgram | None = None
    schema: SchemaValidator | None = None
    write_out: tuple[Segment, ...] | None = None
    envelope: bool = False
    until: UntilCondition | None = None
    events: bool = False  # --events: server-sent events as NDJSON
    reconnects: int = 0  # how often a broken event stream may be reconnected (the retry budget)
    backoff: float = DEFAULT_BACKOFF
    retry_max_wait: float = DEFAULT_RETRY_MAX_WAIT  # --retry-max-wait: caps a reconnect's wait too
    checks: Checks | None = None  # --assert, --expect-status, --capture, --report


def perform(
    client: Client,
    spec: RequestSpec,
    printer: Printer,
    options: ExchangeOptions = ExchangeOptions(),
) -> None:
    """Send `spec` and deliver the answer to `printer`; raise on failure (after -w's report)."""
    started = time.perf_counter()
    writer: WriteOut | None = None
    clock: TransferClock | None = None
    if options.write_out is not None:
        from ..request.transferinfo import WriteOut
        from ..transport.timing import start_clock

        writer = WriteOut(options.write_out, printer)
        clock = start_clock()
    response: requests.Response | None = None
    checks = options.checks
    try:
        with ExitStack() as stack:
            response, body = _exchange(client, spec, printer, options, stack)
            if checks is not None:
                _deliver_checked(client, spec, checks, response, body, printer, options, started)
            else:
                _deliver(client, spec, response, body, printer, options, started)
    except ApicliError as exc:
        if checks is not None:
            if response is None or not checks.cases:  # no answer: the case says why
                checks.record(spec, response, time.perf_counter() - started, [], exc)
            checks.write_reports(printer)
        if writer is not None:
            writer.transfer(spec, clock, response, exc)
        raise
    if checks is not None:
        checks.write_reports(printer)
    if writer is not None:
        writer.transfer(spec, clock, response, None)


def _exchange(
    client: Client,
    spec: RequestSpec,
    printer: Printer,
    options: ExchangeOptions,
    stack: ExitStack,
) -> tuple[requests.Response, bytes | None]:
    """The response (open until `stack` closes), and its whole body when it had to be read already."""
    if options.until is not None:
        from ..request.polling import PollProgress, poll

        progress = PollProgress(client.reporter, terminal=printer.stderr_terminal, clock=client.clock.now)
        answer = poll(client, spec, options.until, stack, progress=progress)
        return answer.response, answer.body
    prepared = client.prepare(spec, stack)
    response = client.send(prepared)
    stack.callback(response.close)
    return response, None


def _deliver(
    client: Client,
    spec: RequestSpec,
    response: requests.Response,
    body: bytes | None,
    printer: Printer,
    options: ExchangeOptions,
    started: float,
    facts: bytes | None = None,
) -> None:
    status = response.status_code
    is_head = response.request.method == "HEAD"
    failed = not options.ignore_status and status >= 300 and status != 304
    if facts is None:
        facts = _facts(response, options, started)
    for program in (options.jq, options.until.expression if options.until is not None else None):
        if program is not None and facts is not None:
            program.with_facts(facts)
    if options.envelope:
        client.show_response_head(response, options.include)
        _write_envelope(client, response, body, printer, options, started)
        if failed:
            raise HTTPStatusError(
                f"HTTP {status} {response.reason} ({response.request.method} {response.url})",
                status=status,
                hint="the envelope on stdout has the whole answer",
            )
        return
    # For HEAD the head is the data, on stdout; -i repeats it on stderr only when it is not.
    client.show_response_head(response, options.include and (failed or not is_head))
    if options.until is None:
        client.check_status(response, options.ignore_status)
    if is_head:
        printer.head(lambda color: client.format_response_head(response, color=color, data=True))
        return
    # These have no body by definition: nothing to write, filter or check.
    if status in NO_BODY_STATUSES:
        return
    if body is None and _deliver_stream(client, spec, response, printer, options):
        return
    chunks = iter([body]) if body is not None else client.body_chunks(response)
    answer = ResponseBody(chunks, response.headers.get("Content-Type"), response.headers.get("Content-Length"))
    printer.body(answer, note=client.reporter.note, jq=options.jq, schema=options.schema)


def _facts(response: requests.Response, options: ExchangeOptions, started: float) -> bytes | None:
    """$status & co. for the run's jq programs, when one of them names them (jqvars.py); $elapsed
    is the time until now: the whole exchange for a body already read, the head's for a stream."""
    programs = (options.jq, options.until.expression if options.until is not None else None)
    if not any(program is not None and program.facts is not None for program in programs):
        return None
    from ..output.facts import facts_text, response_facts

    return facts_text(response_facts(response, elapsed=time.perf_counter() - started))


def _deliver_checked(
    client: Client,
    spec: RequestSpec,
    checks: Checks,
    response: requests.Response,
    body: bytes | None,
    printer: Printer,
    options: ExchangeOptions,
    started: float,
) -> None:
    """Deliver the answer as _deliver would, then judge it (commands/checks.py); raise what the run ends with."""
    from ..errors import SchemaValidationError
    from ..output.facts import facts_text, response_facts

    status = response.status_code
    is_head = response.request.method == "HEAD"
    expected = checks.status_is_expected(status, options.ignore_status)
    if body is None and checks.holds_body and not is_head and status not in NO_BODY_STATUSES:
        body = read_limited(client.body_chunks(response), PRETTY_LIMIT, purpose="to check with --assert")
    elapsed = time.perf_counter() - started
    facts = facts_text(response_facts(response, elapsed=elapsed))
    status_error = None if expected else checks.unexpected_status(client, response, body)
    schema_error: ApicliError | None = None
    if expected:
        try:
            _deliver(client, spec, response, body, printer, options._replace(ignore_status=True), started, facts)
        except SchemaValidationError as exc:
            schema_error = exc
    else:
        client.show_response_head(response, options.include)
    outcome = checks.judge(
        client,
        response,
        body or b"",
        facts,
        status_error=status_error,
        schema_error=schema_error,
        schema_given=options.schema is not None,
        printer=printer,
    )
    checks.record(spec, response, elapsed, outcome.checks, outcome.error)
    if outcome.error is not None:
        raise outcome.error


def _deliver_stream(
    client: Client,
    spec: RequestSpec,
    response: requests.Response,
    printer: Printer,
    options: ExchangeOptions,
) -> bool:
    """Server-sent events and NDJSON record by record, when the run asks for more than their bytes."""
    content_type = response.headers.get("Content-Type")
    expression = options.until.expression if options.until is not None else None
    by_record = options.jq is not None or expression is not None
    renderer = printer.renderer
    events = is_event_stream(content_type) and (options.events or by_record or renderer.terminal)
    records = is_record_stream(content_type) and (by_record or options.schema is not None or renderer.pretty)
    if not events and not records:
        return False
    until: StreamCondition | None = None
    if expression is not None:
        from ..request.polling import StreamCondition

        until = StreamCondition(expression, "event" if events else "record")
    from ..streams.render import RecordRenderer

    records_renderer = RecordRenderer(renderer, options.jq)
    with printer.body_sink() as sink:
        if events:
            from ..streams.events import EventWriter, stream_events

            writer = EventWriter(sink, records_renderer, as_objects=options.events, until=until)
            stream_events(
                client,
                spec,
                response,
                writer,
                retries=options.reconnects,
                backoff=options.backoff,
                max_wait=options.retry_max_wait,
            )
        else:
            from ..streams.records import stream_records

            stream_records(client.body_chunks(response), sink, records_renderer, schema=options.schema, until=until)
        if until is not None:
            until.check_met()
    return True


def _write_envelope(
    client: Client,
    response: requests.Response,
    body: bytes | None,
    printer: Printer,
    options: ExchangeOptions,
    started: float,
) -> None:
    from ..output.envelope import build_envelope

    if body is None:
        body = read_limited(client.body_chunks(response), PRETTY_LIMIT, purpose="to embed with --envelope")
    elapsed = time.perf_counter() - started
    document = build_envelope(response, body, elapsed=elapsed)  # data: never redacted
    envelope = ResponseBody(iter([document]), "application/json", str(len(document)))
    # With --jq the program runs on the envelope; the exit code still follows the status.
    printer.body(envelope, note=client.reporter.note, jq=options.jq, schema=options.schema)
