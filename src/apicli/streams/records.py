"""NDJSON, JSON Lines and JSON text sequences, handled record by record as they arrive.

On a terminal each record is pretty-printed; --jq runs on each record and its output is
written at once; --schema checks each record, and a mismatch fails the run once every record
is written. A record is held only until its line ends, and a line is capped in size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import ResponseFormatError
from .render import RecordRenderer, parse_record

if TYPE_CHECKING:
    from ..output import ByteSink
    from ..polling import StreamCondition
    from ..schema import SchemaValidator

MAX_RECORD = 64 * 1024 * 1024
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
    pending = b""
    number = 0
    errors: list[str] = []
    error_count = 0

    def record(line: bytes) -> bool:
        """Write one record; True when it satisfies `until`."""
        nonlocal number, error_count
        line = line.strip().lstrip(_RS)
        if not line:
            return False
        text = line.decode("utf-8", "surrogateescape")
        value = parse_record(text)
        if isinstance(value, str) and (renderer.jq is not None or schema is not None):
            raise ResponseFormatError(f"record {number + 1} is not JSON", hint="drop --jq/--schema to see it as sent")
        if schema is not None:
            from ..schema import MAX_REPORTED, validate_item

            found = validate_item(schema, value, root=f"$[{number}]")
            error_count += len(found)
            errors.extend(found[: MAX_REPORTED - len(errors)])
        number += 1
        sink.write(renderer.value(value))
        return until is not None and until.holds(text)

    for chunk in chunks:
        lines = (pending + chunk).replace(_RS, b"\n").split(b"\n")
        pending = lines.pop()
        if len(pending) > MAX_RECORD:
            raise ResponseFormatError(f"record {number + 1} is longer than {MAX_RECORD // (1024 * 1024)} MiB")
        if any(record(line) for line in lines):
            break
        sink.flush()
    else:
        record(pending)
    sink.flush()
    if error_count:
        from ..schema import schema_failure

        raise schema_failure(errors, total=error_count)
