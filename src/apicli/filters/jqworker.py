"""Running libjq in a child process, so that --max-time and Ctrl-C can stop any jq program.

libjq holds the GIL while it evaluates: a program that computes for minutes before its first
result (`[range(1e9)] | length`) leaves no Python code running in this process to notice the
--max-time alarm or Ctrl-C. So evaluation runs in a forked child that streams each result back
over a pipe; this process waits in os.read, which a signal handler's exception interrupts, and
kills the child whenever it stops reading before the end. One child serves every input of a run
(paginate runs the program once per item) and is killed when its JqWorker is collected.

The child's memory is capped (JQ_MEMORY_LIMIT of address space beyond what it inherits): a
program that grows without end (`[repeat(.)]`, `tojson` on itself) fails with a clear error
when it reaches the cap, instead of taking the machine's memory first.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import select
import signal
import struct
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ApicliError, OutputError
from ..limits import MIB, size_text
from ..signals import fork
from .libjq import HALT_MESSAGE_LIMIT, JqFailed, JqHalted, ResultFile, StreamingFilter, load

_LENGTH = struct.Struct("!Q")
_CHUNK, _END = b"c", b"z"  # parent to child: an input's bytes in length-prefixed pieces, then its end
_LAYOUT = b"f"  # parent to child, before an input: jv_dumpf's flags for its results, in decimal
# Child to parent: a line per result (compact JSON never holds a raw newline or NUL), and lines
# starting with NUL for the input's end and for an error (its message as a JSON string). Indented
# results span lines, but hold no NUL either (jq escapes it in strings): they are read as a byte
# stream up to the next NUL (`output`).
_DONE, _ERROR, _HALT = b"\x00d", b"\x00e", b"\x00h"  # a halt: [code, message] as JSON
# Memory the jq child may take beyond what it inherits from the fork: `--jq .` on a 40 MB body of
# typical JSON (objects of strings and numbers) takes about 600 MiB in libjq. A body dense in
# small numbers takes more (libjq keeps each number's text): about 40 times its size.
JQ_MEMORY_LIMIT = 768 * MIB
OUT_OF_MEMORY = 3  # the child's exit status when Python itself ran out (libjq aborts instead)
# Blocks of this size or more no longer grow malloc's heap (steady_heap).
HEAP_BLOCK_LIMIT = 64 * 1024
# Input is written in frames of at least a pipe's usual capacity, and results read in pieces just
# under it: a piece's bytes object (header included) stays below HEAP_BLOCK_LIMIT, where a larger
# read would cost an mmap and munmap each for what is mostly a few KiB.
_WRITE = 64 * 1024
_READ = HEAP_BLOCK_LIMIT - 256
_FEW_PIECES = 16  # chunks of an input written as they are (os.writev) rather than joined first


class JqWorker:
    """A forked child holding the compiled program; `results(chunks)` runs it on one input."""

    def __init__(self, compiled: Any, source: str) -> None:
        self.compiled = compiled  # the bindings' program (source | tojson), where libjq is not reachable
        self.source = source
        self.child: tuple[int, int, int] | None = None  # pid, request fd, result fd
        self.buffer = bytearray()
        self.scanned = 0  # the buffer holds no newline before this offset
        self.finished = False  # the child's DONE for the current input has been read
        self.layout = b"0"  # the child's jv_dumpf flags
        self.passing = False  # results are read as output bytes (`output`), not as lines
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def start(self) -> None:
        """Fork the child now, while this process is small: a child forked after the body was read
        would share (and count in its memory) every copy of the body this process holds."""
        if self.child is None:
            self._start()

    def results(self, chunks: Iterable[bytes], limit: int) -> Iterator[str]:
        """Each result's compact JSON text, for the input whose bytes are `chunks` (one JSON value
        or several); a jq error, or input that does not parse, is JqFailed.

        The input is sent as it comes, while results are read back: neither side holds it whole,
        and a child busy writing results never waits for a parent busy writing input. A result
        longer than `limit` bytes is refused before it is all read.
        """
        for line in self._exchange(chunks, limit, b"0", passing=False):
            yield line.decode("utf-8", "surrogateescape")

    def output(self, chunks: Iterable[bytes], limit: int, flags: int) -> Iterator[bytes]:
        """The results as libjq writes them with jv_dumpf's `flags` (compact, or indented), each
        ending in a newline, in pieces to write as they are (a piece never cuts a character)."""
        return self._exchange(chunks, limit, b"%d" % flags, passing=True)

    def _exchange(self, chunks: Iterable[bytes], limit: int, layout: bytes, *, passing: bool) -> Iterator[bytes]:
        if self.child is None:
            self._start()
        assert self.child is not None
        self.finished = False
        self.passing = passing
        try:
            last: list[bytes] = []  # held back to go with the end in one write: a small input costs one
            if layout != self.layout:
                yield from self._send(limit, [_LAYOUT + _LENGTH.pack(len(layout)) + layout])
                self.layout = layout
            for pieces in _coalesced(chunks):
                if last:
                    yield from self._send(limit, _framed(last))
                last = pieces
            yield from self._send(limit, [*(_framed(last) if last else ()), _END + _LENGTH.pack(0)])
            while not self.finished:
                yield from self._lines(limit)
                if not self.finished:
                    self._take_available()
        except BaseException:
            # A jq error (the child may wait for the rest of an input that will not come), a
            # deadline, Ctrl-C, a reader that stopped early: the child may still be computing.
            self.stop()
            raise

    def stop(self) -> None:
        # The finalizer is detached and its call made here: calling it would do nothing once the
        # interpreter's exit handlers have run (weakref.finalize is shut down then).
        detached = self._finalizer.detach() if self._finalizer is not None else None
        if detached is not None:
            _object, kill, arguments, _keywords = detached
            kill(*arguments)
        self._finalizer = None
        self.child = None
        self.buffer.clear()
        self.scanned = 0
        self.layout = b"0"

    def _send(self, limit: int, frame: list[bytes]) -> Iterator[bytes]:
        """Write the pieces of `frame` to the child, taking in (and yielding) the results it sends
        meanwhile. The pieces go out as they are (os.writev): joining them would copy each body
        chunk once more, in the process that holds the least memory when the child holds the most."""
        assert self.child is not None
        _pid, requests, results = self.child
        views = [memoryview(piece) for piece in frame if piece]
        poller = select.poll()  # not select(): it fails on a descriptor past 1023
        poller.register(results, select.POLLIN)
        poller.register(requests, select.POLLOUT)
        while views:
            ready = dict(poller.poll())
            if ready.get(results):
                self._take_available()
                yield from self._lines(limit)
            if ready.get(requests):
                try:
                    written = os.writev(requests, views)
                except BlockingIOError:
                    continue
                except OSError:
                    raise _ended() from None
                while written and written >= len(views[0]):
                    written -= len(views.pop(0))
                if written:
                    views[0] = views[0][written:]

    def _take_available(self) -> None:
        assert self.child is not None
        chunk = os.read(self.child[2], _READ)
        if not chunk:
            raise self._ended()
        self.buffer += chunk

    def _ended(self) -> ApicliError:
        """The child closed its pipe: it has exited. Why, from its status (it is reaped here)."""
        assert self.child is not None
        pid = self.child[0]
        status = 0
        with contextlib.suppress(ChildProcessError):
            status = os.waitpid(pid, 0)[1]
        if self._finalizer is not None:
            self._finalizer.detach()  # reaped: its pid must not be signalled again
        for fd in self.child[1:]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.child = None
        self.buffer.clear()
        self.scanned = 0
        self.layout = b"0"
        signalled = os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGSEGV)
        if signalled or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == OUT_OF_MEMORY):
            return ApicliError(
                f"--jq: the jq program needed more than {size_text(JQ_MEMORY_LIMIT)} of memory, the cap on jq's memory",
                hint="narrow the program (e.g. with limit(N; ...)) or the input",
            )
        return _ended()

    def _lines(self, limit: int) -> Iterator[bytes]:
        """The results whole in the buffer, up to the input's DONE (which sets `finished`)."""
        while not self.finished:
            if self.passing:
                start = self.buffer.find(b"\0")
                if start != 0:
                    # Output up to the next message, or all that came but a character cut in two:
                    # a result of any length (`.` on a large body is one line) passes through as it comes.
                    cut = start if start > 0 else _whole_characters(self.buffer)
                    if cut:
                        with memoryview(self.buffer) as held:
                            piece = bytes(held[:cut])  # one copy (a slice of the bytearray would be two)
                        del self.buffer[:cut]
                        yield piece
                        continue
                    return
            end = self.buffer.find(b"\n", self.scanned)
            if end < 0:
                if len(self.buffer) > limit:
                    raise results_too_large(limit)
                self.scanned = len(self.buffer)
                return
            line = self.buffer[:end]
            del self.buffer[: end + 1]
            self.scanned = 0
            if line.startswith(_ERROR):
                raise JqFailed(json.loads(line[len(_ERROR) :]))
            if line.startswith(_HALT):
                code, message = json.loads(line[len(_HALT) :])
                self.finished = True
                raise JqHalted(code, message)
            if line == _DONE:
                self.finished = True
                return
            yield bytes(line)

    def _start(self) -> None:
        steady_heap()
        requests_read, requests_write = os.pipe()
        results_read, results_write = os.pipe()
        pid = fork()
        if pid == 0:  # the child never returns into the caller's code
            code = 1
            try:
                cap_memory(JQ_MEMORY_LIMIT)
                os.close(requests_write)
                os.close(results_read)
                _serve(self.compiled, self.source, requests_read, results_write)
                code = 0
            except MemoryError:
                code = OUT_OF_MEMORY
            finally:
                os._exit(code)
        os.close(requests_read)
        os.close(results_write)
        os.set_blocking(requests_write, False)
        self.child = (pid, requests_write, results_read)
        self._finalizer = weakref.finalize(self, _kill, pid, requests_write, results_read)


# glibc's malloc raises its mmap threshold to the size of each large block freed, and blocks up to
# that size then come from the heap. A body read in pieces of varying size (read1 returns what has
# arrived, up to 256 KiB) leaves holes there that the heap grows past: in about a third of the runs
# of `--jq .` on a 40 MB body, this process's heap grew by 4 MB while the child held the document.
# With the threshold fixed, the heap no longer grows for such blocks: past the room it has, each
# gets a mapping of its own, returned when freed. (Measured: the parent's share then stays within
# 0.5 MB from run to run, where it varied by 5 MB.)
_M_MMAP_THRESHOLD = -3  # mallopt's parameter, as in glibc's malloc.h


@functools.cache  # once per process
def steady_heap() -> None:
    """Fix malloc's mmap threshold at HEAP_BLOCK_LIMIT, for this process and the children it forks."""
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc: its malloc has its own ways
    mallopt(_M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT)


def _whole_characters(data: bytearray) -> int:
    """How much of `data` (UTF-8) ends on a character's end: all of it but a character's first bytes."""
    end = len(data)
    continuation = 0
    while continuation < 3 and continuation < end and data[end - 1 - continuation] & 0xC0 == 0x80:
        continuation += 1
    lead_at = end - 1 - continuation
    if lead_at < 0:
        return 0
    lead = data[lead_at]
    size = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return end if continuation + 1 >= size else lead_at


def results_too_large(limit: int) -> OutputError:
    mib, rest = divmod(limit, 1024 * 1024)
    return OutputError(
        f"--jq output is larger than {f'{mib} MiB' if mib and not rest else f'{limit} bytes'}",
        hint="narrow the jq program, e.g. with limit(N; ...)",
    )


def _coalesced(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """The chunks gathered into runs of at least _WRITE bytes, each sent as one frame: a body
    read a few KiB at a time would otherwise cost both processes a wake-up per read. A run of
    a few chunks is sent as they are; one of many small chunks is joined (a cheap copy)."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        if not chunk:
            continue
        parts.append(chunk)
        size += len(chunk)
        if size >= _WRITE:
            yield _run(parts)
            parts = []
            size = 0
    if size:
        yield _run(parts)


def _run(parts: list[bytes]) -> list[bytes]:
    return parts if len(parts) <= _FEW_PIECES else [b"".join(parts)]


def _framed(pieces: list[bytes]) -> list[bytes]:
    """An input's pieces as one chunk frame: its header, then the pieces themselves."""
    return [_CHUNK + _LENGTH.pack(sum(map(len, pieces))), *pieces]


def cap_memory(limit: int) -> None:
    """Limit this (child) process's address space to what it has now plus `limit` bytes."""
    try:
        import resource

        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[0])
        cap = pages * os.sysconf("SC_PAGE_SIZE") + limit
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        pass  # no /proc (not Linux): the child runs uncapped, as the jq command would


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


def _serve(compiled: Any, source: str, requests: int, results: int) -> None:
    """The child: answer each input (framed chunks, then an end) with framed results, until the parent closes."""
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
    library = load()
    out: ResultFile | _PipeWriter = _PipeWriter(results)
    engine = None
    if library is not None:
        out = ResultFile(results)
        engine = StreamingFilter(library, source, out)
    while _answer(requests, out, engine, compiled):
        pass


def _answer(requests: int, out: ResultFile | _PipeWriter, engine: StreamingFilter | None, compiled: Any) -> bool:
    """Run the program on the next input, results written as they come; False when the parent is gone."""
    held: list[bytes] = []  # for the bindings, which take an input only whole
    failed = False
    while True:
        head = _read_exact(requests, 1 + _LENGTH.size)
        if head is None:
            return False
        data = _read_exact(requests, _LENGTH.unpack(head[1:])[0])
        if data is None:
            return False
        if head[:1] == _LAYOUT:
            if engine is not None:
                engine.lay_out(int(data))
            continue
        if failed:
            continue  # the parent stops at the error; the rest of this input is not read
        try:
            if head[:1] == _CHUNK:
                if engine is None:
                    held.append(data)
                else:
                    engine.feed(data)
            elif engine is not None:
                engine.finish()
            else:
                for result in _whole_input(compiled, held):
                    out.write(result + b"\n")
        except JqHalted as halt:
            out.write(_HALT + json.dumps([halt.code, halt.message]).encode() + b"\n")
            out.flush()
            if engine is not None:
                engine.reset()
            failed = True
        except ValueError as exc:
            out.write(_ERROR + json.dumps(str(exc)[:HALT_MESSAGE_LIMIT]).encode() + b"\n")
            out.flush()
            if engine is not None:
                engine.reset()
            failed = True
        if head[:1] == _END:
            if not failed:
                out.write(_DONE + b"\n")
                out.flush()
            return True


def _whole_input(compiled: Any, held: list[bytes]) -> Iterator[bytes]:
    # One copy at a time: the bindings keep their own UTF-8 copy while libjq parses the str.
    text = b"".join(held).decode("utf-8", "surrogatepass")
    held.clear()
    produced = compiled.input_text(text)
    del text
    for result in produced:
        yield result.encode("utf-8", "surrogatepass")


class _PipeWriter:
    """ResultFile's interface over os.write, where libjq's C interface is not reachable."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> None:
        _write_all(self.fd, data)

    def flush(self) -> None:
        pass


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
