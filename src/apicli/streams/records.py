"""NDJSON, JSON Lines and JSON text sequences, handled record by record as they arrive.

On a terminal each record is pretty-printed; --jq runs on each record and its output is
written at once; --schema checks each record, and a mismatch fails the run once every record
is written. A record is held only until its line ends, and a line is capped in size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import ApicliError, ResponseFormatError
from ..limits import STREAM_RECORD, size_text
from .render import RecordRenderer, halt_output, record_value

if TYPE_CHECKING:
    from ..filters.schema import SchemaValidator
    from ..output import ByteSink
    from ..request.polling import StreamCondition

MAX_RECORD = STREAM_RECORD.bytes
_RS = b"\x1e"  # RFC 7464's record separator


def stream_records(
    chunks: Iterator[bytes],
    sink: ByteSink,
    renderer: RecordRenderer,
    *,
    schema: SchemaValidator | None = None,
    until: StreamCondition | None = None,
) -> None:
    """Write each record as it completes; raise the schema failure (if any) once all are written.

    With `until`, the first record that satisfies it is the last one written.
    """
    parts: list[bytes] = []  # the current line's pieces: joined once it ends, never piece by piece
    held = 0
    number = 0
    errors: list[str] = []
    error_count = 0

    def record(line: bytes) -> bool:
        """Write one record; True when it satisfies `until`."""
        nonlocal number, error_count
        if len(line) > MAX_RECORD:
            raise _too_long(number + 1)
        line = line.strip()
        if not line:
            return False
        value = record_value(line, number + 1)  # records are JSON: one that is not ends the run
        if schema is not None:
            from ..filters.schema import MAX_REPORTED, validate_item

            found = validate_item(schema, value, root=f"$[{number}]")
            error_count += len(found)
            errors.extend(found[: MAX_REPORTED - len(errors)])
        number += 1
        try:
            sink.write(renderer.value(value))
        except ApicliError as exc:
            sink.write(halt_output(exc))
            raise
        if renderer.jq is not None and renderer.jq.halted:
            return True  # `halt`: nothing more is written
        return until is not None and until.holds(line.decode("utf-8", "surrogatepass"))

    for chunk in chunks:
        chunk = chunk.replace(_RS, b"\n")
        if b"\n" not in chunk:
            parts.append(chunk)
            held += len(chunk)
            if held > MAX_RECORD:  # a line without end is refused at the cap, not read on
                raise _too_long(number + 1)
            continue
        lines = chunk.split(b"\n")
        lines[0] = b"".join((*parts, lines[0]))
        parts = [lines.pop()]
        held = len(parts[0])
        if any(record(line) for line in lines):
            break
        sink.flush()
    else:
        record(b"".join(parts))
    sink.flush()
    if error_count:
        from ..filters.schema import schema_failure

        raise schema_failure(errors, total=error_count)


def _too_long(number: int) -> ResponseFormatError:
    return ResponseFormatError(
        f"record {number} is longer than {size_text(MAX_RECORD)}",
        hint="save the stream with -o FILE and work on the file",
    )
