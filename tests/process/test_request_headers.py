"""Headers through the installed apicli: repeats all sent in order, and response headers shown as sent."""

from __future__ import annotations

from tests.faults import FaultServer, Reply
from tests.process.conftest import run_with_streams


def test_repeated_headers_are_all_sent_in_order(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    args = ["get", hostile_server.url("/h"), "X-Foo:bar", "X-Foo:qux", "-H", "X-Foo: baz", "-H", "X-One: 1"]
    done = run_with_streams(args)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"ok", b"")
    request = hostile_server.requests_for("/h")[-1]
    assert request.headers.get_all("X-Foo") == ["baz", "bar", "qux"]
    assert request.headers.get_all("X-One") == ["1"]


def test_an_empty_header_sends_no_such_header(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    done = run_with_streams(["get", hostile_server.url("/h"), "User-Agent:", "Accept:", "Accept-Encoding:"])
    assert done.returncode == 0
    sent = {name.lower() for name, _ in hostile_server.requests_for("/h")[-1].headers.pairs()}
    assert not sent & {"user-agent", "accept", "accept-encoding"}


def test_a_repeated_header_replaces_the_default_of_its_name(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    done = run_with_streams(["get", hostile_server.url("/h"), "Accept:text/plain", "Accept:text/html"])
    assert done.returncode == 0
    assert hostile_server.requests_for("/h")[-1].headers.get_all("Accept") == ["text/plain", "text/html"]


def test_response_headers_are_shown_as_sent_and_request_secrets_redacted(hostile_server: FaultServer) -> None:
    hostile_server.script(
        "/h",
        Reply(401, headers=[("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"'),
                            ("Access-Control-Allow-Credentials", "true"), ("X-Author", "ann"),
                            ("X-Auth-Realm-Info", "staff"), ("Set-Cookie", "sid=abc123; Path=/")], body="no"),
    )
    done = run_with_streams(["get", hostile_server.url("/h"), "-v", "-H", "X-Auth-Token: t0k3n-value"])
    assert (done.returncode, done.stdout) == (4, b"")
    shown = done.stderr.decode()
    assert "> X-Auth-Token: REDACTED" in shown and "t0k3n-value" not in shown
    assert '< WWW-Authenticate: Bearer realm="api", error="invalid_token"' in shown
    assert "< Access-Control-Allow-Credentials: true" in shown
    assert "< X-Author: ann" in shown and "< X-Auth-Realm-Info: staff" in shown
    assert "< Set-Cookie: sid=REDACTED; Path=/" in shown and "abc123" not in shown
