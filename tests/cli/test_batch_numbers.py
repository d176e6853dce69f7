"""End-to-end: the numbers of a batch line go out exactly as the line wrote them (body, headers, query, id)."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Invoke


def _record(server: HTTPServer) -> list[Request]:
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        request.get_data()  # read now: the body is gone once the handler returns
        seen.append(request)
        return Response('{"ok": true}', content_type="application/json")

    server.expect_request("/x").respond_with_handler(answer)
    return seen


def test_a_json_body_carries_each_number_as_written(httpserver: HTTPServer, invoke: Invoke) -> None:
    seen = _record(httpserver)
    line = (
        b'{"url": "/x", "id": 1.50, "json": {"price": 1.10, "big": 100000000000000000000001, '
        b'"tiny": 1E-400, "huge": 1e400, "neg": -0, "nested": [0.10, {"e": 2.5e+3}], "s": "caf\xc3\xa9"},'
        b' "headers": {"X-Price": 9.90}, "query": {"q": 1.0}}\n'
    )
    result = invoke("batch", "--base-url", httpserver.url_for(""), stdin=line)
    assert result.code == 0, result.stderr
    (request,) = seen
    assert request.get_data() == (
        b'{"price":1.10,"big":100000000000000000000001,"tiny":1E-400,"huge":1e400,"neg":-0,'
        b'"nested":[0.10,{"e":2.5e+3}],"s":"caf\xc3\xa9"}'
    )
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Price"] == "9.90"
    assert request.query_string == b"q=1.0"
    assert result.stdout.startswith(b'{"index":0,"line":1,"id":1.50,')


def test_a_header_names_another_type_for_a_json_body(httpserver: HTTPServer, invoke: Invoke) -> None:
    seen = _record(httpserver)
    stdin = (
        b'{"url": "/x", "json": [1.0], "headers": {"content-type": "application/vnd.a+json"}}\n'
        b'{"url": "/x", "json": [2.0]}\n'
    )
    result = invoke("batch", "--base-url", httpserver.url_for(""), "--parallel", "1",
                    "-H", "Content-Type: application/vnd.b+json", stdin=stdin)  # fmt: skip
    assert result.code == 0, result.stderr
    first, second = seen
    assert (first.get_data(), first.headers.get_all("Content-Type")) == (b"[1.0]", ["application/vnd.a+json"])
    assert (second.get_data(), second.headers.get_all("Content-Type")) == (b"[2.0]", ["application/vnd.b+json"])


def test_an_integer_past_the_conversion_limit_is_sent_whole(httpserver: HTTPServer, invoke: Invoke) -> None:
    seen = _record(httpserver)
    digits = "7" * 5000  # int() refuses more than 4300 digits
    result = invoke(
        "batch", "--base-url", httpserver.url_for(""), stdin=f'{{"url": "/x", "json": [{digits}]}}\n'.encode()
    )
    assert result.code == 0, result.stderr
    (request,) = seen
    assert request.get_data() == f"[{digits}]".encode()
    assert json.loads(result.stdout)["ok"] is True
