"""One record of a stream, as text: an NDJSON line, a pretty (and coloured) block, or jq's output."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ResponseFormatError
from ..jsontext import JSONTooDeep, nesting_depth
from ..limits import JSON_DEPTH
from ..output.terminal import safe_json, visible
from ..pagination.exact import WrittenNumber, exact_text

if TYPE_CHECKING:
    from ..jqfilter import JqProgram

DIM = b"\x1b[2m"
RESET = b"\x1b[0m"


class NotJSON(ValueError):
    """A record that is not one JSON value (or not UTF-8)."""


def _written(text: str) -> WrittenNumber:
    number = WrittenNumber(text)  # a float for those who compare; its text for those who write it
    number.text = text
    return number


def _integer(text: str) -> int | WrittenNumber:
    # Python refuses to convert integers of thousands of digits (and int("-0") is 0): those keep their text.
    return _written(text) if len(text) > 4000 or text == "-0" else int(text)


def _openers(data: bytes) -> int:
    return data.count(b"[") + data.count(b"{")


def loads_record(data: bytes) -> Any:
    """The JSON value of one record, every number kept as written (however many digits).

    NotJSON when it is not JSON; JSONTooDeep past JSON_DEPTH levels, found without recursion
    (fewer openers than that cannot nest deeper; else orjson, which parses iteratively, tells).
    """
    if _openers(data) > JSON_DEPTH:
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc) or nesting_depth(data) > JSON_DEPTH:
                raise JSONTooDeep() from None
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(previous + JSON_DEPTH + 64)  # json's C parser counts each level
    try:
        return json.loads(data, parse_float=_written, parse_int=_integer, parse_constant=_written)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, RecursionError):
            raise JSONTooDeep() from None
        raise NotJSON(str(exc)) from None
    finally:
        sys.setrecursionlimit(previous)


def record_value(data: bytes, number: int) -> Any:
    """Record `number` (from 1) of an NDJSON stream: its value, or the run's one report of a record
    that is not JSON (exit 2), the records before it already written."""
    try:
        return loads_record(data)
    except JSONTooDeep:
        raise ResponseFormatError(
            f"record {number} is nested deeper than {JSON_DEPTH} levels", hint=_AS_SENT_HINT
        ) from None
    except NotJSON:
        raise ResponseFormatError(f"record {number} is not JSON", hint=_AS_SENT_HINT) from None


_AS_SENT_HINT = "save the stream as sent with -o FILE (without --jq, --until, --schema or --pretty)"


def parse_record(text: str) -> Any:
    """An event's data: its JSON value with numbers kept as written; the text itself when it is
    not JSON (event data is text, which JSON carries as a string). Data nested deeper than
    JSON_DEPTH is refused (ResponseFormatError)."""
    try:
        return loads_record(text.encode("utf-8", "surrogatepass"))
    except NotJSON:
        return text
    except JSONTooDeep:
        raise ResponseFormatError(
            f"an event's data is nested deeper than {JSON_DEPTH} levels", hint=_AS_SENT_HINT
        ) from None


def halt_output(error: Exception) -> bytes:
    """After halt_error, what the program wrote before it (JqHaltError's), to be written before
    the error is reported, as the jq command does; nothing for any other error."""
    output = getattr(error, "output", None)
    return output if isinstance(output, bytes) else b""


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
