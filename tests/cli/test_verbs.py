"""End-to-end: request verbs, items and the stdout contract against a real loopback server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Invoke


def test_get_json_piped_is_the_unchanged_body(httpserver: HTTPServer, invoke: Invoke) -> None:
    body = b'{"id":1,"name":"ann"}'
    httpserver.expect_request("/users/1").respond_with_data(body, content_type="application/json")
    result = invoke("get", httpserver.url_for("/users/1"))
    assert result.code == 0
    assert result.stdout == body  # no indentation, no colour, no added newline
    assert result.stderr == ""


def test_port_shorthand_means_localhost(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/ping").respond_with_data("pong")
    result = invoke("get", f":{httpserver.port}/ping")
    assert (result.code, result.stdout) == (0, b"pong")


def test_post_items_build_a_typed_json_object(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/users", method="POST").respond_with_json({"ok": True}, status=201)
    result = invoke(
        "post",
        httpserver.url_for("/users"),
        "name=ann",
        "age:=31",
        "admin:=true",
        "tags[]=a",
        "tags[]=b",
        "address[city]=Oslo",
        "X-Trace:abc",
        "page==2",
    )
    assert result.code == 0, result.stderr
    request, _ = httpserver.log[-1]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Trace"] == "abc"
    assert request.args["page"] == "2"
    assert json.loads(request.data) == {
        "name": "ann",
        "age": 31,
        "admin": True,
        "tags": ["a", "b"],
        "address": {"city": "Oslo"},
    }


def test_header_and_query_flags(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/q", query_string={"a": "1", "b": "two words"}).respond_with_data("ok")
    result = invoke("get", httpserver.url_for("/q"), "-H", "X-One: 1", "-q", "a=1", "-q", "b=two words")
    assert result.code == 0, result.stderr
    assert httpserver.log[-1][0].headers["X-One"] == "1"


def test_json_flag_from_file_and_stdin(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/in", method="PUT").respond_with_data("ok")
    payload = tmp_path / "body.json"
    payload.write_text('{"from": "file"}')
    assert invoke("put", httpserver.url_for("/in"), "--json", f"@{payload}").code == 0
    assert json.loads(httpserver.log[-1][0].data) == {"from": "file"}
    assert invoke("put", httpserver.url_for("/in"), "--json", "@-", stdin=b"[1, 2]").code == 0
    assert json.loads(httpserver.log[-1][0].data) == [1, 2]


def test_invalid_json_is_a_usage_error_and_nothing_is_sent(httpserver: HTTPServer, invoke: Invoke) -> None:
    result = invoke("post", httpserver.url_for("/x"), "--json", "{nope")
    assert result.code == 2
    assert result.stderr.startswith("apicli: invalid JSON in --json")
    assert result.stdout == b""
    assert len(httpserver.log) == 0
    result = invoke("post", httpserver.url_for("/x"), "n:=[1,")
    assert result.code == 2 and "invalid JSON" in result.stderr
    assert len(httpserver.log) == 0


def test_data_and_file_items(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/raw", method="POST").respond_with_data("ok")
    result = invoke("post", httpserver.url_for("/raw"), "--data", "a,b,c", "Content-Type:text/csv")
    assert result.code == 0
    assert httpserver.log[-1][0].data == b"a,b,c"
    note = tmp_path / "note.txt"
    note.write_text("hello")
    config = tmp_path / "cfg.json"
    config.write_text('{"debug": true}')
    assert invoke("post", httpserver.url_for("/raw"), f"text=@{note}", f"cfg:=@{config}").code == 0
    assert json.loads(httpserver.log[-1][0].data) == {"text": "hello", "cfg": {"debug": True}}


def test_multipart_upload(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    def handler(request: Request) -> Response:
        upload = request.files["file"]
        return Response(
            json.dumps({"name": upload.filename, "size": len(upload.read()), "title": request.form["title"]}),
            content_type="application/json",
        )

    httpserver.expect_request("/upload", method="POST").respond_with_handler(handler)
    report = tmp_path / "report.csv"
    report.write_bytes(b"x" * 1000)
    result = invoke("post", httpserver.url_for("/upload"), f"file@{report}", "title=Q3")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"name": "report.csv", "size": 1000, "title": "Q3"}


def test_form_flag_sends_urlencoded(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/form", method="POST").respond_with_data("ok")
    assert invoke("post", httpserver.url_for("/form"), "--form", "a=1", "b=x y").code == 0
    request = httpserver.log[-1][0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.to_dict() == {"a": "1", "b": "x y"}


def test_other_verbs_and_generic_request(httpserver: HTTPServer, invoke: Invoke) -> None:
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
        httpserver.expect_request("/r", method=method).respond_with_data(method)
    for verb in ("put", "patch", "delete"):
        result = invoke(verb, httpserver.url_for("/r"))
        assert (result.code, result.stdout) == (0, verb.upper().encode())
    result = invoke("request", "OPTIONS", httpserver.url_for("/r"))
    assert (result.code, result.stdout) == (0, b"OPTIONS")


def test_head_prints_the_head_on_stdout(httpserver: HTTPServer, invoke: Invoke) -> None:
    """The head is HEAD's data, as with curl -I; -i does not repeat it on stderr."""
    httpserver.expect_request("/h", method="HEAD").respond_with_data("", headers={"X-Size": "10"})
    result = invoke("head", httpserver.url_for("/h"), "-i")
    assert (result.code, result.stderr) == (0, "")
    lines = result.text.splitlines()
    assert re.fullmatch(r"HTTP/1\.[01] 200 OK", lines[0])
    assert "X-Size: 10" in lines


def test_head_of_an_error_goes_to_stderr_not_stdout(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/gone", method="HEAD").respond_with_data("", status=404, headers={"X-Why": "gone"})
    result = invoke("head", httpserver.url_for("/gone"), "-i")
    assert (result.code, result.stdout) == (4, b"")
    assert "404 NOT FOUND" in result.stderr and "X-Why: gone" in result.stderr
    assert "apicli: HTTP 404" in result.stderr


def test_include_prints_status_and_headers_on_stderr(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/i").respond_with_data("body", headers={"X-Thing": "1"})
    result = invoke("get", httpserver.url_for("/i"), "-i")
    assert result.stdout == b"body"
    assert re.fullmatch(r"HTTP/1\.[01] 200 OK", result.stderr.splitlines()[0])
    assert "X-Thing: 1" in result.stderr


def test_output_file_is_written_atomically(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/ok").respond_with_data(b"payload")
    httpserver.expect_request("/missing").respond_with_data(b"gone", status=404)
    target = tmp_path / "out.json"
    assert invoke("get", httpserver.url_for("/ok"), "-o", str(target)).code == 0
    assert target.read_bytes() == b"payload"
    failed = tmp_path / "failed.json"
    result = invoke("get", httpserver.url_for("/missing"), "-o", str(failed))
    assert result.code == 4
    assert not failed.exists()
    assert list(tmp_path.iterdir()) == [target]


def test_ignore_status_puts_error_body_on_stdout(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/missing").respond_with_json({"error": "nope"}, status=404)
    result = invoke("get", httpserver.url_for("/missing"), "--ignore-status")
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {"error": "nope"}


def test_pretty_forces_indentation_into_a_pipe(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/p").respond_with_json({"a": [1, 2]})
    result = invoke("get", httpserver.url_for("/p"), "--pretty", "--no-color")
    assert result.text == json.dumps({"a": [1, 2]}, indent=2) + "\n"
    coloured = invoke("get", httpserver.url_for("/p"), "--pretty")
    assert b"\x1b[" in coloured.stdout
    no_color = invoke("get", httpserver.url_for("/p"), "--pretty", env={"NO_COLOR": "1"})
    assert b"\x1b[" not in no_color.stdout


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.code == 0 and result.text.startswith("apicli ")


def test_quiet_still_reports_errors(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/missing").respond_with_json({"error": "nope"}, status=404)
    failed = invoke("get", httpserver.url_for("/missing"), "-s")
    assert (failed.code, failed.stdout) == (4, b"")
    assert failed.stderr.startswith("apicli: HTTP 404 NOT FOUND (GET http://")
    httpserver.expect_request("/ok").respond_with_data("fine")
    assert invoke("get", httpserver.url_for("/ok"), "-s").stderr == ""


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
def test_proxies_come_from_the_environment(
    httpserver: HTTPServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # The loopback server plays the proxy: the name below is never resolved, the proxy is asked for it.
    httpserver.expect_request("/users", headers={"Host": "upstream.invalid"}).respond_with_data("via proxy")
    result = invoke("get", "http://upstream.invalid/users", env={variable: httpserver.url_for("/")})
    assert (result.code, result.stdout, result.stderr) == (0, b"via proxy", "")
    assert len(httpserver.log) == 1


def test_no_proxy_sends_straight_to_the_origin(
    httpserver: HTTPServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    httpserver.expect_request("/direct").respond_with_data("direct")
    # A proxy that refuses connections: only bypassing it can succeed.
    env = {"HTTP_PROXY": "http://127.0.0.1:1", "NO_PROXY": "127.0.0.1,localhost"}
    result = invoke("get", httpserver.url_for("/direct"), "--retries", "0", env=env)
    assert (result.code, result.stdout, result.stderr) == (0, b"direct", "")
