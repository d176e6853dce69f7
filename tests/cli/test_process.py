"""End-to-end in a real process: stdin, pipes, terminals, signals and full disks."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import apicli_command
from tests.terminal_screen import read_screen


def test_stdin_is_not_read_unless_asked(httpserver: HTTPServer, run_process) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/x").respond_with_data("ok")
    result = run_process("get", httpserver.url_for("/x"), stdin=b'{"surprise": true}')
    assert (result.returncode, result.stdout) == (0, b"ok")
    request = httpserver.log[-1][0]
    assert request.method == "GET" and request.data == b""


def test_data_from_stdin_when_asked(httpserver: HTTPServer, run_process) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/x", method="POST").respond_with_data("ok")
    result = run_process("post", httpserver.url_for("/x"), "--data", "@-", stdin=b"line1\nline2\n")
    assert result.returncode == 0, result.stderr
    assert httpserver.log[-1][0].data == b"line1\nline2\n"


def _ndjson_stream(lines: int, started: threading.Event) -> Response:
    def generate():  # type: ignore[no-untyped-def]
        for number in range(lines):
            yield json.dumps({"n": number}).encode() + b"\n"
            if number == 0:
                started.set()
            time.sleep(0.05)

    return Response(generate(), content_type="application/x-ndjson")


def test_stream_reaches_head_at_the_first_line(httpserver: HTTPServer) -> None:
    started = threading.Event()
    httpserver.expect_request("/stream").respond_with_handler(lambda request: _ndjson_stream(60, started))
    begin = time.monotonic()
    pipeline = subprocess.run(
        f"{' '.join(apicli_command())} get {httpserver.url_for('/stream')} | head -1",
        shell=True, capture_output=True, timeout=30,
    )
    assert pipeline.stdout == b'{"n": 0}\n'
    assert pipeline.stderr == b""  # a closed pipe ends quietly
    assert time.monotonic() - begin < 2.5  # 60 lines take 3 s to stream; head returns at the first


def test_broken_pipe_is_quiet_and_exits_zero(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x\n" * 2_000_000)
    proc = subprocess.Popen([*apicli_command(), "get", httpserver.url_for("/big")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    code = proc.wait(timeout=20)
    assert code == 0
    assert proc.stderr.read() == b""


def test_write_failure_exits_1(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data(b"data" * 10_000)
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*apicli_command(), "get", httpserver.url_for("/x")],
                                stdout=full, stderr=subprocess.PIPE, timeout=30)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("apicli: cannot write to standard output")
    assert b"Traceback" not in result.stderr


def test_sigint_and_sigterm_exit_130(httpserver: HTTPServer) -> None:
    release = threading.Event()
    arrived = threading.Event()

    def stall(request: Request) -> Response:
        # httpserver.log records a request only once answered: too late to know it is in flight.
        arrived.set()
        release.wait(10)
        return Response("late")

    httpserver.expect_request("/stall").respond_with_handler(stall)
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            arrived.clear()
            proc = subprocess.Popen([*apicli_command(), "get", httpserver.url_for("/stall")],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert arrived.wait(10)
            time.sleep(0.1)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
            assert proc.returncode == 130, (sig, err)
            assert out == b""
            assert err == b"apicli: interrupted\n"
            release.set()  # free the handler for the next round
            release.clear()
    finally:
        release.set()


def _run_on_terminal(args: list[str], env: dict[str, str] | None = None) -> bytes:
    """Run apicli with stdout and stderr on a pseudo-terminal and collect what it shows."""
    main, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment["TERM"] = "xterm-256color"  # a colour terminal, whatever runs the tests
    environment.update(env or {})
    proc = subprocess.Popen([*apicli_command(), *args], stdin=subprocess.DEVNULL, stdout=secondary,
                            stderr=secondary, env=environment)
    os.close(secondary)
    screen = read_screen(main, proc)
    proc.wait(timeout=10)
    os.close(main)
    return screen


def test_terminal_output_is_indented_and_coloured(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/u").respond_with_json({"login": "ann", "id": 1})
    shown = _run_on_terminal(["get", httpserver.url_for("/u")])
    assert b"\x1b[" in shown
    without_colour = re.sub(rb"\x1b\[[0-9;]*m", b"", shown).replace(b"\r\n", b"\n")
    assert without_colour == json.dumps({"login": "ann", "id": 1}, indent=2).encode() + b"\n"
    plain = _run_on_terminal(["get", httpserver.url_for("/u")], env={"NO_COLOR": "1"})
    assert b"\x1b[" not in plain
    assert _run_on_terminal(["get", httpserver.url_for("/u"), "--no-color"]) == plain
    assert plain.replace(b"\r\n", b"\n") == json.dumps({"login": "ann", "id": 1}, indent=2).encode() + b"\n"


def test_a_dumb_terminal_gets_no_colour_unless_forced(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/u").respond_with_json({"login": "ann"})
    indented = json.dumps({"login": "ann"}, indent=2).encode() + b"\n"
    dumb = _run_on_terminal(["get", httpserver.url_for("/u")], env={"TERM": "dumb"})
    assert dumb.replace(b"\r\n", b"\n") == indented
    forced = _run_on_terminal(["get", httpserver.url_for("/u")], env={"TERM": "dumb", "FORCE_COLOR": "1"})
    assert b"\x1b[" in forced
    assert re.sub(rb"\x1b\[[0-9;]*m", b"", forced).replace(b"\r\n", b"\n") == indented
    told = _run_on_terminal(["get", httpserver.url_for("/u"), "--color"], env={"TERM": "dumb"})
    assert b"\x1b[" in told


def test_force_color_never_touches_piped_output(httpserver: HTTPServer, run_process) -> None:  # type: ignore[no-untyped-def]
    body = b'{"login":"ann"}'
    httpserver.expect_request("/u").respond_with_data(body, content_type="application/json")
    result = run_process("get", httpserver.url_for("/u"), env={"FORCE_COLOR": "1"})
    assert (result.returncode, result.stdout, result.stderr) == (0, body, b"")  # stdout stays data for jq
    pretty = run_process("get", httpserver.url_for("/u"), "--pretty", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert pretty.stdout == json.dumps({"login": "ann"}, indent=2).encode() + b"\n"  # NO_COLOR wins


def test_raw_on_terminal_keeps_the_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/u").respond_with_data(b'{"a":1}', content_type="application/json")
    shown = _run_on_terminal(["get", httpserver.url_for("/u"), "--raw"])
    assert shown == b'{"a":1}'


def test_binary_body_is_not_dumped_on_a_terminal(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bin").respond_with_data(bytes(range(256)) * 4, content_type="application/octet-stream")
    shown = _run_on_terminal(["get", httpserver.url_for("/bin")])
    assert b"binary body not shown" in shown and b"-o FILE" in shown
    assert bytes(range(256)) not in shown


def _become_terminal_owner() -> None:
    """In the child: a new session whose controlling terminal is stdin (so /dev/tty works)."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _prompted_run(args: list[str], typed: bytes | None) -> tuple[int, bytes, bytes]:
    """Run apicli with stdin on a terminal, type `typed` at the password prompt (or Ctrl-D)."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen([*apicli_command(), *args], stdin=secondary, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_become_terminal_owner)
    os.close(secondary)
    shown = b""
    try:
        deadline = time.monotonic() + 20
        while b"Password for" not in shown and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                shown += os.read(main, 4096)
        os.write(main, typed if typed is not None else b"\x04")
        out, err = proc.communicate(timeout=20)
    finally:
        os.close(main)
    return proc.returncode, out, shown + err


def test_password_is_prompted_on_a_terminal_and_never_echoed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/b", headers={"Authorization": "Basic YW5uOnMzY3JldA=="}).respond_with_data("in")
    code, out, shown = _prompted_run(["get", httpserver.url_for("/b"), "-u", "ann"], b"s3cret\n")
    assert (code, out) == (0, b"in")
    assert b"Password for ann: " in shown
    assert b"s3cret" not in shown


def test_an_empty_prompt_answer_ends_as_a_usage_error(httpserver: HTTPServer) -> None:
    code, out, shown = _prompted_run(["get", httpserver.url_for("/b"), "-u", "ann"], None)
    assert (code, out) == (2, b"")
    assert b"apicli: no password for user 'ann'" in shown
    assert b"Traceback" not in shown
    assert httpserver.log == []
