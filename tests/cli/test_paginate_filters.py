"""End-to-end: `apicli paginate --jq/--jq-all/--schema` against real loopback servers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import Invoke

PAGES = 3
PER_PAGE = 3
USER_SCHEMA = {
    "type": "object",
    "required": ["id", "login"],
    "properties": {"id": {"type": "integer"}, "login": {"type": "string"}},
}


def users_of(page: int) -> list[dict[str, Any]]:
    first = (page - 1) * PER_PAGE
    return [{"id": n, "login": f"user{n}", "admin": n % 4 == 0} for n in range(first, first + PER_PAGE)]


def link_pages(base: str, pages: dict[int, Any] | None = None) -> Callable[[Request], Response]:
    """A JSON array per page and a Link rel="next" header; `pages` replaces some pages' items."""

    def handle(request: Request) -> Response:
        number = int(request.args.get("page", 1))
        headers = [("Link", f'<{base}?page={number + 1}>; rel="next"')] if number < PAGES else []
        body = (pages or {}).get(number, users_of(number))
        return Response(json.dumps(body), headers=headers, content_type="application/json")

    return handle


def serve_users(server: HTTPServer, pages: dict[int, Any] | None = None) -> str:
    url = server.url_for("/users")
    server.expect_request("/users").respond_with_handler(link_pages(url, pages))
    return url


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "user.schema.json"
    path.write_text(json.dumps(USER_SCHEMA))
    return path


# --jq, once per item


def test_jq_runs_on_each_item_of_every_page(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = serve_users(httpserver)
    ids = invoke("paginate", url, "--jq", ".id")
    assert (ids.code, ids.stderr) == (0, "")
    assert ids.text == "".join(f"{n}\n" for n in range(9))
    assert [request.args.get("page") for request, _ in httpserver.log] == [None, "2", "3"]
    admins = invoke("paginate", url, "--jq", "select(.admin) | {id, login}")
    assert admins.text == '{"id":0,"login":"user0"}\n{"id":4,"login":"user4"}\n{"id":8,"login":"user8"}\n'
    logins = invoke("paginate", url, "--jq", ".login", "-r")
    assert logins.text == "".join(f"user{n}\n" for n in range(9))
    quoted = invoke("paginate", url, "--jq", ".login", "--max-items", "2")
    assert quoted.text == '"user0"\n"user1"\n'


def test_jq_prints_numbers_exactly_as_jq_does(httpserver: HTTPServer, invoke: Invoke) -> None:
    body = (
        b'{"data": [{"n": 12345678901234567890123}, {"n": 1.000000000000000000001}, {"n": 1.50},'
        b' {"n": -0}, {"n": 3.0}, {"n": 1E2}, {"n": 7, "s": "\\u00e9\\n"}]}'
    )
    httpserver.expect_request("/numbers").respond_with_data(body, content_type="application/json")
    url = httpserver.url_for("/numbers")
    result = invoke("paginate", url, "--jq", ".n")
    assert (result.code, result.stderr) == (0, "")
    assert result.text == "12345678901234567890123\n1.000000000000000000001\n1.50\n-0\n3.0\n1E+2\n7\n"
    # Byte for byte what jq gives for the same values in a single response.
    assert result.stdout == invoke("get", url, "--jq", ".data[].n").stdout
    whole = invoke("paginate", url, "--jq", ".", "--jq-all")
    assert whole.stdout == invoke("get", url, "--jq", ".data").stdout
    assert whole.text.startswith('[{"n":12345678901234567890123},{"n":1.000000000000000000001},{"n":1.50},')


def test_jq_pretty_output_and_an_output_file(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    url = serve_users(httpserver)
    pretty = invoke("paginate", url, "--jq", "{id}", "--max-items", "2", "--pretty", "--no-color")
    assert pretty.text == '{\n  "id": 0\n}\n{\n  "id": 1\n}\n'
    target = tmp_path / "ids.txt"
    saved = invoke("paginate", url, "--jq", ".id", "-o", str(target))
    assert (saved.code, saved.stdout) == (0, b"")
    assert target.read_text() == "".join(f"{n}\n" for n in range(9))


def test_jq_over_parallel_pages_keeps_the_order(httpserver: HTTPServer, invoke: Invoke) -> None:
    def handle(request: Request) -> Response:
        number = int(request.args.get("page", 1))
        return Response(json.dumps(users_of(number) if number <= PAGES else []), content_type="application/json")

    httpserver.expect_request("/users").respond_with_handler(handle)
    url = httpserver.url_for("/users")
    result = invoke("paginate", url, "--page-param", "page", "--parallel", "4", "--jq", ".id")
    assert (result.code, result.text) == (0, "".join(f"{n}\n" for n in range(9)))


# --jq-all, once over the collection


def test_jq_all_runs_once_over_the_whole_collection(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = serve_users(httpserver)
    count = invoke("paginate", url, "--jq", "length", "--jq-all")
    assert (count.code, count.stderr, count.text) == (0, "", "9\n")
    ids = invoke("paginate", url, "--jq", "map(.id)", "--jq-all")
    assert ids.text == "[0,1,2,3,4,5,6,7,8]\n"
    capped = invoke("paginate", url, "--jq", 'map(.login) | join(",")', "--jq-all", "-r", "--max-items", "4")
    assert capped.text == "user0,user1,user2,user3\n"


def test_jq_all_writes_nothing_when_a_page_fails(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/users")
    httpserver.expect_request("/users", query_string="page=2").respond_with_data("gone", status=404)
    httpserver.expect_request("/users").respond_with_handler(link_pages(url))
    result = invoke("paginate", url, "--jq", "length", "--jq-all")
    assert (result.code, result.stdout) == (4, b"")
    assert "apicli: page 2: HTTP 404" in result.stderr


# --jq errors


def test_a_non_json_page_with_jq_exits_2_after_the_earlier_pages(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = httpserver.url_for("/users")
    httpserver.expect_request("/users", query_string="page=2").respond_with_data("<html>", content_type="text/html")
    httpserver.expect_request("/users").respond_with_handler(link_pages(url))
    result = invoke("paginate", url, "--jq", ".id")
    assert (result.code, result.text) == (2, "0\n1\n2\n")
    assert result.stderr.startswith("apicli: page 2: the response is not JSON (text/html)")


def test_a_jq_runtime_error_names_the_page_and_item(httpserver: HTTPServer, invoke: Invoke) -> None:
    url = serve_users(httpserver)
    result = invoke("paginate", url, "--jq", 'if .id == 4 then error("boom") else .id end')
    assert (result.code, result.text) == (2, "0\n1\n2\n3\n")
    assert result.stderr.startswith("apicli: page 2: item $[4]: jq: error")
    assert "boom" in result.stderr
    assert len(httpserver.log) == 2


def test_jq_over_a_page_of_many_batches_matches_item_by_item(httpserver: HTTPServer, invoke: Invoke) -> None:
    # About 2 MB of items: the page is cut into batches of about 256 KB, each run in one evaluation.
    items = [{"id": n, "price": f"{n}.10", "name": "é" * (n % 7)} for n in range(30_000)]
    text = json.dumps({"items": items}).replace('"price": "', '"price": ').replace('0", "name"', '0, "name"')
    httpserver.expect_request("/big").respond_with_data(text, content_type="application/json")
    url = httpserver.url_for("/big")

    result = invoke("paginate", url, "--jq", "select(.id % 1000 == 999) | [.id, .price]")
    assert (result.code, result.stderr) == (0, "")
    assert result.text == "".join(f"[{n},{n}.10]\n" for n in range(999, 30_000, 1000))

    failing = invoke("paginate", url, "--jq", 'if .id == 20000 then error("boom") else .id end')
    assert failing.code == 2
    assert failing.text == "".join(f"{n}\n" for n in range(20_000))
    assert failing.stderr.startswith("apicli: page 1: item $[20000]: jq: error")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jq", ".id |"], "--jq: invalid jq program"),
        (["--jq-all"], "--jq-all needs --jq EXPR"),
        (["--jq", ".", "--array"], "--array and --jq cannot be combined"),
    ],
)
def test_jq_usage_errors_send_nothing(httpserver: HTTPServer, invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke("paginate", httpserver.url_for("/users"), *args)
    assert (result.code, result.stdout) == (2, b"")
    assert message in result.stderr
    assert httpserver.log == []


# --schema


def test_schema_with_valid_items_changes_nothing(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    url = serve_users(httpserver)
    plain = invoke("paginate", url)
    checked = invoke("paginate", url, "--schema", str(schema_file))
    assert (checked.code, checked.stderr) == (0, "")
    assert checked.stdout == plain.stdout
    assert len(checked.stdout.splitlines()) == 9


def test_schema_mismatches_on_page_2_write_everything_then_exit_9(
    httpserver: HTTPServer, invoke: Invoke, schema_file: Path
) -> None:
    page_2 = users_of(2)
    page_2[0]["id"] = "three"
    del page_2[2]["login"]
    url = serve_users(httpserver, {2: page_2})
    result = invoke("paginate", url, "--schema", str(schema_file))
    assert result.code == 9
    assert [json.loads(line) for line in result.stdout.splitlines()] == users_of(1) + page_2 + users_of(3)
    lines = result.stderr.splitlines()
    assert lines[0] == "apicli: schema: $[3].id: 'three' is not of type 'integer'"
    assert lines[1] == "apicli: schema: $[5]: 'login' is a required property"
    assert lines[2] == f"hint: 2 of 9 items do not match {schema_file}"


def test_schema_errors_are_capped(httpserver: HTTPServer, invoke: Invoke, schema_file: Path) -> None:
    httpserver.expect_request("/bad").respond_with_json([{"id": str(n)} for n in range(30)])
    result = invoke("paginate", httpserver.url_for("/bad"), "--schema", str(schema_file))
    assert result.code == 9
    assert len(result.stdout.splitlines()) == 30
    shown = [line for line in result.stderr.splitlines() if line.startswith("apicli: schema: $[")]
    assert len(shown) == 20
    assert "apicli: schema: ... and 40 more errors" in result.stderr
    assert "hint: 30 of 30 items do not match" in result.stderr


def test_schema_checks_the_items_and_jq_filters_them(
    httpserver: HTTPServer, invoke: Invoke, schema_file: Path, tmp_path: Path
) -> None:
    page_3 = users_of(3)
    page_3[1]["login"] = 42
    url = serve_users(httpserver, {3: page_3})
    result = invoke("paginate", url, "--schema", str(schema_file), "--jq", ".id")
    assert (result.code, result.text) == (9, "".join(f"{n}\n" for n in range(9)))
    assert result.stderr.startswith("apicli: schema: $[7].login: 42 is not of type 'string'")
    target = tmp_path / "ids.txt"
    saved = invoke("paginate", url, "--schema", str(schema_file), "--jq", ".id", "-o", str(target))
    assert saved.code == 9
    assert target.read_text() == result.text  # the file is complete before the exit 9


# The plain path stays plain


def test_without_jq_or_schema_neither_library_is_loaded(httpserver: HTTPServer) -> None:
    url = serve_users(httpserver)
    probe = (
        "import sys\n"
        "from apicli.cli import run\n"
        f"code = run(['paginate', {url!r}])\n"
        "loaded = [name for name in ('jq', 'jsonschema', 'apicli.pagination.filters') if name in sys.modules]\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30, check=False)
    assert done.stderr.decode().strip() == "0 []"
    assert len(done.stdout.splitlines()) == 9
