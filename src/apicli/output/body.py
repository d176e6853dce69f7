"""A whole response body: raw, pretty, filtered or checked, onto the sink the Printer opened for it.

The Printer (printer.py) opens the sink and says how output looks (its Renderer); here:

* raw to a pipe or file: the bytes as they arrive, unchanged;
* indented JSON (a terminal, or --pretty): rendered as it arrives, in constant memory;
* --jq / --schema: the whole body read (bounded), filtered and checked; the Printer writes the
  output before a schema failure is raised, so a CI log shows both the data and why it failed;
* a terminal: binary is withheld with a note, and text has its control characters made visible.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ApicliError, ConnectionFailed
from ..limits import WHOLE_BODY
from .format import is_json_type, looks_binary
from .render import Renderer
from .streams import ByteSink, read_limited, write_stream
from .terminal import TerminalText, terminal_text

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator

PRETTY_LIMIT = WHOLE_BODY.bytes  # bytes held in memory to filter or check a whole body (a gzip bomb)


class ResponseBody(NamedTuple):
    """A body on its way: decoded chunks as they arrive, and what the headers say about it."""

    chunks: Iterator[bytes]
    content_type: str | None = None
    length: str | None = None  # Content-Length as sent, for the note about a withheld binary body


def write_body(
    body: ResponseBody, sink: ByteSink, renderer: Renderer, *, to_file: bool, note: Callable[[str], None]
) -> None:
    """Write `body` onto `sink` (stdout, or the -o file when `to_file`) as `renderer` says;
    `note` tells the user about a withheld body."""
    if to_file:
        if renderer.pretty:
            _write_pretty(body, renderer, sink)
        else:
            write_stream(body.chunks, sink, flush=False)
    elif renderer.plain:
        _write_raw(body.chunks, sink)
    else:
        _write_for_reader(body, renderer, sink, note)


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


def _write_pretty(body: ResponseBody, renderer: Renderer, sink: ByteSink) -> None:
    """JSON indented (and maybe coloured), in constant memory; anything else as it came."""
    first = next(body.chunks, b"")
    chunks = itertools.chain([first], body.chunks)
    if is_json_type(body.content_type) or first.lstrip()[:1] in (b"{", b"["):
        _write_pretty_json(chunks, renderer, sink, shown=False)
    else:
        write_stream(chunks, sink)


def _write_pretty_json(chunks: Iterator[bytes], renderer: Renderer, sink: ByteSink, *, shown: bool = True) -> None:
    """Pretty JSON as it is formatted: a body past one window is shown before its end has arrived.

    `shown`: the sink is where a reader sees the output at once (stdout), not a file kept only whole.
    """
    from .prettystream import iter_pretty

    written = 0
    terminal = renderer.terminal and shown
    try:
        for piece in iter_pretty(chunks, color=renderer.color, verbatim=terminal_text if terminal else None):
            sink.write(renderer.safe(piece) if terminal else piece)
            written += len(piece)
    except ConnectionFailed as exc:
        if written and shown:
            sink.flush()
            _say_incomplete(exc, written)
        raise
    sink.flush()


def _write_for_reader(body: ResponseBody, renderer: Renderer, stdout: ByteSink, note: Callable[[str], None]) -> None:
    """stdout that a person reads (a terminal), or --pretty into a pipe."""
    first = next(body.chunks, b"")
    if renderer.terminal and looks_binary(body.content_type, first[:1024]):
        kind = body.content_type or "no type"
        note(f"apicli: binary body not shown ({kind}, {body.length or 'unknown'} bytes); save it with -o FILE")
        return
    chunks = itertools.chain([first], body.chunks)
    if renderer.pretty and (is_json_type(body.content_type) or first.lstrip()[:1] in (b"{", b"[")):
        _write_pretty_json(chunks, renderer, stdout)
        return
    _write_raw(chunks, stdout, TerminalText() if renderer.terminal else None)


def _announced_size(body: ResponseBody) -> int | None:
    """The body's size as its Content-Length gives it; None when unknown."""
    return int(body.length) if body.length and body.length.isdigit() else None


def filtered_stream(body: ResponseBody, renderer: Renderer, jq: JqProgram) -> Iterator[bytes] | None:
    """--jq's output as it is produced, for a program that selects elements (`PATH[] | REST`: an
    element at a time, any size of body) or whose results libjq lays out (indented, coloured);
    None when the body is filtered whole (`filtered_output`). Errors and halts are raised after
    the output before them."""
    flags = renderer.jq_layout()
    if jq.raw_output:  # each result shown by apicli: -r's strings
        results = jq.streamed_results(body.chunks, body.content_type)
        if results is None:
            return None
        return (renderer.safe(renderer.jq_result(jq, result)) for result in results)
    # Compact or indented, libjq writes the output in the child and it passes through, so the
    # parent never holds it whole; but compact results of a small body that a brief program can
    # compute here are (filtered_output), with no child at all.
    whole = bool(flags) or jq.runs_in_child(_announced_size(body))
    pieces = jq.streamed_output(body.chunks, body.content_type, PRETTY_LIMIT, flags, whole=whole)
    if pieces is None:
        return None
    return pieces if not renderer.terminal else (renderer.safe(piece) for piece in pieces)


def filtered_output(
    body: ResponseBody, renderer: Renderer, jq: JqProgram | None, schema: SchemaValidator | None
) -> tuple[bytes, ApicliError | None]:
    """--jq and --schema on a whole body: the output to write, and the schema failure to raise after it.

    jq's halt_error is raised here, carrying the output before it (JqHaltError.output)."""
    flag, purpose = ("--jq", "to filter with --jq") if jq is not None else ("--schema", "to check with --schema")
    hint = f"save it with -o FILE (without {flag}) and work on the file"
    if jq is not None:  # before the body is read: a child forked later would share its copy
        jq.expect(_announced_size(body))
    whole = b""
    if schema is not None:
        whole = read_limited(body.chunks, PRETTY_LIMIT, purpose=purpose, hint=hint)
    if jq is not None:
        # Without --schema nothing else needs the body whole: it goes to libjq as it arrives.
        try:
            results = jq.body_results(
                iter([whole]) if schema is not None else body.chunks, body.content_type, PRETTY_LIMIT
            )
        except ApicliError as failed:
            before = getattr(failed, "results", None)
            if before:  # a jq error after results: those go out first, as jq prints them
                failed.output = renderer.jq_output(jq, before)  # type: ignore[attr-defined]
            raise
        output = renderer.jq_output(jq, results)
    elif renderer.pretty:
        output = _pretty_whole(whole, body.content_type, renderer)
    else:
        output = terminal_text(whole) if renderer.terminal else whole
    errors = schema.body_errors(whole) if schema is not None else []
    if not errors:
        return output, None
    from ..filters.schema import schema_failure

    return output, schema_failure(errors)


def _pretty_whole(body: bytes, content_type: str | None, renderer: Renderer) -> bytes:
    """Indented (and maybe coloured) JSON when the body is JSON; otherwise the body as is (made safe on a terminal)."""
    verbatim = terminal_text if renderer.terminal else None
    if is_json_type(content_type) or body.lstrip()[:1] in (b"{", b"["):
        from .prettystream import pretty_json

        return renderer.safe(pretty_json(body, color=renderer.color, verbatim=verbatim))
    return body if verbatim is None else verbatim(body)
