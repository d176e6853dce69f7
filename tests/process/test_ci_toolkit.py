"""--until, -w/--write-out and --envelope through the installed apicli, beside real curl where it matters."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.process.conftest import APICLI, base_environment, run_on_terminal, run_with_streams

if TYPE_CHECKING:
    from tests.faults import Exchange

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


@dataclass(frozen=True)
class Late:
    """Answer with `reply` after `seconds` of silence: time the server needs to compute the result."""

    reply: Reply
    seconds: float

    def serve(self, exchange: Exchange) -> None:
        if exchange.wait(self.seconds):
            self.reply.serve(exchange)


def _apicli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([APICLI, *args], capture_output=True, timeout=60, env=base_environment(), input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def _curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert CURL is not None
    return subprocess.run([CURL, "-s", *args], capture_output=True, timeout=60)


# --- -w/--write-out ---------------------------------------------------------------------------

COMPARED = [
    "http_code", "response_code", "http_version", "method", "url_effective", "num_redirects", "content_type",
    "size_download", "size_header", "remote_ip", "remote_port", "local_ip", "scheme", "exitcode",
    "filename_effective", "num_headers", "size_upload", "num_connects",
]


@needs_curl
@pytest.mark.parametrize("path", ["/doc", "/moved"])
def test_write_out_agrees_with_curl_on_every_variable_that_is_not_a_time(hostile_server: FaultServer,
                                                                         path: str) -> None:
    hostile_server.script("/doc", json_reply({"id": 1, "tags": ["a", "b"]}, headers=[("X-Multi", "1"),
                                                                                      ("X-Multi", "2")]))
    hostile_server.script("/moved", redirect("/doc"))
    url = hostile_server.url(path)
    fmt = "".join(f"{name}=%{{{name}}}\\n" for name in COMPARED) + "h=%header{x-multi}\\n%{header_json}"
    ours = _apicli("get", url, "-o", "/dev/null", "-w", fmt)
    theirs = _curl("-L", url, "-o", "/dev/null", "-w", fmt)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    our_lines, their_lines = ours.stdout.decode().split("\n", len(COMPARED) + 1), theirs.stdout.decode().split(
        "\n", len(COMPARED) + 1)
    assert our_lines[:-1] == their_lines[:-1]
    # header_json means the same; curl puts a line break after each member.
    assert json.loads(our_lines[-1]) == json.loads(their_lines[-1])


@needs_curl
def test_redirect_url_without_following_agrees_with_curl(hostile_server: FaultServer) -> None:
    hostile_server.script("/moved", redirect("/doc"))
    fmt = "%{http_code} %{redirect_url} %{num_redirects}"
    ours = _apicli("get", hostile_server.url("/moved"), "--no-follow", "-o", "/dev/null", "-w", fmt)
    theirs = _curl(hostile_server.url("/moved"), "-o", "/dev/null", "-w", fmt)
    assert ours.stdout == theirs.stdout == f"302 {hostile_server.url('/doc')} 0".encode()
    assert ours.returncode == 3  # apicli's code for a redirect not followed; curl calls it a success


@needs_curl
def test_phase_times_are_monotonic_and_agree_with_curl(hostile_server: FaultServer) -> None:
    hostile_server.script("/slow", Late(json_reply({"ok": True}), 0.3))
    fmt = "%{time_namelookup} %{time_connect} %{time_pretransfer} %{time_starttransfer} %{time_total}"
    ours = [float(v) for v in _apicli("get", hostile_server.url("/slow"), "-o", "/dev/null", "-w", fmt).stdout.split()]
    theirs = [float(v) for v in _curl(hostile_server.url("/slow"), "-o", "/dev/null", "-w", fmt).stdout.split()]
    assert ours == sorted(ours) and theirs == sorted(theirs)
    # The server's 0.3 s shows in both at the same phase; loopback connecting takes well under a millisecond.
    assert 0.3 <= ours[3] < 0.45 and abs(ours[3] - theirs[3]) < 0.05
    assert abs(ours[1] - theirs[1]) < 0.01


def test_tls_phase_times_include_the_handshake(tls_fault_server: FaultServer, fault_ca_pem: Path) -> None:
    tls_fault_server.script("/x", json_reply({"ok": True}))
    fmt = ("%{time_namelookup} %{time_connect} %{time_appconnect} %{time_pretransfer} %{time_starttransfer} "
           "%{time_total} %{scheme}")
    done = _apicli("get", tls_fault_server.url("/x"), "--cacert", str(fault_ca_pem), "-o", "/dev/null", "-w", fmt)
    assert done.returncode == 0, done.stderr
    *times, scheme = done.stdout.split()
    values = [float(v) for v in times]
    assert values == sorted(values) and values[2] > values[1]  # the handshake takes time after the connect
    assert scheme == b"HTTPS"


def test_write_out_on_failure_has_code_000_and_the_error(unused_port: int) -> None:
    fmt = "%{http_code} %{exitcode} %{errormsg}|%{time_total}"
    done = _apicli("get", f"127.0.0.1:{unused_port}/x", "--retries", "0", "-w", fmt)
    assert done.returncode == 7
    text = done.stdout.decode()
    assert text.startswith("000 7 connection refused")
    assert float(text.split("|")[1]) >= 0
    assert done.stderr.startswith(b"apicli: connection refused")


def test_write_out_after_an_error_status_and_the_idiom(hostile_server: FaultServer) -> None:
    hostile_server.script("/gone", json_reply({"error": "gone"}, status=404))
    done = _apicli("get", hostile_server.url("/gone"), "-o", "/dev/null", "-w", "%{http_code}")
    assert (done.returncode, done.stdout) == (4, b"404")
    shell = subprocess.run(
        f'code=$("{APICLI}" get {hostile_server.url("/gone")} -o /dev/null -w "%{{http_code}}"); echo "[$code]"',
        shell=True, capture_output=True, timeout=30, env=base_environment())
    assert shell.stdout == b"[404]\n"


def test_write_out_to_stderr_and_from_files(hostile_server: FaultServer, tmp_path: Path) -> None:
    hostile_server.script("/doc", json_reply({"id": 1}))
    done = _apicli("get", hostile_server.url("/doc"), "-w", "%{stderr}code %{http_code}\\n")
    assert (done.stdout, done.stderr) == (b'{"id": 1}', b"code 200\n")
    fmt = tmp_path / "fmt.txt"
    fmt.write_text("%{content_type}\\n")
    from_file = _apicli("get", hostile_server.url("/doc"), "-o", "/dev/null", "-w", f"@{fmt}")
    assert from_file.stdout == b"application/json\n"
    from_stdin = _apicli("get", hostile_server.url("/doc"), "-o", "/dev/null", "-w", "@-", stdin=b"%{http_code}")
    assert from_stdin.stdout == b"200"


def test_an_unknown_variable_is_refused_before_sending(hostile_server: FaultServer) -> None:
    hostile_server.script("/doc", json_reply({"id": 1}))
    done = _apicli("get", hostile_server.url("/doc"), "-w", "%{http_code} %{bogus}")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.startswith(b"apicli: -w/--write-out: unknown variable %{bogus}\nhint: ")
    assert hostile_server.requests_for("/doc") == []


def test_paginate_and_download_write_out_once_per_page_and_file(hostile_server: FaultServer, tmp_path: Path) -> None:
    page2 = hostile_server.url("/p2")
    hostile_server.script("/p1", json_reply([{"n": 1}], headers={"Link": f'<{page2}>; rel="next"'}))
    hostile_server.script("/p2", json_reply([{"n": 2}]))
    done = _apicli("paginate", hostile_server.url("/p1"), "-w", "%{url_effective} %{http_code}\\n")
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        '{"n":1}', f"{hostile_server.url('/p1')} 200", '{"n":2}', f"{page2} 200"]
    hostile_server.script("/a.bin", Reply(200, headers={"Content-Type": "application/octet-stream"}, body=b"a" * 10))
    hostile_server.script("/b.bin", Reply(200, headers={"Content-Type": "application/octet-stream"}, body=b"b" * 20))
    downloaded = _apicli("download", hostile_server.url("/a.bin"), hostile_server.url("/b.bin"), "-d", str(tmp_path),
                         "-s", "-w", "%{filename_effective} %{size_download}\\n")
    assert downloaded.returncode == 0
    assert sorted(downloaded.stdout.decode().splitlines()) == [f"{tmp_path / 'a.bin'} 10", f"{tmp_path / 'b.bin'} 20"]


# --- --envelope --------------------------------------------------------------------------------

def test_envelope_of_json_keeps_numbers_exact_and_repeated_headers(hostile_server: FaultServer) -> None:
    body = b'{"big": 123456789012345678901234567890, "x": 1.10}'
    hostile_server.script("/doc", Reply(200, headers=[("Content-Type", "application/json"), ("X-Multi", "1"),
                                                      ("X-Multi", "2"), ("Set-Cookie", "sid=s3cr3t; Path=/")],
                                        body=body))
    done = _apicli("get", hostile_server.url("/doc"), "--envelope")
    assert done.returncode == 0
    text = done.stdout.decode()
    assert '"body":{"big": 123456789012345678901234567890, "x": 1.10}}' in text
    envelope = json.loads(text)
    assert envelope["status"] == 200 and envelope["method"] == "GET" and envelope["reason"] == "OK"
    assert envelope["headers"]["x-multi"] == ["1", "2"]
    assert envelope["headers"]["set-cookie"] == "sid=s3cr3t; Path=/"  # data, as sent: never redacted
    assert envelope["http_version"] == "HTTP/1.1" and envelope["retries"] == 0 and envelope["redirects"] == []
    assert envelope["elapsed"] >= 0


def test_envelope_of_text_binary_and_an_error_status(hostile_server: FaultServer) -> None:
    hostile_server.script("/text", Reply(200, headers={"Content-Type": "text/plain"}, body="héllo\n"))
    hostile_server.script("/bin", Reply(200, headers={"Content-Type": "application/octet-stream"},
                                        body=bytes(range(256))))
    hostile_server.script("/err", json_reply({"error": "down"}, status=503))
    text = json.loads(_apicli("get", hostile_server.url("/text"), "--envelope").stdout)
    assert text["body"] == "héllo\n"
    binary = json.loads(_apicli("get", hostile_server.url("/bin"), "--envelope").stdout)
    assert base64.b64decode(binary["body"]["base64"]) == bytes(range(256))
    failed = _apicli("get", hostile_server.url("/err"), "--envelope", "--retries", "0")
    assert failed.returncode == 5
    assert json.loads(failed.stdout)["body"] == {"error": "down"}
    assert failed.stderr.startswith(b"apicli: HTTP 503")


def test_envelope_with_jq_and_redirects(hostile_server: FaultServer) -> None:
    hostile_server.script("/doc", json_reply({"id": 1}))
    hostile_server.script("/moved", redirect("/doc", status=301))
    done = _apicli("get", hostile_server.url("/moved"), "--envelope", "--jq", '.status, .headers["content-type"], '
                   ".redirects[0].status, .body.id")
    assert done.stdout == b'200\n"application/json"\n301\n1\n'


# --- --until ---------------------------------------------------------------------------------------

def test_until_status_waits_for_a_service_that_becomes_ready(hostile_server: FaultServer) -> None:
    hostile_server.script("/health", [json_reply({"state": "starting"}, status=503)] * 3 + [json_reply({"ok": 1})])
    done = _apicli("get", hostile_server.url("/health"), "--until-status", "2xx", "--interval", "0.05",
                   "--retries", "0")
    assert (done.returncode, done.stdout) == (0, b'{"ok": 1}')
    assert len(hostile_server.requests_for("/health")) == 4
    assert b"starting" not in done.stdout  # no earlier body ever reaches stdout


def test_until_expression_waits_for_a_field_to_flip(hostile_server: FaultServer) -> None:
    hostile_server.script("/job", [json_reply({"done": False})] * 2 + [json_reply({"done": True, "result": 42})])
    done = _apicli("get", hostile_server.url("/job"), "--until", ".done", "--interval", "0.05", "--jq", ".result")
    assert (done.returncode, done.stdout) == (0, b"42\n")
    assert done.stderr.startswith(b'apicli: waiting: attempt 1, ') and b'last: HTTP 200, {"done": false}' in done.stderr


def test_until_that_never_holds_ends_at_max_time_with_what_it_saw(hostile_server: FaultServer) -> None:
    hostile_server.script("/never", json_reply({"ready": False, "detail": "warming up"}))
    started = time.monotonic()
    done = _apicli("get", hostile_server.url("/never"), "--until", ".ready", "--interval", "0.1", "--max-time", "1")
    took = time.monotonic() - started
    assert (done.returncode, done.stdout) == (8, b"")
    assert took < 3
    last = done.stderr.decode().splitlines()
    message = next(line for line in last if line.startswith("apicli: --until"))
    assert "not met after" in message and " attempts in " in message and "warming up" in message


def test_until_waits_through_refused_connections_until_the_server_is_up(unused_port: int) -> None:
    def serve_later() -> None:
        time.sleep(0.6)
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", unused_port))
            listener.listen(4)
            listener.settimeout(10)
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                body = b'{"up": true}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve_later, daemon=True)
    thread.start()
    done = _apicli("get", f"127.0.0.1:{unused_port}/", "--until-status", "200", "--interval", "0.1",
                   "--retries", "0", "--max-time", "10")
    thread.join(timeout=10)
    assert (done.returncode, done.stdout) == (0, b'{"up": true}')


def test_until_refuses_post_and_patch(hostile_server: FaultServer) -> None:
    for verb in ("post", "patch"):
        done = _apicli(verb, hostile_server.url("/x"), "--until", ".ok")
        assert (done.returncode, done.stdout) == (2, b"")
        assert b"is not idempotent" in done.stderr
    assert hostile_server.requests_for("/x") == []


def test_until_with_dry_run_and_curl_sends_nothing(hostile_server: FaultServer) -> None:
    for preview in ("--dry-run", "--curl"):
        done = _apicli("get", hostile_server.url("/x"), "--until-status", "200", preview)
        assert done.returncode == 0 and done.stdout
        assert b"would be repeated every 2 s" in done.stderr
    assert hostile_server.requests_for("/x") == []


def test_until_progress_lines_and_quiet(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", [json_reply({}, status=503)] * 2 + [json_reply({"ok": 1})])
    done = _apicli("get", hostile_server.url("/h"), "--until-status", "200", "--interval", "0.05", "--retries", "0")
    assert done.stderr.startswith(b"apicli: waiting: attempt 1, ")  # then at most one line every 10 s
    assert done.stderr.count(b"\n") == 1
    hostile_server.script("/q", [json_reply({}, status=503)] * 2 + [json_reply({"ok": 1})])
    quiet = _apicli("get", hostile_server.url("/q"), "--until-status", "200", "--interval", "0.05", "--retries", "0",
                    "-s")
    assert (quiet.returncode, quiet.stderr) == (0, b"")


def test_until_with_an_invalid_status_list_is_a_usage_error() -> None:
    done = run_with_streams(["get", "127.0.0.1:9/x", "--until-status", "2xx,abc"])
    assert done.returncode == 2 and done.stderr.startswith(b"apicli: --until-status: 'abc' is not a status")


def test_until_progress_is_one_updating_line_on_a_terminal(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", [json_reply({}, status=503)] * 3 + [json_reply({"ok": 1})])
    shown = run_on_terminal(
        ["get", hostile_server.url("/h"), "--until-status", "200", "--interval", "0.05", "--retries", "0"],
        stdout_on_terminal=False,
    )
    assert shown.code == 0
    # Each attempt rewrites the same line (carriage return, erase line); the line is cleared at the end.
    assert shown.screen.count(b"\r\x1b[2Kapicli: waiting: attempt ") == 3
    assert b"attempt 3, " in shown.screen and b"last: HTTP 503" in shown.screen
    assert shown.screen.endswith(b"\r\x1b[2K")
    assert b"\n" not in shown.screen  # no line per attempt on a terminal
