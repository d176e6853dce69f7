"""What a hostile server sends never reaches a terminal as control sequences; pipes and files stay byte-exact.

Each test runs the installed apicli on a pseudo-terminal against a loopback server whose
reason phrases, header values and bodies carry escape sequences, and asserts the exact bytes
the terminal received.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply
from tests.faults.behaviours import json_reply
from tests.process.conftest import APICLI, base_environment, run_on_terminal
from tests.sgr import looks_the_same, seen

TITLE = "\x1b]0;PWNED\x07"  # retitles the window
RED = "\x1b[31m"  # recolours what follows
CSI_C1 = "\x9b2J"  # the one-byte CSI: clears the screen on terminals that honour C1
HOSTILE = TITLE + RED
SPELLED_TITLE = b"\\x1b]0;PWNED\\x07"
_OWN_SGR = re.compile(rb"\x1b\[[0-9;]*m")


def _no_server_sequences(screen: bytes) -> None:
    """Only apicli's own SGR colour sequences remain once they are taken out: no other ESC, BEL or C1 byte."""
    plain = _OWN_SGR.sub(b"", screen)
    assert b"\x1b" not in plain and b"\x07" not in plain
    assert b"\x9b" not in screen and "\x9b".encode() not in screen
    assert b"\x1b[31m" not in screen  # the server's red is never passed through as apicli's own


def test_include_spells_out_escapes_in_reason_and_headers(hostile_server: FaultServer) -> None:
    hostile_server.script(
        "/x",
        Reply(
            200,
            headers=[("Content-Type", "application/json"), ("X-Evil", "v" + HOSTILE + CSI_C1)],
            body=b'{"a":1}',
            reason="OK" + HOSTILE,
        ),
    )
    shown = run_on_terminal(["get", hostile_server.url("/x"), "-i"])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    plain = _OWN_SGR.sub(b"", shown.screen)
    assert b"HTTP/1.1 200 OK" + SPELLED_TITLE + b"\\x1b[31m\n" in plain
    assert b"X-Evil: v" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J\n" in plain
    # apicli's own colours stay: the header names are painted.
    assert b"\x1b[1;34mX-Evil\x1b[0m: " in shown.screen


def test_verbose_lines_and_redirect_notes_are_spelled_out(hostile_server: FaultServer) -> None:
    hostile_server.script("/final", Reply(200, headers={"Content-Type": "text/plain"}, body="done"))
    hostile_server.script(
        "/hop", Reply(302, headers=[("Location", "/final"), ("X-Note", HOSTILE)], reason="Found" + TITLE)
    )
    shown = run_on_terminal(["get", hostile_server.url("/hop"), "-v"])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert SPELLED_TITLE in shown.screen


def test_error_line_and_error_body_are_spelled_out(hostile_server: FaultServer) -> None:
    body = b'{"error": "bad ' + HOSTILE.encode() + b'"}'  # raw controls: not even valid JSON
    hostile_server.script(
        "/err",
        Reply(500, headers={"Content-Type": "application/json"}, body=body, reason="Oops" + HOSTILE),
    )
    shown = run_on_terminal(["get", hostile_server.url("/err"), "--retries", "0"])
    assert shown.code == 5
    _no_server_sequences(shown.screen)
    lines = shown.screen.decode().splitlines()
    assert lines[0].startswith("apicli: HTTP 500 Oops\\x1b]0;PWNED\\x07\\x1b[31m (GET ")
    assert lines[1] == '{"error": "bad \\x1b]0;PWNED\\x07\\x1b[31m"}'
    assert lines[2].startswith("hint: ")


def test_text_body_on_a_terminal_is_spelled_out_but_a_pipe_gets_the_bytes(hostile_server: FaultServer) -> None:
    body = ("line one\r\nline " + HOSTILE + "two\rthree\n").encode() + b"\xff end\n"
    hostile_server.script("/text", Reply(200, headers={"Content-Type": "text/plain"}, body=body))
    shown = run_on_terminal(["get", hostile_server.url("/text")])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert shown.screen == b"line one\nline " + SPELLED_TITLE + b"\\x1b[31mtwo\\x0dthree\n\\xff end\n"
    piped = subprocess.run(
        [APICLI, "get", hostile_server.url("/text")], capture_output=True, timeout=30, env=base_environment()
    )
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, body, b"")


def test_a_file_gets_the_bytes_even_from_a_terminal(hostile_server: FaultServer, tmp_path: Path) -> None:
    body = ("text " + HOSTILE).encode()
    hostile_server.script("/text", Reply(200, headers={"Content-Type": "text/plain"}, body=body))
    target = tmp_path / "saved.txt"
    shown = run_on_terminal(["get", hostile_server.url("/text"), "-o", str(target)])
    assert (shown.code, shown.screen) == (0, b"")
    assert target.read_bytes() == body


def test_pretty_json_keeps_controls_escaped_as_json(hostile_server: FaultServer) -> None:
    document = {"note": HOSTILE}
    hostile_server.script(
        "/j", Reply(200, headers={"Content-Type": "application/json"}, body=json.dumps(document).encode())
    )
    shown = run_on_terminal(["get", hostile_server.url("/j")])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert b"\\u001b]0;PWNED\\u0007" in shown.screen


@pytest.mark.parametrize(
    ("content_type", "extra"),
    [
        ("application/json", []),
        ("application/json", ["--jq", "."]),
        ("application/json", ["--jq", ".[]"]),
        ("application/x-ndjson", []),
    ],
)
def test_del_and_c1_controls_in_json_strings_reach_a_terminal_as_json_escapes(
    hostile_server: FaultServer, content_type: str, extra: list[str]
) -> None:
    # JSON may carry DEL and C1 controls raw inside strings; the one-byte CSI clears the screen.
    document = [{"note": CSI_C1 + " rubout\x7f"}]
    body = json.dumps(document, ensure_ascii=False).encode()
    if content_type == "application/x-ndjson":
        body = b"\n".join(json.dumps(item, ensure_ascii=False).encode() for item in document) + b"\n"
    hostile_server.script("/c1", Reply(200, headers={"Content-Type": content_type}, body=body))
    shown = run_on_terminal(["get", hostile_server.url("/c1"), *extra])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert b"\x7f" not in shown.screen
    assert b'"\\u009b2J rubout\\u007f"' in shown.screen
    piped = subprocess.run(
        [APICLI, "get", hostile_server.url("/c1")], capture_output=True, timeout=30, env=base_environment()
    )
    assert piped.stdout == body  # a pipe still gets the bytes as sent


@pytest.mark.parametrize("extra", [[], ["--raw"], ["--raw", "--array"]])
def test_paginated_items_on_a_terminal_escape_c1_controls(hostile_server: FaultServer, extra: list[str]) -> None:
    body = json.dumps([{"note": CSI_C1}, {"note": "fine"}], ensure_ascii=False).encode()
    hostile_server.script("/items", Reply(200, headers={"Content-Type": "application/json"}, body=body))
    shown = run_on_terminal(["paginate", hostile_server.url("/items"), *extra])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert b'"\\u009b2J"' in shown.screen


@pytest.mark.parametrize("extra", [[], ["--schema", "SCHEMA"]])
def test_a_json_typed_body_that_is_not_json_is_spelled_out_on_a_terminal(
    hostile_server: FaultServer, tmp_path: Path, extra: list[str]
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text("{}")
    body = ("not json " + HOSTILE + CSI_C1 + " end").encode()
    hostile_server.script("/bad", Reply(200, headers={"Content-Type": "application/json"}, body=body))
    args = [str(schema) if arg == "SCHEMA" else arg for arg in extra]
    shown = run_on_terminal(["get", hostile_server.url("/bad"), *args])
    _no_server_sequences(shown.screen)
    assert b"not json " + SPELLED_TITLE + b"\\x1b[31m\\x9b2J end" in shown.screen


def test_jq_raw_strings_are_spelled_out_on_a_terminal_only(hostile_server: FaultServer) -> None:
    document = {"note": "hi " + TITLE}
    hostile_server.script(
        "/j", Reply(200, headers={"Content-Type": "application/json"}, body=json.dumps(document).encode())
    )
    shown = run_on_terminal(["get", hostile_server.url("/j"), "--jq", ".note", "-r"])
    assert (shown.code, shown.screen) == (0, b"hi " + SPELLED_TITLE + b"\n")
    piped = subprocess.run(
        [APICLI, "get", hostile_server.url("/j"), "--jq", ".note", "-r"],
        capture_output=True,
        timeout=30,
        env=base_environment(),
    )
    assert piped.stdout == ("hi " + TITLE + "\n").encode()


def test_head_prints_a_coloured_head_on_a_terminal_and_plain_in_a_pipe(hostile_server: FaultServer) -> None:
    hostile_server.script("/h", Reply(200, headers=[("X-Size", "10"), ("X-Evil", TITLE)]))
    shown = run_on_terminal(["head", hostile_server.url("/h")])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert shown.screen.startswith(b"\x1b[90mHTTP/1.1\x1b[0m \x1b[1;32m200 OK\x1b[0m\n")
    assert b"\x1b[1;34mX-Size\x1b[0m: 10\n" in shown.screen
    piped = subprocess.run(
        [APICLI, "head", hostile_server.url("/h")], capture_output=True, timeout=30, env=base_environment()
    )
    assert piped.returncode == 0 and piped.stderr == b""
    assert piped.stdout.splitlines()[:3] == [b"HTTP/1.1 200 OK", b"X-Size: 10", b"X-Evil: " + SPELLED_TITLE]


def test_include_follows_the_colour_rules_of_the_body(hostile_server: FaultServer) -> None:
    hostile_server.script("/x", Reply(200, headers={"Content-Type": "application/json"}, body=b"{}"))
    plain = run_on_terminal(["get", hostile_server.url("/x"), "-i", "--no-color"])
    assert plain.code == 0 and b"\x1b[" not in plain.screen
    no_color = run_on_terminal(["get", hostile_server.url("/x"), "-i"], env={"NO_COLOR": "1"})
    assert b"\x1b[" not in no_color.screen
    dumb = run_on_terminal(["get", hostile_server.url("/x"), "-i"], env={"TERM": "dumb"})
    assert b"\x1b[" not in dumb.screen
    coloured = run_on_terminal(["get", hostile_server.url("/x"), "-i"])
    assert b"\x1b[1;32m200 OK\x1b[0m" in coloured.screen


def test_download_messages_spell_out_a_hostile_name(hostile_server: FaultServer, tmp_path: Path) -> None:
    hostile_server.script(
        "/f",
        Reply(
            200,
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", 'attachment; filename="a\x1b]0;T\x07b.bin"'),
            ],
            body=b"x" * 10,
        ),
    )
    shown = run_on_terminal(["download", hostile_server.url("/f"), "-d", str(tmp_path)])
    assert shown.code == 0, shown.screen
    _no_server_sequences(_strip_progress(shown.screen))
    assert len(list(tmp_path.iterdir())) == 1


def _strip_progress(screen: bytes) -> bytes:
    """The progress bar's own cursor and erase sequences (ESC [ ... letter) are apicli's, not the server's."""
    return re.sub(rb"\x1b\[\??[0-9;]*[A-Za-z]", b"", screen)


def test_download_shows_a_progress_bar_on_a_terminal_only(hostile_server: FaultServer, tmp_path: Path) -> None:
    hostile_server.script(
        "/big.bin", Reply(200, headers={"Content-Type": "application/octet-stream"}, body=b"b" * 300_000)
    )
    shown = run_on_terminal(
        ["download", hostile_server.url("/big.bin"), "-d", str(tmp_path / "t")], stdout_on_terminal=False
    )
    assert shown.code == 0
    assert b"\x1b[?25l" in shown.screen and b"\x1b[?25h" in shown.screen  # the bar hides and restores the cursor
    assert b"big.bin" in shown.screen and b"300.0/300.0 kB" in shown.screen
    piped = subprocess.run(
        [APICLI, "download", hostile_server.url("/big.bin"), "-d", str(tmp_path / "p")],
        capture_output=True,
        timeout=30,
        env=base_environment(),
    )
    assert piped.returncode == 0 and piped.stdout == b""
    assert piped.stderr.startswith(b"apicli: saved ") and b"\x1b" not in piped.stderr
    assert (tmp_path / "p" / "big.bin").read_bytes() == b"b" * 300_000


def test_verbose_request_lines_colour_names_and_redact_secrets(hostile_server: FaultServer) -> None:
    hostile_server.script("/x", Reply(200, headers={"Content-Type": "text/plain"}, body="ok"))
    shown = run_on_terminal(["get", hostile_server.url("/x"), "-v", "-H", "Authorization: Bearer s3cr3t-token"])
    assert shown.code == 0
    assert b"> \x1b[1;34mAuthorization\x1b[0m: Bearer REDACTED" in shown.screen
    assert b"s3cr3t-token" not in shown.screen
    assert b"< \x1b[90mHTTP/1.1\x1b[0m \x1b[1;32m200 OK\x1b[0m" in shown.screen


def test_jq_on_a_terminal_uses_apicli_colours(hostile_server: FaultServer) -> None:
    hostile_server.script("/palette", json_reply({"name": "ann", "admin": True, "age": 31, "boss": None}))
    body = run_on_terminal(["get", hostile_server.url("/palette")])
    filtered = run_on_terminal(["get", hostile_server.url("/palette"), "--jq", "."])
    assert body.code == filtered.code == 0
    # The same document, filtered by jq (laid out and coloured by libjq) or not, looks the same on a
    # terminal: the same text, each character in the same colour.
    assert looks_the_same(filtered.screen, body.screen)
    assert ('"', "1;34") in seen(filtered.screen) and ('"', "32") in seen(filtered.screen)
    assert b"\x1b[1;39m" not in filtered.screen and b"\x1b[34;1m" not in filtered.screen


# -w fills in values the server controls; on a terminal each goes through the body's filter, whichever
# stream -w writes to and wherever the body went (-o FILE, /dev/null, stdout). Rows: (format, where the
# body goes, what the screen shows in place of the hostile value).
_EVIL_HEADERS = [
    ("Content-Type", "text/plain" + HOSTILE),
    ("X-Evil", "v" + HOSTILE + CSI_C1),
    ("Location", "/next" + TITLE),
]
WRITE_OUT_ROWS = [
    pytest.param("%header{X-Evil}\\n", b"v" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J\n", id="header-stdout"),
    pytest.param("%{stderr}%header{X-Evil}\\n", b"v" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J\n", id="header-stderr"),
    pytest.param("%{content_type}\\n", b"text/plain" + SPELLED_TITLE + b"\\x1b[31m\n", id="content-type"),
    pytest.param("%{redirect_url}\\n", b"/next", id="redirect-url"),  # requests percent-quotes what it can
    # 0x9b alone is no UTF-8: the JSON escapes its byte.
    pytest.param("%{header_json}\\n", b'"x-evil":["v\\u001b]0;PWNED\\u0007\\u001b[31m\\udc9b2J"]', id="header-json"),
    pytest.param("%{json}\\n", b'"content_type":"text/plain\\u001b]0;PWNED', id="json"),
    pytest.param("%{stderr}%{json}\\n", b'"content_type":"text/plain\\u001b]0;PWNED', id="json-stderr"),
]


@pytest.mark.parametrize("destination", ["file", "devnull", "stdout"])
@pytest.mark.parametrize(("write_out", "expected"), WRITE_OUT_ROWS)
def test_write_out_values_on_a_terminal_are_spelled_out(
    hostile_server: FaultServer, tmp_path: Path, destination: str, write_out: str, expected: bytes
) -> None:
    hostile_server.script("/w", Reply(302, headers=_EVIL_HEADERS, body=b"moved", reason="Found" + HOSTILE))
    body = {"file": ["-o", str(tmp_path / "out")], "devnull": ["-o", "/dev/null"], "stdout": []}[destination]
    shown = run_on_terminal(["get", hostile_server.url("/w"), "--no-follow", *body, "-w", write_out])
    _no_server_sequences(shown.screen)
    assert expected in shown.screen, shown.screen


def test_write_out_errormsg_from_a_hostile_reason_is_spelled_out(hostile_server: FaultServer, tmp_path: Path) -> None:
    hostile_server.script("/e", Reply(500, headers={"X-Evil": HOSTILE}, body=b"no", reason="Oops" + HOSTILE + CSI_C1))
    args = ["get", hostile_server.url("/e"), "--retries", "0", "-o", str(tmp_path / "out")]
    shown = run_on_terminal([*args, "-w", "[%{errormsg}]%{stderr}[%{errormsg}]"])
    assert shown.code == 5
    _no_server_sequences(shown.screen)
    assert shown.screen.count(b"Oops" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J") >= 2


def test_write_out_into_a_pipe_gets_the_server_bytes(hostile_server: FaultServer, tmp_path: Path) -> None:
    evil = "v" + HOSTILE + CSI_C1
    hostile_server.script("/p", Reply(500, headers={"X-Evil": evil}, body=b"no", reason="Oops" + HOSTILE))
    result = subprocess.run(
        [
            APICLI,
            "get",
            hostile_server.url("/p"),
            "--retries",
            "0",
            "-o",
            str(tmp_path / "out"),
            "-w",
            "%header{X-Evil}|%{errormsg}",
        ],
        capture_output=True,
        env=base_environment(),
        timeout=30,
        check=False,
    )
    assert result.returncode == 5
    header, _, message = result.stdout.partition(b"|")
    assert header == evil.encode("latin-1")  # the bytes as sent: 0x9b stays one byte, as curl writes it
    assert message.startswith(b"HTTP 500 Oops" + HOSTILE.encode())


def test_write_out_beside_a_file_spells_out_the_header_and_the_reason(
    hostile_server: FaultServer, tmp_path: Path
) -> None:
    # The body goes to a file, -w to the terminal: what the terminal gets is filtered because stdout is
    # a terminal, not because the body went there; the file still holds the body as sent.
    evil = "v" + HOSTILE + CSI_C1
    body = b'{"note": "' + HOSTILE.encode() + b'"}'
    hostile_server.script("/ok", Reply(200, headers={"X-Evil": evil}, body=body, reason="OK" + HOSTILE))
    hostile_server.script("/bad", Reply(500, headers={"X-Evil": evil}, body=b"no", reason="Oops" + HOSTILE + CSI_C1))
    write_out = ["-w", "%header{x-evil}|%{errormsg}"]
    saved = tmp_path / "out.json"
    shown = run_on_terminal(["get", hostile_server.url("/ok"), "-o", str(saved), *write_out])
    assert shown.code == 0
    _no_server_sequences(shown.screen)
    assert b"v" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J|" in shown.screen
    assert saved.read_bytes() == body
    failed = tmp_path / "failed.json"
    shown = run_on_terminal(["get", hostile_server.url("/bad"), "--retries", "0", "-o", str(failed), *write_out])
    assert shown.code == 5
    _no_server_sequences(shown.screen)
    assert (
        b"v" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J|HTTP 500 Oops" + SPELLED_TITLE + b"\\x1b[31m\\x9b2J" in shown.screen
    )
    assert not failed.exists()  # a failed transfer leaves no half-written file


def test_failed_asserts_and_a_secret_capture_on_a_terminal_show_nothing_raw(
    hostile_server: FaultServer, tmp_path: Path
) -> None:
    # A failed assert shows the server's values (a side's value, a header, a jq error's text) on the
    # terminal's stderr; a capture writes them raw to its file, which is data, not the terminal.
    body = json.dumps({"s": HOSTILE + CSI_C1, "token": "t0ken-" + "x" * 12}).encode()
    headers = [("Content-Type", "application/json"), ("X-Evil", "v" + HOSTILE + CSI_C1)]
    hostile_server.script("/x", Reply(200, headers=headers, body=body))
    captured = tmp_path / "vars.sh"
    shown = run_on_terminal(
        ["get", hostile_server.url("/x"), "-o", str(tmp_path / "body.json"),
         "--assert", '.s == "plain"', "--assert", '$headers["x-evil"] == "v"', "--assert", ".s | error",
         "--assert", '.token == "no"  # ' + HOSTILE, "--capture-secret", "tok=.token", "--capture-file", str(captured)]
    )  # fmt: skip
    assert shown.code == 10
    _no_server_sequences(shown.screen)
    assert b"assertion failed" in shown.screen and b"assertion error" in shown.screen
    assert b"t0ken-xxxxxxxxxxxx" not in shown.screen  # the secret capture is redacted from stderr
    assert not captured.exists()  # the request failed its checks: nothing captured
