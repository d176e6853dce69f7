"""A small JSON API on 127.0.0.1 for apicli's demo, docs and end-to-end tests.

Standard library only. Run it as a script::

    python examples/api_server.py [--port N] [--idle-timeout S] [--max-lifetime S] [--verbose]

It prints one line, ``http://127.0.0.1:PORT``, once it is listening, and stops by
itself when idle or too old, or on SIGTERM/SIGINT. Tests and scripts can run it
in a thread instead::

    server, base_url = start_server()
    ...
    server.shutdown()

Endpoints: users (``/users``, ``/users/{id}``), ``/echo``, ``/status/{code}``,
``/flaky``, ``/slow``, ``/stream``, five pagination styles under ``/paged/``,
a downloadable CSV under ``/files/`` and a JSON Schema under ``/schema/``.

The endpoints live in sibling modules built on ``api_http`` (``api_endpoints``,
``api_pages``, ``api_files``, with data from ``api_data``); this module assembles
their routes and serves them, so import it with ``examples/`` on ``sys.path``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import api_endpoints
import api_files
import api_pages
from api_data import USERS
from api_files import RangeNotSatisfiable, parse_byte_range
from api_http import ClientError, Request, Response, Router, error_response, is_number

# The byte-range parser is re-exported for callers that load only this module.
__all__ = ["HOST", "ExampleServer", "RangeNotSatisfiable", "main", "parse_byte_range", "start_server"]

HOST = "127.0.0.1"
MAX_BODY = 10 * 1024 * 1024

ROUTER = Router()
ROUTER.include(api_endpoints.router, api_pages.router, api_files.router)

# --- the HTTP server --------------------------------------------------------

_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


class ApiHandler(BaseHTTPRequestHandler):
    """Reads the request, dispatches it, writes the Response."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses
    server_version = "apicli-example/1.0"
    timeout = 30  # idle keep-alive connections must not hold a thread forever
    # Headers and body go out as separate writes; with Nagle on, the body waits
    # for the client's delayed ACK and every response takes ~40 ms longer.
    disable_nagle_algorithm = True
    server: ExampleServer

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self) -> None:
        self.server.request_started()
        try:
            self._send(self._respond(), head_only=self.command == "HEAD")
        except OSError:  # the client went away or stopped reading
            self.close_connection = True
        finally:
            self.server.request_finished()

    def _respond(self) -> Response:
        try:
            body = self._read_body()
        except ClientError as exc:
            # The unread body would corrupt the next request on this connection.
            self.close_connection = True
            return error_response(exc.message, exc.status)
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        host = self.headers.get("Host", "")
        if not _HOST_HEADER.fullmatch(host):
            host = f"{HOST}:{self.server.server_port}"
        request = Request(
            method=self.command,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            server=self.server,
            origin=f"http://{host}",
        )
        try:
            return ROUTER.dispatch(request)
        except ClientError as exc:
            return error_response(exc.message, exc.status)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_response("internal server error", 500)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        length_text = self.headers.get("Content-Length", "0")
        if not is_number(length_text.strip()):
            raise ClientError("invalid Content-Length")
        length = int(length_text)
        if length > MAX_BODY:
            raise ClientError("request body too large", 413)
        return self.rfile.read(length)

    def _read_chunked_body(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_field = self.rfile.readline(1024).split(b";")[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_field):
                raise ClientError("malformed chunked body")
            size = int(size_field, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise ClientError("request body too large", 413)
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after each chunk
        for _ in range(100):  # trailers, up to the blank line or EOF
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                break
        return b"".join(parts)

    def _send(self, response: Response, *, head_only: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        bodiless = response.status in (204, 304)
        if isinstance(response.body, bytes):
            if not bodiless:
                self.send_header("Content-Length", str(len(response.body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if head_only or bodiless:
            return
        if isinstance(response.body, bytes):
            if response.cut_after is None:
                self.wfile.write(response.body)
            else:
                self.wfile.write(response.body[: response.cut_after])
                self.close_connection = True
            return
        for chunk in response.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


class ExampleServer(ThreadingHTTPServer):
    """The listening server plus the little state the endpoints share."""

    daemon_threads = True  # a slow or streaming request must not block shutdown

    def __init__(self, port: int = 0, *, verbose: bool = False) -> None:
        super().__init__((HOST, port), ApiHandler)
        self.verbose = verbose
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._downloads = 0
        self._next_user_id = len(USERS) + 1
        self._active = 0
        self._started = self._last_activity = time.monotonic()
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup we do not need.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request is routine here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server_port}"

    def serve_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="example-api", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.serve_forever(poll_interval=0.05)

    @property
    def serving(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self.stopped.is_set()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def shutdown(self) -> None:
        """Stop serving, close the listening socket and drop open connections.

        Safe to call more than once. Dropping kept-alive connections matters:
        their handler threads would otherwise keep answering after the stop.
        """
        if self._thread is not None:
            super().shutdown()
        self.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.stopped.set()

    def request_started(self) -> None:
        with self._lock:
            self._active += 1
            self._last_activity = time.monotonic()

    def request_finished(self) -> None:
        with self._lock:
            self._active -= 1
            self._last_activity = time.monotonic()

    def idle_seconds(self) -> float:
        with self._lock:
            return 0.0 if self._active else time.monotonic() - self._last_activity

    def age_seconds(self) -> float:
        return time.monotonic() - self._started

    def count_attempt(self, key: str) -> int:
        with self._lock:
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key]

    def next_download_number(self) -> int:
        with self._lock:
            self._downloads += 1
            return self._downloads

    def allocate_user_id(self) -> int:
        with self._lock:
            user_id = self._next_user_id
            self._next_user_id += 1
            return user_id


def _watch(server: ExampleServer, idle_timeout: float | None, max_lifetime: float | None) -> None:
    while not server.stopped.wait(0.05):
        too_idle = idle_timeout is not None and server.idle_seconds() >= idle_timeout
        too_old = max_lifetime is not None and server.age_seconds() >= max_lifetime
        if too_idle or too_old:
            server.shutdown()
            return


def start_server(
    port: int = 0,
    *,
    idle_timeout: float | None = None,
    max_lifetime: float | None = None,
    verbose: bool = False,
) -> tuple[ExampleServer, str]:
    """Serve on 127.0.0.1 in a background thread; returns the server and its base URL.

    Call `server.shutdown()` when done. With a timeout set, a watchdog thread
    shuts the server down by itself and sets `server.stopped`.
    """
    server = ExampleServer(port, verbose=verbose)
    server.serve_in_thread()
    if idle_timeout is not None or max_lifetime is not None:
        threading.Thread(
            target=_watch, args=(server, idle_timeout, max_lifetime), name="example-api-watch", daemon=True
        ).start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Example JSON API for apicli, on 127.0.0.1 only.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--idle-timeout", type=float, default=60, help="stop after S idle seconds, 0: never")
    parser.add_argument("--max-lifetime", type=float, default=600, help="stop after S seconds, 0: never")
    parser.add_argument("--verbose", action="store_true", help="log each request on stderr")
    args = parser.parse_args(argv)
    try:
        server, base_url = start_server(
            args.port,
            idle_timeout=args.idle_timeout or None,
            max_lifetime=args.max_lifetime or None,
            verbose=args.verbose,
        )
    except OSError as exc:
        print(f"api_server: cannot listen on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for the serving loop; never block inside a signal handler.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(base_url, flush=True)
    while server.serving:
        server.stopped.wait(0.5)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
