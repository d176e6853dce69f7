"""A cookie jar is shared with curl both ways: the installed apicli and curl 7.x as real processes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply, json_reply
from tests.process.conftest import APICLI, base_environment

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=30, env=base_environment())


def _login_reply() -> Reply:
    headers = [
        ("Set-Cookie", "sid=s3ss10n-abc; Path=/; HttpOnly"),  # a session cookie
        ("Set-Cookie", "pref=dark; Path=/; Max-Age=3600"),
        ("Content-Type", "application/json"),
    ]
    return Reply(200, headers, "{}")


def _cookies(header: str | None) -> set[str]:
    return set((header or "").split("; ")) - {""}


def test_a_jar_written_by_curl_is_read_by_apicli(tmp_path: Path) -> None:
    jar = tmp_path / "curl-jar.txt"
    with FaultServer() as server:
        server.script("/login", _login_reply())
        server.script("/me", json_reply({"me": 1}))
        curl = _run(["curl", "-sS", "-c", str(jar), server.url("/login")])
        apicli = _run([APICLI, "get", server.url("/me"), "--cookie-jar", str(jar)])

    assert (curl.returncode, curl.stdout) == (0, b"{}")
    assert "#HttpOnly_127.0.0.1" in jar.read_text()  # curl's own marking, which apicli must read
    assert (apicli.returncode, apicli.stdout, apicli.stderr) == (0, b'{"me": 1}', b"")
    assert _cookies(server.requests_for("/me")[0].headers.get("Cookie")) == {"sid=s3ss10n-abc", "pref=dark"}


def test_a_jar_written_by_apicli_is_read_by_curl(tmp_path: Path) -> None:
    jar = tmp_path / "apicli-jar.txt"
    with FaultServer() as server:
        server.script("/login", _login_reply())
        server.script("/me", json_reply({"me": 1}))
        apicli = _run([APICLI, "get", server.url("/login"), "--cookie-jar", str(jar)])
        curl = _run(["curl", "-sS", "-b", str(jar), "-c", str(jar), server.url("/me")])

    assert (apicli.returncode, apicli.stdout, apicli.stderr) == (0, b"{}", b"")
    assert (curl.returncode, curl.stdout) == (0, b'{"me": 1}')
    # The session cookie comes through too: apicli writes it with expiry 0, as curl does.
    assert _cookies(server.requests_for("/me")[0].headers.get("Cookie")) == {"sid=s3ss10n-abc", "pref=dark"}
    assert "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts3ss10n-abc" in jar.read_text()  # curl rewrote it
