"""Running a batch: lines read lazily, requests on --parallel workers, results written in input order.

The input is read on a thread of its own, at most a window of lines ahead of the output (a few
times --parallel), so a million-line input runs in the memory of one window. Results that finish
before an earlier one wait in the reorder window (bounded by BATCH_WINDOW bytes as well: no
request is sent while the waiting results hold more); with --unordered each is written as it
completes. Only the main thread writes, so every result line is whole.

Stopping (Ctrl-C, SIGTERM, --max-time, --fail-fast) closes the gate: nothing more is sent, the
requests in flight get a short grace to finish, and their results are written; one still running
then is written as unfinished, so every request that went out has a result line.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ..clock import Clock
from ..flagtable import DEFAULT_BATCH_PARALLEL
from ..limits import BATCH_WINDOW
from ..pagination.pacing import DaemonExecutor
from .gate import Gate
from .lines import LineError, LineRequest
from .results import Result, Tally
from .send import Sender
from .stopping import StopRequest

WINDOW_PER_WORKER = 4  # the reorder window, in results per worker
GRACE = 3.0  # seconds the requests in flight get to finish once the run is asked to stop
DEADLINE_GRACE = 0.25  # past --max-time, only what is about to end anyway
POLL = 0.1  # the main thread wakes at least this often to see a stop request and show progress
PROGRESS_EVERY = 0.25


class BatchSettings(NamedTuple):
    parallel: int = DEFAULT_BATCH_PARALLEL
    ordered: bool = True
    fail_fast: bool = False


class Snapshot(NamedTuple):
    """How far a batch is, as the progress bar (display.BarDisplay) shows it."""

    done: int  # results written
    failed: int
    running: int
    seconds: float
    read: int  # the input's bytes up to the last line whose result is written


class BatchOutcome(NamedTuple):
    tally: Tally
    seconds: float
    stopped: str | None  # why the run stopped early: "interrupted", "deadline", "fail-fast", "input"
    unfinished: int  # requests sent whose answer did not come within the grace
    input_error: BaseException | None = None


Write = Callable[[Result], None]
Progress = Callable[[Snapshot], None]


class Credits:
    """How many lines the input thread may read ahead of the output: taken per line, given back per result.

    The reader is woken only once half the window is free again, not for every result, so that the two
    threads do not hand the interpreter back and forth on each line.
    """

    def __init__(self, window: int) -> None:
        self.window = window
        self.low = window // 2
        self.outstanding = 0
        self._changed = threading.Condition()

    def take(self, stop: StopRequest) -> bool:
        """One line's credit, waiting while the window is full; False once the run is stopping."""
        with self._changed:
            while self.outstanding >= self.window:
                if stop.asked:
                    return False
                self._changed.wait(POLL)
            if stop.asked:
                return False
            self.outstanding += 1
            return True

    def give(self) -> None:
        with self._changed:
            self.outstanding -= 1
            if self.outstanding == self.low:
                self._changed.notify()


class BatchRun:
    """One batch: `run(lines)` sends every line and hands each result to `write`, in order."""

    def __init__(
        self,
        sender: Sender,
        settings: BatchSettings,
        write: Write,
        *,
        stop: StopRequest,
        flush: Callable[[], None] = lambda: None,
        progress: Progress | None = None,
    ) -> None:
        self.sender = sender
        self.settings = settings
        self.write_result = write
        self.flush = flush
        self.stop = stop
        self.progress = progress
        self.clock: Clock = sender.client.clock
        self.gate: Gate = sender.gate
        self.window = settings.parallel * WINDOW_PER_WORKER
        self.tally = Tally()
        self._events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._credits = Credits(self.window)
        self._sent: dict[int, tuple[LineRequest, Result]] = {}
        self._finished: dict[int, Result] = {}
        self._ready: deque[LineRequest] = deque()
        self._next_index = 0
        self._held = 0
        self._input_error: BaseException | None = None
        self._done_to = 0  # the input's bytes up to the last line whose result is written (the bar's fraction)

    def run(self, lines: Iterator[LineRequest | LineError]) -> BatchOutcome:
        started = self.clock.now()
        reader = threading.Thread(target=self._read, args=(lines,), name="apicli-batch-input", daemon=True)
        reader.start()
        executor = DaemonExecutor(self.settings.parallel, name="apicli-batch")
        ended = False
        stop_at: float | None = None
        shown_at = started
        try:
            while True:
                if self.stop.asked and stop_at is None:
                    self.gate.close()
                    self._ready.clear()
                    grace = DEADLINE_GRACE if self.stop.reason == "deadline" else GRACE
                    stop_at = self.clock.now() + grace
                while self._ready and not self.stop.asked and self._may_send(self._ready[0]):
                    self._submit(executor, self._ready.popleft())
                if ended and not self._ready and not self._sent:
                    break
                if stop_at is not None and (not self._sent or self.clock.now() >= stop_at):
                    break
                ended = self._take_events() or ended
                self.flush()
                if self.clock.expired():
                    self.stop.ask("deadline")
                now = self.clock.now()
                if self.progress is not None and now - shown_at >= PROGRESS_EVERY:
                    shown_at = now
                    running = min(len(self._sent), self.settings.parallel)
                    tally = self.tally
                    self.progress(Snapshot(tally.total, tally.failures, running, now - started, self._done_to))
            unfinished = self._finish()
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        self.flush()
        return BatchOutcome(self.tally, self.clock.now() - started, self.stop.reason, unfinished, self._input_error)

    # The input thread

    def _read(self, lines: Iterator[LineRequest | LineError]) -> None:
        try:
            for item in lines:
                if not self._credits.take(self.stop):
                    return
                self._events.put(("line", item))
            self._events.put(("end", None))
        except Exception as exc:  # reading failed (an I/O error): the run stops and reports it
            self._events.put(("input-error", exc))

    # The main thread

    def _take_events(self) -> bool:
        """Handle what arrived (waiting up to POLL for the first); True once the input has ended."""
        ended = False
        try:
            kind, item = self._events.get(timeout=POLL)
        except queue.Empty:
            return False
        while True:
            if kind == "line" and not self.stop.asked:
                if isinstance(item, LineError):
                    result = Result(item.position, item.line, item.id, item.end).fail("input", item.message)
                    self._completed(result)
                else:
                    self._ready.append(item)
            elif kind == "done":
                self._sent.pop(item.index, None)
                self._completed(item)
            elif kind == "end":
                ended = True
            elif kind == "input-error":
                self._input_error = item
                self.stop.ask("input")
            try:
                kind, item = self._events.get_nowait()
            except queue.Empty:
                return ended

    def _may_send(self, request: LineRequest) -> bool:
        # The next result to write always goes: the window's budget must never hold back the one it waits for.
        return self._held < BATCH_WINDOW.bytes or request.position == self._next_index

    def _submit(self, executor: DaemonExecutor, request: LineRequest) -> None:
        result = Result(request.position, request.line, request.id, request.end)
        self._sent[request.position] = (request, result)
        events = self._events
        sender = self.sender

        def work() -> None:
            events.put(("done", sender.send(request, result)))

        executor.submit(work)

    def _completed(self, result: Result) -> None:
        if not result.ok and self.settings.fail_fast:
            self.stop.ask("fail-fast")
        if not self.settings.ordered:
            self._write(result)
            return
        self._finished[result.index] = result
        self._held += result.size
        while self._next_index in self._finished:
            self._write(self._finished.pop(self._next_index))
            self._next_index += 1

    def _write(self, result: Result) -> None:
        if self.settings.ordered:
            self._held -= result.size
        self._credits.give()
        if result.sent:  # a line stopped at the gate was never sent: a rerun sends it
            self.write_result(result)
            self.tally.count(result)
            self._done_to = max(self._done_to, result.end)

    def _finish(self) -> int:
        """Past the grace: a result for each request still out, then every result held, in order."""
        unfinished = sorted(self._sent.items())
        self._sent.clear()
        started = 0
        for _index, (request, running) in unfinished:
            result = Result(request.position, request.line, request.id, request.end)
            result.method, result.url = running.method, running.url
            # A worker sets `sent` once its request passes the gate; one still queued was never sent.
            result.sent = running.sent and running.method is not None
            started += result.sent
            self._completed(result.fail("interrupted", "unfinished when the batch stopped"))
        for index in sorted(self._finished):
            self._write(self._finished.pop(index))
        return started
