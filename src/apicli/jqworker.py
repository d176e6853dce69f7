"""Running libjq in a child process, so that --max-time and Ctrl-C can stop any jq program.

libjq holds the GIL while it evaluates: a program that computes for minutes before its first
result (`[range(1e9)] | length`) leaves no Python code running in this process to notice the
--max-time alarm or Ctrl-C. So evaluation runs in a forked child that streams each result back
over a pipe; this process waits in os.read, which a signal handler's exception interrupts, and
kills the child whenever it stops reading before the end. One child serves every input of a run
(paginate runs the program once per item) and is killed when its JqWorker is collected.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import weakref
from collections.abc import Iterator
from typing import Any

from .errors import ApicliError

_LENGTH = struct.Struct("!Q")
_RESULT, _DONE, _ERROR = b"r", b"d", b"e"
_READ = 1024 * 1024


class JqFailed(ValueError):
    """The program raised a jq error (or its input did not parse); the message is libjq's."""


class JqWorker:
    """A forked child holding the compiled program; `results(text)` runs it on one input."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        self.child: tuple[int, int, int] | None = None  # pid, request fd, result fd
        self.buffer = bytearray()
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def start(self) -> None:
        """Fork the child now, while this process is small: a child forked after the body was read
        would share (and count in its memory) every copy of the body this process holds."""
        if self.child is None:
            self._start()

    def results(self, text: str) -> Iterator[str]:
        """Each result's text, as the child sends it; a jq error is JqFailed."""
        if self.child is None:
            self._start()
        assert self.child is not None
        _pid, requests, _results = self.child
        data = text.encode("utf-8", "surrogatepass")
        try:
            try:
                _write_all(requests, _LENGTH.pack(len(data)) + data)
            except OSError:
                raise _ended() from None
            while True:
                kind, payload = self._receive()
                if kind == _RESULT:
                    yield payload.decode("utf-8", "surrogatepass")
                elif kind == _DONE:
                    return
                else:
                    raise JqFailed(payload.decode("utf-8", "replace"))
        except JqFailed:
            raise
        except BaseException:
            # A deadline, Ctrl-C, a reader that stopped early: the child may still be computing.
            self.stop()
            raise

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self.child = None
        self.buffer.clear()

    def _start(self) -> None:
        requests_read, requests_write = os.pipe()
        results_read, results_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns into the caller's code
            code = 1
            try:
                os.close(requests_write)
                os.close(results_read)
                _serve(self.compiled, requests_read, results_write)
                code = 0
            finally:
                os._exit(code)
        os.close(requests_read)
        os.close(results_write)
        self.child = (pid, requests_write, results_read)
        self._finalizer = weakref.finalize(self, _kill, pid, requests_write, results_read)

    def _receive(self) -> tuple[bytes, bytes]:
        head = self._read_exact(1 + _LENGTH.size)
        (size,) = _LENGTH.unpack(head[1:])
        return head[:1], self._read_exact(size)

    def _read_exact(self, size: int) -> bytes:
        assert self.child is not None
        while len(self.buffer) < size:
            chunk = os.read(self.child[2], max(_READ, size - len(self.buffer)))
            if not chunk:
                raise _ended()
            self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


def _ended() -> ApicliError:
    return ApicliError("--jq: the jq evaluation ended unexpectedly (out of memory?)")


def _kill(pid: int, *fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    # Waited for, not left to init: its memory then counts in this process's resource usage
    # (what `time -v` and benchmarks report as apicli's peak).
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _serve(compiled: Any, requests: int, results: int) -> None:
    """The child: answer each length-prefixed input with framed results, until the parent closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    # Hold nothing of the parent's but the two pipes: not its stdout (a reader waits for its EOF),
    # nor its sockets (a connection it closes must really close). A pipe may have got fd 0-2 when
    # the parent was started with one of them closed: move it out of the way first.
    requests, results = (fcntl.fcntl(fd, fcntl.F_DUPFD, 3) if fd < 3 else fd for fd in (requests, results))
    low, high = sorted((requests, results))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        head = _read_exact(requests, _LENGTH.size)
        if head is None:
            return
        data = _read_exact(requests, _LENGTH.unpack(head)[0])
        if data is None:
            return
        try:
            # Hold one copy of a large input at a time: the bindings keep their own UTF-8 copy
            # while libjq parses it, so the received bytes and the str are let go first.
            text = data.decode("utf-8", "surrogatepass")
            del data
            produced = compiled.input_text(text)
            del text
            for result in produced:
                _send(results, _RESULT, result.encode("utf-8", "surrogatepass"))
                del result
        except ValueError as exc:
            _send(results, _ERROR, str(exc).encode("utf-8", "replace"))
        else:
            _send(results, _DONE, b"")


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    _write_all(fd, kind + _LENGTH.pack(len(payload)) + payload)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    parts: list[bytes] = []
    missing = size
    while missing:
        chunk = os.read(fd, missing)
        if not chunk:
            return None
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)
