"""Everything apicli shows: the output plan, the Printer and its sinks, formatters and renderers.

`plan` decides once per run where the body goes and how it looks; `printer` holds the run's
sinks (the body's, stdout, stderr) and opens the -o file; `render` says how JSON looks on the
body's sink; `format` holds the pure formatters; `terminal` makes server-controlled text safe
for a terminal; `streams` holds the byte sinks and atomic files; `body` writes a whole response
body; `prettystream` is the JSON indenter, with `colorize` and `widenumbers` as its engine.
"""

from .plan import OutputPlan, build_output_plan, output_style
from .streams import ByteSink, StdoutSink, atomic_output, iter_body, read_limited, write_stream

__all__ = [
    "ByteSink",
    "OutputPlan",
    "StdoutSink",
    "atomic_output",
    "build_output_plan",
    "iter_body",
    "output_style",
    "read_limited",
    "write_stream",
]
