"""`apicli batch` in the core: the run's client shared by the workers, results to the Printer, the summary.

`run_batch` sets the client up for many threads (the gate on its retry policy, one token refresh
for all), runs the lines, writes each result (or only its body; through --jq when given; -w's
report after it), and ends with the summary: a note when every request succeeded, else the error
the run exits with (11 when requests failed, 130 when interrupted, 8 at --max-time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ApicliError, ExitCode, Interrupted, RequestTimeout, UsageError
from ..output.printer import Printer
from ..output.streams import ByteSink
from ..request.client import Client
from ..spec import RequestSpec
from ..transport.origin_auth import OriginBoundAuth
from ..transport.retry import ApicliRetry
from .build import SpecBuilder
from .gate import Gate, GatedRetry, SharedRefresh
from .lines import LineError, LineRequest
from .results import Result
from .runner import BatchOutcome, BatchRun, BatchSettings
from .send import Sender
from .stopping import StopRequest, stop_signals

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator
    from ..inputs.writeout import Segment
    from ..output.render import Renderer
    from ..output.report import Reporter
    from ..request.transferinfo import WriteOut
    from .display import BarDisplay

RERUN_HINT = "each result carries its input line; 'apicli help batch' shows how to rerun only what is left"


class BatchFailed(ApicliError):
    """Some requests of a batch failed; their results say why, and the summary names their lines."""

    exit_code = ExitCode.BATCH_FAILED


class BatchOptions(NamedTuple):
    settings: BatchSettings = BatchSettings()
    interval: float = 0.0  # --rate: seconds between request starts over all workers
    bodies: bool = False  # write only each successful body, not the result object
    ignore_status: bool = False
    include: bool = False
    jq: JqProgram | None = None
    write_out: tuple[Segment, ...] | None = None
    # The seam for checks on each result (--assert, --capture, --report): called in the main thread, in
    # output order, before the result is written and counted; it may fail the result (result.fail(kind, …)).
    on_result: Callable[[Result], None] | None = None
    expected: frozenset[int] | None = None  # --expect-status, expanded
    keep_facts: bool = False  # --assert needs each response's facts ($status & co.)
    input_size: int | None = None  # FILE's size, for the progress bar's fraction; None for stdin
    schema: SchemaValidator | None = None  # --schema: each successful body must match it


class ResultWriter:
    """Writes each result (or its body) as one line of the body's sink, through --jq when given."""

    def __init__(
        self,
        sink: ByteSink,
        renderer: Renderer,
        stop: StopRequest,
        *,
        bodies: bool = False,
        jq: JqProgram | None = None,
        write_out: WriteOut | None = None,
        note: Callable[[str], None] = lambda line: None,
        on_result: Callable[[Result], None] | None = None,
        before_write: Callable[[], None] = lambda: None,
    ) -> None:
        self.on_result = on_result
        self.before_write = before_write  # the progress bar leaves the terminal line
        self.sink = sink
        self.renderer = renderer
        self.stop = stop
        self.bodies = bodies
        self.jq = jq
        self.write_out = write_out
        self.note = note

    def __call__(self, result: Result) -> None:
        self.before_write()
        if self.on_result is not None:
            self.on_result(result)
        data = self._render(result)
        with self.stop.whole_write():
            if data:
                self.sink.write(data)
            if self.write_out is not None and result.report is not None:
                self.write_out.write(result.report)

    def _render(self, result: Result) -> bytes:
        if self.bodies:
            if not result.ok or result.body is None:
                return b""
            text = result.body.encode("utf-8", "surrogatepass")
        else:
            text = result.json_line()
        if self.jq is None:
            return self.renderer.json_text(text, exact=True)
        from ..filters.jqfilter import apply_to_item

        try:
            return self.renderer.jq_output(self.jq, apply_to_item(self.jq, text))
        except ApicliError as exc:
            result.fail("jq", exc.message)
            self.note(f"apicli: line {result.line}: {exc.message}")
            return b""


def install_gate(client: Client, gate: Gate) -> None:
    """The session's retry policy takes its waits at `gate` (every adapter: http and https share one)."""
    for adapter in {id(adapter): adapter for adapter in client.session.adapters.values()}.values():
        retry = getattr(adapter, "max_retries", None)
        if isinstance(retry, ApicliRetry) and not isinstance(retry, GatedRetry):
            adapter.max_retries = GatedRetry.gating(retry, gate)  # type: ignore[attr-defined]


def share_token_refresh(client: Client, base: RequestSpec) -> None:
    """Fetched credentials get one refresh for all workers (set up before any worker prepares a request)."""
    credentials = base.credentials
    if not credentials.fetched:
        return
    source = client.header_source(credentials)
    if source is not None:
        origin = client.session.credential_origin or base.url
        client.auth = OriginBoundAuth(credentials, origin, SharedRefresh(source))


def run_batch(
    client: Client,
    builder: SpecBuilder,
    lines: Iterator[LineRequest | LineError],
    printer: Printer,
    options: BatchOptions,
) -> None:
    """Send every line and write every result; raise the run's error at the end, if it has one."""
    gate = Gate(options.interval, client.clock)
    install_gate(client, gate)
    share_token_refresh(client, builder.base)
    sender = Sender(
        client,
        builder,
        gate,
        ignore_status=options.ignore_status,
        include=options.include,
        timed=options.write_out is not None,
        expected=options.expected,
        keep_facts=options.keep_facts,
        schema=options.schema,
    )
    write_out = None
    if options.write_out is not None:
        from ..request.transferinfo import WriteOut

        write_out = WriteOut(options.write_out, printer)
    reporter = client.reporter
    stop = StopRequest()
    display = None
    note = reporter.note
    if printer.stderr_terminal and not reporter.quiet and not reporter.verbose_enabled:
        display = progress_bar(printer, reporter, options)
        shown = display

        def note(line: str) -> None:
            shown.hide()
            reporter.note(line)

    with printer.body_sink() as sink:
        writer = ResultWriter(
            sink,
            printer.renderer,
            stop,
            bodies=options.bodies,
            jq=options.jq,
            write_out=write_out,
            note=note,
            on_result=options.on_result,
            before_write=display.hide if display is not None else lambda: None,
        )
        flush = sink.flush
        if display is not None:
            bar = display

            def flush() -> None:
                sink.flush()
                bar.show()

        progress = display.update if display is not None else None
        run = BatchRun(sender, options.settings, writer, stop=stop, flush=flush, progress=progress)
        try:
            with stop_signals(stop, client.clock):
                outcome = run.run(lines)
        finally:
            if display is not None:
                display.close()
    finish(outcome, reporter.note)


def progress_bar(printer: Printer, reporter: Reporter, options: BatchOptions) -> BarDisplay:
    """The bar on stderr (a terminal); erased around each result when anything may reach its terminal."""
    from .display import BarDisplay

    results_shown = printer.destination is None and printer.stdout_terminal
    others = options.write_out is not None or options.on_result is not None or options.jq is not None
    return BarDisplay(
        reporter.stream,
        total=options.input_size,
        color=reporter.color,
        shares_terminal=results_shown or others,
    )


def finish(outcome: BatchOutcome, note: Callable[[str], None]) -> None:
    """The summary: a note on success, else the error (with the summary as its message) the run exits with."""
    tally = outcome.tally
    summary = tally.text(outcome.seconds)
    if tally.failures:
        summary += f"; {tally.lines_text()}"
    if outcome.unfinished:
        summary += f"; {outcome.unfinished} unfinished"
    if outcome.input_error is not None:
        error = outcome.input_error
        message = error.message if isinstance(error, ApicliError) else str(error)
        raise UsageError(f"batch: cannot read the input: {message} (after {summary})")
    if outcome.stopped == "interrupted":
        raise Interrupted(f"interrupted: batch stopped after {summary}", hint=RERUN_HINT)
    if outcome.stopped == "deadline":
        raise RequestTimeout(f"--max-time reached: batch stopped after {summary}", hint=RERUN_HINT)
    if tally.failures:
        stopped = " (stopped by --fail-fast)" if outcome.stopped == "fail-fast" else ""
        raise BatchFailed(f"batch{stopped}: {summary}", hint=RERUN_HINT)
    note(f"apicli: batch: {summary}")
