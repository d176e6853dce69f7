"""End-to-end: --jq filtering (real libjq) and --schema validation, plus the hooks paginate uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from apicli.errors import ExitCode
from apicli.filters.jqfilter import apply_to_collection, apply_to_item, compile_jq
from apicli.filters.schema import load_schema, schema_failure, validate_item
from apicli.output.render import Renderer
from tests.conftest import Invoke
from tests.sgr import looks_the_same

USERS = b'{"items": [{"id": 1, "login": "ann", "admin": true}, {"id": 2, "login": "ben", "admin": false}]}'
# Numbers that a double cannot hold: jq 1.7+ prints them as written.
PRECISE = b'{"big": 100000000000000000001, "fine": 1.000000000000000000001, "whole": 3.0}'

USER_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "login"],
                "properties": {"id": {"type": "integer"}, "login": {"type": "string"}},
            },
        }
    },
}


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.schema.json"
    path.write_text(json.dumps(USER_SCHEMA))
    return path


def _serve(server: HTTPServer, body: bytes, content_type: str = "application/json") -> str:
    server.expect_request("/data").respond_with_data(body, content_type=content_type)
    return server.url_for("/data")


def test_jq_results_one_per_line_compact_into_a_pipe(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, USERS)
    result = invoke("get", url, "--jq", ".items[] | {login, admin}")
    assert (result.code, result.stderr) == (0, "")
    assert result.text == '{"login":"ann","admin":true}\n{"login":"ben","admin":false}\n'
    raw = invoke("get", url, "--jq", ".items[].login", "-r")
    assert raw.text == "ann\nben\n"
    quoted = invoke("get", url, "--jq", ".items[].login")
    assert quoted.text == '"ann"\n"ben"\n'


def test_jq_keeps_numbers_exactly_as_jq_prints_them(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, PRECISE)
    result = invoke("get", url, "--jq", ".big, .fine, .whole, (.whole + 1)")
    assert result.text == "100000000000000000001\n1.000000000000000000001\n3.0\n4\n"


def test_jq_pretty_output_is_indented_like_jq_and_coloured_like_apicli(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, PRECISE)
    plain = invoke("get", url, "--jq", "{big, list: [1, {}], empty: []}", "--pretty", "--no-color")
    assert plain.text == '{\n  "big": 100000000000000000001,\n  "list": [\n    1,\n    {}\n  ],\n  "empty": []\n}\n'
    # apicli's palette, as for a body on a terminal: keys bold blue, numbers and punctuation uncoloured.
    coloured = invoke("get", url, "--jq", '{big, ok: true, none: null, s: "x"}', "--pretty")
    # libjq lays it out in its child, wrapping punctuation in empty colours: what is seen is the same.
    assert looks_the_same(
        coloured.stdout,
        b'{\n  \x1b[1;34m"big"\x1b[0m: 100000000000000000001,\n  \x1b[1;34m"ok"\x1b[0m: \x1b[33mtrue\x1b[0m,\n'
        b'  \x1b[1;34m"none"\x1b[0m: \x1b[90mnull\x1b[0m,\n  \x1b[1;34m"s"\x1b[0m: \x1b[32m"x"\x1b[0m\n}\n',
    )


def test_jq_handles_a_stream_of_json_values(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b'{"n": 1}\n{"n": 2}\n', content_type="application/x-ndjson")
    assert invoke("get", url, "--jq", ".n").text == "1\n2\n"


def test_jq_output_goes_to_the_output_file(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    url = _serve(httpserver, USERS)
    target = tmp_path / "logins.txt"
    result = invoke("get", url, "--jq", ".items[].login", "-r", "-o", str(target))
    assert (result.code, result.stdout) == (0, b"")
    assert target.read_text() == "ann\nben\n"


def test_jq_on_a_non_json_body_exits_2(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b"<html>hello</html>", content_type="text/html")
    result = invoke("get", url, "--jq", ".")
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr.startswith("apicli: --jq: the response is not JSON (parse error: ")
    assert "hint: drop --jq to see the body as it is" in result.stderr


@pytest.mark.parametrize("body", [b"", b" \r\n"], ids=["empty", "blank"])
def test_jq_on_an_empty_json_body_exits_2_like_paginate(httpserver: HTTPServer, invoke: Invoke, body: bytes) -> None:
    url = _serve(httpserver, body)
    result = invoke("get", url, "--jq", ".")
    assert (result.code, result.stdout) == (ExitCode.USAGE, b"")
    assert result.stderr == (
        "apicli: --jq: the response is not JSON (the body is empty; Content-Type: application/json)\n"
    )


def test_no_content_has_nothing_to_filter_or_check(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    """204 and HEAD have no body by definition: --jq and --schema have nothing to work on and exit 0."""
    httpserver.expect_request("/gone", method="DELETE").respond_with_data(b"", status=204)
    url = httpserver.url_for("/gone")
    for extra in (("--jq", ".id"), ("--schema", str(schema_file)), ("--jq", ".", "--schema", str(schema_file))):
        result = invoke("delete", url, *extra)
        assert (result.code, result.stdout, result.stderr) == (0, b"", ""), extra
    head_url = _serve(httpserver, USERS)
    head = invoke("head", head_url, "--jq", ".items", "--schema", str(schema_file))
    # HEAD's data is its head, shown as it is.
    assert (head.code, head.stderr) == (0, "")
    assert head.stdout.startswith(b"HTTP/1.") and b"Content-Type: application/json\n" in head.stdout


@pytest.mark.parametrize(
    ("flag", "purpose"),
    [("--jq", "to filter with --jq"), ("--schema", "to check with --schema")],
)
def test_a_body_over_the_size_cap_names_the_flag_it_was_read_for(
    httpserver: HTTPServer,
    invoke: Invoke,
    schema_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    purpose: str,
) -> None:
    from apicli.output import body as postprocess

    monkeypatch.setattr(postprocess, "PRETTY_LIMIT", 2 * 1024 * 1024)
    url = _serve(httpserver, b"[" + b"1," * (1024 * 1024 + 10) + b"1]")
    result = invoke("get", url, flag, "." if flag == "--jq" else str(schema_file))
    assert (result.code, result.stdout) == (1, b"")
    assert result.stderr.splitlines() == [
        f"apicli: body is larger than 2 MiB, too large {purpose}",
        f"hint: save it with -o FILE (without {flag}) and work on the file",
    ]
    assert "pretty-print" not in result.stderr and "--raw" not in result.stderr


def test_jq_runtime_error_exits_2(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, USERS)
    result = invoke("get", url, "--jq", ".items | .login")
    assert (result.code, result.stdout) == (2, b"")
    assert result.stderr.startswith("apicli: jq: error: Cannot index array with ")  # wording varies by jq release
    assert result.stderr.count("\n") == 1


def test_invalid_jq_program_exits_2_before_sending(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, USERS)
    result = invoke("get", url, "--jq", ".items[")
    assert result.code == 2
    assert result.stderr.startswith("apicli: --jq: invalid jq program: jq: error: syntax error")
    assert httpserver.log == []


def test_missing_jq_package_is_a_clear_usage_error(
    httpserver: HTTPServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _serve(httpserver, USERS)
    monkeypatch.setitem(sys.modules, "jq", None)  # makes `import jq` fail as if it were not installed
    result = invoke("get", url, "--jq", ".")
    assert result.code == 2
    assert result.stderr == (
        "apicli: --jq needs the jq package, which is not installed\n"
        "hint: install the jq package (pip install jq); it has no wheel for this platform yet\n"
    )
    assert invoke("get", url).stdout == USERS  # everything else still works


def test_schema_pass_writes_the_body_and_exits_0(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    url = _serve(httpserver, USERS)
    result = invoke("get", url, "--schema", str(schema_file))
    assert (result.code, result.stdout, result.stderr) == (0, USERS, "")


def test_schema_failure_writes_the_body_then_each_error_and_exits_9(
    httpserver: HTTPServer, invoke: Invoke, schema_file: Path
) -> None:
    body = b'{"items": [{"id": 1, "login": "ann"}, {"id": 2}, {"id": "x", "login": 7}]}'
    url = _serve(httpserver, body)
    result = invoke("get", url, "--schema", str(schema_file))
    assert result.code == ExitCode.SCHEMA == 9
    assert result.stdout == body
    assert result.stderr.splitlines() == [
        "apicli: schema: $.items[1]: 'login' is a required property",
        "apicli: schema: $.items[2].id: 'x' is not of type 'integer'",
        "apicli: schema: $.items[2].login: 7 is not of type 'string'",
    ]


def test_schema_and_jq_together(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    url = _serve(httpserver, b'{"items": [{"id": "x", "login": "ann"}]}')
    result = invoke("get", url, "--schema", str(schema_file), "--jq", ".items[].login", "-r")
    assert (result.code, result.text) == (9, "ann\n")  # the schema checks the response, jq shapes the output
    assert result.stderr == "apicli: schema: $.items[0].id: 'x' is not of type 'integer'\n"


def test_schema_on_a_non_json_body_fails_validation(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    url = _serve(httpserver, b"oops", content_type="text/plain")
    result = invoke("get", url, "--schema", str(schema_file))
    assert (result.code, result.stdout) == (9, b"oops")
    assert result.stderr.startswith("apicli: schema: $: the response body is not JSON")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "apicli: --schema: cannot read"),
        ("{not json", "is not valid JSON"),
        ('{"type": "objekt"}', "is not a valid JSON Schema: $.type: 'objekt' is not valid under any of the given"),
        ("[1, 2]", "is not a JSON Schema (expected an object)"),
    ],
)
def test_bad_schema_file_exits_2_before_sending(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path, content: str | None, message: str
) -> None:
    url = _serve(httpserver, USERS)
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    result = invoke("get", url, "--schema", str(path))
    assert result.code == 2
    assert message in result.stderr.splitlines()[0]
    assert httpserver.log == []


def test_missing_jsonschema_package_is_a_clear_usage_error(
    httpserver: HTTPServer, invoke: Invoke, schema_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _serve(httpserver, USERS)
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    result = invoke("get", url, "--schema", str(schema_file))
    assert result.code == 2
    assert result.stderr.endswith("hint: install it with: pip install 'apicli[schema]'\n")


# --- the hooks paginate uses -------------------------------------------------------------------


def test_item_and_collection_hooks() -> None:
    # The hooks hand on jq's results; the run's renderer lays them out as the jq command does.
    plain, pretty = Renderer(), Renderer(pretty=True)
    program = compile_jq(".id")
    assert plain.jq_output(program, apply_to_item(program, {"id": 10**20 + 1})) == b"100000000000000000001\n"
    assert plain.jq_output(program, apply_to_item(program, b'{"id": 1.50}')) == b"1.50\n"
    names = compile_jq(".name", raw_output=True)
    assert plain.jq_output(names, apply_to_item(names, '{"name": "ann"}')) == b"ann\n"
    everything = compile_jq("map(.id) | add")
    assert apply_to_collection(everything, [{"id": 1}, b'{"id": 2}', '{"id": 3}']) == ["6"]
    assert apply_to_collection(compile_jq("length"), []) == ["0"]
    identity = compile_jq(".")
    assert pretty.jq_output(identity, apply_to_item(identity, {"a": [1]})) == b'{\n  "a": [\n    1\n  ]\n}\n'


def test_item_validation_hook(schema_file: Path) -> None:
    item_schema = schema_file.parent / "item.json"
    item_schema.write_text(json.dumps(USER_SCHEMA["properties"]["items"]["items"]))  # type: ignore[index]
    validator = load_schema(item_schema)
    assert validate_item(validator, {"id": 1, "login": "ann"}) == []
    errors = validate_item(validator, b'{"id": "x", "login": "ann"}', root="$[3]")
    assert errors == ["$[3].id: 'x' is not of type 'integer'"]
    assert validate_item(validator, "nope", root="$[4]")[0].startswith("$[4]: not JSON")
    failure = schema_failure(errors * 25)
    assert failure.exit_code == 9
    assert failure.message == "schema: $[3].id: 'x' is not of type 'integer'"
    assert failure.detail is not None and failure.detail.splitlines()[-1] == "apicli: schema: ... and 5 more errors"


# Past BRIEF_INPUT_LIMIT every program runs in the child, and the body goes to libjq as it arrives.
BIG_ITEMS = [{"id": n, "name": f"user {n}", "score": f"{n}.50", "tags": ["a", "ü"]} for n in range(30_000)]


def _big_body(tail: bytes = b"") -> bytes:
    return json.dumps({"items": BIG_ITEMS}).encode()[:-1] + tail + b"}"


def test_jq_on_a_body_past_a_mebibyte_runs_in_libjq_as_it_arrives(httpserver: HTTPServer, invoke: Invoke) -> None:
    body = _big_body()
    assert len(body) > 1024 * 1024
    url = _serve(httpserver, body)
    result = invoke("get", url, "--jq", ".items[] | select(.id % 10000 == 0) | .name", "-r")
    assert (result.code, result.stderr, result.text) == (0, "", "user 0\nuser 10000\nuser 20000\n")
    whole = invoke("get", url, "--jq", ".")
    assert (whole.code, whole.stderr) == (0, "")
    assert json.loads(whole.stdout) == {"items": BIG_ITEMS}


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b', "broken": [1, 2', "apicli: --jq: the response is not JSON (parse error: "),
        (b', "bad": "\xff\xfe"', "apicli: --jq: the response is not JSON (not UTF-8 text; Content-Type: "),
        (b', "nul": "\x00"', "apicli: --jq: the response is not JSON (it contains NUL bytes)"),
    ],
)
def test_jq_on_a_big_body_that_goes_wrong_at_its_end_writes_nothing(
    httpserver: HTTPServer, invoke: Invoke, tail: bytes, message: str
) -> None:
    url = _serve(httpserver, _big_body(tail))
    result = invoke("get", url, "--jq", ".items[0]")
    assert (result.code, result.stdout) == (2, b"")
    assert result.stderr.startswith(message)
