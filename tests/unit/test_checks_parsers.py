"""Property tests for the parsers of the CI checks: assert shapes, captures, status lists, capture files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.filters.checks import parse_capture
from apicli.filters.jqsides import Sides, comparison_sides, split_message
from apicli.output.capturefile import CaptureTarget, capture_lines
from apicli.request.polling import parse_status_list

# Terms a comparison's side may be: fields, numbers, calls, and strings holding the characters the
# scan must not take for structure (#, |, ==, brackets, an interpolation with a nested string).
_STRING_TEXT = st.text(alphabet=st.sampled_from(list('ab #|=<>()[]{},;"\\')), max_size=12).map(
    lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
TERMS = st.one_of(
    st.from_regex(r"\.[a-z]{1,6}(\[[0-9]\])?", fullmatch=True),
    st.integers(-1000, 1000).map(str),
    _STRING_TEXT,
    st.sampled_from(["length", "(.a | length)", '"x\\(.a == "#")y"', "[.[] | .id]", "{a: (1 == 1)}", "$status"]),
)
OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


@given(left=TERMS, operator=OPERATORS, right=TERMS)
def test_a_top_level_comparison_splits_into_its_sides(left: str, operator: str, right: str) -> None:
    assert comparison_sides(f"{left} {operator} {right}") == Sides("", left, operator, right)


@given(prefix=TERMS, left=TERMS, operator=OPERATORS, right=TERMS)
def test_the_last_stage_of_a_pipe_is_the_comparison(prefix: str, left: str, operator: str, right: str) -> None:
    assert comparison_sides(f"{prefix} | {left} {operator} {right}") == Sides(prefix, left, operator, right)


@given(left=TERMS, right=TERMS, joiner=st.sampled_from([" and ", " or ", ", ", " // "]))
def test_unsure_shapes_give_no_sides(left: str, right: str, joiner: str) -> None:
    assert comparison_sides(f"{left} == 1{joiner}{right} == 2") is None


@given(st.text(max_size=200))
def test_the_scan_never_fails_on_any_text(text: str) -> None:
    comparison_sides(text)
    expression, message = split_message(text)
    assert text.startswith(expression)
    assert message is None or "\n" not in message


@given(expression=TERMS, message=st.text(alphabet=st.characters(blacklist_characters="\n\r"), min_size=1, max_size=40))
def test_a_trailing_comment_is_the_message(expression: str, message: str) -> None:
    got_expression, got_message = split_message(f"{expression} == 1  # {message}")
    assert got_expression == f"{expression} == 1"
    assert got_message == (message.strip() or None)


@given(st.text(alphabet=st.sampled_from(list('ab#"\\ ')), max_size=20).map(lambda text: f'"{text}"'))
def test_a_hash_inside_a_string_is_not_a_comment(literal: str) -> None:
    expression, message = split_message(f".a == {literal}")
    if literal.count('"') == 2 and "\\" not in literal:
        assert (expression, message) == (f".a == {literal}", None)


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@given(name=NAMES, expression=st.text(min_size=1, max_size=40).filter(str.strip))
def test_a_capture_is_name_equals_expression(name: str, expression: str) -> None:
    capture = parse_capture(f"{name}={expression}")
    assert (capture.name, capture.expression, capture.secret) == (name, expression, False)


@given(st.text(max_size=30))
def test_a_capture_without_equals_or_with_a_bad_name_is_a_usage_error(text: str) -> None:
    name, equals, expression = text.partition("=")
    try:
        capture = parse_capture(text)
    except UsageError:
        return
    assert equals and expression.strip() and capture.name == name.strip()


STATUS_ITEMS = st.one_of(st.integers(100, 599).map(str), st.integers(1, 5).map(lambda digit: f"{digit}xx"))


@given(st.lists(STATUS_ITEMS, min_size=1, max_size=5), st.integers(100, 599))
def test_a_status_list_holds_its_statuses_and_classes(items: list[str], status: int) -> None:
    statuses = parse_status_list(",".join(items), "--expect-status")
    expected = str(status) in items or f"{status // 100}xx" in items
    assert (status in statuses) == expected
    assert (status in statuses.members()) == expected


@given(st.text(max_size=12).filter(lambda text: "," not in text))
def test_anything_else_in_a_status_list_is_a_usage_error(item: str) -> None:
    try:
        parse_status_list(item, "--expect-status")
    except UsageError as exc:
        assert exc.message.startswith("--expect-status: ")
        return
    assert item.strip().lower() in {str(n) for n in range(100, 600)} | {f"{d}xx" for d in range(1, 6)}


VALUES = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=40, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=4))
def test_shell_lines_source_back_to_the_same_bytes(tmp_path_factory: pytest.TempPathFactory, values: list[str]) -> None:
    directory = tmp_path_factory.mktemp("shell")
    target = CaptureTarget(directory / "vars.sh", "shell", None)
    named = [(f"v{n}", value) for n, value in enumerate(values)]
    (directory / "vars.sh").write_bytes(capture_lines(named, target))
    script = ". ./vars.sh; " + "; ".join(f'printf "%s\\0" "$v{n}"' for n in range(len(values)))
    shown = subprocess.run(["bash", "-c", script], capture_output=True, cwd=directory, check=True).stdout
    assert shown.split(b"\0")[:-1] == [value.encode() for value in values]


@given(st.lists(VALUES, min_size=1, max_size=4))
def test_github_entries_read_back_to_the_same_values(values: list[str]) -> None:
    target = CaptureTarget(Path("out"), "github", "GITHUB_OUTPUT")
    text = capture_lines([(f"v{n}", value) for n, value in enumerate(values)], target).decode()
    lines = text.split("\n")
    read: list[str] = []
    index = 0
    while index < len(lines) - 1:
        _name, delimiter = lines[index].split("<<", 1)
        end = lines.index(delimiter, index + 1)
        read.append("\n".join(lines[index + 1 : end]))
        index = end + 1
    assert read == values
