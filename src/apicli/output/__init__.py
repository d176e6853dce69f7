"""Everything apicli shows: the output plan, sinks, formatters and the body writer.

`plan` decides once per run where the body goes and how it looks; `format` holds the pure
formatters; `terminal` makes server-controlled text safe for a terminal; `streams` holds the
byte sinks and atomic files; `body` writes a response body; `colorize` and `widenumbers`
pretty-print JSON.
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
