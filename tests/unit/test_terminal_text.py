"""safe_json: rendered JSON for a terminal keeps its value, and loses its raw DEL and C1 controls."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apicli.output.colorize import render_json
from apicli.output.terminal import safe_json

RAW_CONTROL = re.compile("[\x7f-\x9f]")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(codec="utf-8"), max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@given(json_values, st.booleans())
def test_the_value_stays_and_no_del_or_c1_control_is_left(value: Any, color: bool) -> None:
    rendered = render_json(json.dumps(value, ensure_ascii=False).encode(), color=color)
    safe = safe_json(rendered)
    assert not RAW_CONTROL.search(safe.decode("utf-8"))
    if not color:
        assert json.loads(safe) == value
    if not RAW_CONTROL.search(rendered.decode("utf-8")):
        assert safe == rendered  # nothing to do: the very same bytes
