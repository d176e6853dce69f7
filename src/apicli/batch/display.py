"""The progress bar of `apicli batch` on a terminal's stderr: done, failed, running, the rate, the time.

rich's Progress lays the line out (its bar, its pulse while the total is unknown), but the batch draws
that line itself, from the main thread, which is also the only thread that writes results: rich's live
display redraws from a thread of its own and expects every other write to the terminal to go through
its console, while results go to stdout. When results, -w or a note may reach the terminal the bar is
on, the bar is erased before they are written and drawn again after them, so a result never shares a
line with the bar. The bar's fraction is how much of the input has its results written: known for a
FILE, not for stdin.

rich is imported on a background thread while the first requests go out (the import costs about
0.1 s, and the run must not wait for it); until it is there, nothing is drawn.
"""

from __future__ import annotations

import io
import os
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .runner import Snapshot

# Erase the terminal line the cursor is on, and go to its start.
ERASE_LINE = "\r\x1b[2K"


class BarDisplay:
    """One line on stderr, redrawn by `update`; `hide` and `show` keep it off the lines results are written to."""

    def __init__(self, stream: TextIO, *, total: int | None, color: bool, shares_terminal: bool) -> None:
        self.stream = stream
        self.total = total  # the input's size in bytes; None: unknown (stdin)
        self.color = color
        self.shares_terminal = shares_terminal  # results or other output may reach the bar's terminal
        self.drawn = False
        self._line = ""
        self._layout: Any = None  # (rich Progress, its task, a Console that renders into a string)
        self._loader = threading.Thread(target=self._load, name="apicli-batch-progress", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            self._layout = _make_layout(self.total, self.color)
        except Exception:  # no bar is better than a failed batch
            return

    def update(self, snapshot: Snapshot) -> None:
        layout = self._layout
        if layout is None:
            return
        bars, task, console = layout
        rate = snapshot.done / snapshot.seconds if snapshot.seconds > 0 else 0.0
        bars.update(
            task,
            completed=snapshot.read if self.total is not None else 0,
            counts=f"{snapshot.done} done, {snapshot.failed} failed, {snapshot.running} running, {rate:.1f}/s",
            failed=snapshot.failed,
            elapsed=_clock_text(snapshot.seconds),
        )
        console.width = _width(self.stream)
        console.file = io.StringIO()
        console.print(bars.make_tasks_table(bars.tasks), end="", crop=True, no_wrap=True, overflow="crop")
        self._line = console.file.getvalue().split("\n", 1)[0]
        self._draw()

    def hide(self) -> None:
        """Before something is written to the terminal the bar is on: erase the bar."""
        if self.drawn and self.shares_terminal:
            self._put(ERASE_LINE)
            self.drawn = False

    def show(self) -> None:
        """After it: the bar again, as last laid out."""
        if not self.drawn and self._line:
            self._draw()

    def close(self) -> None:
        """The run is over: the bar goes, and the line is free for the summary."""
        self._layout = None
        if self.drawn:
            self._put(ERASE_LINE)
            self.drawn = False

    def _draw(self) -> None:
        self._put(ERASE_LINE + self._line)
        self.drawn = True

    def _put(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stderr: no bar, and the run goes on


def _width(stream: TextIO) -> int:
    """The terminal's width less one column (a line that fills it would wrap on some terminals)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return max(columns or 80, 21) - 1


def _clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _make_layout(total: int | None, color: bool) -> tuple[Any, Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn
    from rich.table import Column
    from rich.text import Text

    class PercentColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text("" if task.total is None else f"{task.percentage:>3.0f}%", style="progress.percentage")

    class CountsColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(task.fields.get("counts", ""), style="red" if task.fields.get("failed") else "")

    console = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        _environ={},  # COLUMNS and the like: the width is set on each redraw
    )
    bars = Progress(
        TextColumn("batch"),
        BarColumn(bar_width=24, complete_style="cyan", finished_style="green", pulse_style="cyan"),
        PercentColumn(),
        CountsColumn(table_column=Column(no_wrap=True)),
        TextColumn("{task.fields[elapsed]}", style="progress.elapsed"),
        console=console,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = bars.add_task("batch", total=total, counts="", failed=0, elapsed="0:00:00")
    return bars, task, console
