"""Which jq programs may run in-process (jqscan): a parser with a cost bound, so hypothesis drives it.

The bound is checked against libjq itself: for every generated program the scan calls brief,
what the program really produces on hostile inputs of two sizes stays within the bound, and
grows no faster than the input.
"""

from __future__ import annotations

import json

import jq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apicli.filters.jqscan import brief_input_limit, program_cost, runs_briefly

MIB = 1024 * 1024

BRIEF = [
    ".",
    ".a.b",
    ".[] | .name",
    "select(.x > 1)",
    "length",
    '.state == "ready"',
    ".items | length > 0",
    "[.jobs[] | select(.done)] | length == 3",
    ".a // false",
    '"range(10) in a string"',
    "# range(10) in a comment\n.a",
    ".range | .recurse",  # fields named like unbounded builtins
    "$__loc__",
    '@base64 "\\(.a)"',
    "1e-5 < .x and .y >= 2",
    '.a | ascii_downcase | startswith("x")',
    "if .ok then .n else empty end",
    "try .a catch false",
    ".a != 1 and .b <= 2 and .c >= 3 and .d == 4",
    "{a: 1}",
    "{id, name: .name, tags: [.tags[] | ascii_downcase]}",
    '.[0], .[1:3], .a."b", .a[]?',
    "map(.x) | sort_by(.y) | first",
    ".[] | .[] | .[]",  # nested iteration over nested input: each stage reads a part of the last
    "keys[] | tostring",
    "tojson",
]
NOT_BRIEF = [
    # B18: compositions whose cost is a product of the input's size with itself
    ".[] as $a | .[] as $b | .[] as $c | empty",
    "select(.[] > 1)",  # the whole input, once per element
    ".[] + .[]",
    "{a: .[], b: .[]}",
    '"\\(.[]) \\(.[])"',
    "if .[] then . else . end",
    "(.[] | [.]) + .",
    # growth by a factor no input could afford
    "tojson|" * 40 + "length",
    "(.,.)|" * 40 + ".",
    # unbounded builtins, definitions and unclear text
    "range(1e9)",
    "[range(1e9)] | length",
    '"\\(range(10))"',  # code inside an interpolation is code
    "def f: f; f",
    "reduce .[] as $x (0; . + $x)",
    '.a | test("(a+)+b")',
    "until(false; .)",
    "recurse",
    "..|numbers",  # every sub-value: the input's size times its depth
    "paths",
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
    '"unclosed',
    '"\\(.a',
    "halt_error",
    "(" * 200 + "." + ")" * 200,
]


@pytest.mark.parametrize("program", BRIEF)
def test_common_bounded_programs_run_here_on_a_small_body(program: str) -> None:
    assert runs_briefly(program, 16 * 1024)


@pytest.mark.parametrize("program", NOT_BRIEF)
def test_unbounded_super_linear_or_unclear_programs_go_to_the_child(program: str) -> None:
    assert not runs_briefly(program, 1024)


def test_growth_by_a_constant_factor_is_brief_only_below_the_size_it_can_afford() -> None:
    chain = "tojson|" * 12 + "length"
    limit = brief_input_limit(chain, MIB)
    assert 0 < limit < 4096
    assert brief_input_limit(".", MIB) > 256 * 1024


@given(st.text(max_size=200))
def test_any_text_gets_an_answer(program: str) -> None:
    assert 0 <= brief_input_limit(program, MIB) <= MIB


# -- the bound against libjq ---------------------------------------------------------------------

ATOMS = [
    ".", ".a", ".[]", ".[0]", ".[]?", "keys", "length", "tojson", "tostring", "to_entries", "explode",
    "ascii_downcase", "first", "sort", "reverse", "@base64", "@html", "@uri", "@sh", "@csv", "[.[]]",
    "{a: .}", '"x\\(.)"', "select(.)", "map(.)", "empty", "1", '"s"', "type", "not", "values",
]  # fmt: skip


def _combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(parts, parts)
    return st.one_of(
        pair.map(lambda p: f"{p[0]} | {p[1]}"),
        pair.map(lambda p: f"({p[0]}), ({p[1]})"),
        pair.map(lambda p: f"({p[0]}) + ({p[1]})"),
        pair.map(lambda p: f"({p[0]}) == ({p[1]})"),
        pair.map(lambda p: f"{{a: ({p[0]}), b: ({p[1]})}}"),
        pair.map(lambda p: f'"\\({p[0]})-\\({p[1]})"'),
        pair.map(lambda p: f"if {p[0]} then {p[1]} else . end"),
        pair.map(lambda p: f"try ({p[0]}) catch ({p[1]})"),
        pair.map(lambda p: f"({p[0]}) // ({p[1]})"),
        parts.map(lambda p: f"[{p}]"),
        parts.map(lambda p: f"select({p})"),
        parts.map(lambda p: f"map({p})"),
        parts.map(lambda p: f"first({p})"),
        parts.map(lambda p: f"sort_by({p})"),
    )


PROGRAMS = st.recursive(st.sampled_from(ATOMS), _combine, max_leaves=6)


def _hostile_input(shape: int, scale: int) -> str:
    """Nested arrays and objects of strings that escape badly (quotes, backslashes, controls)."""
    row = ["\"\\\\\u0001<&>'", "é", 1.5, [["x"]], {"a": ["\"'"]}]
    return json.dumps({"a": [row] * scale, "b": row * scale} if shape % 2 else [row] * scale)


def _measure(program: str, text: str, cap: int) -> tuple[int, int]:
    """How many results `program` gives and their total size, stopping once past `cap` bytes."""
    count = volume = 0
    try:
        for result in jq.compile(f"({program}) | tojson").input_text(text):
            count += 1
            volume += len(result.encode()) + 1
            if volume > cap:
                break
    except ValueError:
        pass  # a type error ends the run where it stands
    return count, volume


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, st.sampled_from([8, 9]))
def test_what_libjq_produces_stays_within_the_bound_of_a_brief_program(program: str, scale: int) -> None:
    cost = program_cost(program)
    if cost is None or not runs_briefly(program, 4096):
        return
    sizes = []
    for factor in (1, 4):
        text = _hostile_input(scale, scale * factor)
        n = len(text.encode())
        count_bound, volume_bound = cost.count.at(n), cost.volume.at(n)
        count, volume = _measure(program, text, cap=int(volume_bound) * 4 + 4096)
        assert count <= count_bound, (program, n, count, cost)
        assert volume <= volume_bound + count, (program, n, volume, cost)
        sizes.append((n, volume))
    (small_n, small), (large_n, large) = sizes
    # Linear: four times the input, at most about four times the output (and constants).
    assert large <= small * (large_n / small_n) * 1.5 + 4096, (program, sizes)


UNBOUNDED = st.sampled_from(
    ["range(9)", "recurse", "repeat(.)", "limit(1; .)", 'test("a")', "env", "input", "..", ". as $x | $x", "halt"]
)
WRAPPERS = st.sampled_from(["{}", '"\\({})"', "[{}]", "({})", "select({})", "map({})", "{{a: {}}}"])


@given(PROGRAMS, UNBOUNDED, WRAPPERS)
def test_one_unbounded_call_anywhere_makes_it_not_brief(program: str, call: str, wrapper: str) -> None:
    assert not runs_briefly(f"{program} | {wrapper.format(call)}", 16)
    assert not runs_briefly(f"{wrapper.format(call)} | {program}", 16)


GENERATORS = st.sampled_from([".[]", "keys[]", ".a[]", "(.[] | .[])", "to_entries[]", "(.[], .[])"])
PRODUCTS = st.sampled_from(
    ["({0}) + ({1})", "{{a: {0}, b: {1}}}", '"\\({0})\\({1})"', "select({0} == {1})", "if {0} then {1} else . end",
     "({0}) as $x | {1}", "select({0}) | {1} | select({0})"]
)  # fmt: skip


@given(GENERATORS, GENERATORS, PRODUCTS, PROGRAMS)
def test_a_product_of_two_generators_over_one_input_is_never_brief(
    first: str, second: str, shape: str, around: str
) -> None:
    combined = shape.format(first, second)
    assert not runs_briefly(combined, 16)
    assert not runs_briefly(f"{combined} | {around}", 16)
    assert not runs_briefly(f"[{combined}] | {around}", 16)
