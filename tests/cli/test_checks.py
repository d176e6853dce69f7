"""End-to-end: --assert, --expect-status and --capture against a loopback server, and their precedence."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from apicli.errors import ExitCode
from tests.conftest import Invoke

USER = {"id": 7, "name": "ann", "count": 2, "items": [1, 2], "big": 100000000000000000001}
USER_BODY = json.dumps(USER).encode()


def _serve(server: HTTPServer, body: bytes = USER_BODY, status: int = 200, **headers: str) -> str:
    content_type = headers.pop("content_type", "application/json")
    server.expect_request("/r").respond_with_data(body, status=status, content_type=content_type, headers=headers)
    return server.url_for("/r")


def test_asserts_of_each_kind_pass_and_the_body_is_written(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, **{"X-Trace": "t1"})
    result = invoke(
        "get",
        url,
        "--assert", "$status == 200",
        "--assert", ".id > 0",
        "--assert", '$headers["content-type"] | startswith("application/json")',
        "--assert", '$headers["x-trace"] == "t1"',
        "--assert", "$elapsed < 30",
        "--assert", '$method == "GET" and ($url | endswith("/r")) and $retries == 0',
        "--assert", ".items[] | . > 0",
    )  # fmt: skip
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == USER


def test_every_failing_assert_is_named_with_its_sides_and_exits_10(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke(
        "get",
        url,
        "--assert", ".count == 3",
        "--assert", ".id > 0",
        "--assert", ".name == .items[0]",
        "--assert", '$status == 201  # created, not found',
        "--assert", ".missing",
        "--assert", "empty",
    )  # fmt: skip
    assert result.code == ExitCode.ASSERTION == 10
    assert json.loads(result.stdout) == USER  # the body still goes where it would have gone
    lines = result.stderr.splitlines()
    assert "apicli: assertion failed: .count == 3 (.count is 2)" in lines
    assert 'apicli: assertion failed: .name == .items[0] (.name is "ann"; .items[0] is 1)' in lines
    assert "apicli: assertion failed: created, not found: $status == 201 ($status is 200)" in lines
    assert "apicli: assertion failed: .missing" in lines
    assert "apicli: assertion failed: empty (no output)" in lines
    assert not any(".id > 0" in line for line in lines)
    assert any(line.startswith("apicli: 5 of 6 checks failed (GET http://") for line in lines)


def test_side_values_keep_exact_numbers_and_several_results(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--assert", ".big == 1", "--assert", "[.items[]] | length == 3")
    assert result.code == 10
    assert "(.big is 100000000000000000001)" in result.stderr
    assert "(length is 2)" in result.stderr


def test_a_jq_error_in_an_assert_is_reported_as_one(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--assert", ".name | tonumber > 1", "--assert", '.id | error("nope")')
    assert result.code == 10
    assert "apicli: assertion error: .name | tonumber > 1: Cannot parse 'ann' as JSON" in result.stderr or (
        "apicli: assertion error: .name | tonumber > 1:" in result.stderr
    )
    assert 'apicli: assertion error: .id | error("nope"): nope' in result.stderr


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"plain text", "text/plain"), (b"", "application/json"), (b'{"a": 1} {"a": 2}', "application/json"),
     (b"\xff\xfe binary", "application/octet-stream"), (b'{"cut": ', "application/json")],
    ids=["text", "empty", "two values", "binary", "truncated"],
)  # fmt: skip
def test_a_body_that_is_not_one_json_document_is_null(
    httpserver: HTTPServer, invoke: Invoke, body: bytes, content_type: str
) -> None:
    url = _serve(httpserver, body, content_type=content_type)
    result = invoke("get", url, "-o", "-", "--assert", "$status == 200", "--assert", ". == null")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == body


def test_an_invalid_assert_is_a_usage_error_before_anything_is_sent(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--assert", ".id > 0", "--assert", ".id >")
    assert result.code == ExitCode.USAGE
    assert "--assert '.id >'" in result.stderr and "invalid jq program" in result.stderr
    assert httpserver.log == []


def test_ten_asserts_are_one_program_evaluated_once(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    asserts = [arg for n in range(10) for arg in ("--assert", f".id + {n} > {n}")]
    result = invoke("get", url, *asserts)
    assert (result.code, result.stderr) == (0, "")
    from apicli.filters.checks import ChecksProgram, parse_assertion

    program = ChecksProgram([parse_assertion(f".id + {n} > {n}") for n in range(10)], [])
    assert program.program.expression.count("(try [") == 10  # one program holds all ten


# --expect-status


def test_an_expected_404_succeeds_with_its_body_on_stdout(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b'{"error": "gone"}', status=404)
    result = invoke("get", url, "--expect-status", "404")
    assert (result.code, result.stderr) == (0, "")
    assert result.text == '{"error": "gone"}'


def test_a_200_outside_the_expected_list_fails(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--expect-status", "404")
    assert result.code == ExitCode.ASSERTION
    assert result.stdout == b""
    assert "apicli: HTTP 200 OK is not an expected status" in result.stderr
    assert "--expect-status 404 was expected" in result.stderr


def test_write_out_under_set_e_gets_the_code_of_an_expected_4xx(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b"{}", status=409)
    result = invoke("get", url, "-o", "/dev/null", "-w", "%{http_code}", "--expect-status", "2xx,4xx")
    assert (result.code, result.text, result.stderr) == (0, "409", "")


def test_an_unexpected_5xx_keeps_its_class_code_and_its_hint(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b'{"e": 1}', status=500)
    result = invoke("get", url, "--expect-status", "2xx,4xx", "--retries", "0")
    assert result.code == ExitCode.HTTP_5XX
    assert result.stdout == b""
    assert "HTTP 500" in result.stderr and "--expect-status 2xx,4xx was expected" in result.stderr


@pytest.mark.parametrize("retry_after", [None, "0"])
def test_an_expected_503_is_the_answer_and_is_not_retried(
    httpserver: HTTPServer, invoke: Invoke, retry_after: str | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    url = _serve(httpserver, b'{"down": true}', status=503, **headers)
    result = invoke("get", url, "--expect-status", "503", "--retries", "3")
    assert (result.code, result.text) == (0, '{"down": true}')
    assert len(httpserver.log) == 1
    assert result.sleeps == []


def test_an_unexpected_503_is_still_retried(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, b"{}", status=503)
    result = invoke("get", url, "--expect-status", "200", "--retries", "2")
    assert result.code == ExitCode.HTTP_5XX
    assert len(httpserver.log) == 3


def test_an_invalid_status_list_is_a_usage_error(httpserver: HTTPServer, invoke: Invoke) -> None:
    result = invoke("get", _serve(httpserver), "--expect-status", "2xx,abc")
    assert result.code == ExitCode.USAGE
    assert "--expect-status: 'abc' is not a status" in result.stderr


# Precedence: status, then schema, then asserts (apicli help exit-codes).

SCHEMA = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("status", "body", "expect", "code", "named"),
    [
        (404, b'{"id": "x"}', "200", 4, ["HTTP 404", "assertion failed: .id == 1"]),
        (200, b'{"id": "x"}', "200", 9, ["schema: $.id", "assertion failed: .id == 1"]),
        (200, b'{"id": 2}', "200", 10, ["assertion failed: .id == 1 (.id is 2)"]),
        (200, b'{"id": 1}', "404", 10, ["is not an expected status"]),
        (200, b'{"id": 1}', "200", 0, []),
    ],
    ids=["status wins", "schema next", "asserts last", "unexpected 2xx", "all pass"],
)
def test_precedence_of_status_schema_and_asserts(
    httpserver: HTTPServer,
    invoke: Invoke,
    tmp_path: Path,
    status: int,
    body: bytes,
    expect: str,
    code: int,
    named: list[str],
) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    url = _serve(httpserver, body, status=status)
    result = invoke("get", url, "--expect-status", expect, "--schema", str(schema), "--assert", ".id == 1")
    assert result.code == code, result.stderr
    for text in named:
        assert text in result.stderr
    assert result.stdout == (body if status == int(expect) else b"")


# Variables in --jq and --until


def test_response_variables_in_jq(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver, **{"Set-Cookie": "a=1"})
    httpserver.clear_all_handlers()
    httpserver.expect_request("/r").respond_with_response(
        __import__("werkzeug").Response(USER_BODY, headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                                        content_type="application/json")
    )  # fmt: skip
    result = invoke("get", url, "--jq", '[$status, $headers["set-cookie"], $method, $retries, .id, ($url|type)]')
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [200, ["a=1", "b=2"], "GET", 0, 7, "string"]


def test_response_variables_in_until(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--until", '$status == 200 and $headers["content-type"] == "application/json"')
    assert result.code == 0
    assert json.loads(result.stdout) == USER


def test_jq_locations_count_the_programs_own_lines(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = _serve(httpserver)
    result = invoke("get", url, "--jq", "$__loc__.line")
    assert result.text == "1\n"
    result = invoke("get", url, "--jq", "$status |\n$__loc__.line")
    assert result.text == "2\n"


# --capture


HOSTILE = ["plain", "it's", "$(touch pwned)", "`id`", '"dq"', "a\nb\n", "back\\slash", "ünï €", " lead", "x" * 5000,
           "\t\r", "!history", "$HOME", "a'\"'b", "*", "\x1b[31m"]  # fmt: skip


def test_hostile_values_sourced_by_real_shells_come_back_byte_for_byte(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    body = json.dumps({f"v{n}": value for n, value in enumerate(HOSTILE)}).encode()
    url = _serve(httpserver, body)
    target = tmp_path / "vars.sh"
    target.write_text("EARLIER='kept'\n")
    captures = [arg for n in range(len(HOSTILE)) for arg in ("--capture", f"v{n}=.v{n}")]
    result = invoke("get", url, "-o", "/dev/null", *captures, "--capture-file", str(target))
    assert (result.code, result.stderr) == (0, "")
    assert target.read_text().startswith("EARLIER='kept'\n")
    for shell in ("bash", "dash", "sh"):
        if shutil.which(shell) is None:
            continue
        for n, value in enumerate(HOSTILE):
            script = f'. "{target}"; printf "%s" "$v{n}"'
            shown = subprocess.run([shell, "-c", script], capture_output=True, cwd=tmp_path, check=True)
            assert shown.stdout == value.encode(), (shell, value)
        assert not (tmp_path / "pwned").exists()


def test_non_strings_are_written_as_compact_json_with_exact_numbers(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = _serve(httpserver)
    target = tmp_path / "v.sh"
    captures = ("--capture", "big=.big", "--capture", "items=.items", "--capture", "nothing=.none")
    result = invoke(
        "get", url, "-o", "/dev/null", *captures, "--capture", "code=$status", "--capture-file", str(target)
    )
    assert result.code == 0, result.stderr
    assert target.read_text() == "big='100000000000000000001'\nitems='[1,2]'\nnothing='null'\ncode='200'\n"


def _github_values(text: str) -> dict[str, str]:
    """GitHub's reading of an output file: NAME=VALUE lines and NAME<<DELIMITER blocks."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            taken = []
            while lines[index] != delimiter:
                taken.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(taken)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_github_output_keeps_multi_line_values_with_its_delimiter_syntax(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    body = json.dumps({"text": "line 1\nline 2\nEOF\n", "tricky": "a<<b=c"}).encode()
    url = _serve(httpserver, body)
    output = tmp_path / "github_output"
    output.write_text("before=1\n")
    env = {"GITHUB_OUTPUT": str(output)}
    result = invoke("get", url, "-o", "/dev/null", "--capture", "text=.text", "--capture", "tricky=.tricky",
                    "--capture-file", "github", env=env)  # fmt: skip
    assert result.code == 0, result.stderr
    values = _github_values(output.read_text())
    assert values == {"before": "1", "text": "line 1\nline 2\nEOF\n", "tricky": "a<<b=c"}


def test_the_file_github_output_names_gets_githubs_format(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = _serve(httpserver)
    output = tmp_path / "out"
    result = invoke("get", url, "-o", "/dev/null", "--capture", "id=.id", "--capture-file", str(output),
                    env={"GITHUB_OUTPUT": str(output)})  # fmt: skip
    assert result.code == 0
    assert _github_values(output.read_text()) == {"id": "7"}
    assert "<<APICLI_EOF_" in output.read_text()


def test_nothing_is_captured_for_a_failed_request(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    url = _serve(httpserver)
    target = tmp_path / "v.sh"
    result = invoke("get", url, "-o", "/dev/null", "--capture", "id=.id", "--assert", ".id == 8",
                    "--capture-file", str(target))  # fmt: skip
    assert result.code == 10
    assert not target.exists()


def test_a_capture_without_a_value_fails_and_writes_nothing(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = _serve(httpserver)
    target = tmp_path / "v.sh"
    result = invoke("get", url, "-o", "/dev/null", "--capture", "id=.id", "--capture", "gone=.items[] | select(. > 5)",
                    "--capture-file", str(target))  # fmt: skip
    assert result.code == 10
    assert "apicli: --capture gone: .items[] | select(. > 5) produced no value" in result.stderr
    assert not target.exists()


def test_a_nul_in_a_value_is_refused(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    url = _serve(httpserver, json.dumps({"s": "a\u0000b"}).encode())
    target = tmp_path / "v.sh"
    result = invoke("get", url, "-o", "/dev/null", "--capture", "s=.s", "--capture-file", str(target))
    assert result.code == ExitCode.ERROR
    assert "holds a NUL byte" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--capture", "id=.id"), {}, "--capture needs --capture-file"),
        (("--capture-file", "v.sh"), {}, "--capture-file needs --capture"),
        (("--capture", "my-id=.id", "--capture-file", "v.sh"), {}, "is not a shell variable name"),
        (("--capture", "id", "--capture-file", "v.sh"), {}, "is not NAME=EXPR"),
        (("--capture", "1x=.id", "--capture-file", "v.sh"), {}, "is not a usable name"),
        (("--capture", "id=.id", "--capture", "id=.x", "--capture-file", "v.sh"), {}, "captured twice"),
        (("--capture", "id=.id", "--capture-file", "github"), {}, "$GITHUB_OUTPUT is not set"),
        (("--capture", "GITHUB_TOKEN=.id", "--capture-file", "github-env"), {"GITHUB_ENV": "e"}, "cannot be set"),
        (("--capture", "id=.[", "--capture-file", "v.sh"), {}, "--capture id: invalid jq program"),
    ],
)
def test_capture_mistakes_are_usage_errors_before_sending(
    httpserver: HTTPServer, invoke: Invoke, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = invoke("get", _serve(httpserver), *args, env=env)
    assert result.code == ExitCode.USAGE
    assert message in result.stderr
    assert httpserver.log == []


def test_a_secret_capture_is_masked_for_github_and_redacted_from_stderr(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    url = _serve(httpserver, json.dumps({"token": "s3cr3t-token-value", "n": 1}).encode())
    output = tmp_path / "out"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_ACTIONS": "true"}
    captures = ("--capture-secret", "token=.token", "--capture", "n=.n")
    result = invoke("get", url, "-o", "/dev/null", *captures, "--capture-file", "github", env=env)
    assert result.code == 0
    assert "::add-mask::s3cr3t-token-value" in result.stderr.splitlines()
    assert _github_values(output.read_text())["token"] == "s3cr3t-token-value"
    failed = invoke("get", url, "-o", "/dev/null", "--capture-secret", "token=.token", "--assert", '.token == "x"',
                    "--capture-file", str(tmp_path / "v.sh"))  # fmt: skip
    assert failed.code == 10
    assert "assertion failed" in failed.stderr
    assert "s3cr3t-token-value" not in failed.stderr
