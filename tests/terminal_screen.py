"""Read everything a child process shows on a pseudo-terminal, up to its exit."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator


def _buffered(main: int) -> Iterator[bytes]:
    """What is still waiting on the terminal once its writer has gone."""
    while select.select([main], [], [], 0)[0]:
        try:
            data = os.read(main, 65536)
        except OSError:  # nothing left and no writer
            return
        if not data:
            return
        yield data


def read_screen(main: int, proc: subprocess.Popen[bytes], seconds: float = 20) -> bytes:
    """Collect the terminal's output until the last writer closes it or ``proc`` exits (bounded by ``seconds``)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select.select([main], [], [], 0.1)[0]:
            try:
                data = os.read(main, 65536)
            except OSError:  # the terminal's last writer closed it
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            # It may have written its last bytes between the select and the poll.
            chunks.extend(_buffered(main))
            break
    return b"".join(chunks)
