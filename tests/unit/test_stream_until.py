"""StreamCondition and the record stream's --until stop, in-process (the real-process runs are in tests/process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import RequestTimeout, SchemaValidationError
from apicli.filters.jqfilter import compile_jq
from apicli.filters.schema import load_schema
from apicli.request.polling import StreamCondition
from apicli.streams.records import stream_records
from apicli.streams.render import RecordRenderer

PLAIN = RecordRenderer()


def _run(chunks: list[bytes], condition: StreamCondition, **kwargs: object) -> bytes:
    sink = io.BytesIO()
    stream_records(iter(chunks), sink, PLAIN, until=condition, **kwargs)  # type: ignore[arg-type]
    return sink.getvalue()


def test_the_condition_holds_as_jq_e_decides_and_counts_what_it_saw() -> None:
    condition = StreamCondition(compile_jq(".ready"), "record")
    assert [condition.holds(text) for text in ('{"ready": null}', '{"ready": false}', "not json", '{"ready": 0}')] == [
        False, False, False, True,
    ]
    assert condition.checked == 4
    condition.check_met()  # met: nothing raised


def test_a_condition_never_met_names_the_count_and_the_expression() -> None:
    condition = StreamCondition(compile_jq(".ready"), "record")
    condition.holds('{"ready": false}')
    with pytest.raises(RequestTimeout) as failure:
        condition.check_met()
    assert failure.value.message == "--until: the stream ended after 1 record; '.ready' never held"


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=12), cut=st.integers(1, 7))
def test_records_stop_at_the_first_that_meets_the_condition_however_the_bytes_are_cut(
    values: list[int], cut: int
) -> None:
    body = b"".join(json.dumps({"n": value}).encode() + b"\n" for value in values)
    chunks = [body[start : start + cut] for start in range(0, len(body), cut)]
    condition = StreamCondition(compile_jq(".n == 7"), "record")
    written = _run(chunks, condition)
    expected = values[: values.index(7) + 1] if 7 in values else values
    assert [json.loads(line)["n"] for line in written.splitlines()] == expected
    assert condition.met == (7 in values)


def test_a_schema_mismatch_before_the_stop_still_fails_the_run(tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps({"type": "object", "required": ["n"]}))
    condition = StreamCondition(compile_jq(".last"), "record")
    sink = io.BytesIO()
    with pytest.raises(SchemaValidationError):
        stream_records(iter([b'{"x": 1}\n{"n": 2, "last": true}\n{"n": 3}\n']), sink, PLAIN,
                       schema=load_schema(schema_file), until=condition)
    assert sink.getvalue() == b'{"x":1}\n{"n":2,"last":true}\n'  # written up to the stop, then the mismatch
