"""How a download shows itself on stderr: a rich progress bar on a terminal, else one line per file.

The transfer loop only calls `FileProgress.update` with a byte count; the bar is redrawn
on rich's own timer, so its cost does not grow with the number of chunks. rich is
imported only when a bar is actually drawn, because importing it costs ~0.1 s.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from .report import Reporter

_UNITS = ("B", "kB", "MB", "GB", "TB")


@dataclass(frozen=True)
class Saved:
    """A finished download: where it went (None for stdout), how big, how long it took."""

    path: Path | None
    label: str
    size: int
    seconds: float
    fetched: int | None = None  # bytes this run received, when a resume carried some over (else `size`)

    @property
    def this_run(self) -> int:
        return self.size if self.fetched is None else self.fetched


def format_size(size: float) -> str:
    """Decimal units, as transfer rates are usually quoted: 1.2 MB, 850 kB, 12 B."""
    for unit in _UNITS:
        if size < 1000 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def format_progress_size(completed: float, total: float | None) -> str:
    """`1.2/3.4 MB`, `800.0 kB/1.5 MB`, or just `1.2 MB` when the total is unknown."""
    done = format_size(completed)
    if total is None:
        return done
    whole = format_size(total)
    number, _, unit = done.partition(" ")
    return f"{number}/{whole}" if whole.endswith(f" {unit}") else f"{done}/{whole}"


def format_rate(size: int, seconds: float) -> str:
    return f"{format_size(size / max(seconds, 1e-6))}/s"


def summary_line(saved: Saved) -> str:
    """`apicli: saved report.csv (204.8 kB, 1.2 MB/s)`: the units of the progress bar."""
    where = f"saved {saved.path}" if saved.path is not None else f"wrote {saved.label}"
    # After a resume the speed counts only this run's bytes; the size is the whole file's.
    fetched = saved.this_run
    resumed = f", {format_size(fetched)} this run" if fetched != saved.size else ""
    return f"apicli: {where} ({format_size(saved.size)}{resumed}, {format_rate(fetched, saved.seconds)})"


class FileProgress:
    """One download's progress; this base shows nothing while bytes arrive."""

    def start(self, label: str, total: int | None, completed: int) -> None:
        """(Re)start the count, e.g. at the resume offset, or at zero after a restart."""

    def update(self, completed: int) -> None:
        """Bytes held so far; called once per chunk, so it must be cheap."""

    def finish(self, saved: Saved) -> None:
        pass

    def fail(self) -> None:
        pass


class Progress:
    """The display for one run; a context manager that cleans the terminal up on exit."""

    def file(self, label: str) -> FileProgress:
        raise NotImplementedError

    def message(self, line: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _LineFile(FileProgress):
    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def finish(self, saved: Saved) -> None:
        self.reporter.note(summary_line(saved))


class LineProgress(Progress):
    """Not a terminal (or --quiet): a summary line per finished file, nothing else."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def file(self, label: str) -> FileProgress:
        return _LineFile(self.reporter)

    def message(self, line: str) -> None:
        self.reporter.note(line)


class _BarFile(FileProgress):
    """Plain attributes that the bar copies on each redraw: an update costs one assignment."""

    def __init__(self, owner: BarProgress, label: str) -> None:
        self.owner = owner
        self.label = label
        self.total: int | None = None
        self.completed = 0
        self.failed = False
        self.speed: float | None = None
        self.fetched = 0  # bytes this run received, once finished (a resume's earlier bytes excluded)
        self.task_id: Any = None

    def start(self, label: str, total: int | None, completed: int) -> None:
        self.label, self.total, self.completed = label, total, completed

    def update(self, completed: int) -> None:
        self.completed = completed

    def finish(self, saved: Saved) -> None:
        self.label, self.total, self.completed = saved.label, saved.size, saved.size
        self.speed = saved.this_run / max(saved.seconds, 1e-6)
        self.fetched = saved.this_run
        self.owner.summary(summary_line(saved))

    def fail(self) -> None:
        self.failed = True


class BarProgress(Progress):
    """rich bars on stderr: bytes, total, speed and ETA per file, plus a total line for several files.

    rich is imported on a background thread while the first bytes arrive, so its import
    overlaps the transfer instead of delaying it; until then the counts simply accumulate.
    """

    def __init__(self, stream: TextIO, *, files: int, redact: Any = None) -> None:
        self.stream = stream
        self.show_total = files > 1
        self.redact = redact or (lambda text: text)
        self.lock = threading.Lock()
        self.files: list[_BarFile] = []
        self.bars: Any = None
        self.total_id: Any = None
        self.closed = False
        self.summaries: list[str] = []  # shown under the finished bars, not above running ones
        self.started = time.monotonic()
        self.loader = threading.Thread(target=self._load, name="apicli-progress", daemon=True)
        self.loader.start()

    def _load(self) -> None:
        try:
            bars = _make_bars(self)
        except Exception:  # no bar is better than a failed download
            return
        with self.lock:
            if self.closed:
                return
            if self.show_total:
                self.total_id = bars.add_task("total", total=None)
            for file in self.files:
                file.task_id = bars.add_task(file.label, total=file.total, completed=file.completed)
            self.bars = bars
            bars.start()

    def sync(self, bars: Any) -> None:
        """Copy every file's counts into its task; rich calls this on each timed redraw."""
        total = 0
        completed = 0
        known = True
        for file in list(self.files):
            if file.task_id is None:
                continue
            description = f"{file.label} (failed)" if file.failed else file.label
            bars.update(file.task_id, description=description, total=file.total, completed=file.completed)
            if file.speed is not None:
                # The measured average, also for files too quick for rich to sample a speed.
                for task in bars.tasks:
                    if task.id == file.task_id:
                        task.finished_speed = file.speed
            completed += file.completed
            if file.total is None:
                known = False
            else:
                total += file.total
        if self.total_id is not None:
            bars.update(self.total_id, total=total if known and total else None, completed=completed)
            if self.files and all(file.speed is not None for file in self.files):
                fetched = sum(file.fetched for file in self.files)
                for task in bars.tasks:
                    if task.id == self.total_id:
                        task.finished_speed = fetched / max(time.monotonic() - self.started, 1e-6)

    def file(self, label: str) -> FileProgress:
        file = _BarFile(self, label)
        with self.lock:
            self.files.append(file)
            if self.bars is not None:
                file.task_id = self.bars.add_task(label, total=None)
        return file

    def message(self, line: str) -> None:
        text = self.redact(line)
        with self.lock:
            bars = self.bars
            if bars is None:
                self.stream.write(text + "\n")
                self.stream.flush()
                return
        bars.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def summary(self, line: str) -> None:
        with self.lock:
            self.summaries.append(line)

    def close(self) -> None:
        self.loader.join(timeout=10)
        with self.lock:
            self.closed = True
            bars, summaries, self.summaries = self.bars, self.summaries, []
        if bars is not None:
            bars.stop()
        for line in summaries:
            self.stream.write(self.redact(line) + "\n")
        self.stream.flush()


def _make_bars(owner: BarProgress) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    # rich's own columns say "10 bytes" and "10 bytes/s"; these use the summary's units (10 B/s).
    class SizeColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(format_progress_size(task.completed, task.total), style="progress.download")

    class SpeedColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("?" if speed is None else f"{format_size(speed)}/s", style="progress.data.speed")

    class Bars(RichProgress):
        def get_renderable(self) -> Any:
            owner.sync(self)
            return super().get_renderable()

    return Bars(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        SizeColumn(),
        SpeedColumn(),
        TimeRemainingColumn(),
        console=Console(file=owner.stream, highlight=False),
        auto_refresh=True,
        refresh_per_second=8,
        # sys.stdout may be the download itself (-o -): never swap it for a proxy.
        redirect_stdout=False,
        redirect_stderr=False,
    )
