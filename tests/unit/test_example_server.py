"""The bundled example API (examples/api_server.py) that the demo and docs rely on.

The server runs in-process on 127.0.0.1; `requests` talks to it over loopback.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "api_server.py"


def _load_server_module() -> ModuleType:
    # examples/ is not a package; load the script as a module by path, with
    # examples/ on sys.path for its sibling modules (as when run as a script).
    if "api_server" in sys.modules:
        return sys.modules["api_server"]
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("api_server", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_server"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


api_server = _load_server_module()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server, url = api_server.start_server()
    yield url
    server.shutdown()


def _loopback_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # ignore proxy settings: all traffic stays on loopback
    return session


@pytest.fixture(scope="module")
def client() -> Iterator[requests.Session]:
    with _loopback_session() as session:
        yield session


def _links(response: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


# --- users, echo, status ----------------------------------------------------


def test_users(base_url: str, client: requests.Session) -> None:
    response = client.get(f"{base_url}/users")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    users = response.json()
    assert len(users) == 30
    assert set(users[0]) == {"id", "login", "name", "email", "admin"}
    assert len({user["login"] for user in users}) == 30
    assert client.get(f"{base_url}/users/7").json() == users[6]


@pytest.mark.parametrize("user_id", ["999", "0", "abc", "%C2%B2"])
def test_unknown_user_is_a_json_404(base_url: str, client: requests.Session, user_id: str) -> None:
    response = client.get(f"{base_url}/users/{user_id}")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_create_user(base_url: str, client: requests.Session) -> None:
    response = client.post(f"{base_url}/users", json={"login": "new", "name": "New User"})
    assert response.status_code == 201
    body = response.json()
    assert body["login"] == "new" and body["id"] > 30
    assert response.headers["Location"] == f"/users/{body['id']}"
    assert client.post(f"{base_url}/users", data="[1]").status_code == 400


def test_unknown_route_and_method(base_url: str, client: requests.Session) -> None:
    assert client.get(f"{base_url}/nope").status_code == 404
    response = client.delete(f"{base_url}/users")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_echo_json(base_url: str, client: requests.Session) -> None:
    response = client.put(f"{base_url}/echo?q=a&q=b", json={"name": "ann", "age": 31}, headers={"X-Trace": "t1"})
    body = response.json()
    assert body["method"] == "PUT"
    assert body["path"] == "/echo"
    assert body["query"] == {"q": ["a", "b"]}
    assert body["headers"]["X-Trace"] == "t1"
    assert body["json"] == {"name": "ann", "age": 31}
    assert body["body"] is None


def test_echo_text_and_form(base_url: str, client: requests.Session) -> None:
    text = client.post(f"{base_url}/echo", data=b"not json", headers={"Content-Type": "text/plain"}).json()
    assert text["json"] is None and text["body"] == "not json"
    form = client.post(f"{base_url}/echo", data={"a": "1"}).json()
    assert form["form"] == {"a": ["1"]}


def test_echo_multipart(base_url: str, client: requests.Session) -> None:
    files = {"upload": ("data.bin", b"\x00\r\n" * 100, "application/octet-stream")}
    body = client.post(f"{base_url}/echo", data={"title": "hi"}, files=files).json()
    assert body["form"] == {"title": ["hi"]}
    assert body["files"] == [
        {"field": "upload", "filename": "data.bin", "size": 300, "content_type": "application/octet-stream"}
    ]


def test_echo_chunked_request_body(base_url: str, client: requests.Session) -> None:
    body = client.post(f"{base_url}/echo", data=iter([b'{"a":', b" 1}"])).json()
    assert body["headers"]["Transfer-Encoding"] == "chunked"
    assert body["json"] == {"a": 1}


@pytest.mark.parametrize("code", [200, 201, 404, 418, 500, 503])
def test_status(base_url: str, client: requests.Session, code: int) -> None:
    response = client.get(f"{base_url}/status/{code}")
    assert response.status_code == code
    assert response.json() == {"status": code}


def test_status_redirect_and_no_content(base_url: str, client: requests.Session) -> None:
    redirect = client.get(f"{base_url}/status/302", allow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["Location"] == "/users"
    assert client.get(f"{base_url}/status/301").url == f"{base_url}/users"
    empty = client.get(f"{base_url}/status/204")
    assert empty.status_code == 204 and empty.content == b""
    assert client.get(f"{base_url}/status/99").status_code == 400


# --- flaky, slow, stream ----------------------------------------------------


def test_flaky_fails_then_succeeds(base_url: str, client: requests.Session) -> None:
    url = f"{base_url}/flaky?fail=2&key=test-flaky"
    for attempt in (1, 2):
        response = client.get(url)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json()["attempt"] == attempt
    assert client.get(url).json() == {"ok": True, "attempts": 3}
    # Keys count independently.
    assert client.get(f"{base_url}/flaky?fail=0&key=other").json() == {"ok": True, "attempts": 1}


def test_slow(base_url: str, client: requests.Session) -> None:
    assert client.get(f"{base_url}/slow?seconds=0.05").json() == {"slept": 0.05}
    assert client.get(f"{base_url}/slow?seconds=soon").status_code == 400


def test_stream_is_chunked_ndjson(base_url: str, client: requests.Session) -> None:
    with client.get(f"{base_url}/stream?lines=3&interval=0.01", stream=True) as response:
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.headers["Content-Type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines()]
    assert lines == [{"line": n, "of": 3} for n in (1, 2, 3)]


# --- pagination -------------------------------------------------------------


def test_link_pagination(base_url: str, client: requests.Session) -> None:
    first = client.get(f"{base_url}/paged/link?per_page=7")
    assert first.headers["X-Total-Count"] == "30"
    links = _links(first)
    assert set(links) == {"next", "first", "last"}
    assert links["last"] == f"{base_url}/paged/link?per_page=7&page=5"
    seen = first.json()
    url: str | None = links["next"]
    while url:
        page = client.get(url)
        seen += page.json()
        assert "prev" in _links(page)
        url = _links(page).get("next")
    assert [user["id"] for user in seen] == list(range(1, 31))


def test_link_urls_follow_the_host_the_client_used(base_url: str, client: requests.Session) -> None:
    port = base_url.rsplit(":", 1)[1]
    response = client.get(f"http://localhost:{port}/paged/link?dataset=events&per_page=100&page=2")
    assert response.headers["X-Total-Count"] == "1000"
    assert _links(response)["next"] == f"http://localhost:{port}/paged/link?dataset=events&per_page=100&page=3"
    assert response.json()[0]["id"] == 101


def test_cursor_pagination_ends_with_null(base_url: str, client: requests.Session) -> None:
    ids: list[int] = []
    cursor = ""
    for _ in range(10):
        body = client.get(f"{base_url}/paged/cursor", params={"cursor": cursor, "limit": 8}).json()
        ids += [user["id"] for user in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            break
    assert ids == list(range(1, 31))
    assert client.get(f"{base_url}/paged/cursor?cursor=%21bad").json() == {"error": "invalid cursor"}


def test_body_pagination(base_url: str, client: requests.Session) -> None:
    url: str | None = f"{base_url}/paged/body?page=1"
    pages: list[dict[str, Any]] = []
    while url and len(pages) < 10:
        pages.append(client.get(url).json())
        url = pages[-1]["next"]
    assert len(pages) == 3
    assert pages[0]["previous"] is None and pages[1]["previous"] == f"{base_url}/paged/body?page=1"
    assert sum(len(page["results"]) for page in pages) == pages[0]["count"] == 30


def test_page_and_offset_pagination(base_url: str, client: requests.Session) -> None:
    page = client.get(f"{base_url}/paged/page?page=3&per_page=10").json()
    assert page["total"] == 30 and [u["id"] for u in page["items"]] == list(range(21, 31))
    assert client.get(f"{base_url}/paged/page?page=4&per_page=10").json()["items"] == []
    records = client.get(f"{base_url}/paged/offset?offset=995&limit=10&dataset=events").json()
    assert records["total"] == 1000 and [r["id"] for r in records["records"]] == list(range(996, 1001))
    assert client.get(f"{base_url}/paged/offset?offset=-1").status_code == 400


# --- files and schema -------------------------------------------------------


@pytest.fixture(scope="module")
def report(base_url: str, client: requests.Session) -> requests.Response:
    return client.get(f"{base_url}/files/report.csv")


def test_report_download(base_url: str, client: requests.Session, report: requests.Response) -> None:
    assert report.status_code == 200
    assert report.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert report.headers["Accept-Ranges"] == "bytes"
    assert report.headers["ETag"].startswith('"')
    assert report.headers["Last-Modified"].endswith("GMT")
    assert 190_000 < len(report.content) < 210_000
    assert report.text.startswith("id,date,region,")
    digest = client.get(f"{base_url}/files/report.csv.sha256").text.strip()
    assert digest == hashlib.sha256(report.content).hexdigest()
    head = client.head(f"{base_url}/files/report.csv")
    assert head.headers["Content-Length"] == str(len(report.content)) and head.content == b""


def test_range_requests(base_url: str, client: requests.Session, report: requests.Response) -> None:
    url, content = f"{base_url}/files/report.csv", report.content
    size = len(content)
    partial = client.get(url, headers={"Range": "bytes=1000-"})
    assert partial.status_code == 206
    assert partial.headers["Content-Range"] == f"bytes 1000-{size - 1}/{size}"
    assert partial.content == content[1000:]
    assert client.get(url, headers={"Range": "bytes=-10"}).content == content[-10:]
    assert client.get(url, headers={"Range": "bytes=0-1,5-6"}).status_code == 200
    too_far = client.get(url, headers={"Range": f"bytes={size}-"})
    assert too_far.status_code == 416
    assert too_far.headers["Content-Range"] == f"bytes */{size}"
    assert too_far.json() == {"error": "range not satisfiable"}


def test_if_range(base_url: str, client: requests.Session, report: requests.Response) -> None:
    url, etag = f"{base_url}/files/report.csv", report.headers["ETag"]
    matching = client.get(url, headers={"Range": "bytes=10-", "If-Range": etag})
    assert matching.status_code == 206
    by_date = client.get(url, headers={"Range": "bytes=10-", "If-Range": report.headers["Last-Modified"]})
    assert by_date.status_code == 206
    stale = client.get(url, headers={"Range": "bytes=10-", "If-Range": '"old-version"'})
    assert stale.status_code == 200 and stale.content == report.content
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-", (0, 99)),
        ("bytes=10-19", (10, 19)),
        ("bytes=90-500", (90, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=5-1", None),
        ("bytes=0-1,3-4", None),
        ("items=0-1", None),
        ("bytes=x-", None),
        ("bytes=x-5", None),
        ("bytes=-", None),
        ("bytes=²-", None),
        ("BYTES = 3 - 4", (3, 4)),
    ],
)
def test_parse_byte_range(header: str, expected: tuple[int, int] | None) -> None:
    assert api_server.parse_byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0"])
def test_parse_byte_range_unsatisfiable(header: str) -> None:
    with pytest.raises(api_server.RangeNotSatisfiable):
        api_server.parse_byte_range(header, 100)


def test_cut_download_can_be_resumed(report: requests.Response) -> None:
    server, _ = api_server.start_server()  # its own server: the cut counter starts afresh
    try:

        def get(headers: dict[str, str]) -> http.client.HTTPResponse:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
            conn.request("GET", "/files/cut/report.csv", headers=headers)
            return conn.getresponse()

        first = get({})
        assert first.status == 200 and first.headers["Content-Length"] == str(len(report.content))
        with pytest.raises(http.client.IncompleteRead) as cut:
            first.read()
        received = cut.value.partial
        assert received == report.content[: len(report.content) // 2]

        rest = get({"Range": f"bytes={len(received)}-", "If-Range": first.headers["ETag"]})
        assert rest.status == 206
        assert received + rest.read() == report.content
        assert get({}).read() == report.content  # the second full download is not cut
    finally:
        server.shutdown()


def test_user_schema(base_url: str, client: requests.Session) -> None:
    response = client.get(f"{base_url}/schema/user.json")
    assert response.headers["Content-Type"] == "application/schema+json"
    schema = response.json()
    assert schema["required"] == ["id", "login", "name", "email", "admin"]
    jsonschema = pytest.importorskip("jsonschema")
    for user in client.get(f"{base_url}/users").json():
        jsonschema.validate(user, schema)


# --- lifecycle --------------------------------------------------------------


def test_idle_timeout_stops_the_server() -> None:
    server, url = api_server.start_server(idle_timeout=0.2)
    with _loopback_session() as session:
        assert session.get(f"{url}/users/1", timeout=5).status_code == 200
        assert server.stopped.wait(3)
        with pytest.raises(requests.ConnectionError):
            session.get(f"{url}/users/1", timeout=1)


def _run_script(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_script_prints_its_url_and_exits_when_idle() -> None:
    process, url = _run_script("--idle-timeout", "0.3")
    try:
        assert url.startswith("http://127.0.0.1:")
        with _loopback_session() as session:
            assert session.get(f"{url}/users/1", timeout=5).json()["login"] == "ann"
        stdout, stderr = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 0
    assert stdout == "" and stderr == ""  # quiet: no access log


def test_script_stops_on_sigterm() -> None:
    process, url = _run_script()
    try:
        assert url.startswith("http://127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
