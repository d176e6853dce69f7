"""`apicli batch`'s progress bar, as a real process on a pseudo-terminal.

The bar (done, failed, running, the rate; a fraction of the input for a FILE) is drawn on stderr
when stderr is a terminal, and never when it is not. When the results go to the same terminal,
the bar is erased before each is written, so what stays on the screen is the results, whole, and
the summary line.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.faultserver import FaultServer
from tests.faults.loopback import serve
from tests.process.conftest import APICLI, base_environment, run_on_terminal
from tests.process.test_batch_signals import Slow
from tests.sgr import plain
from tests.terminal_screen import read_screen

COUNT = 60  # at 2 at a time and 50 ms each, the run lasts long enough for the bar to be drawn several times
_CONTROLS = re.compile(r"(\r|\n|\x1b\[2K)")
_PERCENT = re.compile(rb" *(\d+)%")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    yield from serve(FaultServer())


def _requests(tmp_path: Path) -> Path:
    path = tmp_path / "requests.ndjson"
    path.write_bytes(b"".join(b'{"url": "/slow", "id": %d}\n' % number for number in range(COUNT)))
    return path


def final_screen(shown: bytes) -> list[str]:
    """The lines a terminal is left showing after `shown` (carriage return, line feed and erase-line
    are the only controls apicli writes here; colours are dropped)."""
    lines, column = [""], 0
    for token in _CONTROLS.split(plain(shown).decode("utf-8")):
        if token == "\r":
            column = 0
        elif token == "\n":
            lines.append("")
            column = 0
        elif token == "\x1b[2K":
            lines[-1] = ""
        elif token:
            line = lines[-1].ljust(column)
            lines[-1] = line[:column] + token + line[column + len(token) :]
            column += len(token)
    return lines


def _json_stream(text: str) -> list[dict[str, object]]:
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    return values


def _bar_drawn(screen: bytes) -> list[bytes]:
    """Each drawing of the bar: an erased line then `batch ` and the bar's counts."""
    return [piece for piece in plain(screen).split(b"\r\x1b[2K") if piece.startswith(b"batch ") and b" done, " in piece]


def test_the_bar_leaves_the_results_whole_on_the_terminal_they_share(server: FaultServer, tmp_path: Path) -> None:
    server.script("/slow", Slow(0.05))
    shown = run_on_terminal(["batch", str(_requests(tmp_path)), "--base-url", server.url(), "--parallel", "2"])
    assert shown.code == 0, shown.screen
    drawn = _bar_drawn(shown.screen)
    assert len(drawn) >= 2, shown.screen
    assert all(b" failed, " in piece and b"/s " in piece for piece in drawn)
    *results, summary, last = final_screen(shown.screen)
    assert last == ""
    assert re.fullmatch(rf"apicli: batch: {COUNT} requests: {COUNT} ok in \d+\.\d s \(\d+\.\d/s\)", summary), summary
    written = _json_stream("\n".join(results))
    assert [item["index"] for item in written] == list(range(COUNT))
    assert all(item["ok"] is True and item["body"] == {"slow": 0.05} for item in written)


def test_a_file_input_shows_its_fraction_done(server: FaultServer, tmp_path: Path) -> None:
    server.script("/slow", Slow(0.05))
    output = tmp_path / "results.ndjson"
    args = ["batch", str(_requests(tmp_path)), "--base-url", server.url(), "--parallel", "2", "-o", str(output)]
    shown = run_on_terminal(args)
    assert shown.code == 0, shown.screen
    percents = [int(found.group(1)) for piece in _bar_drawn(shown.screen) if (found := _PERCENT.search(piece))]
    assert len(percents) >= 2 and percents == sorted(percents) and 0 < percents[-1] <= 100, percents
    (summary, last) = final_screen(shown.screen)
    assert summary.startswith(f"apicli: batch: {COUNT} requests: {COUNT} ok in ") and last == ""
    assert len(output.read_bytes().splitlines()) == COUNT


def test_stdin_has_no_total(server: FaultServer, tmp_path: Path) -> None:
    server.script("/slow", Slow(0.05))
    main, secondary = pty.openpty()
    with _requests(tmp_path).open("rb") as lines:
        proc = subprocess.Popen(
            [APICLI, "batch", "--base-url", server.url(), "--parallel", "2", "-o", str(tmp_path / "out")],
            stdin=subprocess.PIPE,
            stdout=secondary,
            stderr=secondary,
            env=base_environment({"TERM": "xterm-256color"}),
        )
        assert proc.stdin is not None
        proc.stdin.write(lines.read())
        proc.stdin.close()
    os.close(secondary)
    screen = read_screen(main, proc).replace(b"\r\n", b"\n")
    os.close(main)
    assert proc.wait(timeout=10) == 0, screen
    drawn = _bar_drawn(screen)
    assert drawn and not any(_PERCENT.search(piece) for piece in drawn), drawn
    assert final_screen(screen)[0].startswith(f"apicli: batch: {COUNT} requests: {COUNT} ok in ")


def test_no_bar_when_stderr_is_not_a_terminal(server: FaultServer, tmp_path: Path) -> None:
    server.script("/slow", Slow(0.05))
    done = subprocess.run(
        [APICLI, "batch", str(_requests(tmp_path)), "--base-url", server.url(), "--parallel", "2"],
        capture_output=True,
        env=base_environment(),
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rb"apicli: batch: 60 requests: 60 ok in \d+\.\d s \(\d+\.\d/s\)\n", done.stderr), done.stderr
    assert [json.loads(line)["index"] for line in done.stdout.splitlines()] == list(range(COUNT))
