"""End to end against replies that are wrong in their content: headers, encodings, bombs, files.

The delivery is fine here; what arrives is not: too many or too long headers, JSON that is not,
bytes that are not UTF-8, gzip with a compressed Content-Length, a decompression bomb. Every
case ends in the documented exit code with stdout holding only a successful body.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import Invoke, apicli_command
from tests.faults import (
    FaultServer,
    Reply,
    empty_json,
    gzip_bomb,
    gzipped,
    huge_header,
    huge_headers,
    invalid_json,
    invalid_utf8,
)
from tests.faults.test_fault_e2e import FAST, assert_clean_failure, timed

# -- replies that are wrong in their content -----------------------------------------------------


# More than 10,000 header lines (the limit session.py sets), or one line longer than 64 KiB.
@pytest.mark.parametrize("reply", [huge_headers(total=1_100_000), huge_header(size=70_000)], ids=["many", "one-long"])
def test_huge_headers_are_a_clear_error(fault_server: FaultServer, invoke: Invoke, reply: Reply) -> None:
    fault_server.script("/big", reply)

    result, elapsed = timed(lambda: invoke("get", fault_server.url("/big")))

    assert_clean_failure(result, 7, "apicli: the response headers are too large (got more than ")
    assert result.stdout == b""
    assert len(fault_server.requests_for("/big")) == 1  # no point asking again
    assert elapsed < 1.0


@pytest.mark.parametrize(
    "reply",
    # 2,001 lines; and one line of 64 KiB before its CRLF ("X-Huge: " is 8 bytes).
    [huge_headers(total=200_000), huge_header(size=64 * 1024 - 8)],
    ids=["2001-lines", "64KiB-line"],
)
def test_many_or_long_headers_within_the_limits_are_accepted(
    fault_server: FaultServer, invoke: Invoke, reply: Reply
) -> None:
    fault_server.script("/big", reply)

    result = invoke("get", fault_server.url("/big"))

    assert (result.code, result.stdout, result.stderr) == (0, b"{}", "")


def test_invalid_json_is_passed_through_unchanged(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/bad", invalid_json())

    result = invoke("get", fault_server.url("/bad"))

    assert (result.code, result.stdout, result.stderr) == (0, b'{"items": [1, 2,, }', "")


def test_invalid_json_with_pretty_is_shown_as_is(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/bad", invalid_json())

    result = invoke("get", fault_server.url("/bad"), "--pretty")

    assert (result.code, result.stdout) == (0, b'{"items": [1, 2,, }'), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("extra", [(), ("--pretty",), ("--pretty", "--color")])
def test_invalid_utf8_is_passed_through_byte_for_byte(
    fault_server: FaultServer, invoke: Invoke, extra: tuple[str, ...]
) -> None:
    fault_server.script("/bad", invalid_utf8())

    result = invoke("get", fault_server.url("/bad"), *extra)

    assert result.code == 0, result.stderr
    assert b"caf\xe9 \xff\xfe" in result.stdout
    if not extra:
        assert result.stdout == b'{"name": "caf\xe9 \xff\xfe"}'
    assert "Traceback" not in result.stderr


def test_invalid_utf8_error_body_is_shown_readably(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/bad", Reply(500, {"Content-Type": "application/json"}, b'{"error": "\xff\xfe bad"}'))

    result = invoke("get", fault_server.url("/bad"), *FAST)

    assert_clean_failure(result, 5, "apicli: HTTP 500")
    assert "bad" in result.stderr


@pytest.mark.parametrize("extra", [(), ("--pretty",)])
def test_empty_body_with_a_json_type_is_empty_output(
    fault_server: FaultServer, invoke: Invoke, extra: tuple[str, ...]
) -> None:
    fault_server.script("/empty", empty_json())

    result = invoke("get", fault_server.url("/empty"), *extra)

    assert (result.code, result.stdout, result.stderr) == (0, b"", "")


def test_gzip_body_with_compressed_content_length_is_decoded(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    document = {"zipped": True, "items": list(range(500))}
    fault_server.script("/gz", gzipped(json.dumps(document)))

    piped = invoke("get", fault_server.url("/gz"))
    pretty = invoke("get", fault_server.url("/gz"), "--pretty", "--no-color")
    saved = invoke("get", fault_server.url("/gz"), "-o", str(tmp_path / "doc.json"))

    assert (piped.code, piped.stdout) == (0, json.dumps(document).encode())
    assert (pretty.code, pretty.stdout) == (0, json.dumps(document, indent=2).encode() + b"\n")
    assert saved.code == 0 and json.loads((tmp_path / "doc.json").read_bytes()) == document


def test_error_bodies_larger_than_the_read_limit_are_cut_not_dropped(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/err", Reply(500, {"Content-Type": "text/plain"}, b"E" * 300_000))

    result = invoke("get", fault_server.url("/err"), *FAST)

    assert_clean_failure(result, 5, "apicli: HTTP 500")
    assert "EEEE" in result.stderr and len(result.stderr) < 6000


def test_output_file_keeps_the_permissions_of_the_file_it_replaces(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/f", Reply(200, body=b"new"))
    existing, fresh = tmp_path / "existing", tmp_path / "fresh"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    mask = os.umask(0o022)
    os.umask(mask)

    assert invoke("get", fault_server.url("/f"), "-o", str(existing)).code == 0
    assert invoke("get", fault_server.url("/f"), "-o", str(fresh)).code == 0

    assert existing.read_bytes() == fresh.read_bytes() == b"new"
    assert existing.stat().st_mode & 0o777 == 0o640
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask


# -- a decompression bomb, in a real process -------------------------------------------------------

BOMB_SIZE = 200 << 20


# Runs apicli and, at exit, writes the process's VmHWM (its peak RSS since exec) to a file.
_PEAK_PROBE = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status, open(os.environ["APICLI_TEST_PEAK"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(report)
sys.argv[0] = "apicli"
runpy.run_module("apicli", run_name="__main__")
"""


def run_measured(args: list[str]) -> tuple[int, int, bytes, int]:
    """Run apicli; returns (exit code, stdout bytes counted, stderr, peak RSS in MiB)."""
    # On Linux wait4's ru_maxrss also counts the parent's RSS, which the child's exec inherits as a
    # starting high-water mark, so a large test process would be charged to apicli: /proc's VmHWM is not.
    probe = Path("/proc/self/status").exists()
    with tempfile.NamedTemporaryFile(prefix="apicli-peak-") as peak_file:
        command = [sys.executable, "-c", _PEAK_PROBE, *args] if probe else [*apicli_command(), *args]
        env = os.environ | {"APICLI_TEST_PEAK": peak_file.name}
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout is not None and proc.stderr is not None
        received = 0
        while chunk := proc.stdout.read(1 << 20):
            received += len(chunk)
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if probe:
            peak_kib = int(Path(peak_file.name).read_text())
        else:
            peak_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return proc.returncode, received, stderr, peak_kib // 1024


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs wait4 for the child's peak memory")
def test_gzip_bomb_streams_through_a_pipe_in_constant_memory(fault_server: FaultServer) -> None:
    fault_server.script("/bomb", gzip_bomb(BOMB_SIZE))

    code, received, stderr, peak_mib = run_measured(["get", fault_server.url("/bomb")])

    assert (code, stderr) == (0, b"")
    assert received == BOMB_SIZE
    assert peak_mib < 100, f"peak RSS {peak_mib} MiB"


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs wait4 for the child's peak memory")
def test_gzip_bomb_with_pretty_is_refused_in_bounded_memory(fault_server: FaultServer) -> None:
    """--pretty streams any size now; a bomb of zeros is not JSON and is refused at its first window."""
    fault_server.script("/bomb", gzip_bomb(BOMB_SIZE))

    code, received, stderr, peak_mib = run_measured(["get", fault_server.url("/bomb"), "--pretty"])

    assert code == 2
    assert received == 0
    assert stderr.decode().startswith("apicli: the body is not valid JSON: it does not start with a JSON value")
    assert peak_mib < 200, f"peak RSS {peak_mib} MiB"  # never the whole bomb


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs wait4 for the child's peak memory")
def test_gzip_bomb_as_a_page_is_refused_in_bounded_memory(fault_server: FaultServer) -> None:
    fault_server.script("/bomb", gzip_bomb(120 << 20))

    code, received, stderr, peak_mib = run_measured(["paginate", fault_server.url("/bomb")])

    # The same refusal, and exit code, as --pretty's above: zeros are not a JSON value.
    assert (code, received) == (2, 0)
    assert stderr.decode().startswith("apicli: page 1: the response is not JSON (application/json): a value expected")
    assert peak_mib < 200, f"peak RSS {peak_mib} MiB"  # a window of it, never the whole bomb


# -- a disk that fills up mid-write -----------------------------------------------------------------


def _limit_file_size() -> None:
    # The kernel then refuses writes past 64 KiB (EFBIG), as a full disk would.
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_while_writing_a_file_keeps_the_old_file(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/big", Reply(200, {"Content-Type": "application/octet-stream"}, bytes(1 << 20)))
    target = tmp_path / "data.bin"
    target.write_bytes(b"the previous, complete contents")

    proc = subprocess.run(
        [*apicli_command(), "get", fault_server.url("/big"), "-o", str(target)],
        capture_output=True,
        timeout=30,
        preexec_fn=_limit_file_size,
    )

    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"apicli: cannot write to '{target}': File too large")
    assert target.read_bytes() == b"the previous, complete contents"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data.bin"]


@pytest.mark.parametrize("where", ["-o", "-d"])
def test_a_full_disk_while_downloading_is_a_write_error_and_no_final_file(
    fault_server: FaultServer, tmp_path: Path, where: str
) -> None:
    fault_server.script("/big.bin", Reply(200, {"Content-Type": "application/octet-stream"}, bytes(1 << 20)))
    target = tmp_path / "big.bin"
    destination = str(target) if where == "-o" else str(tmp_path)

    proc = subprocess.run(
        [*apicli_command(), "download", fault_server.url("/big.bin"), where, destination],
        capture_output=True,
        timeout=30,
        preexec_fn=_limit_file_size,
    )

    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert stderr.startswith(f"apicli: cannot write to '{target}.part': File too large"), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert not target.exists()  # only the .part, kept for --continue
