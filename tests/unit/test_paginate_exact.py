"""Numbers kept as written for paginate --jq: `loads_exact` and `exact_text` (property tests)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.pagination.documents import decode_page
from apicli.pagination.exact import WrittenNumber, exact_text, loads_exact

NUMBERS = st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(NUMBERS)
def test_every_number_is_written_back_as_it_came(literal: str) -> None:
    text = f'[{literal},{{"n":[{literal}]}},"x"]'
    assert exact_text(loads_exact(text.encode())) == text


@settings(max_examples=150, deadline=None)
@given(VALUES)
def test_values_survive_the_round_trip(value: Any) -> None:
    written = exact_text(loads_exact(json.dumps(value).encode()))
    assert json.loads(written) == value
    assert exact_text(loads_exact(written.encode())) == written


def test_written_numbers_are_still_numbers() -> None:
    value = loads_exact(b'[1.50, -0, NaN, 7, 123456789012345678901234567890, "\\ud800"]')
    assert isinstance(value[0], WrittenNumber) and value[0] == 1.5 and value[0].text == "1.50"
    assert value[1] == 0 and value[1].text == "-0"
    assert value[3] == 7 and type(value[3]) is int
    assert exact_text(value) == '[1.50,-0,NaN,7,123456789012345678901234567890,"\\ud800"]'
    assert decode_page(b'{"x": 1.0}', None, exact=True) == {"x": 1.0}
    assert exact_text(decode_page(b'{"x": 1.0}', None, exact=True)) == '{"x":1.0}'


def test_a_deep_item_does_not_overflow_the_stack() -> None:
    depth = 900
    text = "[" * depth + "0.10" + "]" * depth
    assert exact_text(loads_exact(text.encode())) == text
