"""The one body writer: a response body to stdout or -o FILE, raw, pretty, filtered or checked.

Every command that writes a single body (the request verbs; paginate writes items through
its sinks) comes here, and the output plan says what to do:

* raw to a pipe or file: the bytes as they arrive, unchanged;
* indented JSON (a terminal, or --pretty): the whole body read (bounded), then rendered;
* --jq / --schema: the whole body read (bounded), filtered and checked; the output is written
  before a schema failure is raised, so a CI log shows both the data and why it failed;
* a terminal: binary is withheld with a note, and text has its control characters made visible.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ApicliError, ConnectionFailed
from ..limits import WHOLE_BODY
from .format import format_pretty, is_json_type, looks_binary
from .plan import OutputPlan
from .streams import ByteSink, atomic_output, read_limited, write_stream
from .terminal import TerminalText, safe_json, terminal_text

if TYPE_CHECKING:
    from ..jqfilter import JqProgram
    from ..schema import SchemaValidator

PRETTY_LIMIT = WHOLE_BODY.bytes  # bytes held in memory to filter or check a whole body (a gzip bomb)


class ResponseBody(NamedTuple):
    """A body on its way: decoded chunks as they arrive, and what the headers say about it."""

    chunks: Iterator[bytes]
    content_type: str | None = None
    length: str | None = None  # Content-Length as sent, for the note about a withheld binary body


def write_body(
    body: ResponseBody,
    plan: OutputPlan,
    stdout: ByteSink,
    *,
    note: Callable[[str], None],
    jq: JqProgram | None = None,
    schema: SchemaValidator | None = None,
) -> None:
    """Write `body` where and as `plan` says; `note` tells the user about a withheld body."""
    if jq is not None or schema is not None:
        _write_filtered(body, plan, stdout, jq, schema)
    elif plan.destination is not None:
        with atomic_output(plan.destination) as sink:
            if plan.indent:
                _write_pretty(body, plan, sink)
            else:
                write_stream(body.chunks, sink, flush=False)
    elif not plan.indent and not plan.to_terminal:
        _write_raw(body.chunks, stdout)
    else:
        _write_for_reader(body, plan, stdout, note)


def write_block(data: bytes, plan: OutputPlan, stdout: ByteSink) -> None:
    """Output made whole in memory (a filtered body, a response head) to -o FILE or stdout."""
    if plan.destination is not None:
        with atomic_output(plan.destination) as sink:
            sink.write(data)
    else:
        stdout.write(data)
        stdout.flush()


def _write_raw(chunks: Iterator[bytes], stdout: ByteSink, terminal: TerminalText | None = None) -> None:
    """Each chunk as it arrives; for a terminal, through `terminal` (controls spelled out)."""
    written = 0
    try:
        for chunk in chunks:
            stdout.write(chunk if terminal is None else terminal.feed(chunk))
            stdout.flush()
            written += len(chunk)
    except ConnectionFailed as exc:
        if written:
            _say_incomplete(exc, written)
        raise
    if terminal is not None:
        stdout.write(terminal.finish())
        stdout.flush()


def _say_incomplete(exc: ConnectionFailed, written: int) -> None:
    """A body that broke after some of it was shown: whoever reads the output must know it is partial."""
    exc.message += f"; output is incomplete ({written} bytes written)"


def _write_pretty(body: ResponseBody, plan: OutputPlan, sink: ByteSink) -> None:
    """JSON indented (and maybe coloured), in constant memory; anything else as it came."""
    first = next(body.chunks, b"")
    chunks = itertools.chain([first], body.chunks)
    if is_json_type(body.content_type) or first.lstrip()[:1] in (b"{", b"["):
        _write_pretty_json(chunks, plan, sink, shown=False)
    else:
        write_stream(chunks, sink)


def _write_pretty_json(chunks: Iterator[bytes], plan: OutputPlan, sink: ByteSink, *, shown: bool = True) -> None:
    """Pretty JSON as it is formatted: a body past one window is shown before its end has arrived.

    `shown`: the sink is where a reader sees the output at once (stdout), not a file kept only whole.
    """
    from .prettystream import iter_pretty

    written = 0
    terminal = plan.to_terminal and shown
    try:
        for piece in iter_pretty(chunks, color=plan.color, verbatim=terminal_text if terminal else None):
            sink.write(safe_json(piece) if terminal else piece)
            written += len(piece)
    except ConnectionFailed as exc:
        if written and shown:
            sink.flush()
            _say_incomplete(exc, written)
        raise
    sink.flush()


def _write_for_reader(body: ResponseBody, plan: OutputPlan, stdout: ByteSink, note: Callable[[str], None]) -> None:
    """stdout that a person reads (a terminal), or --pretty into a pipe."""
    first = next(body.chunks, b"")
    if plan.to_terminal and looks_binary(body.content_type, first[:1024]):
        kind = body.content_type or "no type"
        note(f"apicli: binary body not shown ({kind}, {body.length or 'unknown'} bytes); save it with -o FILE")
        return
    chunks = itertools.chain([first], body.chunks)
    if plan.indent and (is_json_type(body.content_type) or first.lstrip()[:1] in (b"{", b"[")):
        _write_pretty_json(chunks, plan, stdout)
        return
    _write_raw(chunks, stdout, TerminalText() if plan.to_terminal else None)


def _write_filtered(
    body: ResponseBody, plan: OutputPlan, stdout: ByteSink, jq: JqProgram | None, schema: SchemaValidator | None
) -> None:
    flag, purpose = ("--jq", "to filter with --jq") if jq is not None else ("--schema", "to check with --schema")
    hint = f"save it with -o FILE (without {flag}) and work on the file"
    if jq is not None:  # before the body is read: a child forked later would share its copy
        jq.expect(int(body.length) if body.length and body.length.isdigit() else None)
    whole = b""
    if schema is not None:
        whole = read_limited(body.chunks, PRETTY_LIMIT, purpose=purpose, hint=hint)
    if jq is not None:
        # Without --schema nothing else needs the body whole: it goes to libjq as it arrives.
        results = jq.body_results(iter([whole]) if schema is not None else body.chunks, body.content_type, PRETTY_LIMIT)
        try:
            output = jq.format_results(results, pretty=plan.indent, color=plan.color, terminal=plan.to_terminal)
        except ApicliError as halted:  # halt_error: the results before it are written first, as jq does
            if getattr(halted, "output", b""):
                write_block(halted.output, plan, stdout)  # type: ignore[attr-defined]
            raise
    elif plan.indent:
        verbatim = terminal_text if plan.to_terminal else None
        output = format_pretty(whole, body.content_type, color=plan.color, verbatim=verbatim)
    else:
        output = terminal_text(whole) if plan.to_terminal else whole
    errors = schema.body_errors(whole) if schema is not None else []
    if plan.to_terminal:
        output = safe_json(output)  # rendered JSON and jq's output may hold DEL and C1 controls in strings
    write_block(output, plan, stdout)
    if errors:
        from ..schema import schema_failure

        raise schema_failure(errors)
