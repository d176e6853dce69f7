"""--auth-command and a profile's auth_command: script helpers in both output forms, and failing ones."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.auth import auth_command
from apicli.auth.auth_command import HelperOutputError, parse_helper_output
from apicli.formats.headertext import has_controls
from apicli.formats.httpsyntax import is_header_name
from tests.conftest import Invoke, apicli_command
from tests.faults import FaultServer, json_reply, redirect
from tests.hostile.harness import assert_clean, run

HELPER_TOKEN = "hlp-61d0c9e2ab"


def helper(tmp_path: Path, name: str, body: str) -> str:
    """A helper script that records each run (its environment) in NAME.runs, then runs `body`."""
    script = tmp_path / name
    runs = tmp_path / f"{name}.runs"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys, time\n"
        f"with open({str(runs)!r}, 'a') as log:\n"
        "    log.write(json.dumps({k: os.environ.get(k) for k in ('APICLI_URL', 'APICLI_METHOD', 'APICLI_ORIGIN')}))\n"
        "    log.write('\\n')\n"
        f"{body}\n"
    )
    script.chmod(0o700)
    return str(script)


def runs(tmp_path: Path, name: str) -> list[dict[str, str]]:
    path = tmp_path / f"{name}.runs"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_a_token_helper_gives_a_bearer_token_and_learns_the_request(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str]
) -> None:
    fault_server.script("/items", json_reply({"ok": True}))
    command = helper(tmp_path, "tok", f"print({HELPER_TOKEN!r})")

    result = invoke("post", fault_server.url("/items?x=1"), "a=1", "--auth-command", f"{command} --flag", env=env)

    assert (result.code, result.stdout, result.stderr) == (0, b'{"ok": true}', "")
    assert fault_server.requests[0].headers["Authorization"] == f"Bearer {HELPER_TOKEN}"
    origin = fault_server.origin
    assert runs(tmp_path, "tok") == [{"APICLI_URL": f"{origin}/items?x=1", "APICLI_METHOD": "POST",
                                      "APICLI_ORIGIN": origin}]  # fmt: skip


def test_a_json_helper_sets_headers_and_is_cached_while_they_last(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str]
) -> None:
    fault_server.script("/x", json_reply({}))
    answer = {"headers": {"X-Sig": f"v1 {HELPER_TOKEN}", "X-Key-Id": "k1"}, "expires_in": 600}
    cached = helper(tmp_path, "cached", f"print(json.dumps({answer!r}))")
    uncached = helper(tmp_path, "uncached", f"print(json.dumps({ {'headers': answer['headers']}!r}))")

    for command in (cached, cached, uncached, uncached):
        assert invoke("get", fault_server.url("/x"), "--auth-command", command, env=env).code == 0

    assert {r.headers["X-Sig"] for r in fault_server.requests} == {f"v1 {HELPER_TOKEN}"}
    assert (len(runs(tmp_path, "cached")), len(runs(tmp_path, "uncached"))) == (1, 2)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"print({HELPER_TOKEN!r}); print('oops', file=sys.stderr); sys.exit(3)", "failed with exit status 3"),
        ("pass", "printed nothing (exit status 0)"),
        (f"print('two'); print({HELPER_TOKEN!r})", "printed more than one line (exit status 0)"),
        (f'print(\'{{"token": "{HELPER_TOKEN}"}}\')', 'printed JSON without a "headers" object (exit status 0)'),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9"),
    ],
)
def test_a_failing_helper_is_named_with_its_status_never_its_output(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str], body: str, message: str
) -> None:
    command = helper(tmp_path, "bad", body)

    result = invoke("get", fault_server.url("/x"), "--auth-command", command, env=env)

    assert (result.code, result.stdout) == (1, b"")
    assert result.stderr.splitlines()[0] == f"apicli: the credential helper {command!r} {message}"
    assert HELPER_TOKEN not in result.stderr and "oops" not in result.stderr
    assert fault_server.requests == []


def test_a_hanging_helper_is_stopped(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_command, "HELPER_TIMEOUT", 0.5)  # 30 s in real runs
    command = helper(tmp_path, "hang", "time.sleep(20)")

    result = invoke("get", fault_server.url("/x"), "--auth-command", command, env=env)

    assert (result.code, result.stdout) == (1, b"")
    assert result.stderr.startswith(f"apicli: the credential helper {command!r} did not finish within 0.5 s")
    assert fault_server.requests == []


def test_a_missing_helper(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("get", fault_server.url("/x"), "--auth-command", str(tmp_path / "nope") + " arg")

    assert (result.code, result.stdout) == (1, b"")
    assert result.stderr.startswith(f"apicli: the credential helper '{tmp_path / 'nope'}' was not found")


def test_helper_headers_never_reach_another_origin(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str]
) -> None:
    fault_server.script("/start", redirect(other_fault_server.url("/landing")))
    other_fault_server.script("/landing", json_reply({}))
    answer = {"headers": {"X-Plain-Name": HELPER_TOKEN}}
    command = helper(tmp_path, "h", f"print(json.dumps({answer!r}))")

    result = invoke("get", fault_server.url("/start"), "--auth-command", command, "-v", env=env)

    assert result.code == 0, result.stderr
    assert fault_server.requests[0].headers["X-Plain-Name"] == HELPER_TOKEN
    assert "X-Plain-Name" not in other_fault_server.requests[0].headers
    assert HELPER_TOKEN not in result.stderr
    assert [r["APICLI_ORIGIN"] for r in runs(tmp_path, "h")] == [fault_server.origin]  # never run for the other


def test_a_profile_auth_command(fault_server: FaultServer, invoke: Invoke, tmp_path: Path, env: dict[str, str]) -> None:
    fault_server.script("/x", json_reply({}))
    command = helper(tmp_path, "p", f"print({HELPER_TOKEN!r})")
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.h]\nbase_url = "{fault_server.origin}"\nauth_command = [{command!r}, "--x"]\n')

    result = invoke("get", "/x", "-P", "h", env={**env, "APICLI_CONFIG": str(config)})

    assert (result.code, result.stderr) == (0, "")
    assert fault_server.requests[0].headers["Authorization"] == f"Bearer {HELPER_TOKEN}"


# -- the output parser ------------------------------------------------------------------------------


def test_helper_output_forms() -> None:
    assert parse_helper_output(b"abc.def\n") == ({"Authorization": "Bearer abc.def"}, None)
    assert parse_helper_output(b'{"headers": {"A": "1"}, "expires_in": 60}') == ({"A": "1"}, 60.0)
    # Text beyond ASCII is sent as its UTF-8 bytes (header text: a str of code points below 256).
    assert parse_helper_output("t\u20ac\n".encode()) == ({"Authorization": "Bearer t\xe2\x82\xac"}, None)
    for bad in [b"", b" \n", b"a b", b"a\nb", b"{", b'{"headers": {}}', b'{"headers": {"A B": "1"}}',
                b'{"headers": {"A": "1\\n2"}}', b'{"headers": {"A": "1"}, "expires_in": -5}',
                b'{"headers": {"A": 1}}', b'{"headers": {"A": "1"}} trailing', b"tok\xff",
                b'{"headers": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"headers": ' + b"[" * 100_000]:  # fmt: skip
        with pytest.raises(HelperOutputError):
            parse_helper_output(bad)


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                 st.recursive(st.none() | st.text(max_size=20) | st.integers(),
                              lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3),
                              max_leaves=20).map(lambda value: json.dumps({"headers": value}).encode())))  # fmt: skip
def test_any_helper_output_is_headers_or_a_helper_output_error(output: bytes) -> None:
    try:
        headers, expires = parse_helper_output(output)
    except HelperOutputError:
        return
    assert headers
    for name, value in headers.items():
        assert is_header_name(name) and not has_controls(value) and max(map(ord, value), default=0) <= 0xFF
    assert expires is None or expires > 0


# -- the helper's process: stopped at the output limit, at Ctrl-C --------------------------------------


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_helper_printing_without_end_is_stopped_at_the_limit(fault_server: FaultServer, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    command = helper(tmp_path, "flood", f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                                        "while True: sys.stdout.write('t' * 65536)")  # fmt: skip

    outcome = run(["get", fault_server.url("/x"), "--auth-command", command])

    assert_clean(outcome, 1, stderr_has=f"the credential helper {command!r} printed more than 64 KiB and was stopped")
    assert _gone(int(pid_file.read_text()))
    assert fault_server.requests == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_while_the_helper_runs_stops_it(fault_server: FaultServer, tmp_path: Path, sig: signal.Signals) -> None:
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    # The helper says it started through a FIFO (opening it waits for the test), then never ends.
    command = helper(tmp_path, "stuck", f"open({str(fifo)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)")
    proc = subprocess.Popen([*apicli_command(), "get", fault_server.url("/x"), "--auth-command", command],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    with fifo.open() as started:
        pid = int(started.read())

    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)

    assert (proc.returncode, out, err) == (130, b"", b"apicli: interrupted\n")
    assert _gone(pid)
