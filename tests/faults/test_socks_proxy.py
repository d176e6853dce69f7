"""--proxy socks5:// and socks5h:// end to end, through a loopback SOCKS5 server that records what it saw.

The origin is a fault server on 127.0.0.1, named `localhost` in URLs: with socks5 the client
resolves that name and the SOCKS server is asked for an IPv4 address; with socks5h the name
itself goes to the SOCKS server, which resolves it (to loopback only).
"""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, RecordedRequest, SilentListener, json_reply, redirect
from tests.faults.loopback import serve
from tests.faults.socksserver import CONNECTION_REFUSED, HOST_UNREACHABLE, NOT_ALLOWED, Connect, Socks5Server
from tests.process.conftest import APICLI, base_environment

PASSWORD = "sx-pw@7:c/1e"  # @, : and / must be percent-encoded in the proxy URL
USERINFO = f"pat:{quote(PASSWORD, safe='')}"
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                   "no_proxy")  # fmt: skip


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def socks() -> Iterator[Socks5Server]:
    """A SOCKS5 server that asks for no authentication."""
    yield from serve(Socks5Server())


@pytest.fixture
def socks_with_login() -> Iterator[Socks5Server]:
    """A SOCKS5 server that asks for user `pat` and PASSWORD (RFC 1929)."""
    yield from serve(Socks5Server(credentials=("pat", PASSWORD)))


@pytest.fixture
def origin(fault_server: FaultServer) -> FaultServer:
    fault_server.script("/users", json_reply([{"id": 1}]))
    return fault_server


def local_url(server: FaultServer, path: str) -> str:
    return f"http://localhost:{server.port}{path}"


def secret_forms() -> tuple[str, ...]:
    return (PASSWORD, quote(PASSWORD, safe=""), base64.b64encode(f"pat:{PASSWORD}".encode()).decode())


def assert_no_proxy_credential(requests: list[RecordedRequest]) -> None:
    assert requests, "the origin was never reached: the check would prove nothing"
    for request in requests:
        assert "Proxy-Authorization" not in request.headers, request
        shown = " ".join(value for _, value in request.headers.pairs()) + request.target + request.body.decode()
        assert not any(form in shown for form in secret_forms()), request


# -- where the name is resolved -----------------------------------------------------------------------


def test_socks5_resolves_the_name_in_the_client(socks: Socks5Server, origin: FaultServer, invoke: Invoke) -> None:
    resolved = socket.getaddrinfo("localhost", origin.port, socket.AF_UNSPEC, socket.SOCK_STREAM)[0][4][0]
    if resolved != "127.0.0.1":
        pytest.skip(f"localhost resolves to {resolved} first here; the origin listens on 127.0.0.1 only")

    result = invoke("get", local_url(origin, "/users"), "--proxy", socks.url("socks5"))

    assert (result.code, result.stdout, result.stderr) == (0, b'[{"id": 1}]', "")
    assert socks.methods == [(0x00,)]  # no credentials given: only "no authentication" is offered
    assert socks.connects == [Connect("127.0.0.1", origin.port, "ipv4", None)]
    [seen] = origin.requests
    assert (seen.target, seen.headers["Host"]) == ("/users", f"localhost:{origin.port}")


def test_socks5h_leaves_the_name_to_the_proxy(socks: Socks5Server, origin: FaultServer, invoke: Invoke) -> None:
    result = invoke("get", local_url(origin, "/users"), "--proxy", socks.url("socks5h"))

    assert (result.code, result.stdout, result.stderr) == (0, b'[{"id": 1}]', "")
    assert socks.connects == [Connect("localhost", origin.port, "domain", None)]
    assert [r.headers["Host"] for r in origin.requests] == [f"localhost:{origin.port}"]


def test_an_ip_address_goes_to_the_proxy_as_one_even_with_socks5h(
    socks: Socks5Server, origin: FaultServer, invoke: Invoke
) -> None:
    result = invoke("get", origin.url("/users"), "--proxy", socks.url("socks5h"))

    assert (result.code, result.stdout, result.stderr) == (0, b'[{"id": 1}]', "")
    assert socks.connects == [Connect("127.0.0.1", origin.port, "ipv4", None)]


# -- the proxy's user and password ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_credentials_in_the_proxy_url_reach_the_socks_server_only(
    socks_with_login: Socks5Server, origin: FaultServer, invoke: Invoke, scheme: str
) -> None:
    result = invoke("get", local_url(origin, "/users"), "--proxy", socks_with_login.url(scheme, USERINFO), "-v", "-i")

    assert (result.code, result.stdout) == (0, b'[{"id": 1}]'), result.stderr
    assert socks_with_login.methods == [(0x00, 0x02)]
    assert socks_with_login.offered == [("pat", PASSWORD)]  # percent-decoded before the handshake
    assert [c.user for c in socks_with_login.connects] == ["pat"]
    assert_no_proxy_credential(origin.requests)
    proxy_line = f"> (through the proxy {scheme}://pat:REDACTED@127.0.0.1:{socks_with_login.port})"
    assert proxy_line in result.stderr.splitlines()
    assert not any(form in result.stderr for form in secret_forms())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("where", ["same origin", "other origin"])
def test_a_redirect_through_a_socks_proxy_does_not_put_its_credentials_in_the_request(
    socks_with_login: Socks5Server, fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke,
    status: int, where: str,
) -> None:  # fmt: skip
    # requests adds Proxy-Authorization on a redirect for any proxy URL with a password; inside a
    # SOCKS tunnel that header would reach the origin server.
    landing = fault_server if where == "same origin" else other_fault_server
    fault_server.script("/start", redirect(local_url(landing, "/landing"), status=status))
    landing.script("/landing", json_reply({"landed": True}))

    result = invoke("get", local_url(fault_server, "/start"), "--proxy", socks_with_login.url("socks5h", USERINFO))

    assert (result.code, result.stdout, result.stderr) == (0, b'{"landed": true}', "")
    targets = [(c.host, c.port, c.user) for c in socks_with_login.connects]
    assert targets[0] == ("localhost", fault_server.port, "pat") and targets[-1][1:] == (landing.port, "pat")
    assert [r.path for r in landing.requests_for("/landing")] == ["/landing"]
    assert_no_proxy_credential(fault_server.requests + other_fault_server.requests)


def test_credentials_from_all_proxy_reach_the_socks_server_and_are_redacted(
    socks_with_login: Socks5Server, origin: FaultServer, invoke: Invoke
) -> None:
    env = {"ALL_PROXY": socks_with_login.url("socks5h", USERINFO)}
    origin.script("/denied", json_reply({"error": f"proxy said {PASSWORD}"}, status=403))

    result = invoke("get", local_url(origin, "/denied"), "-v", env=env)

    assert (result.code, result.stdout) == (4, b"")
    assert socks_with_login.offered == [("pat", PASSWORD)]
    assert result.stderr.count("apicli: HTTP 403") == 1
    assert f"> (through the proxy socks5h://pat:REDACTED@127.0.0.1:{socks_with_login.port})" in result.stderr
    assert not any(form in result.stderr for form in secret_forms())
    assert_no_proxy_credential(origin.requests)


@pytest.mark.parametrize("preview", ["--curl", "--dry-run"])
def test_previews_show_the_socks_proxy_redacted_and_connect_nowhere(
    socks_with_login: Socks5Server, origin: FaultServer, invoke: Invoke, preview: str
) -> None:
    proxy = socks_with_login.url("socks5h", USERINFO)

    result = invoke("get", local_url(origin, "/users"), preview, "--proxy", proxy)

    assert result.code == 0, result.stderr
    if preview == "--curl":
        assert f"-x socks5h://pat:REDACTED@127.0.0.1:{socks_with_login.port}" in result.text
    else:  # the request as it would reach the origin, which has no place for the proxy
        assert result.text.startswith(f"GET {local_url(origin, '/users')}\n")
    assert not any(form in result.text + result.stderr for form in secret_forms())
    assert (socks_with_login.methods, origin.requests) == ([], [])


# -- failures --------------------------------------------------------------------------------------------


def test_a_refused_socks_proxy_is_named_in_one_line(origin: FaultServer, invoke: Invoke, unused_port: int) -> None:
    url = local_url(origin, "/users")

    result = invoke("get", url, "--proxy", f"socks5h://{USERINFO}@127.0.0.1:{unused_port}", "--retries", "0")

    assert (result.code, result.stdout) == (7, b"")
    message, hint = result.stderr.splitlines()
    assert message == (
        f"apicli: could not go through the SOCKS proxy socks5h://127.0.0.1:{unused_port} to {url}: "
        "it refused the connection"
    )
    assert hint.startswith("hint: check --proxy")
    assert not any(form in result.stderr for form in secret_forms())
    assert origin.requests == []


def test_a_refused_socks_proxy_is_retried_like_a_refused_server(
    origin: FaultServer, invoke: Invoke, unused_port: int
) -> None:
    url = local_url(origin, "/users")

    result = invoke("get", url, "--proxy", f"socks5://127.0.0.1:{unused_port}", "--retries", "2")

    assert (result.code, result.stdout) == (7, b"")
    proxy = f"the SOCKS proxy socks5://127.0.0.1:{unused_port}"
    notes = [f"apicli: could not go through {proxy}: it refused the connection; retry {n} of 2 in " for n in (1, 2)]
    lines = result.stderr.splitlines()
    assert [line[: len(note)] for line, note in zip(lines, notes, strict=False)] == notes
    assert lines[2] == f"apicli: could not go through {proxy} to {url}: it refused the connection, after 3 attempts"
    assert len(result.sleeps) == 2  # the waits were asked for, not slept


@pytest.mark.parametrize(
    ("reply", "reason"),
    [(CONNECTION_REFUSED, "connection refused"), (HOST_UNREACHABLE, "host unreachable"),
     (NOT_ALLOWED, "connection not allowed by ruleset")],
)  # fmt: skip
def test_a_connect_the_socks_server_refuses_is_told_apart_from_the_proxy_itself(
    origin: FaultServer, invoke: Invoke, reply: int, reason: str
) -> None:
    url = local_url(origin, "/users")
    with Socks5Server(connect_reply=reply) as refusing:
        result = invoke("get", url, "--proxy", refusing.url("socks5h"), "--retries", "0")

    assert (result.code, result.stdout) == (7, b"")
    message, hint = result.stderr.splitlines()
    assert message == (
        f"apicli: could not go through the SOCKS proxy socks5h://127.0.0.1:{refusing.port} to {url}: "
        f"it could not reach the server ({reason}, SOCKS reply {reply:#04x})"
    )
    assert hint == "hint: check the host and port, and that the server is up and reachable from the proxy"
    assert refusing.connects == [Connect("localhost", origin.port, "domain", None)]
    assert origin.requests == []


@pytest.mark.parametrize(
    ("userinfo", "problem"),
    [(f"pat:{quote('not-' + PASSWORD, safe='')}", "refused the user name and password"),
     ("", "asks for a user name and password")],
)  # fmt: skip
def test_wrong_or_missing_socks_credentials_are_a_clear_error(
    socks_with_login: Socks5Server, origin: FaultServer, invoke: Invoke, userinfo: str, problem: str
) -> None:
    result = invoke("get", local_url(origin, "/users"), "--proxy", socks_with_login.url("socks5", userinfo),
                    "--retries", "0")  # fmt: skip

    assert (result.code, result.stdout) == (7, b"")
    message, hint = result.stderr.splitlines()
    assert message.startswith(f"apicli: could not go through the SOCKS proxy socks5://127.0.0.1:{socks_with_login.port}")
    assert message.endswith(f": it {problem}")
    assert hint.startswith("hint: give them in the proxy URL: socks5://USER:PASSWORD@HOST:PORT")
    assert "not-" not in result.stderr and PASSWORD not in result.stderr
    assert (socks_with_login.connects, origin.requests) == ([], [])


def test_a_socks_proxy_that_never_answers_is_a_connect_timeout(
    silent_server: SilentListener, origin: FaultServer, invoke: Invoke
) -> None:
    port = silent_server.port

    result = invoke("get", local_url(origin, "/users"), "--proxy", f"socks5h://127.0.0.1:{port}",
                    "--connect-timeout", "0.2", "--retries", "0")  # fmt: skip

    assert (result.code, result.stdout) == (8, b"")
    assert result.stderr.startswith(
        f"apicli: connecting through the SOCKS proxy socks5h://127.0.0.1:{port} to {local_url(origin, '/users')} "
        "timed out after 0.2s"
    )
    assert origin.requests == []


# -- bypassing the proxy ------------------------------------------------------------------------------


def test_no_proxy_sends_direct_past_a_socks_proxy(socks: Socks5Server, origin: FaultServer, invoke: Invoke) -> None:
    url = local_url(origin, "/users")

    flag = invoke("get", url, "--proxy", socks.url("socks5h"), "--no-proxy", "localhost")
    env = invoke("get", url, env={"ALL_PROXY": socks.url("socks5h"), "NO_PROXY": "localhost"})
    flag_over_env = invoke("get", url, "--no-proxy", "*", env={"ALL_PROXY": socks.url("socks5h")})
    proxied = invoke("get", url, "--no-proxy", "elsewhere.invalid", env={"ALL_PROXY": socks.url("socks5h"),
                                                                         "NO_PROXY": "localhost"})  # fmt: skip

    for result in (flag, env, flag_over_env, proxied):
        assert (result.code, result.stdout, result.stderr) == (0, b'[{"id": 1}]', "")
    assert len(origin.requests) == 4
    assert socks.connects == [Connect("localhost", origin.port, "domain", None)]  # the last run only


# -- without PySocks ---------------------------------------------------------------------------------------

# Runs the installed apicli in a process where `import socks` fails, as it does without the extra.
WITHOUT_PYSOCKS = (
    "import sys\n"
    "sys.modules['socks'] = None\n"
    "sys.argv[0] = 'apicli'\n"
    "from apicli.__main__ import main\n"
    "main()\n"
)


def _run_without_pysocks(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    launcher = tmp_path / "without_pysocks.py"
    launcher.write_text(WITHOUT_PYSOCKS)
    environment = {k: v for k, v in base_environment(env).items() if k not in PROXY_VARIABLES or k in env}
    return subprocess.run(
        [sys.executable, str(launcher), *args], capture_output=True, env=environment, timeout=30,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_without_pysocks_a_socks_proxy_is_a_usage_error_naming_the_extra(
    socks: Socks5Server, origin: FaultServer, tmp_path: Path
) -> None:
    url = local_url(origin, "/users")

    flag = _run_without_pysocks(tmp_path, "get", url, "--proxy", socks.url("socks5h"), env={})
    variable = {"ALL_PROXY": socks.url("socks5h", USERINFO)}
    env = _run_without_pysocks(tmp_path, "get", url, "--retries", "0", env=variable)

    assert (flag.returncode, flag.stdout) == (2, b"")
    assert flag.stderr.decode().splitlines() == [
        "apicli: --proxy: a SOCKS proxy needs PySocks",
        "hint: install apicli[socks] (pip install 'apicli[socks]')",
    ]
    assert (env.returncode, env.stdout) == (2, b"")
    assert env.stderr.decode().splitlines() == [
        f"apicli: the proxy for {url} (from ALL_PROXY, HTTP_PROXY or HTTPS_PROXY) is a SOCKS proxy, "
        "which needs PySocks",
        "hint: install apicli[socks] (pip install 'apicli[socks]')",
    ]
    assert (socks.methods, origin.requests) == ([], [])


def test_the_installed_apicli_goes_through_a_socks_proxy(socks_with_login: Socks5Server, origin: FaultServer) -> None:
    environment = {k: v for k, v in base_environment().items() if k not in PROXY_VARIABLES}

    done = subprocess.run(
        [APICLI, "get", local_url(origin, "/users"), "--proxy", socks_with_login.url("socks5h", USERINFO), "-v"],
        capture_output=True, env=environment, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip

    assert (done.returncode, done.stdout) == (0, b'[{"id": 1}]'), done.stderr
    assert socks_with_login.connects == [Connect("localhost", origin.port, "domain", "pat")]
    assert not any(form in done.stderr.decode() for form in secret_forms())
