"""Running several downloads at once on daemon threads, keeping those that succeed.

One download runs in the main thread, so Ctrl-C and the --max-time alarm interrupt
its reads directly. Several run on daemon worker threads (never joined at exit, so a
worker stuck in a read cannot hold the process), while the main thread waits in short,
interruptible steps; an interrupt sets `cancel`, which every worker checks per chunk.
"""

from __future__ import annotations

import queue
import threading
import time

from ..errors import ApicliError, Interrupted
from ..formats.urls import redact_url
from ..output.progress import Saved
from ..spec import RequestSpec
from .files import make_directory
from .jobs import DownloadJob, DownloadsFailed
from .transfer import Download, DownloadContext

_WAIT_STEP = 0.2


def download_all(context: DownloadContext, work: list[tuple[RequestSpec, DownloadJob]]) -> list[Saved]:
    """Fetch every job; raise the error itself for a single URL, or DownloadsFailed naming the failures."""
    options = context.options
    if options.output is None and not options.to_stdout:
        make_directory(options.directory)
    if len(work) == 1:
        spec, job = work[0]
        return [_observed(context, spec, job)]
    outcomes: list[Saved | ApicliError | None] = [None] * len(work)
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(work)):
        pending.put(index)
    finished = threading.Semaphore(0)

    def worker() -> None:
        while not context.cancel.is_set():
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            spec, job = work[index]
            try:
                outcomes[index] = _observed(context, spec, job)
            except ApicliError as exc:
                outcomes[index] = exc
            except Exception as exc:  # a bug must not hang the run: report it as this URL's failure
                outcomes[index] = ApicliError(f"internal error: {type(exc).__name__}: {exc}")
            finally:
                finished.release()

    workers = min(context.options.parallel, len(work))
    for number in range(workers):
        threading.Thread(target=worker, name=f"apicli-download-{number}", daemon=True).start()
    try:
        for _ in work:
            while not finished.acquire(timeout=_WAIT_STEP):
                pass
    except KeyboardInterrupt:
        context.cancel.set()
        raise Interrupted(
            "interrupted", hint="what arrived is kept in .part files; run the same command again to resume"
        ) from None
    except BaseException:
        context.cancel.set()
        raise
    failures = [
        (redact_url(spec.url), outcome)
        for (spec, _job), outcome in zip(work, outcomes, strict=True)
        if isinstance(outcome, ApicliError)
    ]
    if failures:
        raise DownloadsFailed(failures, len(work))
    return [outcome for outcome in outcomes if isinstance(outcome, Saved)]


def _observed(context: DownloadContext, spec: RequestSpec, job: DownloadJob) -> Saved:
    """One download, told to --report's observer as it ends."""
    download = Download(context, spec, job)
    if context.observe is None:
        return download.run()
    started = time.perf_counter()
    try:
        saved = download.run()
    except ApicliError as exc:
        context.observe(spec, download.response, time.perf_counter() - started, exc)
        raise
    context.observe(spec, download.response, time.perf_counter() - started, None)
    return saved
