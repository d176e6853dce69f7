"""A misbehaving HTTP/1.1 server on 127.0.0.1 for end-to-end fault tests.

The server is raw sockets and threads so that a behaviour can do what no well-behaved server
framework allows: stop mid-body, reset the connection, lie about Content-Length, stall.

A test *scripts* a path with a list of behaviours (``behaviours.py``); each request to that path
consumes the next one and the last one repeats. Every request that arrives is recorded before it
is answered, so by the time a client sees a response the record is already there. Reading
requests and writing bytes is ``wire.py``.

Every wait is bounded: the accept loop has a stop event, a request budget and a hard lifetime,
sockets have timeouts, and ``stop()`` shuts open connections down, so the server cannot hang a
test run. One request is served per connection (``Connection: close``), which keeps the wire
simple and each fault confined to one exchange.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.faults.behaviours import Behaviour, json_reply, redirect
from tests.faults.loopback import HOST, IO_TIMEOUT, LoopbackServer
from tests.faults.wire import BadRequest, Exchange, RecordedRequest, format_head, read_request

NOT_SCRIPTED = json_reply({"error": "no script for this path"}, status=404)


@dataclass
class _Script:
    behaviours: tuple[Behaviour, ...]
    served: int = 0

    def next(self) -> Behaviour:
        behaviour = self.behaviours[min(self.served, len(self.behaviours) - 1)]
        self.served += 1
        return behaviour


@dataclass
class _Registry:
    """Scripts by path, recorded requests and handler bugs, behind one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    scripts: dict[str, _Script] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def next_behaviour(self, request: RecordedRequest) -> Behaviour:
        with self.lock:
            self.requests.append(request)
            script = self.scripts.get(request.path)
            return script.next() if script else NOT_SCRIPTED


def _linger(conn: socket.socket, seconds: float = 1.0) -> None:
    """Close after a failed handshake the way real servers do: stop writing, then drain.

    Closing with the client's bytes unread makes the kernel reset the connection, and the
    reset can overtake the TLS alert just sent: the client would report a reset, not TLS.
    """
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(seconds)
        while conn.recv(65536):
            pass
    except OSError:
        pass


class FaultServer(LoopbackServer):
    """A scripted, recording HTTP(S) server on 127.0.0.1 and an ephemeral port."""

    kind = "fault"

    def __init__(self, *, tls: ssl.SSLContext | None = None, lifetime: float = 60.0, max_requests: int = 1000) -> None:
        super().__init__(lifetime=lifetime, max_connections=max_requests)
        self.tls = tls
        self._registry = _Registry()

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def script(self, path: str, behaviours: Behaviour | Sequence[Behaviour]) -> None:
        """Answer requests to ``path`` with these behaviours in turn; the last one repeats."""
        steps = tuple(behaviours) if isinstance(behaviours, Sequence) else (behaviours,)
        if not steps:
            raise ValueError("a script needs at least one behaviour")
        with self._registry.lock:
            self._registry.scripts[path.partition("?")[0]] = _Script(steps)

    def redirect_chain(self, hops: int, final: Behaviour, prefix: str = "/hop") -> str:
        """Script ``prefix/0 -> ... -> prefix/<hops>``, which serves ``final``; returns the first path."""
        for hop in range(hops):
            self.script(f"{prefix}/{hop}", redirect(f"{prefix}/{hop + 1}"))
        self.script(f"{prefix}/{hops}", final)
        return f"{prefix}/0"

    def redirect_loop(self, first: str = "/loop/a", second: str = "/loop/b") -> str:
        """Script ``first -> second -> first ...``; returns ``first``."""
        self.script(first, redirect(second))
        self.script(second, redirect(first))
        return first

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._registry.lock:
            return list(self._registry.requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions from behaviours other than socket errors: bugs in the suite, not faults."""
        with self._registry.lock:
            return list(self._registry.errors)

    def _handle(self, conn: socket.socket) -> None:
        sock = conn
        self._track(conn, True)
        try:
            conn.settimeout(IO_TIMEOUT)
            # Each write goes out as written, so drips and partial bodies are what reaches the wire.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(conn, server_side=True)
                except ssl.SSLError:
                    _linger(conn)
                    raise
                self._track(sock, True)
            self._serve(sock)
        except OSError:
            pass  # the client went away or TLS failed: part of the faults under test
        except Exception as exc:
            with self._registry.lock:
                self._registry.errors.append(exc)
        finally:
            self._track(conn, False)
            self._track(sock, False)
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            request = read_request(sock)
        except BadRequest as exc:
            body = str(exc).encode()
            sock.sendall(format_head(exc.status, [("Content-Length", str(len(body)))]) + body)
            return
        if request is None:
            return
        behaviour = self._registry.next_behaviour(request)
        exchange = Exchange(sock, request, self._stop, self._deadline)
        behaviour.serve(exchange)


class SilentListener:
    """A port that never answers: the kernel completes the handshake but nothing reads.

    With ``backlog_full`` the listen queue is filled first, so on Linux new connection attempts
    are left unanswered and a client hits its *connect* timeout instead of its read timeout.
    """

    def __init__(self, *, backlog_full: bool = False) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(0 if backlog_full else 64)
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        if backlog_full:
            filler = socket.create_connection((HOST, self.port), timeout=1)
            self._fillers.append(filler)

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def close(self) -> None:
        for sock in self._fillers:
            sock.close()
        self._listener.close()
