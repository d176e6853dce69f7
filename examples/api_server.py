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
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import email.policy
import hashlib
import json
import math
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

HOST = "127.0.0.1"
MAX_BODY = 10 * 1024 * 1024
JSON_TYPE = "application/json"

# --- data -------------------------------------------------------------------

_FIRST_NAMES = (
    "Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo",
    "Kai", "Lena", "Milo", "Nia", "Otto", "Pia", "Quinn", "Rosa", "Sam", "Tess",
    "Uma", "Vik", "Wren", "Xena", "Yuri", "Zoe", "Abe", "Bea", "Cy", "Dot",
)  # fmt: skip
_LAST_NAMES = ("Archer", "Baker", "Cole", "Diaz", "Evans", "Flores", "Gray", "Hill", "Ito", "Jones")

USERS: list[dict[str, Any]] = [
    {
        "id": number,
        "login": first.lower(),
        "name": f"{first} {_LAST_NAMES[number % len(_LAST_NAMES)]}",
        "email": f"{first.lower()}@example.com",
        "admin": number % 10 == 1,
    }
    for number, first in enumerate(_FIRST_NAMES, start=1)
]

_EVENT_TYPES = ("login", "logout", "push", "comment")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

EVENTS: list[dict[str, Any]] = [
    {
        "id": number,
        "type": _EVENT_TYPES[number % len(_EVENT_TYPES)],
        "user_id": (number * 7) % len(USERS) + 1,
        "at": (_EPOCH + timedelta(minutes=137 * number)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for number in range(1, 1001)
]

USER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "User",
    "type": "object",
    "required": ["id", "login", "name", "email", "admin"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "login": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "name": {"type": "string", "minLength": 1},
        "email": {"type": "string", "format": "email"},
        "admin": {"type": "boolean"},
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class StaticFile:
    """A generated download with the validators that Range and If-Range need."""

    name: str
    content: bytes
    etag: str
    last_modified: str


def _build_report() -> StaticFile:
    # Arithmetic rather than `random` so the bytes (and the digest) never change.
    regions = ("north", "south", "east", "west", "central")
    products = ("anvil", "bolt", "cog", "drill", "easel", "flange", "gasket", "hinge")
    lines = ["id,date,region,product,units,unit_price,total"]
    size = len(lines[0]) + 1
    row = 0
    while size < 200_000:
        row += 1
        units = (row * 37) % 50 + 1
        cents = 199 + (row * 7919) % 9800
        line = (
            f"{row},{date(2024, 1, 1) + timedelta(days=row % 366)},{regions[(row * 7) % 5]},"
            f"{products[(row * 13) % 8]},{units},{cents / 100:.2f},{units * cents / 100:.2f}"
        )
        lines.append(line)
        size += len(line) + 1
    content = ("\n".join(lines) + "\n").encode()
    return StaticFile(
        name="report.csv",
        content=content,
        etag=f'"{hashlib.sha256(content).hexdigest()[:20]}"',
        last_modified=formatdate(_EPOCH.timestamp(), usegmt=True),
    )


REPORT = _build_report()

# --- requests, responses, routing -------------------------------------------


class ClientError(Exception):
    """A request the server refuses; becomes a JSON `{"error": ...}` response."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Response:
    """What an endpoint returns; an iterable body is sent chunked."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Send only this many body bytes, then drop the connection (the cut download).
    cut_after: int | None = None


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(message: str, status: int) -> Response:
    return json_response({"error": message}, status)


def _is_number(text: str) -> bool:
    # str.isdigit() alone accepts digits such as "²" that int() rejects.
    return text.isascii() and text.isdigit()


@dataclass(frozen=True)
class Request:
    """One parsed request, as endpoints see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    server: ExampleServer
    origin: str  # scheme://host:port as the client addressed us

    def arg(self, name: str, default: str) -> str:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.arg(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ClientError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ClientError(f"{name} must be at least {minimum}")
        return value if maximum is None else min(value, maximum)

    def float_arg(self, name: str, default: float, *, maximum: float) -> float:
        raw = self.arg(name, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise ClientError(f"{name} must be a number, got {raw!r}") from None
        if not 0 <= value < math.inf:
            raise ClientError(f"{name} must be a non-negative number")
        return min(value, maximum)

    def url_with(self, **params: int | str) -> str:
        """This request's absolute URL with some query parameters replaced."""
        query = {**self.query, **{name: [str(value)] for name, value in params.items()}}
        return f"{self.origin}{self.path}?{urlencode(query, doseq=True)}"


Endpoint = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: frozenset[str]  # empty: any method
    endpoint: Endpoint


ROUTES: list[Route] = []


def route(pattern: str, *methods: str) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint; named groups in the pattern become keyword arguments."""

    def register(endpoint: Endpoint) -> Endpoint:
        ROUTES.append(Route(re.compile(pattern), frozenset(methods), endpoint))
        return endpoint

    return register


def dispatch(request: Request) -> Response:
    allowed: set[str] = set()
    for candidate in ROUTES:
        match = candidate.pattern.fullmatch(request.path)
        if match is None:
            continue
        methods = candidate.methods
        # HEAD is GET without the body; the handler drops the body.
        if not methods or request.method in methods or (request.method == "HEAD" and "GET" in methods):
            return candidate.endpoint(request, **match.groupdict())
        allowed |= methods
    if allowed:
        return json_response({"error": "method not allowed"}, 405, {"Allow": ", ".join(sorted(allowed))})
    return error_response("not found", 404)


# --- endpoints: users, echo, status, flaky, slow, stream ---------------------


@route("/users", "GET")
def list_users(request: Request) -> Response:
    return json_response(USERS)


@route("/users/(?P<user_id>[^/]+)", "GET")
def get_user(request: Request, user_id: str) -> Response:
    if _is_number(user_id) and 1 <= int(user_id) <= len(USERS):
        return json_response(USERS[int(user_id) - 1])
    return error_response("not found", 404)


@route("/users", "POST")
def create_user(request: Request) -> Response:
    try:
        fields = json.loads(request.body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ClientError("expected a JSON object")
    user_id = request.server.allocate_user_id()
    return json_response({**fields, "id": user_id}, 201, {"Location": f"/users/{user_id}"})


@route("/echo")
def echo(request: Request) -> Response:
    content_type = request.headers.get("Content-Type", "")
    mime = content_type.split(";")[0].strip().lower()
    payload: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": _header_dict(request.headers),
        "json": None,
        "body": None,
        "form": {},
        "files": [],
    }
    if mime == "multipart/form-data":
        payload["form"], payload["files"] = parse_multipart(content_type, request.body)
    elif request.body:
        text = request.body.decode("utf-8", errors="replace")
        if mime == "application/x-www-form-urlencoded":
            payload["form"] = parse_qs(text, keep_blank_values=True)
        try:
            payload["json"] = json.loads(request.body)
        except ValueError:
            payload["body"] = text
    return json_response(payload)


def _header_dict(headers: Message) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers.items():
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """Form fields and uploaded-file summaries of a multipart/form-data body."""
    # The email parser understands MIME multipart once it is given the outer header.
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ClientError("malformed multipart body")
    form: dict[str, list[str]] = {}
    files: list[dict[str, Any]] = []
    for part in message.get_payload():
        assert isinstance(part, Message)
        raw_name = part.get_param("name", header="content-disposition")
        name = collapse_rfc2231_value(raw_name) if raw_name else ""
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form.setdefault(name, []).append(data.decode("utf-8", errors="replace"))
        else:
            summary = {"field": name, "filename": filename, "size": len(data)}
            files.append(summary | {"content_type": part.get_content_type()})
    return form, files


@route("/status/(?P<code>[^/]+)", "GET")
def status(request: Request, code: str) -> Response:
    if not _is_number(code) or not 200 <= int(code) <= 599:
        raise ClientError("status code must be between 200 and 599")
    number = int(code)
    headers = {"Location": "/users"} if 300 <= number < 400 else {}
    if number in (204, 304):
        return Response(number, b"", headers)
    return json_response({"status": number}, number, headers)


@route("/flaky", "GET")
def flaky(request: Request) -> Response:
    failures = request.int_arg("fail", 1)
    attempt = request.server.count_attempt(request.arg("key", "default"))
    if attempt <= failures:
        return json_response({"error": "temporarily unavailable", "attempt": attempt}, 503, {"Retry-After": "1"})
    return json_response({"ok": True, "attempts": attempt})


@route("/slow", "GET")
def slow(request: Request) -> Response:
    seconds = request.float_arg("seconds", 1.0, maximum=10.0)
    time.sleep(seconds)
    return json_response({"slept": seconds})


@route("/stream", "GET")
def stream(request: Request) -> Response:
    count = request.int_arg("lines", 10, maximum=1000)
    interval = request.float_arg("interval", 0.1, maximum=5.0)

    def lines() -> Iterator[bytes]:
        for number in range(1, count + 1):
            if number > 1 and interval:
                time.sleep(interval)
            yield json.dumps({"line": number, "of": count}).encode() + b"\n"

    return Response(200, lines(), {"Content-Type": "application/x-ndjson"})


# --- endpoints: pagination --------------------------------------------------


def _dataset(request: Request) -> list[dict[str, Any]]:
    name = request.arg("dataset", "users")
    if name == "users":
        return USERS
    if name == "events":
        return EVENTS
    raise ClientError("dataset must be 'users' or 'events'")


def _page_bounds(request: Request, total: int) -> tuple[int, int, int]:
    """(page, per_page, last_page) from ?page= and ?per_page=."""
    page = request.int_arg("page", 1, minimum=1)
    per_page = request.int_arg("per_page", 10, minimum=1, maximum=100)
    return page, per_page, max(1, math.ceil(total / per_page))


@route("/paged/link", "GET")
def paged_link(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, last = _page_bounds(request, len(items))
    relations = {"next": page + 1 if page < last else None, "prev": page - 1 if page > 1 else None}
    relations |= {"first": 1, "last": last}
    link = ", ".join(f'<{request.url_with(page=number)}>; rel="{rel}"' for rel, number in relations.items() if number)
    chunk = items[(page - 1) * per_page : page * per_page]
    return json_response(chunk, headers={"Link": link, "X-Total-Count": str(len(items))})


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, offset = text.partition(":")
        if prefix == "offset" and _is_number(offset):
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ClientError("invalid cursor")


@route("/paged/cursor", "GET")
def paged_cursor(request: Request) -> Response:
    items = _dataset(request)
    cursor = request.arg("cursor", "")
    offset = _decode_cursor(cursor) if cursor else 0
    limit = request.int_arg("limit", 10, minimum=1, maximum=100)
    end = offset + limit
    next_cursor = _encode_cursor(end) if end < len(items) else None
    return json_response({"data": items[offset:end], "meta": {"next_cursor": next_cursor}})


@route("/paged/body", "GET")
def paged_body(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, last = _page_bounds(request, len(items))
    return json_response(
        {
            "count": len(items),
            "next": request.url_with(page=page + 1) if page < last else None,
            "previous": request.url_with(page=min(page, last + 1) - 1) if page > 1 else None,
            "results": items[(page - 1) * per_page : page * per_page],
        }
    )


@route("/paged/page", "GET")
def paged_page(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, _ = _page_bounds(request, len(items))
    chunk = items[(page - 1) * per_page : page * per_page]
    return json_response({"items": chunk, "total": len(items), "page": page, "per_page": per_page})


@route("/paged/offset", "GET")
def paged_offset(request: Request) -> Response:
    items = _dataset(request)
    offset = request.int_arg("offset", 0)
    limit = request.int_arg("limit", 10, minimum=1, maximum=100)
    chunk = items[offset : offset + limit]
    return json_response({"records": chunk, "total": len(items), "offset": offset, "limit": limit})


# --- endpoints: files and schema --------------------------------------------


class RangeNotSatisfiable(Exception):
    """The Range header starts at or past the end of the file."""


_BYTE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.ASCII | re.IGNORECASE)


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single-range header, or None to send everything.

    Multiple ranges and malformed headers are answered with the full body, as
    RFC 9110 allows; a range that starts past the end raises RangeNotSatisfiable.
    """
    match = _BYTE_RANGE.fullmatch(header)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if not first_text:  # suffix range: the last N bytes
        suffix = int(last_text)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if first >= size:
        raise RangeNotSatisfiable
    if not last_text:
        return first, size - 1
    if int(last_text) < first:
        return None
    return first, min(int(last_text), size - 1)


def serve_file(request: Request, file: StaticFile, *, cut: bool = False) -> Response:
    """A download with ETag, Last-Modified and single byte-range support."""
    size = len(file.content)
    headers = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{file.name}"',
        "ETag": file.etag,
        "Last-Modified": file.last_modified,
        "Accept-Ranges": "bytes",
    }
    if request.headers.get("If-None-Match", "").strip() == file.etag:
        return Response(304, b"", headers)
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    # A stale validator means the client's partial copy is of another version: send it all.
    if range_header and if_range is not None and if_range.strip() not in (file.etag, file.last_modified):
        range_header = None
    if range_header:
        try:
            span = parse_byte_range(range_header, size)
        except RangeNotSatisfiable:
            unsatisfiable = {"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}"}
            return json_response({"error": "range not satisfiable"}, 416, unsatisfiable)
        if span is not None:
            first, last = span
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            return Response(206, file.content[first : last + 1], headers)
    response = Response(200, file.content, headers)
    if cut and request.method == "GET" and request.server.next_download_number() % 2 == 1:
        response.cut_after = size // 2
    return response


@route("/files/report\\.csv", "GET")
def report_csv(request: Request) -> Response:
    return serve_file(request, REPORT)


@route("/files/report\\.csv\\.sha256", "GET")
def report_checksum(request: Request) -> Response:
    digest = hashlib.sha256(REPORT.content).hexdigest()
    return Response(200, f"{digest}\n".encode(), {"Content-Type": "text/plain; charset=utf-8"})


@route("/files/cut/report\\.csv", "GET")
def report_csv_cut(request: Request) -> Response:
    """Every odd-numbered full download is dropped halfway; ranges always complete."""
    return serve_file(request, REPORT, cut=True)


@route("/schema/user\\.json", "GET")
def user_schema(request: Request) -> Response:
    return json_response(USER_SCHEMA, headers={"Content-Type": "application/schema+json"})


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
            return dispatch(request)
        except ClientError as exc:
            return error_response(exc.message, exc.status)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_response("internal server error", 500)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        length_text = self.headers.get("Content-Length", "0")
        if not _is_number(length_text.strip()):
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
