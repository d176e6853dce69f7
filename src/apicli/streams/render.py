"""One record of a stream, as text: an NDJSON line, a pretty (and coloured) block, or jq's output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..output.terminal import safe_json, visible
from ..pagination.exact import exact_text, loads_exact

if TYPE_CHECKING:
    from ..jqfilter import JqProgram

DIM = b"\x1b[2m"
RESET = b"\x1b[0m"


def parse_record(text: str) -> Any:
    """The record's JSON value with numbers kept as written; the text itself when it is not JSON."""
    try:
        return loads_exact(text.encode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError):
        return text


class RecordRenderer:
    """How each record is written: compact JSON, pretty for a reader, or through --jq."""

    def __init__(self, *, pretty: bool, color: bool, terminal: bool, jq: JqProgram | None) -> None:
        self.pretty = pretty
        self.color = color
        self.terminal = terminal
        self.jq = jq
        self.plain = not pretty and not terminal and jq is None  # compact JSON lines, nothing else

    def value(self, value: Any) -> bytes:
        """One JSON value (or a plain string) as it should appear, ending in a newline."""
        if self.jq is not None:
            return self.jq.render(exact_text(value), pretty=self.pretty, color=self.color, terminal=self.terminal)
        if isinstance(value, str) and self.terminal:
            return visible(value).encode("utf-8", "surrogateescape") + b"\n"
        text = exact_text(value).encode("utf-8", "surrogatepass")
        if not self.pretty:
            rendered = text + b"\n"
        else:
            from ..output.colorize import render_json

            rendered = render_json(text, color=self.color)
        return safe_json(rendered) if self.terminal else rendered

    def label(self, text: str) -> bytes:
        """A dimmed line naming an event, for a terminal."""
        line = visible(text).encode("utf-8", "surrogateescape")
        return (DIM + line + RESET + b"\n") if self.color else line + b"\n"
