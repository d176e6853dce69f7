"""Piped stdin that apicli was not told to read: a note, never a read, never a wait.

`cat user.json | apicli post URL` sends no body, as it should (reading stdin unasked would hang
CI steps and switch methods); it says so on stderr. These run apicli as a real process with stdin
a regular file, a pipe, /dev/null or a terminal, and check that the bytes are still there after.
"""

from __future__ import annotations

import os
import pty
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.faults.behaviours import json_reply
from tests.faults.faultserver import FaultServer
from tests.process.conftest import APICLI, base_environment

NOTE = (
    "apicli: note: stdin has data, but this POST sends no body: "
    "apicli reads stdin only when told, as with --json @- or --data @-\n"
)
BODY = b'{"name": "ann"}\n'


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        running.script("/in", json_reply({"ok": True}))
        yield running
    if running.errors:
        raise running.errors[0]


def post(server: FaultServer, stdin: int | IO[bytes], *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [APICLI, "post", server.url("/in"), *extra],
        stdin=stdin,
        capture_output=True,
        env=base_environment(),
        timeout=30,
    )


def bodies(server: FaultServer) -> list[bytes]:
    return [request.body for request in server.requests_for("/in")]


def test_a_regular_file_with_data_gets_the_note_and_keeps_its_bytes(server: FaultServer, tmp_path: Path) -> None:
    path = tmp_path / "user.json"
    path.write_bytes(BODY)
    with path.open("rb") as stdin:
        first = post(server, stdin)
        second = post(server, stdin, "--data", "@-")  # the same open file, as `{ a; b; } < file` shares it

    assert (first.returncode, first.stderr.decode()) == (0, NOTE)
    assert (second.returncode, second.stderr) == (0, b"")
    assert bodies(server) == [b"", BODY]


def test_a_file_read_to_its_end_gets_no_note(server: FaultServer, tmp_path: Path) -> None:
    path = tmp_path / "user.json"
    path.write_bytes(BODY)
    with path.open("rb") as stdin:
        stdin.seek(0, os.SEEK_END)
        done = post(server, stdin)

    assert (done.returncode, done.stderr) == (0, b"")


@pytest.mark.parametrize("source", ["empty-file", "/dev/null"])
def test_nothing_to_read_gets_no_note(server: FaultServer, tmp_path: Path, source: str) -> None:
    path = Path(os.devnull) if source == "/dev/null" else tmp_path / "empty.json"
    if source == "empty-file":
        path.write_bytes(b"")
    with path.open("rb") as stdin:
        done = post(server, stdin)

    assert (done.returncode, done.stdout, done.stderr) == (0, b'{"ok": true}', b"")
    assert bodies(server) == [b""]


def test_a_pipe_with_data_gets_the_note_and_its_bytes_stay_for_the_next_reader(server: FaultServer) -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, BODY)  # the writer stays open: apicli must not wait for its end
        first = post(server, read_end)
        os.close(write_end)
        second = post(server, read_end, "--data", "@-")
    finally:
        os.close(read_end)

    assert (first.returncode, first.stderr.decode()) == (0, NOTE)
    assert (second.returncode, second.stderr) == (0, b"")
    assert bodies(server) == [b"", BODY]


def test_an_empty_pipe_kept_open_neither_hangs_nor_gets_a_note(server: FaultServer) -> None:
    read_end, write_end = os.pipe()
    try:
        started = time.monotonic()
        done = post(server, read_end)
        took = time.monotonic() - started
    finally:
        os.close(write_end)
        os.close(read_end)

    assert (done.returncode, done.stderr) == (0, b"")
    assert took < 20
    assert bodies(server) == [b""]


def test_a_closed_empty_pipe_gets_no_note(server: FaultServer) -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)  # `true | apicli post URL`: readable, at its end, and empty
    try:
        done = post(server, read_end)
    finally:
        os.close(read_end)

    assert (done.returncode, done.stderr) == (0, b"")


def test_an_endless_pipe_is_not_read(server: FaultServer) -> None:
    """A producer that never stops (`yes | apicli post URL`): the note, and nothing of it consumed."""
    read_end, write_end = os.pipe()
    started = threading.Event()

    def produce() -> None:
        chunk, written = b"y\n" * 4096, 0
        try:
            while written < 1 << 30:  # a budget, should apicli ever read it all
                written += os.write(write_end, chunk)
                started.set()
        except OSError:  # the reader went away
            pass

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        assert started.wait(10)
        done = post(server, read_end)
        waiting = os.read(read_end, 1 << 20)
    finally:
        os.close(read_end)
        producer.join(10)
        os.close(write_end)

    assert (done.returncode, done.stderr.decode()) == (0, NOTE)
    assert bodies(server) == [b""]
    assert waiting.startswith(b"y\ny\n")  # still there: apicli read none of it


def test_a_terminal_gets_no_note_even_with_typed_ahead_text(server: FaultServer) -> None:
    main, secondary = pty.openpty()
    try:
        os.write(main, b"typed ahead\n")
        done = post(server, secondary)
    finally:
        os.close(secondary)
        os.close(main)

    assert (done.returncode, done.stderr) == (0, b"")
    assert bodies(server) == [b""]


def test_quiet_silences_the_note(server: FaultServer) -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, BODY)
        done = post(server, read_end, "-s")
    finally:
        os.close(write_end)
        os.close(read_end)

    assert (done.returncode, done.stderr) == (0, b"")
