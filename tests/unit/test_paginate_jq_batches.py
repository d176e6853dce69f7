"""paginate --jq runs a batch of a page's items in one libjq evaluation (`.[] | (PROGRAM)`), and
gives what one evaluation per item gives: the same output byte for byte, and after an error or a
halt the same error, naming the same item, with the same output before it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apicli.errors import ApicliError
from apicli.filters.jqfilter import JqProgram, compile_jq
from apicli.output.render import Renderer
from apicli.pagination.documents import ItemBatch
from apicli.pagination.filters import JqItemSink

BATCHED = [
    ".",
    ".id",
    ".id?",
    ".[]?",
    "tostring",
    "type",
    'select(type == "object") | .name',
    "(.id, .name)?",
    "{v: .}",
    'if type == "number" then . + 1 else . end',
    ".id + 1",  # an error on items whose id is not a number
    "error",
    "if . == 3 then halt else . end",
    'if . == 2 then "two" | halt_error(4) else . end',
    "limit(1; .[]?)",
    "keys?",
    "tojson | fromjson",
    "..|numbers",
    ". # a comment",
    "",
]
ITEM_BY_ITEM = ["input", "[., input_line_number]", "$__loc__"]  # they take the item path

_cache: dict[tuple[str, bool], JqProgram] = {}
scalars = st.one_of(
    st.sampled_from(["null", "true", "false", "1.10", "1E+2", "-0", "100000000000000000000001"]),
    st.integers(-5, 5).map(str),
    st.text(max_size=5).map(json.dumps),
)
items = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3).map(lambda v: "[" + ",".join(v) + "]")
        | st.dictionaries(st.sampled_from(["id", "name", "x"]), children, max_size=3).map(
            lambda d: "{" + ",".join(f"{json.dumps(k)}: {v}" for k, v in d.items()) + "}"
        )
    ),
    max_leaves=12,
)


def _program(expression: str, raw: bool) -> JqProgram:
    if (expression, raw) not in _cache:
        _cache[expression, raw] = compile_jq(expression, raw_output=raw, fork_now=False, brief_here=True)
    return _cache[expression, raw]


@pytest.fixture(scope="module", autouse=True)
def _stop_children() -> Iterator[None]:
    yield
    for program in _cache.values():
        for each in (program, program.on_each_element()):
            if each is not None and each.worker is not None:
                each.worker.stop()


def _outcome(program: JqProgram, texts: list[str], *, batched: bool, pretty: bool) -> tuple[bytes, Any]:
    out = io.BytesIO()
    sink = JqItemSink(out, Renderer(pretty=pretty), program)
    program.halted = False
    batch = ItemBatch(("[" + ",".join(texts) + "]").encode(), len(texts), exact=True)
    try:
        sink.write_batch(batch) if batched else sink.write_page(batch.items())
    except ApicliError as exc:
        return out.getvalue(), (type(exc).__name__, exc.message, int(exc.exit_code), program.halted)
    return out.getvalue(), (None, program.halted)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BATCHED), st.lists(items, max_size=6), st.booleans(), st.booleans())
def test_a_batch_gives_what_its_items_give_one_by_one(
    expression: str, texts: list[str], raw: bool, pretty: bool
) -> None:
    program = _program(expression, raw)
    assert program.on_each_element() is not None
    assert _outcome(program, texts, batched=True, pretty=pretty) == _outcome(
        program, texts, batched=False, pretty=pretty
    )


def test_a_program_reading_other_inputs_or_its_location_runs_item_by_item() -> None:
    assert all(_program(expression, False).on_each_element() is None for expression in ITEM_BY_ITEM)
    out, failure = _outcome(_program("$__loc__", False), ["1", "2"], batched=True, pretty=False)
    assert out == b'{"file":"<top-level>","line":1}\n' * 2 and failure == (None, False)


def test_an_error_names_the_failing_item_and_keeps_the_output_before_it() -> None:
    out, failure = _outcome(
        _program(".id + 1", False), ['{"id": 1}', '{"id": 2}', '{"id": "x"}', '{"id": 4}'], batched=True, pretty=False
    )
    assert out == b"2\n3\n"
    assert failure[1].startswith("item $[2]: ") and "cannot be added" in failure[1]


def test_numbers_reach_jq_as_the_page_wrote_them() -> None:
    out, _ = _outcome(
        _program(".", False), ['{"p": 1.10, "big": 100000000000000000000001}'], batched=True, pretty=False
    )
    assert out == b'{"p":1.10,"big":100000000000000000000001}\n'
