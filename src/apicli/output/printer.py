"""The Printer: one per run, the owner of every place apicli writes to.

Built once from the output plan and the standard streams, it holds three sinks, each with
its own terminal decision:

* the body's: stdout, or the -o FILE written atomically (opened here and nowhere else);
* stdout itself, which -w writes to even when the body went to a file;
* stderr, for messages, progress and -w's `%{stderr}` part (through the Reporter).

Output comes as documents (a whole body, a HEAD's head, an envelope, filtered output) or as
records (a page's items, events, NDJSON records), on the body's sink; the `Renderer` says how
JSON looks there. Anything a server controls that reaches a terminal, on whichever stream,
passes the terminal filter of that stream's sink: that follows from the sink, not the caller.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ApicliError
from .plan import OutputPlan
from .render import Renderer
from .streams import ByteSink, atomic_output
from .terminal import visible, visible_json

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator
    from ..inputs.writeout import Destination, Shown
    from .body import ResponseBody
    from .progress import Progress
    from .report import Reporter
    from .testreport import Run


class Printer:
    """Every output sink of one run, and how output looks on each."""

    def __init__(self, plan: OutputPlan, stdout: ByteSink, reporter: Reporter | None = None) -> None:
        self.destination: Path | None = plan.destination  # -o FILE; None: the body goes to stdout
        self.stdout = stdout
        self.reporter = reporter  # stderr
        self.stdout_terminal = plan.stdout_terminal
        self.stderr_terminal = plan.stderr_terminal
        # The body's sink: a file never gets terminal treatment, and is indented only on request.
        self.renderer = Renderer(pretty=plan.indent, color=plan.color, terminal=plan.to_terminal)

    def __repr__(self) -> str:
        return f"Printer(destination={self.destination!r}, {self.renderer!r})"

    @contextmanager
    def body_sink(self) -> Iterator[ByteSink]:
        """The body's sink, open for the duration: the -o file appears only once all went well."""
        if self.destination is None:
            yield self.stdout
            return
        with atomic_output(self.destination) as stream:
            yield stream

    def progress(self, files: int) -> Progress:
        """How a download shows itself on stderr: rich bars on a terminal (unless -s), else a line per file."""
        from .progress import BarProgress, LineProgress
        from .report import Reporter

        reporter = self.reporter or Reporter(sys.stderr)
        if not reporter.quiet and self.stderr_terminal:
            return BarProgress(reporter.stream, files=files, redact=reporter.redactor.text)
        return LineProgress(reporter)

    # Documents

    def document(self, data: bytes) -> None:
        """Output made whole in memory (filtered output, a response head), to the body's sink."""
        with self.body_sink() as sink:
            sink.write(data)
            sink.flush()

    def body(
        self,
        body: ResponseBody,
        *,
        note: Callable[[str], None],
        jq: JqProgram | None = None,
        schema: SchemaValidator | None = None,
    ) -> None:
        """A response body, as it arrives (or filtered and checked whole with --jq and --schema)."""
        from .body import filtered_output, filtered_stream, write_body

        if jq is None and schema is None:
            with self.body_sink() as sink:
                write_body(body, sink, self.renderer, to_file=self.destination is not None, note=note)
            return
        streamed = filtered_stream(body, self.renderer, jq) if jq is not None and schema is None else None
        if streamed is not None:  # written as it comes: the results before an error stay (on stdout)
            with self.body_sink() as sink:
                for piece in streamed:
                    sink.write(piece)
                    sink.flush()
            return
        try:
            output, failure = filtered_output(body, self.renderer, jq, schema)
        except ApicliError as stopped:  # halt_error or a jq error: the results before it first, as jq does
            from ..filters.jqfilter import JqHaltError

            before = getattr(stopped, "output", b"")
            # After halt_error they are the whole output; after an error, only stdout shows them:
            # an -o file never holds part of an output under its final name.
            if before and (isinstance(stopped, JqHaltError) or self.destination is None):
                self.document(before)
            raise
        self.document(output)
        if failure is not None:
            raise failure

    def head(self, lines_for: Callable[[bool], list[str]]) -> None:
        """A response head as data (HEAD's answer): `lines_for(color)` formats it, server text made visible."""
        self.document("".join(f"{line}\n" for line in lines_for(self.renderer.color)).encode("utf-8"))

    # Files that outlive the run: appended to, or rewritten whole

    def append(self, path: Path, data: bytes) -> None:
        """`data` added to the end of `path` in one write (--capture-file): what is there stays."""
        from .capturefile import append_once

        append_once(path, data)

    def report(self, report_format: str, path: Path, run: Run) -> None:
        """This run added to the test report at `path` (--report)."""
        from .testreport import write_report

        write_report(report_format, path, run)

    # Text that carries a server's values, on stdout or stderr (-w)

    def shown_filters(self) -> dict[Destination, Shown]:
        """For each stream that is a terminal, the filters for values a server controls (plain, JSON)."""
        from ..inputs.writeout import Shown

        terminal = Shown(visible, visible_json)
        filters: dict[Destination, Shown] = {}
        if self.stdout_terminal:
            filters["stdout"] = terminal
        if self.stderr_terminal:
            filters["stderr"] = terminal
        return filters

    def write_text(self, destination: Destination, text: str) -> None:
        """Text already filtered for its stream (see shown_filters), to stdout or stderr."""
        if destination == "stderr":
            if self.reporter is not None:
                self.reporter.write_text(text)
            return
        self.stdout.write(text.encode("utf-8", "surrogateescape"))
        self.stdout.flush()
