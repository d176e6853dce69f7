"""Which jq programs may run in-process (jqscan.runs_briefly): a parser, so hypothesis drives it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.jqscan import _BOUNDED, runs_briefly

BRIEF = [
    '.state == "ready"',
    ".items | length > 0",
    "[.jobs[] | select(.done)] | length == 3",
    '.a // false',
    '"range(10) in a string"',
    "# range(10) in a comment\n.a",
    ".range | .recurse",  # fields named like unbounded builtins
    "$__loc__",
    '@base64 "\\(.a)"',
    "..|numbers",
    "1e-5 < .x and .y >= 2",
    ".a | ascii_downcase | startswith(\"x\")",
    'if .ok then .n else empty end',
    'try .a catch false',
    ".a != 1 and .b <= 2 and .c >= 3 and .d == 4",
]
NOT_BRIEF = [
    "range(1e9)",
    "[range(1e9)] | length",
    '"\\(range(10))"',  # code inside an interpolation is code
    "def f: f; f",
    "reduce .[] as $x (0; . + $x)",
    '.a | test("(a+)+b")',
    "until(false; .)",
    "recurse",
    "limit(3; repeat(1))",
    ".a * 1e9",
    ".a / .b",
    ".a - .b",
    "input",
    ".a |= 1",  # assignments update path by path
    ".a = 1",
    ".a //= 1",
    "map_values(. + 1)",
    "add",  # defined with reduce over a growing value
    'join(",")',
    "flatten",
    "{a: 1}",  # an object key reads like a call: declined, which only costs the fork
    '"unclosed',
    '"\\(.a',
]


@pytest.mark.parametrize("program", BRIEF)
def test_bounded_programs_may_run_here(program: str) -> None:
    assert runs_briefly(program)


@pytest.mark.parametrize("program", NOT_BRIEF)
def test_unbounded_or_unclear_programs_go_to_the_child(program: str) -> None:
    assert not runs_briefly(program)


@given(st.text(max_size=200))
def test_any_text_gets_an_answer(program: str) -> None:
    assert runs_briefly(program) in (True, False)


FIELDS = st.from_regex(r"\.[a-z_][a-z0-9_]{0,8}", fullmatch=True)
CALLS = st.sampled_from(sorted(name for name in _BOUNDED if name.isidentifier()))
UNBOUNDED_CALLS = st.sampled_from(["range(9)", "recurse", "repeat(.)", "limit(1; .)", "test(\"a\")", "env", "input"])


@st.composite
def brief_programs(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(FIELDS, CALLS, st.just(".[]"), st.just('"a\\(.b)c"')), min_size=1, max_size=6))
    return " | ".join(parts)


@given(brief_programs())
def test_pipelines_of_fields_and_bounded_calls_are_brief(program: str) -> None:
    assert runs_briefly(program)


@given(brief_programs(), UNBOUNDED_CALLS, st.sampled_from(["{}", '"\\({})"', "[{}]", "({})"]))
def test_one_unbounded_call_anywhere_makes_it_not_brief(program: str, call: str, wrapper: str) -> None:
    assert not runs_briefly(f"{program} | {wrapper.format(call)}")
    assert not runs_briefly(f"{wrapper.format(call)} | {program}")
