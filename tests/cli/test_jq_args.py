"""jq's own arguments (--arg, --argjson, --slurpfile, --rawfile), $__loc__, and the hints for jq's output flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from apicli.errors import ExitCode, UsageError
from apicli.filters.jqargs import bindings_prefix
from apicli.filters.jqfilter import compile_jq
from tests.conftest import Invoke

BODY = b'{"login": "ann", "n": 2}'
HOSTILE = ['it\'s "quoted"', "two\nlines", "ünïcödé €", "\\back\\slash", "$(no)", "\x1b[31m", "", "\\(.x)"]


def _serve(server: HTTPServer) -> str:
    server.expect_request("/r").respond_with_data(BODY, content_type="application/json")
    return server.url_for("/r")


@pytest.mark.parametrize("value", HOSTILE)
def test_arg_values_reach_the_program_as_strings(httpserver: HTTPServer, invoke: Invoke, value: str) -> None:
    result = invoke("get", _serve(httpserver), "--jq", "[$v, $ARGS.named.v, .login]", "--arg", "v", value)
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [value, value, "ann"]


def test_argjson_keeps_numbers_as_written_and_binds_any_value(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--jq", "[$big, $o.a, $l]", "--argjson", "big", "100000000000000000001",
                    "--argjson", "o", '{"a":\n [1, "x"]}', "--argjson", "l", "null")  # fmt: skip
    assert (result.code, result.stderr) == (0, "")
    assert result.text == '[100000000000000000001,[1,"x"],null]\n'


@pytest.mark.parametrize("text", ["{bad", "", "1 2", "[1,", "nan", '"unterminated'])
def test_invalid_argjson_is_a_usage_error(httpserver: HTTPServer, invoke: Invoke, text: str) -> None:
    result = invoke("get", _serve(httpserver), "--jq", "$x", "--argjson", "x", text)
    assert result.code == ExitCode.USAGE
    assert "--argjson x: invalid JSON text" in result.stderr
    assert httpserver.log == []


def test_slurpfile_and_rawfile(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text('{"a": 1}\n2 "three" 1.000000000000000000001')
    text = tmp_path / "note.txt"
    text.write_text("line 1\nline 2\n")
    result = invoke("get", _serve(httpserver), "--jq", "[$s, $t]", "--slurpfile", "s", str(values),
                    "--rawfile", "t", str(text))  # fmt: skip
    assert (result.code, result.stderr) == (0, "")
    assert result.text == '[[{"a":1},2,"three",1.000000000000000000001],"line 1\\nline 2\\n"]\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--slurpfile", "s", "missing.json"), "--slurpfile s: 'missing.json': cannot read it"),
        (("--rawfile", "t", "missing.txt"), "--rawfile t: 'missing.txt': cannot read it"),
        (("--arg", "status", "1"), "$status is the response's own"),
        (("--argjson", "headers", "{}"), "$headers is the response's own"),
    ],
)
def test_argument_mistakes_are_usage_errors(
    httpserver: HTTPServer, invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = invoke("get", _serve(httpserver), "--jq", ".", *args)
    assert result.code == ExitCode.USAGE
    assert message in result.stderr


def test_a_slurpfile_that_is_not_json_is_a_usage_error(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ')
    result = invoke("get", _serve(httpserver), "--jq", "$s", "--slurpfile", "s", str(broken))
    assert result.code == ExitCode.USAGE
    assert "is not JSON" in result.stderr


def test_arguments_bind_in_until_and_assert_too(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--until", ".login == $who", "--assert", ".n == $n", "--arg", "who", "ann",
                    "--argjson", "n", "2", "--jq", ".login")  # fmt: skip
    assert (result.code, result.text) == (0, '"ann"\n')
    failed = invoke("get", url, "--assert", ".login == $who", "--arg", "who", "bob", "-o", "/dev/null")
    assert failed.code == ExitCode.ASSERTION
    assert '(.login is "ann"; $who is "bob")' in failed.stderr


def test_a_name_that_is_not_an_identifier_is_only_in_args_named(httpserver: HTTPServer, invoke: Invoke) -> None:
    result = invoke("get", _serve(httpserver), "--jq", '$ARGS.named["my-name"]', "--arg", "my-name", "x")
    assert (result.code, result.text) == (0, '"x"\n')


def test_an_undefined_variable_is_reported_at_the_users_own_position(httpserver: HTTPServer, invoke: Invoke) -> None:
    result = invoke("get", _serve(httpserver), "--jq", "$nope", "--arg", "x", "1")
    assert result.code == ExitCode.USAGE
    assert "$nope is not defined at <top-level>, line 1, column 1" in result.stderr
    assert "positional" not in result.stderr  # the prefix is not shown


@pytest.mark.parametrize(
    ("program", "line"), [("$__loc__.line", 1), ("1 |\n\n$__loc__.line", 3), ("# note\n$__loc__.line", 2)]
)
def test_loc_counts_the_programs_own_lines_as_jq_does(
    httpserver: HTTPServer, invoke: Invoke, program: str, line: int
) -> None:
    for extra in ((), ("--arg", "x", "1"), ("--assert", "$status == 200")):
        result = invoke("get", _serve(httpserver), "--jq", program, *extra)
        assert (result.code, result.text) == (0, f"{line}\n"), extra


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_given_to_arg_comes_back_unchanged(value: str) -> None:
    program = compile_jq("$v", fork_now=False, bindings=bindings_prefix(args=[("v", value)]))
    (result,) = program.results("null")
    assert json.loads(result) == value


@settings(deadline=None)  # each example forks a jq child: a loaded machine takes longer than 200 ms
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=10))  # fmt: skip
def test_any_json_given_to_argjson_comes_back_equal(value: object) -> None:
    text = json.dumps(value, indent=1)  # line breaks inside the text too
    program = compile_jq("$v", fork_now=False, bindings=bindings_prefix(argjson=[("v", text)]))
    (result,) = program.results("null")
    assert json.loads(result) == value


@given(st.text(max_size=20))
def test_argjson_refuses_what_is_not_one_json_value(text: str) -> None:
    try:
        json.loads(text)
        valid = True
    except ValueError:
        valid = False
    try:
        bindings_prefix(argjson=[("v", text)])
    except UsageError:
        assert not valid or text.strip() in ("NaN", "Infinity", "-Infinity")
        return
    assert valid


# The flags people bring from jq


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("-c",), ["-c in jq: --jq output is compact when piped already", "-c in curl: --cookie-jar"]),
        (("-rc",), ["-c is a flag of jq", "apicli's part of -rc is -r"]),
        (("-e",), ["-e in jq: --assert EXPR fails the run (exit 10)"]),
        (("--slurp",), ["one body is one input already"]),
        (("-S",), ["-S in jq: apicli keeps the server's key order"]),
        (("--tab",), ["--pretty indents by 2 spaces"]),
    ],
)
def test_jq_output_flags_get_a_hint_that_knows_jq(
    httpserver: HTTPServer, invoke: Invoke, args: tuple[str, ...], needles: list[str]
) -> None:
    result = invoke("get", _serve(httpserver), "--jq", ".[]", *args)
    assert result.code == ExitCode.USAGE
    for needle in needles:
        assert needle in result.stderr
    assert httpserver.log == []
