"""Loopback HTTP/1.1 servers for the benchmarks: a static file server and a paginated JSON API.

Both are built on raw sockets with one thread per connection and keep-alive, so that
the server is never what a benchmark measures:

* the static server answers from memory for small files and with ``os.sendfile`` for large
  ones (zero copy, the kernel does the work, the GIL is released);
* the API pre-renders every page at start-up; a request only looks its page up, optionally
  sleeps to inject latency, and writes it. Threads make those sleeps overlap, so parallel
  fetching can be measured.

Run as a script, it serves both on 127.0.0.1, prints their ports as one JSON line and exits
when its standard input closes (its parent is gone) or when ``--ttl`` seconds have passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from datafiles import ensure_data_files, page_items

HOST = "127.0.0.1"
IDLE_TIMEOUT = 30.0
MAX_HEADER_BYTES = 64 * 1024
SMALL_FILE_LIMIT = 256 * 1024
FAST_PAGES, SLOW_PAGES, PER_PAGE = 200, 100, 100
SLOW_DELAY = 0.040


@dataclass
class Response:
    """What a handler returns: a body in memory, or an open file descriptor to sendfile from."""

    status: int = 200
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    fd: int | None = None
    size: int = 0


Handler = Callable[[str], Response]
_REASONS = {200: "OK", 404: "Not Found", 400: "Bad Request"}


def _not_found(target: str) -> Response:
    return Response(404, body=json.dumps({"error": f"no such resource: {target}"}).encode())


class LoopbackServer:
    """Accept connections on 127.0.0.1 and serve each on its own daemon thread.

    ``make_handler`` receives the server's own base URL, which absolute links need.
    """

    def __init__(self, make_handler: Callable[[str], Handler]) -> None:
        self._listener = socket.create_server((HOST, 0), backlog=256)
        self._handler = make_handler(f"http://{HOST}:{self.port}")
        # A short accept timeout lets stop() take effect promptly.
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        # Without TCP_NODELAY a small response can sit behind Nagle and the client's delayed ACK.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        with contextlib.suppress(OSError), conn:
            while not self._stopping.is_set():
                conn.settimeout(IDLE_TIMEOUT)
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk or len(buffer) > MAX_HEADER_BYTES:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                method, target, keep_alive, body_length = _parse_head(head)
                # Discard any request body; no endpoint reads one.
                while len(buffer) < body_length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[body_length:]
                response = self._handler(target) if target else Response(400, body=b"{}")
                _send(conn, response, keep_alive, with_body=method != "HEAD")
                if not keep_alive:
                    return


def _parse_head(head: bytes) -> tuple[str, str, bool, int]:
    """Return the method, the target, whether to keep the connection open, and the body length."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3:
        return "", "", False, 0
    keep_alive = parts[2] == "HTTP/1.1"
    body_length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "connection":
            keep_alive = value != "close" and (keep_alive or value == "keep-alive")
        elif name == "content-length" and value.isdigit():
            body_length = int(value)
    return parts[0], parts[1], keep_alive, body_length


def _send(conn: socket.socket, response: Response, keep_alive: bool, with_body: bool) -> None:
    size = response.size if response.fd is not None else len(response.body)
    lines = [
        f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {size}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{name}: {value}" for name, value in response.headers),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if response.fd is None or not with_body:
        conn.sendall(head + response.body if with_body else head)
        return
    # Cork so the header and the first file bytes leave in full segments.
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    conn.settimeout(None)  # os.sendfile needs a blocking socket
    conn.sendall(head)
    offset = 0
    while offset < size:
        sent = os.sendfile(conn.fileno(), response.fd, offset, size - offset)
        if sent == 0:
            raise ConnectionResetError("client went away")
        offset += sent
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


def static_handler(files: dict[str, Path], base_url: str) -> Handler:
    """Serve fixed paths: small files from memory, large ones via sendfile from one shared fd.

    Sharing the descriptor is safe because os.sendfile is given an explicit offset.
    """
    table: dict[str, Response] = {}
    for route, path in files.items():
        kind = "application/json" if path.suffix == ".json" else "application/octet-stream"
        size = path.stat().st_size
        if size <= SMALL_FILE_LIMIT:
            table[route] = Response(content_type=kind, body=path.read_bytes())
        else:
            table[route] = Response(content_type=kind, fd=os.open(path, os.O_RDONLY), size=size)

    def handle(target: str) -> Response:
        return table.get(urlsplit(target).path) or _not_found(target)

    return handle


def api_handler(base_url: str) -> Handler:
    """Link-header pagination: /fast (200 pages, no delay) and /slow (100 pages, 40 ms each).

    /stamped records when each request arrived (the server's monotonic clock); /arrivals answers
    those times as a JSON array and forgets them: what a --rate benchmark measures pacing by.
    """
    collections = {"/fast": (FAST_PAGES, 0.0), "/slow": (SLOW_PAGES, SLOW_DELAY)}
    arrivals: list[float] = []
    arrivals_lock = threading.Lock()
    pages = {
        (route, n): json.dumps(page_items(n, PER_PAGE), ensure_ascii=False).encode()
        for route, (count, _) in collections.items()
        for n in range(1, count + 1)
    }

    def handle(target: str) -> Response:
        parts = urlsplit(target)
        if parts.path == "/stamped":
            arrived = time.monotonic()
            with arrivals_lock:
                arrivals.append(arrived)
            return Response(body=b'{"stamped": true}')
        if parts.path == "/arrivals":
            with arrivals_lock:
                times = arrivals[:]
                arrivals.clear()
            return Response(body=json.dumps(times).encode())
        if parts.path not in collections:
            return _not_found(target)
        count, delay = collections[parts.path]
        page_arg = parse_qs(parts.query).get("page", ["1"])[0]
        page = int(page_arg) if page_arg.isdigit() else 0
        if not 1 <= page <= count:
            return _not_found(target)
        if delay:
            time.sleep(delay)
        base = f"{base_url}{parts.path}?page="
        links = [f'<{base}{page + 1}>; rel="next"'] if page < count else []
        links.append(f'<{base}{count}>; rel="last"')
        headers = [("Link", ", ".join(links)), ("X-Total-Count", str(count * PER_PAGE))]
        return Response(headers=headers, body=pages[(parts.path, page)])

    return handle


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the running servers."""

    static: str
    api: str


@contextlib.contextmanager
def running_servers(data_dir: Path, ttl: float) -> Iterator[Endpoints]:
    """Run the servers in a child process, so they never share a GIL with the measuring loop."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--data-dir", str(data_dir), "--ttl", str(ttl)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark servers failed to start (exit {proc.wait()})")
        ports = json.loads(line)
        yield Endpoints(f"http://{HOST}:{ports['static']}", f"http://{HOST}:{ports['api']}")
    finally:
        if proc.stdin:
            proc.stdin.close()  # the child's cue to stop
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--ttl", type=float, default=900.0, help="stop after this many seconds regardless")
    args = parser.parse_args()

    files = ensure_data_files(args.data_dir)
    routes = {
        "/small.json": files.small,
        "/large.json": files.large,
        "/huge.json": files.huge,
        "/items.json": files.items,
        "/blob.bin": files.binary,
    }
    static = LoopbackServer(lambda base_url: static_handler(routes, base_url))
    api = LoopbackServer(api_handler)
    static.start()
    api.start()
    print(json.dumps({"static": static.port, "api": api.port}), flush=True)

    # Stop on whichever comes first: stdin closing (parent done or dead) or the time limit.
    stdin_closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.buffer.read()
        stdin_closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stdin_closed.wait(timeout=args.ttl)
    static.stop()
    api.stop()


if __name__ == "__main__":
    main()
