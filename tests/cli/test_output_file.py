"""-o FILE means the same for every command: raw bytes by default; --pretty formats get and paginate alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Invoke

RAW = b'{"items":[{"id":1,"name":"a"}],"n":1e2}'
PRETTY_ITEM = json.dumps({"id": 1, "name": "a"}, indent=2).encode() + b"\n"


@pytest.fixture
def served(httpserver: HTTPServer) -> HTTPServer:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        httpserver.expect_request("/doc", method=method).respond_with_data(RAW, content_type="application/json")
    return httpserver


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["get"], RAW),
        (["post", "--", "a=1"], RAW),
        (["put"], RAW),
        (["patch"], RAW),
        (["delete"], RAW),
        (["request", "OPTIONS"], RAW),
        (["download"], RAW),
        (["paginate"], b'{"id":1,"name":"a"}\n'),
        (["get", "--pretty"], json.dumps(json.loads(RAW), indent=2).encode() + b"\n"),
        (["post", "--pretty"], json.dumps(json.loads(RAW), indent=2).encode() + b"\n"),
        (["paginate", "--pretty"], PRETTY_ITEM),
        (["get", "--jq", ".items[0].id"], b"1\n"),
        (["paginate", "--jq", ".id"], b"1\n"),
        (["get", "--pretty", "--jq", ".items[0]"], PRETTY_ITEM),
        (["paginate", "--pretty", "--jq", "."], PRETTY_ITEM),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_output_file_table(
    served: HTTPServer, invoke: Invoke, tmp_path: Path, args: list[str], expected: bytes
) -> None:
    target = tmp_path / "out"
    command, *rest = args
    url = served.url_for("/doc")
    if command == "request":
        full = [command, rest[0], url, "-o", str(target), *rest[1:]]
    elif rest[:1] == ["--"]:
        full = [command, url, *rest[1:], "-o", str(target)]
    else:
        full = [command, url, "-o", str(target), *rest]
    result = invoke(*full)
    assert (result.code, result.stdout) == (0, b""), result.stderr
    assert target.read_bytes() == expected
    assert b"\x1b[" not in target.read_bytes()  # a file is never coloured unless --color says so


def test_color_is_explicit_for_files(served: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    for command in ("get", "paginate"):
        target = tmp_path / f"{command}.out"
        result = invoke(command, served.url_for("/doc"), "-o", str(target), "--pretty", "--color")
        assert result.code == 0
        assert b"\x1b[" in target.read_bytes()


def test_verbose_shows_each_repeated_header(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/h").respond_with_data("ok", headers=[("X-Multi", "1"), ("X-Multi", "2")])
    result = invoke("get", httpserver.url_for("/h"), "X-Foo:a", "X-Foo:b", "-v")
    assert "> X-Foo: a\n> X-Foo: b\n" in result.stderr
    assert "< X-Multi: 1\n< X-Multi: 2\n" in result.stderr


@pytest.mark.parametrize("count", [3, 300_000], ids=["computed-here", "in-the-child"])
def test_a_jq_error_writes_the_results_before_it_to_stdout_and_no_file(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path, count: int
) -> None:
    # A small body with a brief program is filtered in apicli; a large one streams from the jq child.
    httpserver.expect_request("/a").respond_with_json([*range(count), "x"])
    url = httpserver.url_for("/a")
    shown = invoke("get", url, "--jq", ".[] + 1")
    assert shown.code == 2 and shown.stderr.startswith("apicli: jq: error: string (\"x\") and number (1)")
    assert shown.stdout == b"".join(b"%d\n" % (n + 1) for n in range(count))  # as jq prints them
    target = tmp_path / "out.txt"
    saved = invoke("get", url, "--jq", ".[] + 1", "-o", str(target))
    assert (saved.code, saved.stdout) == (2, b"")
    assert not target.exists() and list(tmp_path.iterdir()) == []  # no part of an output under any name
