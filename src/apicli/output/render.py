"""How JSON and server text look on one sink: compact or indented, coloured or not, terminal-safe or not.

A `Renderer` is made once per run by the Printer, from the output plan; everything that writes
JSON (a body, a page's items, a record or event, jq's results) asks it, and none decides again.
Indenting is prettystream's (the one JSON indenter); on a terminal, what the renderers leave raw
in strings (DEL and C1 controls) is escaped, and plain text has its controls spelled out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .terminal import safe_json, visible

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram, JqResults

DIM = b"\x1b[2m"
RESET = b"\x1b[0m"


class Renderer:
    """Compact, pretty (`pretty`), coloured (`color`, only when pretty) and terminal-safe (`terminal`) output."""

    __slots__ = ("color", "pretty", "terminal")

    def __init__(self, *, pretty: bool = False, color: bool = False, terminal: bool = False) -> None:
        self.pretty = pretty
        self.color = color
        self.terminal = terminal

    def __repr__(self) -> str:
        return f"Renderer(pretty={self.pretty}, color={self.color}, terminal={self.terminal})"

    @property
    def plain(self) -> bool:
        """JSON goes out as it came, compact, with nothing to escape."""
        return not self.pretty and not self.terminal

    def safe(self, rendered: bytes) -> bytes:
        """Rendered JSON as it may reach this sink: on a terminal, DEL and C1 controls in strings escaped."""
        return safe_json(rendered) if self.terminal else rendered

    def json_text(self, text: bytes, *, exact: bool = False) -> bytes:
        """One JSON text (compact) as it should appear, ending in a newline; `exact` keeps numbers as written."""
        if not self.pretty:
            return self.safe(text + b"\n")
        from .prettystream import pretty_json

        return self.safe(pretty_json(text, color=self.color, exact=exact))

    def value_indenter(self) -> Callable[[Any], bytes]:
        """A function that indents one parsed item (a page's), ending in a newline; the caller makes
        the result safe (`safe`), a page at a time."""
        from .prettystream import pretty_value

        color = self.color
        return lambda value: pretty_value(value, color=color)

    def text(self, text: str) -> bytes:
        """A server's plain text (event data that is not JSON, a -r string), its controls spelled out on a terminal."""
        shown = visible(text) if self.terminal else text
        return shown.encode("utf-8", "surrogateescape") + b"\n"

    def label(self, text: str) -> bytes:
        """A dimmed line naming an event, for a terminal."""
        line = visible(text).encode("utf-8", "surrogateescape")
        return (DIM + line + RESET + b"\n") if self.color else line + b"\n"

    def jq_result(self, program: JqProgram, result: str) -> bytes:
        """One of jq's results as the jq command prints it, on its own line(s), compact or
        indented; with -r a string bare (its controls spelled out on a terminal). Not yet `safe`."""
        if program.raw_output and result.startswith('"'):
            return self.text(json.loads(result))
        if self.pretty:
            from .prettystream import pretty_json

            return pretty_json(result.encode("utf-8", "surrogateescape"), color=self.color, exact=True)
        return result.encode("utf-8", "surrogateescape") + b"\n"

    def jq_layout(self) -> int:
        """How libjq lays out results for this sink (jv_dumpf's flags): compact, or indented as
        prettystream indents, and coloured in apicli's palette on a terminal."""
        from ..filters.libjq import DUMP_COLOR, DUMP_PRETTY

        if not self.pretty:
            return 0  # compact results are shown uncoloured, as jq_result shows them
        return DUMP_PRETTY | (DUMP_COLOR if self.color else 0)

    def jq_output(self, program: JqProgram, results: JqResults | list[str]) -> bytes:
        """jq's results as the jq command prints them (`jq_result`), made safe for the sink.

        After halt_error, JqHaltError carries these lines for the caller to write before it reports."""
        pieces = [self.jq_result(program, result) for result in results]
        output = self.safe(b"".join(pieces))  # libjq writes C1 controls in strings raw
        from ..filters.jqfilter import halt_error

        stop = halt_error("--jq", getattr(results, "halt", None), output)
        if stop is not None:
            raise stop
        return output
