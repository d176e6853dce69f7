"""End-to-end: `apicli batch` against scripted loopback servers, in process (waits on a fake clock).

Each test feeds request lines on stdin and checks the result lines on stdout, the summary and the
exit code, and what the server received.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import Invoke
from tests.faults.behaviours import Reply, RetryAfter, json_reply
from tests.faults.faultserver import FaultServer
from tests.faults.loopback import serve
from tests.faults.wire import Exchange


@pytest.fixture
def server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


@pytest.fixture
def other_server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


@dataclass(frozen=True)
class Slow:
    """A JSON reply after `seconds` (the server's own wait)."""

    seconds: float
    data: object

    def serve(self, exchange: Exchange) -> None:
        exchange.wait(self.seconds)
        json_reply(self.data).serve(exchange)


def lines(*objects: object) -> bytes:
    return b"".join((o if isinstance(o, str) else json.dumps(o)).encode() + b"\n" for o in objects)


def results(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_results_keep_input_order_whatever_order_answers_come_in(invoke: Invoke, server: FaultServer) -> None:
    delays = random.Random(7).sample(range(40), 24)
    for number, delay in enumerate(delays):
        server.script(f"/n/{number}", Slow(delay / 1000, {"n": number}))
    stdin = lines(*({"url": f"/n/{number}", "id": f"row-{number}"} for number in range(24)))
    result = invoke("batch", "--base-url", server.url(), "--parallel", "8", stdin=stdin)
    assert result.code == 0, result.stderr
    written = results(result.stdout)
    assert [item["index"] for item in written] == list(range(24))
    assert [item["id"] for item in written] == [f"row-{number}" for number in range(24)]
    assert [item["body"] for item in written] == [{"n": number} for number in range(24)]
    assert all(item["ok"] is True and item["status"] == 200 and item["attempts"] == 1 for item in written)
    assert "apicli: batch: 24 requests: 24 ok" in result.stderr


def test_unordered_writes_each_result_as_it_completes(invoke: Invoke, server: FaultServer) -> None:
    server.script("/slow", Slow(0.4, {"slow": True}))
    server.script("/fast", json_reply({"fast": True}))
    stdin = lines({"url": "/slow"}, *({"url": "/fast"} for _ in range(5)))
    result = invoke("batch", "--base-url", server.url(), "--parallel", "4", "--unordered", stdin=stdin)
    assert result.code == 0, result.stderr
    written = results(result.stdout)
    assert sorted(item["index"] for item in written) == list(range(6))
    assert written[0]["index"] != 0 and written[-1]["index"] == 0


def test_bad_lines_fail_alone_with_their_line_numbers(invoke: Invoke, server: FaultServer) -> None:
    server.script("/ok", json_reply({"ok": 1}))
    stdin = lines({"url": "/ok"}, "not a url", '{"url": 3}', "# a comment", "", '{"url": "/ok", "hedaers": {}}', "[1]")
    stdin += b'{"url": "/ok"\n' + b"\xff\xfe\n" + lines({"url": "/ok", "id": 9})
    result = invoke("batch", "--base-url", server.url(), stdin=stdin)
    assert result.code == 11, result.stderr
    written = results(result.stdout)
    assert [item["line"] for item in written] == [1, 2, 3, 6, 7, 8, 9, 10]
    assert [item["ok"] for item in written] == [True, False, False, False, False, False, False, True]
    errors = [item["error"] for item in written if not item["ok"]]
    assert all(error["kind"] == "input" for error in errors)  # type: ignore[index]
    messages = [error["message"] for error in errors]  # type: ignore[index]
    assert messages[0] == "line 2 is neither a JSON object nor a URL"
    assert "unknown field 'hedaers'" in messages[2]
    assert messages[5] == "line 9 is not UTF-8 text"
    assert written[-1]["id"] == 9
    assert "2 ok, 6 failed (6 input)" in result.stderr and "failed lines 2, 3, 6, 7, 8, 9" in result.stderr
    assert result.stderr.count("apicli:") == 1 and "hint:" in result.stderr
    assert len(server.requests) == 2


def test_line_fields_win_over_flags_and_bodies_go_as_given(invoke: Invoke, server: FaultServer) -> None:
    server.script("/u", json_reply({"made": True}, status=201))
    line = {
        "method": "post",
        "url": "/u",
        "json": {"n": 123456789012345678901234567890},
        "headers": {"X-Trace": ["a", "b"], "X-Mode": "line"},
        "query": {"v": 2, "flag": True},
    }
    raw = {"method": "PUT", "url": "/u", "data": {"base64": "AAH/"}}
    result = invoke(
        "batch",
        "--base-url",
        server.url(),
        "--parallel",
        "1",
        "-H",
        "X-Mode: flag",
        "-q",
        "v=1",
        stdin=lines(line, raw, {"url": "/u"}),
    )
    assert result.code == 0, result.stderr
    first, second, third = server.requests
    assert first.method == "POST" and first.body == b'{"n":123456789012345678901234567890}'
    assert first.headers.get_all("x-trace") == ["a", "b"] and first.headers.get("x-mode") == "line"
    assert first.params == {"v": ["2"], "flag": ["true"]}
    assert second.method == "PUT" and second.body == b"\x00\x01\xff"
    assert third.method == "GET" and third.headers.get("x-mode") == "flag" and third.params == {"v": ["1"]}
    assert [item["status"] for item in results(result.stdout)] == [201, 201, 201]


def test_bodies_are_embedded_exactly_and_on_one_line(invoke: Invoke, server: FaultServer) -> None:
    pretty = b'{\n  "big": 12345678901234567890123,\n  "f": 1.10,\n  "s": "a  b\\n"\n}\n'
    server.script("/j", Reply(200, [("Content-Type", "application/json")], pretty))
    server.script("/t", Reply(200, [("Content-Type", "text/plain")], "caf\u00e9\n"))
    result = invoke("batch", "--base-url", server.url(), stdin=lines({"url": "/j"}, {"url": "/t"}))
    assert result.code == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.endswith(b'"body":{"big":12345678901234567890123,"f":1.10,"s":"a  b\\n"}}')
    assert json.loads(second)["body"] == "caf\u00e9\n"


def test_bodies_only_with_jq(invoke: Invoke, server: FaultServer) -> None:
    server.script("/a", json_reply({"name": "ann"}))
    server.script("/b", json_reply({"name": "bob"}))
    server.script("/gone", json_reply({"name": "nobody"}, status=404))
    stdin = lines({"url": "/a"}, {"url": "/gone"}, {"url": "/b"})
    result = invoke("batch", "--base-url", server.url(), "--bodies", "--jq", ".name", "-r", stdin=stdin)
    assert result.code == 11
    assert result.stdout == b"ann\nbob\n"
    per_result = invoke("batch", "--base-url", server.url(), "--jq", "{line, s: .status}", stdin=stdin)
    assert results(per_result.stdout) == [{"line": 1, "s": 200}, {"line": 2, "s": 404}, {"line": 3, "s": 200}]


def test_retries_go_through_and_unsafe_methods_wait_for_permission(
    invoke: Invoke, server: FaultServer, sleeps: list[float]
) -> None:
    for path in ("/get", "/post", "/keyed"):
        server.script(path, [RetryAfter(2, status=503), json_reply({"ok": True})])
    stdin = lines(
        {"url": "/get"},
        {"method": "POST", "url": "/post", "json": {}},
        {"method": "POST", "url": "/keyed", "json": {}, "headers": {"Idempotency-Key": "k1"}},
    )
    result = invoke("batch", "--base-url", server.url(), "--parallel", "1", stdin=stdin)
    assert result.code == 11, result.stderr
    get, post, keyed = results(result.stdout)
    assert (get["ok"], get["attempts"], get["status"]) == (True, 2, 200)
    assert (post["ok"], post["attempts"], post["status"]) == (False, 1, 503)
    assert (keyed["ok"], keyed["attempts"]) == (True, 2)
    assert [len(server.requests_for(path)) for path in ("/get", "/post", "/keyed")] == [2, 1, 2]
    assert [round(wait, 2) for wait in sleeps] == [2.0, 2.0]  # each Retry-After honoured, on the run's clock
    assert "failed line 2" in result.stderr


def test_credentials_stay_on_the_base_origin(invoke: Invoke, server: FaultServer, other_server: FaultServer) -> None:
    server.script("/me", json_reply({"me": 1}))
    other_server.script("/x", json_reply({"x": 1}))
    stdin = lines({"url": "/me"}, {"url": other_server.url("/x")}, other_server.url("/x"))
    result = invoke(
        "batch", "--base-url", server.url(), "--token-env", "TOKEN", "-H", "X-Api-Key: k-123456789",
        stdin=stdin, env={"TOKEN": "s3cret-token-value"},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    (home,) = server.requests
    assert home.headers.get("authorization") == "Bearer s3cret-token-value"
    assert home.headers.get("x-api-key") == "k-123456789"
    for request in other_server.requests:
        assert request.headers.get("authorization") is None and request.headers.get("x-api-key") is None
    assert len(other_server.requests) == 2


def test_profile_headers_and_credentials_do_not_leave_its_origin(
    invoke: Invoke, server: FaultServer, other_server: FaultServer, tmp_path: object
) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "config.toml"
    config.write_text(
        f'[profiles.api]\nbase_url = "{server.url()}"\nheaders = {{ X-Tenant = "t1" }}\n'
        'auth = { type = "bearer", token_env = "TOKEN" }\n'
    )
    config.chmod(0o600)
    server.script("/me", json_reply({}))
    other_server.script("/x", json_reply({}))
    result = invoke(
        "batch", "-P", "api", stdin=lines({"url": "/me"}, {"url": other_server.url("/x")}),
        env={"APICLI_CONFIG": str(config), "TOKEN": "profile-token-1"},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    (home,) = server.requests
    assert home.headers.get("x-tenant") == "t1" and home.headers.get("authorization") == "Bearer profile-token-1"
    (away,) = other_server.requests
    assert away.headers.get("x-tenant") is None and away.headers.get("authorization") is None


def test_credentials_without_a_base_url_are_refused(invoke: Invoke) -> None:
    result = invoke("batch", "--token-env", "TOKEN", stdin=lines("http://127.0.0.1:9/x"), env={"TOKEN": "t0ken-t0ken"})
    assert result.code == 2
    assert result.stderr.startswith("apicli: credentials in a batch need a base URL")
    assert result.stdout == b""


def test_relative_line_without_a_base_fails_that_line(invoke: Invoke, server: FaultServer) -> None:
    server.script("/a", json_reply({}))
    result = invoke("batch", stdin=lines({"url": "/a"}, {"url": server.url("/a")}))
    assert result.code == 11
    first, second = results(result.stdout)
    assert first["error"] == {"kind": "request", "message": "the URL '/a' needs a base URL"}
    assert second["ok"] is True


def test_dry_run_prints_each_request_and_sends_nothing(invoke: Invoke, server: FaultServer) -> None:
    stdin = lines({"method": "POST", "url": "/a", "json": {"n": 1}}, "/b")
    result = invoke("batch", "--base-url", server.url(), "--dry-run", stdin=stdin)
    assert result.code == 0, result.stderr
    assert result.text.startswith(f"POST {server.url('/a')}\n")
    assert f"\nGET {server.url('/b')}\n" in result.text and '{"n":1}' in result.text
    assert server.requests == []


def test_fail_fast_stops_sending(invoke: Invoke, server: FaultServer) -> None:
    server.script("/bad", json_reply({}, status=500))
    server.script("/ok", json_reply({}))
    stdin = lines({"url": "/bad"}, *({"url": "/ok"} for _ in range(200)))
    args = ("--base-url", server.url(), "--parallel", "1", "--retries", "0", "--fail-fast")
    result = invoke("batch", *args, stdin=stdin)
    assert result.code == 11
    assert "stopped by --fail-fast" in result.stderr
    assert len(server.requests_for("/ok")) < 10
    assert results(result.stdout)[0]["error"] == {"kind": "http", "message": "HTTP 500 Internal Server Error"}


def test_write_out_per_request_on_stderr(invoke: Invoke, server: FaultServer) -> None:
    server.script("/a", json_reply({}))
    server.script("/b", json_reply({}, status=404))
    stdin = lines({"url": "/a"}, {"url": "/b"})
    result = invoke("batch", "--base-url", server.url(), "-w", "%{stderr}%{http_code} %{url}\\n", stdin=stdin)
    assert result.code == 11
    assert f"200 {server.url('/a')}\n404 {server.url('/b')}\n" in result.stderr
    refused = invoke("batch", "--base-url", server.url(), "-w", "%{http_code}", stdin=stdin)
    assert refused.code == 2 and "-w writes on stdout, where the results go" in refused.stderr


def test_output_file_gets_the_results(invoke: Invoke, server: FaultServer, tmp_path: object) -> None:
    from pathlib import Path

    server.script("/a", json_reply({"a": 1}))
    target = Path(str(tmp_path)) / "results.ndjson"
    result = invoke("batch", "--base-url", server.url(), "-o", str(target), stdin=lines({"url": "/a"}))
    assert result.code == 0 and result.stdout == b""
    assert json.loads(target.read_bytes())["body"] == {"a": 1}


def test_a_429_pauses_every_worker_on_the_clock(invoke: Invoke, server: FaultServer, sleeps: list[float]) -> None:
    server.script("/limited", [RetryAfter(5, status=429), json_reply({})])
    server.script("/other", json_reply({}))
    stdin = lines({"url": "/limited"}, *({"url": "/other"} for _ in range(6)))
    result = invoke("batch", "--base-url", server.url(), "--parallel", "1", stdin=stdin)
    assert result.code == 0, result.stderr
    assert [round(wait, 2) for wait in sleeps] == [5.0]
    assert results(result.stdout)[0]["attempts"] == 2


def test_the_per_result_hook_sees_each_result_before_it_is_written() -> None:
    """The seam for --assert/--capture/--report: a check may fail a result, which is then written failed."""
    import io

    from apicli.batch.command import ResultWriter
    from apicli.batch.results import Result
    from apicli.batch.stopping import StopRequest
    from apicli.output.render import Renderer

    seen: list[int] = []

    def check(result: Result) -> None:
        seen.append(result.index)
        if result.status != 201:
            result.fail("assertion", f"expected 201, got {result.status}")

    sink = io.BytesIO()
    writer = ResultWriter(sink, Renderer(), StopRequest(), on_result=check)
    for index, status in enumerate((201, 200)):
        result = Result(index, index + 1, None)
        result.status, result.ok = status, True
        writer(result)
    first, second = results(sink.getvalue())
    assert seen == [0, 1]
    assert first["ok"] is True and "error" not in first
    assert second["ok"] is False and second["error"] == {"kind": "assertion", "message": "expected 201, got 200"}


@dataclass
class RevokedFirstToken:
    """An API that refuses the first token issued and accepts the later ones."""

    endpoint: object

    def serve(self, exchange: Exchange) -> None:
        issued = list(getattr(self.endpoint, "issued", []))
        given = exchange.request.headers.get("Authorization", "").removeprefix("Bearer ")
        if given in issued[1:]:
            json_reply({"ok": True}).serve(exchange)
        else:
            Reply(401, [("WWW-Authenticate", 'Bearer error="invalid_token"')], "").serve(exchange)


def test_one_token_for_all_workers_fetched_once_and_refreshed_once(
    invoke: Invoke, server: FaultServer, other_server: FaultServer, tmp_path: object
) -> None:
    from tests.faults.auth_servers import TokenEndpoint

    endpoint = TokenEndpoint("cs-4be19f0a7d")
    other_server.script("/oauth/token", endpoint)
    server.script("/r", RevokedFirstToken(endpoint))
    args = ["--base-url", server.url(), "--parallel", "8", "--oauth2-token-url", other_server.url("/oauth/token"),
            "--oauth2-client-id", "app", "--oauth2-client-secret-env", "SECRET"]  # fmt: skip
    env = {"SECRET": "cs-4be19f0a7d", "XDG_CACHE_HOME": f"{tmp_path}/cache"}
    result = invoke("batch", *args, stdin=lines(*({"url": "/r"} for _ in range(24))), env=env)
    assert result.code == 0, result.stderr
    assert len(endpoint.issued) == 2  # the first token, and one refresh after every worker's 401
    assert all(item["ok"] for item in results(result.stdout))
    refused = [r for r in server.requests if r.headers.get("Authorization") == f"Bearer {endpoint.issued[0]}"]
    assert 1 <= len(refused) <= 8
