"""End-to-end: retries, Retry-After, exit codes and error messages."""

from __future__ import annotations

import email.utils
import json
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Invoke


def _sequence(
    httpserver: HTTPServer, path: str, responses: list[tuple[int, dict[str, str], bytes]], method: str = "GET"
) -> None:
    for status, headers, body in responses:
        httpserver.expect_oneshot_request(path, method=method).respond_with_data(body, status=status, headers=headers)


def test_failed_attempt_body_never_reaches_stdout(httpserver: HTTPServer, invoke: Invoke) -> None:
    _sequence(httpserver, "/flaky", [(503, {}, b"BUSY-1"), (502, {}, b"BUSY-2"), (200, {}, b"FINAL")])
    result = invoke("get", httpserver.url_for("/flaky"), "-v")
    assert result.code == 0, result.stderr
    assert result.stdout == b"FINAL"
    assert "apicli: HTTP 503 from 127.0.0.1:" in result.stderr and "; retry 1 of 3 in " in result.stderr
    assert "apicli: HTTP 502 from 127.0.0.1:" in result.stderr and "; retry 2 of 3 in " in result.stderr
    assert len(result.sleeps) == 2


def test_retry_after_seconds_and_http_date_are_honoured(httpserver: HTTPServer, invoke: Invoke) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    _sequence(
        httpserver,
        "/limited",
        [
            (429, {"Retry-After": "7"}, b""),
            (503, {"Retry-After": when}, b""),
            (200, {}, b"ok"),
        ],
    )
    result = invoke("get", httpserver.url_for("/limited"))
    assert (result.code, result.stdout) == (0, b"ok")
    assert result.sleeps[0] == 7
    assert 25 <= result.sleeps[1] <= 31
    # Each retry is one line, with what failed, which retry of how many, and the wait.
    host = f"127.0.0.1:{httpserver.port}"
    first, second = result.stderr.splitlines()
    assert first == f"apicli: HTTP 429 from {host}; retry 1 of 3 in 7 s (Retry-After)"
    assert second.startswith(f"apicli: HTTP 503 from {host}; retry 2 of 3 in ") and second.endswith(" s (Retry-After)")
    _sequence(httpserver, "/limited", [(429, {"Retry-After": "7"}, b""), (200, {}, b"ok")])
    quiet = invoke("get", httpserver.url_for("/limited"), "-s")
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, b"ok", "")


def test_rate_limit_reset_headers(httpserver: HTTPServer, invoke: Invoke) -> None:
    reset = str(int(time.time()) + 20)
    _sequence(
        httpserver,
        "/rl",
        [
            (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, b"slow down"),
            (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": "4"}, b""),
            (200, {}, b"ok"),
        ],
    )
    result = invoke("get", httpserver.url_for("/rl"))
    assert (result.code, result.stdout) == (0, b"ok")
    assert 15 <= result.sleeps[0] <= 21 and result.sleeps[1] == 4


def test_plain_403_is_not_retried(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/forbidden").respond_with_json({"error": "forbidden"}, status=403)
    result = invoke("get", httpserver.url_for("/forbidden"))
    assert (result.code, result.stdout) == (4, b"") and len(httpserver.log) == 1
    assert result.stderr.startswith("apicli: HTTP 403 FORBIDDEN (GET http://")
    assert result.sleeps == []


def test_retry_max_wait_caps_the_wait(httpserver: HTTPServer, invoke: Invoke) -> None:
    _sequence(httpserver, "/cap", [(503, {"Retry-After": "3600"}, b""), (200, {}, b"ok")])
    result = invoke("get", httpserver.url_for("/cap"), "--retry-max-wait", "2")
    assert result.code == 0 and result.sleeps == [2]


def test_post_is_not_retried_by_default(httpserver: HTTPServer, invoke: Invoke) -> None:
    _sequence(httpserver, "/orders", [(503, {}, b"busy"), (201, {}, b"created")], method="POST")
    result = invoke("post", httpserver.url_for("/orders"), "item=book")
    assert result.code == 5
    assert result.stdout == b""
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("method", ["post", "patch"])
def test_unsafe_methods_are_not_retried_even_when_the_connection_is_refused(
    invoke: Invoke, unused_port: int, method: str
) -> None:
    url = f"http://127.0.0.1:{unused_port}/orders"
    result = invoke(method, url, "item=book", "-v")
    assert (result.code, result.stdout, result.sleeps) == (7, b"", [])
    refused = f"apicli: connection refused by 127.0.0.1:{unused_port}"
    assert f"{refused}; not retrying a {method.upper()} (see --retry-unsafe)" in result.stderr
    assert "; retry " not in result.stderr
    opted_in = invoke(method, url, "item=book", "--retry-unsafe", "--retries", "2")
    assert (opted_in.code, len(opted_in.sleeps)) == (7, 2)


def test_post_retried_with_idempotency_key_or_flag(httpserver: HTTPServer, invoke: Invoke) -> None:
    _sequence(httpserver, "/orders", [(503, {}, b"busy"), (201, {}, b"created")], method="POST")
    result = invoke("post", httpserver.url_for("/orders"), "item=book", "Idempotency-Key:abc123")
    assert (result.code, result.stdout) == (0, b"created")
    _sequence(httpserver, "/orders", [(503, {}, b"busy"), (201, {}, b"again")], method="POST")
    result = invoke("post", httpserver.url_for("/orders"), "item=book", "--retry-unsafe")
    assert (result.code, result.stdout) == (0, b"again")


def test_retries_exhausted_reports_last_status(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/down").respond_with_json({"error": "down"}, status=503)
    result = invoke("get", httpserver.url_for("/down"), "--retries", "2")
    assert result.code == 5
    assert result.stdout == b""
    assert len(httpserver.log) == 3
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"apicli: HTTP 503 from 127.0.0.1:{httpserver.port}; retry 1 of 2 in ")
    assert lines[1].startswith(f"apicli: HTTP 503 from 127.0.0.1:{httpserver.port}; retry 2 of 2 in ")
    assert lines[2].startswith("apicli: HTTP 503 SERVICE UNAVAILABLE (GET http://")
    assert lines[2].endswith("/down), after 3 attempts")
    assert '"error": "down"' in result.stderr


def test_404_exit_code_and_message(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/users/9").respond_with_json({"message": "Not Found"}, status=404)
    result = invoke("get", httpserver.url_for("/users/9"))
    assert result.code == 4
    assert result.stdout == b""
    assert result.stderr.startswith(f"apicli: HTTP 404 NOT FOUND (GET {httpserver.url_for('/users/9')})")
    assert '"message": "Not Found"' in result.stderr


def test_error_body_is_cut(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/big").respond_with_data("E" * 50_000, status=500)
    result = invoke("get", httpserver.url_for("/big"), "--retries", "0")
    assert result.code == 5
    assert len(result.stderr) < 6000 and "50000 bytes in all" in result.stderr


def test_no_follow_exits_3_and_names_location(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    result = invoke("get", httpserver.url_for("/old"), "--no-follow")
    assert result.code == 3 and result.stdout == b""
    assert "Location: /new" in result.stderr


def test_redirects_are_followed(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=302, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("here")
    result = invoke("get", httpserver.url_for("/old"))
    assert (result.code, result.stdout) == (0, b"here")


def test_too_many_redirects_exits_6(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    result = invoke("get", httpserver.url_for("/loop"), "--max-redirects", "3")
    assert (result.code, result.stdout) == (6, b"")
    assert result.stderr.startswith("apicli: more than 3 redirects")


def test_connection_refused_exits_7(invoke: Invoke, unused_port: int) -> None:
    result = invoke("get", f"http://127.0.0.1:{unused_port}/x", "--retries", "1")
    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.startswith("apicli: connection refused")
    assert len(result.sleeps) == 1


def test_read_timeout_exits_8(httpserver: HTTPServer, invoke: Invoke) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    result = invoke("get", httpserver.url_for("/slow"), "--timeout", "0.2", "--retries", "0")
    assert (result.code, result.stdout) == (8, b"")
    assert "within 0.2s" in result.stderr and "--timeout" in result.stderr
    assert time.monotonic() - started < 1.0


def test_max_time_bounds_the_whole_run(httpserver: HTTPServer, invoke: Invoke) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    result = invoke("get", httpserver.url_for("/slow"), "--max-time", "0.5")
    elapsed = time.monotonic() - started
    assert result.code == 8, result.stderr
    assert elapsed < 1.5
    assert result.stdout == b""


def test_max_time_stops_waiting_for_retry_after(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/busy").respond_with_data("busy", status=503, headers={"Retry-After": "30"})
    result = invoke("get", httpserver.url_for("/busy"), "--max-time", "5", "-v")
    assert result.code == 5
    assert result.sleeps == []
    assert "would pass --max-time" in result.stderr


def test_bad_urls_and_items_are_usage_errors(invoke: Invoke, tmp_path: object) -> None:
    cases = [
        (("get", "ftp://example.com/x"), "apicli: unsupported URL scheme"),
        (("get", "http://"), "apicli: invalid URL"),
        (("get", "http://exa mple.com"), "apicli: invalid URL"),
        (("get", ":abc/x"), "apicli: invalid URL"),
        (("post", "127.0.0.1:1/x", "novalue"), "apicli: invalid request item"),
        (("post", "127.0.0.1:1/x", "f=@/nonexistent/file"), "apicli: cannot read"),
        (("post", "127.0.0.1:1/x", "f=@/"), "apicli: cannot read '/'"),
        (("get", "127.0.0.1:1/x", "--retries", "-1"), "apicli: Invalid value for '--retries'"),
        (("get", "127.0.0.1:1/x", "--pretty", "--raw"), "apicli: --pretty and --raw cannot be combined"),
        (("post", "127.0.0.1:1/x", "--json", "{}", "--data", "x"), "apicli: --json and --data cannot be combined"),
        (("get",), "apicli: Missing argument"),
        (("get", "127.0.0.1:1/x", "--token-env", "APICLI_TEST_UNSET"), "apicli: --token-env: environment variable"),
    ]
    for args, start in cases:
        result = invoke(*args)
        assert result.code == 2, (args, result.stderr)
        assert result.stderr.startswith(start), (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_json_error_body_with_empty_content(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/empty").respond_with_data("", status=404, content_type="application/json")
    result = invoke("get", httpserver.url_for("/empty"))
    assert result.code == 4
    assert result.stderr.count("\n") == 2  # the message and the hint, no empty body block
    assert json.dumps  # keeps the import honest for type checkers
