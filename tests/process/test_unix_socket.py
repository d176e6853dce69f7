"""--unix-socket: the installed apicli against a small HTTP server on a unix socket in a temporary directory."""

from __future__ import annotations

import http.server
import json
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.process.conftest import APICLI, base_environment


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UnixServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, self.headers.get("Host", ""), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        data = json.dumps({"path": self.path, "host": self.headers.get("Host")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str) -> None:
        super().__init__(path, _Handler)
        self.seen: list[tuple[str, str, str, bytes]] = []
        self.statuses: list[int] = []


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[tuple[_UnixServer, str]]:
    path = str(tmp_path / "api.sock")
    server = _UnixServer(path)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_get_and_post_go_over_the_socket_with_the_urls_host(
    unix_server: tuple[_UnixServer, str], invoke: Invoke
) -> None:
    server, path = unix_server

    got = invoke("get", "--unix-socket", path, "http://localhost/version", "a==1")
    posted = invoke("post", "--unix-socket", path, "http://docker.invalid:2375/containers/create", "image=alpine")

    assert (got.code, got.stdout, got.stderr) == (0, b'{"path": "/version?a=1", "host": "localhost"}', "")
    assert (posted.code, posted.stderr) == (0, "")
    assert server.seen[1] == ("POST", "/containers/create", "docker.invalid:2375", b'{"image": "alpine"}')


def test_retries_and_write_out_work_over_the_socket(unix_server: tuple[_UnixServer, str]) -> None:
    server, path = unix_server
    server.statuses = [503, 200]

    done = subprocess.run(
        [APICLI, "get", "--unix-socket", path, "http://localhost/ping", "--backoff", "0",
         "-w", "\n%{http_code} %{num_retries}\n"],
        capture_output=True, timeout=30, env=base_environment(),
    )  # fmt: skip

    assert (done.returncode, done.stderr) == (0, b"apicli: HTTP 503 from localhost; retry 1 of 3 in 0 s\n")
    assert done.stdout == b'{"path": "/ping", "host": "localhost"}\n200 1\n'
    assert [seen[1] for seen in server.seen] == ["/ping", "/ping"]


def test_a_missing_socket_and_an_https_url_are_refused(tmp_path: Path, invoke: Invoke) -> None:
    missing = invoke("get", "--unix-socket", str(tmp_path / "none.sock"), "http://localhost/")
    https = invoke("get", "--unix-socket", str(tmp_path), "https://localhost/")

    assert (missing.code, missing.stdout) == (2, b"")
    assert missing.stderr.startswith(f"apicli: --unix-socket: cannot use '{tmp_path / 'none.sock'}'")
    assert (https.code, https.stderr.splitlines()[0]) == (2, "apicli: --unix-socket speaks plain HTTP: the URL "
                                                             "must start with http://")  # fmt: skip


def test_a_socket_nobody_listens_on_is_a_connection_error(tmp_path: Path) -> None:
    import socket

    path = str(tmp_path / "dead.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.close()  # the file stays, nothing listens: connections are refused

    done = subprocess.run(
        [APICLI, "get", "--unix-socket", path, "http://localhost/x", "--retries", "1", "--backoff", "0"],
        capture_output=True, timeout=30, env=base_environment(),
    )  # fmt: skip

    assert (done.returncode, done.stdout) == (7, b"")
    assert done.stderr.decode().splitlines() == [
        "apicli: connection refused by localhost; retry 1 of 1 in 0 s",
        "apicli: connection refused (http://localhost/x), after 2 attempts",
        "hint: check the --unix-socket path, and that the server listens there",
    ]
