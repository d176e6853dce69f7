"""Request headers as they reach a raw-socket server: every repeat on its own line, in order."""

from __future__ import annotations

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply


def test_repeated_headers_are_all_sent_in_order(hostile_server: FaultServer, invoke: Invoke) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    result = invoke("get", hostile_server.url("/h"), "X-Foo:bar", "X-Foo:qux", "-H", "X-Foo: baz", "-H", "X-One: 1")
    assert (result.code, result.stdout, result.stderr) == (0, b"ok", "")
    request = hostile_server.requests_for("/h")[-1]
    assert request.headers.get_all("X-Foo") == ["baz", "bar", "qux"]
    assert request.headers.get_all("X-One") == ["1"]


def test_an_empty_header_still_removes_a_default(hostile_server: FaultServer, invoke: Invoke) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    result = invoke("get", hostile_server.url("/h"), "User-Agent:", "Accept:")
    assert result.code == 0
    request = hostile_server.requests_for("/h")[-1]
    assert "User-Agent" not in request.headers and "Accept" not in request.headers


def test_a_repeated_header_replaces_the_default_of_its_name(hostile_server: FaultServer, invoke: Invoke) -> None:
    hostile_server.script("/h", Reply(200, body="ok"))
    result = invoke("get", hostile_server.url("/h"), "Accept:text/plain", "Accept:text/html")
    assert result.code == 0
    assert hostile_server.requests_for("/h")[-1].headers.get_all("Accept") == ["text/plain", "text/html"]
