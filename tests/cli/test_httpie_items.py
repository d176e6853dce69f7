"""The same request items through HTTPie and apicli, to a loopback recorder: what arrived must match.

The rows are the examples of HTTPie's documented item grammar (headers, query, JSON fields,
nested JSON, escapes, arrays, forms, files). Where apicli differs on purpose, the row names the
difference and asserts each side's behaviour; docs/items.md says why.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import mimetypes
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

BIN = Path(sys.executable).parent
HTTP = BIN / "http"
APICLI = BIN / "apicli"


@dataclass
class Arrived:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arrived: dict[str, list[Arrived]] = {}


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        arrived = Arrived(self.command, self.path, list(self.headers.items()), body)
        self.server.arrived.setdefault(path, []).append(arrived)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("items")
    (root / "files").mkdir()
    (root / "files" / "text.txt").write_text("Some text from a file\n")
    (root / "files" / "data.json").write_text('{"tool": "HTTPie", "stars": 54000}')
    (root / "files" / "data.xml").write_text("<cv><name>Ann</name></cv>\n")
    return root


@dataclass(frozen=True)
class Row:
    name: str
    items: tuple[str, ...]
    form: bool = False
    # A deliberate difference: what each side does instead of matching (see docs/items.md).
    differs: str | None = None
    httpie: Any = None
    apicli: Any = None
    headers: tuple[str, ...] = field(default=())  # header names to compare, besides those the items name
    # A difference in order only: the same parts arrive, compared as sorted lists.
    unordered: bool = False


ROWS = [
    Row(
        "headers",
        ("User-Agent:Bacon/1.0", "Cookie:valued-visitor=yes;foo=bar", "X-Foo:Bar", "Referer:https://httpie.io/"),
    ),
    Row("empty-header", ("X-Empty;", "X-Full:1")),
    Row("unset-default-header", ("Accept:",), headers=("Accept",)),
    Row("header-from-file", ("X-Data:@files/text.txt",)),
    Row("query", ("q==httpie", "per_page==1", "sort==stars")),
    Row(
        "query-repeated-name",
        ("q==httpie", "per_page==1", "q==again"),
        differs="HTTPie groups the values of a repeated name (q, q, per_page); apicli keeps the order given",
        unordered=True,
    ),
    Row("query-from-file", ("q==@files/text.txt",)),
    Row(
        "json-fields",
        (
            "name=John",
            "email=john@example.org",
            "age:=29",
            "married:=false",
            'hobbies:=["http","pies"]',
            'favorite:={"tool": "HTTPie"}',
            "bookmarks:=@files/data.json",
            "description=@files/text.txt",
        ),
    ),
    Row(
        "nested-json",
        (
            "platform[name]=HTTPie",
            "platform[about][mission]=Make APIs simple and intuitive",
            "platform[about][homepage]=httpie.io",
            "platform[about][stars]:=54000",
            "platform[apps][]=Terminal",
            "platform[apps][]=Desktop",
            "platform[apps][]=Web",
            "platform[apps][]=Mobile",
        ),
    ),
    Row("append-nested", ("search[type]=id", "search[id]:=1", "search[keywords][]=APIs", "search[keywords][]=CLI")),
    Row("escaped-brackets", (r"foo\[bar\]:=1", r"baz[\[]:=2", r"baz[\]]:=3")),
    Row("escaped-brackets-issue", (r"a\[b\]=c",)),
    Row("escaped-digits", (r"object[\1]=stringified", r"object[\100]=same", "array[1]=indexified")),
    Row("top-level-array", ("[]:=1", "[]:=2", "[]:=3")),
    Row("top-level-objects", ("[0][type]=platform", "[0][name]=terminal", "[1][type]=platform", "[1][name]=desktop")),
    Row("sparse-array", ("foo[1]=bar", "foo[3]=baz")),
    Row("gap-filled-with-null", ("arr[0]=x", "arr[2]=z")),
    Row("nested-array-in-array", ("x[][]=1", "x[1][a]=2")),
    Row("overwrite", ("a[0]=1", "a[0]=2", "b=1", "b=2")),
    Row("escaped-separators", (r"foo\==bar", r"a\:b=1", r"c\@d=2", r"e\;f=3")),
    Row("escaped-separator-in-value", (r"a=b\=c", r"d=e\:f")),
    Row("backslashes-kept", (r"a\xb=1", r"k=x\y", r"w[\\]=2", r"v=a\\:b", r'j:="\\:"')),
    Row("form", ("name=John", "email=john@example.org"), form=True),
    Row("form-from-file", ("description=@files/text.txt", "name=ann"), form=True),
    Row(
        "file-upload",
        ("cv@files/data.xml", "name=ann"),
        form=True,
        differs="HTTPie sends the parts in the order given; apicli sends the text fields first, then the files",
        unordered=True,
    ),
    Row("file-upload-type", ("cv@files/data.xml;type=application/xml",), form=True),
    Row(
        "raw-json-object-then-key",
        ('a:={"x": 1}', "a[y]=2"),
        differs="HTTPie drops a[y] after a raw JSON object; apicli adds the key to it",
        httpie={"a": {"x": 1}},
        apicli={"a": {"x": 1, "y": "2"}},
    ),
    Row(
        "empty-name",
        ("=v",),
        differs='HTTPie sends the key ""; apicli refuses an item with no name (exit 2), almost always a typo',
        httpie={"": "v"},
        apicli="refused",
    ),
    Row(
        "file-without-form",
        ("cv@files/data.xml",),
        differs="HTTPie asks for --form; apicli sends multipart when an item uploads a file",
        httpie="refused",
        apicli=[("cv", "data.xml", mimetypes.guess_type("data.xml", strict=False)[0], b"<cv><name>Ann</name></cv>\n")],
    ),
    Row(
        "form-nested-key",
        ("a[b]=1",),
        form=True,
        differs="HTTPie sends a form field named a[b]; apicli refuses a nested key in a form",
        httpie=[("a[b]", "1")],
        apicli="refused",
    ),
    Row(
        "index-beyond-10000",
        ("a[10001]=x",),
        differs="HTTPie fills 10001 nulls; apicli refuses an index above 10000",
        httpie={"a": [None] * 10001 + ["x"]},
        apicli="refused",
    ),
    Row("refused-type-conflict", ("a=1", "a[b]=2"), httpie="refused", apicli="refused", differs=""),
    Row("refused-negative-index", ("x[-1]=a",), httpie="refused", apicli="refused", differs=""),
    Row("refused-unclosed-bracket", ("foo[bar=x",), httpie="refused", apicli="refused", differs=""),
    Row("refused-value-after-semicolon", ("X-A;b",), httpie="refused", apicli="refused", differs=""),
]


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts = []
    for part in message.iter_parts():  # type: ignore[attr-defined]
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        # A text field says text/plain (apicli) or nothing (HTTPie): the same to a server.
        kind = part.get_content_type() if filename else "field"
        parts.append((part.get_param("name", header="content-disposition"), filename, kind, payload))
    return parts


def _body(arrived: Arrived) -> Any:
    content_type = dict((k.lower(), v) for k, v in arrived.headers).get("content-type", "")
    if content_type.startswith("application/json"):
        return json.loads(arrived.body)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qsl(arrived.body.decode(), keep_blank_values=True)
    if content_type.startswith("multipart/form-data"):
        return _multipart(content_type, arrived.body)
    return arrived.body


def _header_names(row: Row) -> set[str]:
    names = {name.lower() for name in row.headers}
    for item in row.items:
        for sep in (":@", ";", ":"):
            head, found, _ = item.partition(sep)
            if found and head and "=" not in head and "[" not in head and "\\" not in head:
                names.add(head.lower())
                break
    return names


def _send(tool: str, row: Row, recorder: Recorder, files: Path) -> tuple[int, str, Arrived | None]:
    path = f"/{tool}/{row.name}"
    url = f"http://127.0.0.1:{recorder.server_port}{path}"
    form = ["--form"] if row.form else []
    if tool == "httpie":
        command = [str(HTTP), "--ignore-stdin", "--timeout", "10", *form, "POST", url, *row.items]
    else:
        command = [str(APICLI), "post", url, *row.items, *form, "--retries", "0", "--max-time", "10"]
    env = {"PATH": str(BIN), "HOME": str(files), "HTTPIE_CONFIG_DIR": str(files / ".httpie"), "NO_COLOR": "1"}
    done = subprocess.run(command, cwd=files, capture_output=True, text=True, timeout=30, env=env)
    arrived = recorder.arrived.get(path, [])
    assert len(arrived) <= 1
    return done.returncode, done.stderr, (arrived[0] if arrived else None)


def _seen(arrived: Arrived, row: Row) -> dict[str, Any]:
    wanted = _header_names(row)
    return {
        "method": arrived.method,
        "query": parse_qsl(urlsplit(arrived.path).query, keep_blank_values=True),
        "headers": sorted((k.lower(), v) for k, v in arrived.headers if k.lower() in wanted),
        "body": _body(arrived),
    }


@pytest.fixture(scope="module", autouse=True)
def httpie_installed() -> None:
    if not HTTP.exists() or shutil.which("apicli", path=str(BIN)) is None:
        pytest.skip("HTTPie comes with the test extra: pip install -e '.[test]'")


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_httpie_and_apicli_send_the_same(row: Row, recorder: Recorder, files: Path) -> None:
    httpie_code, httpie_err, by_httpie = _send("httpie", row, recorder, files)
    apicli_code, apicli_err, by_apicli = _send("apicli", row, recorder, files)
    if row.differs is None or row.unordered:
        assert httpie_code == 0 and by_httpie is not None, httpie_err
        assert apicli_code == 0 and by_apicli is not None, apicli_err
        seen_apicli, seen_httpie = _seen(by_apicli, row), _seen(by_httpie, row)
        if row.unordered:
            assert seen_apicli != seen_httpie  # the difference is real, and only one of order
            for seen in (seen_apicli, seen_httpie):
                seen["query"], seen["body"] = sorted(seen["query"]), sorted(seen["body"], key=repr)
        assert seen_apicli == seen_httpie
        return
    for code, stderr, arrived, expected in (
        (httpie_code, httpie_err, by_httpie, row.httpie),
        (apicli_code, apicli_err, by_apicli, row.apicli),
    ):
        if expected == "refused":
            assert code != 0 and arrived is None, stderr
        else:
            assert code == 0 and arrived is not None, stderr
            assert _body(arrived) == expected
    if row.apicli == "refused":
        assert apicli_code == 2 and apicli_err.startswith("apicli: ") and "\nhint: " in apicli_err


def test_every_difference_is_documented() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "items.md").read_text()
    for row in ROWS:
        if row.differs:
            assert f"`{row.name}`" in page, f"docs/items.md does not explain the {row.name} row"
