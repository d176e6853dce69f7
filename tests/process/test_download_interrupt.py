"""Ctrl-C (or SIGTERM) on a download, as a real process: the part is kept, the one line says a
rerun resumes it, and the plain rerun does (Range and If-Range from the part's meta)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.faults.behaviours import RangeFile
from tests.faults.faultserver import FaultServer
from tests.hostile.harness import assert_clean, run
from tests.process.conftest import APICLI, base_environment

if TYPE_CHECKING:
    from tests.faults.wire import Exchange

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
SENT = 300_000
ETAG = '"blob-v1"'


@dataclass(frozen=True)
class StallMidBody:
    """Send the head and SENT bytes of the body, then stall until the server stops (the client goes first)."""

    sent: threading.Event = field(default_factory=threading.Event)

    def serve(self, exchange: Exchange) -> None:
        headers = [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(len(PAYLOAD))),
            ("Accept-Ranges", "bytes"),
            ("ETag", ETAG),
        ]
        exchange.send_head(200, headers)
        exchange.send(PAYLOAD[:SENT])
        self.sent.set()
        exchange.wait(30)


def wait_for_size(path: Path, size: int, seconds: float = 15.0) -> None:
    """Wait until `path` holds `size` bytes: the bytes sent have reached the part on disk."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if path.stat().st_size >= size:
                return
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{path} never reached {size} bytes")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["-o", "-d"])
def test_ctrl_c_keeps_the_part_says_so_and_a_plain_rerun_resumes_it(
    hostile_server: FaultServer, tmp_path: Path, sig: signal.Signals, where: str
) -> None:
    stall = StallMidBody()
    hostile_server.script("/blob.bin", [stall, RangeFile(PAYLOAD, etag=ETAG)])
    url = hostile_server.url("/blob.bin")
    target = [where, str(tmp_path / "blob.bin") if where == "-o" else str(tmp_path)]
    label = str(tmp_path / "blob.bin") if where == "-o" else "blob.bin"
    part = tmp_path / "blob.bin.part"
    process = subprocess.Popen(
        [APICLI, "download", url, *target],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_environment(),
    )
    try:
        assert stall.sent.wait(15)
        wait_for_size(part, SENT)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert stdout == b""
    assert stderr.decode() == (
        f"apicli: interrupted\nhint: the partial download is kept in {str(part)!r}; "
        "run the same command again to resume it\n"
    )
    assert part.read_bytes() == PAYLOAD[:SENT]
    assert not (tmp_path / "blob.bin").exists()

    again = run(["download", url, *target])
    assert_clean(again, 0)
    lines = again.stderr.splitlines()
    assert lines[0] == f"apicli: resuming {label} from byte {SENT}, kept in {str(part)!r} by an earlier run"
    assert lines[1].startswith(f"apicli: saved {tmp_path / 'blob.bin'} (1.0 MB, 748.6 kB this run, ")
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    resumed = hostile_server.requests[1].headers
    assert (resumed.get("Range"), resumed.get("If-Range")) == (f"bytes={SENT}-", ETAG)


def test_ctrl_c_on_several_downloads_says_the_parts_are_kept_and_a_rerun_resumes(
    hostile_server: FaultServer, tmp_path: Path
) -> None:
    stalls = {name: StallMidBody() for name in ("one.bin", "two.bin")}
    for name, stall in stalls.items():
        hostile_server.script(f"/{name}", [stall, RangeFile(PAYLOAD, etag=ETAG)])
    urls = [hostile_server.url(f"/{name}") for name in stalls]
    process = subprocess.Popen(
        [APICLI, "download", *urls, "-d", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_environment(),
    )
    try:
        for name, stall in stalls.items():
            assert stall.sent.wait(15)
            wait_for_size(tmp_path / f"{name}.part", SENT)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, stdout) == (130, b"")
    assert stderr.decode() == (
        "apicli: interrupted\nhint: what arrived is kept in .part files; run the same command again to resume\n"
    )
    again = run(["download", *urls, "-d", str(tmp_path)])
    assert_clean(again, 0)
    for name in stalls:
        assert f"apicli: resuming {name} from byte {SENT}, kept in {str(tmp_path / f'{name}.part')!r}" in again.stderr
        assert (tmp_path / name).read_bytes() == PAYLOAD
