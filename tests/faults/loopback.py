"""The life of a threaded test server on 127.0.0.1: accept, hand each connection to a thread, stop.

Every wait is bounded: the accept loop has a stop event, a connection budget and a hard
lifetime, sockets have timeouts, and ``stop()`` shuts open connections down, so no server can
hang a test run. Subclasses say what a connection gets, in ``_handle``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Self, TypeVar

HOST = "127.0.0.1"
# Long enough for any sane client, short enough that an idle connection frees its thread.
IO_TIMEOUT = 10.0
ACCEPT_POLL = 0.05


class LoopbackServer:
    """Accepts on 127.0.0.1 and an ephemeral port until stopped, out of budget or out of time."""

    kind = "loopback"  # names the accept thread

    def __init__(self, *, lifetime: float, max_connections: int) -> None:
        self.lifetime = lifetime
        self.max_connections = max_connections
        self._stop = threading.Event()
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(ACCEPT_POLL)
        self.port: int = self._listener.getsockname()[1]
        self._deadline = time.monotonic() + lifetime
        self._threads: list[threading.Thread] = []
        self._open_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"{self.kind}:{self.port}", daemon=True)

    def start(self) -> Self:
        self._deadline = time.monotonic() + self.lifetime
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        # Wakes a blocked accept() at once on Linux; elsewhere the accept poll timeout does.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        if self._accept_thread.ident is not None:
            self._accept_thread.join(timeout=2)
        self._listener.close()
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            # The base-class call skips SSLSocket.shutdown, which would pull the TLS state out from
            # under a handler thread that is still using it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        accepted = 0
        while accepted < self.max_connections and not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            accepted += 1
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()
        # Past the budget or lifetime: refuse new connections and wake waiting handlers.
        self._stop.set()
        self._listener.close()

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions from handlers other than socket errors: bugs in the suite, not faults."""
        return []

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _track(self, sock: socket.socket, is_open: bool) -> None:
        """Sockets still open are shut down by stop()."""
        with self._open_lock:
            if is_open:
                self._open.add(sock)
            else:
                self._open.discard(sock)


Server = TypeVar("Server", bound=LoopbackServer)


def serve(server: Server) -> Iterator[Server]:
    """Run `server` for a fixture (``yield from serve(...)``); a bug in its handlers fails the test."""
    with server:
        yield server
    if server.errors:
        raise server.errors[0]
