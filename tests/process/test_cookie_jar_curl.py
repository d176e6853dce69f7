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


# What a server sets, as http.client hands it over (one code point per byte): the two tools keep
# and drop the same cookies, and a kept one is the same bytes in the file.
SET_COOKIES = [
    "a=x\x85127.0.0.1\tFALSE\t/\tFALSE\t0\tinjected\tpwned",  # splitlines() made a second line of it
    "b=x\x0cy",
    "c=x\x1cy",
    "d=x\ty",
    "e=x\x7fy",
    "f=x\x85y",
    "g=\xe2\x82\xac",
    "h=1; Domain=.0.0.1",  # an IP address matches only itself
    "i=1; Domain=127.0.0.1",
]


def _cookie_lines(path: Path) -> list[bytes]:
    return sorted(line for line in path.read_bytes().split(b"\n") if line and not line.startswith(b"# "))


def test_apicli_and_curl_keep_the_same_set_cookie_bytes_and_drop_the_same_ones(tmp_path: Path) -> None:
    reply = Reply(200, [("Set-Cookie", value) for value in SET_COOKIES], "ok")
    with FaultServer() as server:
        server.script("/set", reply)
        curl = _run(["curl", "-sS", "-c", str(tmp_path / "curl.txt"), server.url("/set")])
        apicli = _run([APICLI, "get", server.url("/set"), "--cookie-jar", str(tmp_path / "apicli.txt")])

    assert (curl.returncode, apicli.returncode, apicli.stderr) == (0, 0, b"")
    assert _cookie_lines(tmp_path / "apicli.txt") == _cookie_lines(tmp_path / "curl.txt")
    assert _cookie_lines(tmp_path / "apicli.txt") == [
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\tf\tx\x85y",
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\tg\t\xe2\x82\xac",
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\ti\t1",
    ]


@pytest.mark.parametrize(
    "line",
    [
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\tv\t\xe2\x82\xac\xff\xfe\n",  # bytes go out as they are in the file
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\tv\tx\x85y\n",
        b".0.0.1\tTRUE\t/\tFALSE\t0\tv\t1\n",  # a domain that only an address could end in: never sent
        b"127.0.0.1\tFALSE\t/\tFALSE\t0\tv\tx\ty\n",  # eight fields: not a cookie
    ],
)
def test_apicli_and_curl_send_a_jar_lines_bytes_alike(tmp_path: Path, line: bytes) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_bytes(b"# Netscape HTTP Cookie File\n" + line)
    with FaultServer() as server:
        server.script("/x", Reply(200, [], "ok"))
        curl = _run(["curl", "-sS", "-b", str(jar), server.url("/x")])
        apicli = _run([APICLI, "get", server.url("/x"), "--cookie-jar", str(jar)])
        by_curl, by_apicli = (request.headers.get("Cookie") for request in server.requests_for("/x"))

    assert (curl.returncode, apicli.returncode, apicli.stderr) == (0, 0, b"")
    assert by_apicli == by_curl
