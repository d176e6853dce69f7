"""One record of a stream: parsed with its numbers as written, then as text through the run's Renderer
(an NDJSON line, a pretty and coloured block) or through --jq."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ResponseFormatError
from ..formats.jsontext import JSONTooDeep, nesting_depth
from ..limits import JSON_DEPTH
from ..output.render import Renderer
from ..pagination.exact import WrittenNumber, exact_text

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram


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
    """How each record is written: through --jq when given, else as the run's Renderer shows JSON."""

    def __init__(self, style: Renderer | None = None, jq: JqProgram | None = None) -> None:
        self.style = style if style is not None else Renderer()
        self.jq = jq
        self.plain = self.style.plain and jq is None  # compact JSON lines, nothing else

    @property
    def terminal(self) -> bool:
        return self.style.terminal

    def value(self, value: Any) -> bytes:
        """One JSON value (or a plain string) as it should appear, ending in a newline."""
        if self.jq is not None:
            return self.style.jq_output(self.jq, self.jq.results(exact_text(value)))
        if isinstance(value, str) and self.style.terminal:
            return self.style.text(value)
        return self.style.json_text(exact_text(value).encode("utf-8", "surrogatepass"))

    def label(self, text: str) -> bytes:
        """A dimmed line naming an event, for a terminal."""
        return self.style.label(text)
