"""Closed and odd standard streams: every command does its job or fails with its documented code.

CI runners and daemons start programs with stdin, stdout or stderr closed. Each case runs the
installed apicli with descriptors closed before it starts (`>&-`, `2>&-`, `<&-`), or pointing
at /dev/null or a file, and asserts the exit code, stderr and any file written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply, json_reply
from tests.process.conftest import APICLI, base_environment, run_with_streams

STDIN, STDOUT, STDERR = 0, 1, 2
CLOSED_STDOUT = b"apicli: cannot write to standard output: it is closed\n"
PAGE = {"items": [{"id": 1}, {"id": 2}]}


@pytest.fixture
def server(hostile_server: FaultServer) -> FaultServer:
    hostile_server.script("/json", json_reply({"id": 7}))
    hostile_server.script("/pages", json_reply(PAGE))
    hostile_server.script("/fail", Reply(500, headers={"Content-Type": "text/plain"}, body="down"))
    hostile_server.script("/file", Reply(200, headers={"Content-Type": "application/octet-stream"}, body=b"z" * 100))
    hostile_server.script("/echo", json_reply({"ok": True}))
    return hostile_server


@pytest.mark.parametrize(
    "args",
    [
        ["get", "{srv}/json"],
        ["head", "{srv}/json"],
        ["post", "{srv}/echo", "a=1"],
        ["paginate", "{srv}/pages"],
        ["download", "{srv}/file", "-o", "-"],
        ["get", "{srv}/json", "--jq", ".id"],
    ],
    ids=["get", "head", "post", "paginate", "download-stdout", "jq"],
)
def test_output_for_a_closed_stdout_is_exit_1_with_a_message(server: FaultServer, args: list[str]) -> None:
    done = run_with_streams([a.format(srv=server.origin) for a in args], close=(STDOUT,))
    assert (done.returncode, done.stdout) == (1, b"")
    first_line = done.stderr.splitlines()[0]
    assert first_line.startswith(b"apicli: ") and first_line.endswith(b"cannot write to standard output: it is closed")
    assert b"internal error" not in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["get", "{srv}/json", "-o", "{out}"], b'{"id": 7}'),
        (["get", "{srv}/json", "--pretty", "-o", "{out}"], b'{\n  "id": 7\n}\n'),
        (["paginate", "{srv}/pages", "-o", "{out}"], b'{"id":1}\n{"id":2}\n'),
        (["download", "{srv}/file", "-o", "{out}"], b"z" * 100),
    ],
    ids=["get", "get-pretty", "paginate", "download"],
)
def test_files_are_written_with_stdout_closed(
    server: FaultServer, tmp_path: Path, args: list[str], expected: bytes
) -> None:
    out = tmp_path / "out"
    done = run_with_streams([a.format(srv=server.origin, out=out) for a in args], close=(STDOUT,))
    assert done.returncode == 0, done.stderr
    assert b"internal error" not in done.stderr
    assert out.read_bytes() == expected
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left behind


def test_version_and_help_with_stdout_closed() -> None:
    version = run_with_streams(["--version"], close=(STDOUT,))
    assert (version.returncode, version.stderr) == (1, CLOSED_STDOUT)
    helped = run_with_streams(["get", "--help"], close=(STDOUT,))
    assert helped.returncode == 1 and b"internal error" not in helped.stderr and b"Traceback" not in helped.stderr


@pytest.mark.parametrize(
    ("path", "code"),
    [("/json", 0), ("/fail", 5)],
)
def test_a_closed_stderr_never_changes_the_exit_code(server: FaultServer, path: str, code: int) -> None:
    done = run_with_streams(["get", server.url(path), "--retries", "0"], close=(STDERR,))
    assert done.returncode == code
    if code == 0:
        assert done.stdout == b'{"id": 7}'


def test_a_closed_stderr_with_a_refused_connection_still_exits_7(unused_port: int) -> None:
    done = run_with_streams(["get", f"127.0.0.1:{unused_port}/x", "--retries", "0"], close=(STDERR,))
    assert (done.returncode, done.stdout) == (7, b"")


def test_closed_stdout_and_stderr_together(server: FaultServer, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = run_with_streams(["get", server.url("/json"), "-o", str(out)], close=(STDOUT, STDERR))
    assert done.returncode == 0 and out.read_bytes() == b'{"id": 7}'
    failed = run_with_streams(["get", server.url("/fail"), "--retries", "0"], close=(STDOUT, STDERR))
    assert failed.returncode == 5


@pytest.mark.parametrize("flag", [["--json", "@-"], ["--data", "@-"], ["note=@-"]], ids=["json", "data", "item"])
def test_reading_a_closed_stdin_is_a_usage_error(server: FaultServer, flag: list[str]) -> None:
    done = run_with_streams(["post", server.url("/echo"), *flag], close=(STDIN,))
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.startswith(b"apicli: cannot read standard input (@-): standard input is closed\nhint: ")
    assert not server.requests_for("/echo")  # nothing was sent


def test_a_closed_stdin_is_harmless_when_not_read(server: FaultServer) -> None:
    done = run_with_streams(["get", server.url("/json")], close=(STDIN,))
    assert (done.returncode, done.stdout, done.stderr) == (0, b'{"id": 7}', b"")


def test_stdout_on_dev_null_and_on_a_file(server: FaultServer, tmp_path: Path) -> None:
    with open("/dev/null", "wb") as null:
        done = subprocess.run([APICLI, "get", server.url("/json")], stdout=null, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=base_environment(), timeout=30)
    assert (done.returncode, done.stderr) == (0, b"")
    target = tmp_path / "redirected.json"
    with target.open("wb") as file:
        done = subprocess.run([APICLI, "get", server.url("/json"), "--pretty", "--no-color"], stdout=file,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=base_environment(), timeout=30)
    assert done.returncode == 0
    assert json.loads(target.read_bytes()) == {"id": 7}


def test_a_file_opened_with_stdout_closed_never_takes_its_place(server: FaultServer, tmp_path: Path) -> None:
    """With fd 1 closed, the next file opened would get number 1; output meant for stdout must not land in it."""
    out = tmp_path / "body.json"
    done = run_with_streams(["get", server.url("/json"), "-o", str(out), "-i"], close=(STDOUT,))
    assert done.returncode == 0
    assert out.read_bytes() == b'{"id": 7}'
    assert b"HTTP/1.1 200" in done.stderr
