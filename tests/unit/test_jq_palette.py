"""--jq results are coloured exactly as apicli colours a JSON body, not with libjq's palette."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apicli.jqfilter import format_json_text, indent_result
from apicli.output.colorize import render_json, strip_ansi

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_a_jq_result_looks_like_the_same_body(value: Any) -> None:
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    coloured = format_json_text(compact, color=True) + "\n"
    assert coloured.encode() == render_json(compact.encode(), color=True)
    assert strip_ansi(coloured.encode()).decode() == format_json_text(compact) + "\n"


def test_libjq_default_colours_are_gone() -> None:
    coloured = format_json_text('{"a":[1,null,false,"s"]}', color=True)
    for jq_default in ("\x1b[1;39m", "\x1b[0;39m", "\x1b[1;30m", "\x1b[34;1m", "\x1b[0;32m"):
        assert jq_default not in coloured
    assert coloured == (
        '{\n  \x1b[1;34m"a"\x1b[0m: [\n    1,\n    \x1b[90mnull\x1b[0m,\n    \x1b[33mfalse\x1b[0m,\n'
        '    \x1b[32m"s"\x1b[0m\n  ]\n}'
    )


class _Literal(str):
    """A number as libjq may spell it, which json.dumps must write as it is."""


jq_texts = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["1.000", "1E+2", "-0", "1E-7", "100000000000000000000001"]).map(_Literal),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


def _compact(value: Any) -> str:
    if isinstance(value, _Literal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_compact(item) for item in value) + "]"
    if isinstance(value, dict):
        members = (json.dumps(key, ensure_ascii=False) + ":" + _compact(item) for key, item in value.items())
        return "{" + ",".join(members) + "}"
    return json.dumps(value, ensure_ascii=False)


@given(jq_texts, st.booleans())
def test_the_quick_indenting_of_a_result_gives_the_bytes_of_the_exact_one(value: Any, color: bool) -> None:
    compact = _compact(value)
    assert indent_result(compact, color=color) == format_json_text(compact, color=color)
