"""--proxy and --no-proxy over the environment's settings, with a loopback proxy that records what it saw."""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.formats.urls import check_proxy_url, proxy_authorization, redact_url
from tests.conftest import Invoke
from tests.faults import FaultServer, json_reply, redirect
from tests.faults.credential_kinds import EchoesCredentials

PROXY_PASSWORD = "prx-pw-77e1a0"
UPSTREAM = "http://upstream.invalid/users"  # never resolved: only a proxy can answer for it


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def proxy() -> Iterator[FaultServer]:
    with FaultServer() as server:
        server.script(UPSTREAM, json_reply({"via": "proxy"}))
        yield server


def test_proxy_flag_sends_through_the_proxy_with_its_credentials(proxy: FaultServer, invoke: Invoke) -> None:
    proxy_url = f"http://pat:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"

    result = invoke("get", UPSTREAM, "--proxy", proxy_url, "-v", "--retries", "0")

    assert (result.code, result.stdout) == (0, b'{"via": "proxy"}'), result.stderr
    [seen] = proxy.requests
    assert (seen.target, seen.headers["Host"]) == (UPSTREAM, "upstream.invalid")
    expected = base64.b64encode(f"pat:{PROXY_PASSWORD}".encode()).decode()
    assert seen.headers["Proxy-Authorization"] == f"Basic {expected}"
    assert f"> (through the proxy http://pat:REDACTED@127.0.0.1:{proxy.port})" in result.stderr.splitlines()
    assert PROXY_PASSWORD not in result.stderr and expected not in result.stderr


def test_the_flag_wins_over_the_environment(proxy: FaultServer, invoke: Invoke, unused_port: int) -> None:
    env = {"HTTP_PROXY": f"http://127.0.0.1:{unused_port}", "NO_PROXY": "upstream.invalid"}

    result = invoke("get", UPSTREAM, "--proxy", f"127.0.0.1:{proxy.port}", "--no-proxy", "other.example", env=env)

    assert (result.code, result.stdout, result.stderr) == (0, b'{"via": "proxy"}', "")
    assert [r.target for r in proxy.requests] == [UPSTREAM]


def test_no_proxy_flag_goes_direct(fault_server: FaultServer, invoke: Invoke, unused_port: int) -> None:
    fault_server.script("/direct", json_reply({"direct": True}))
    refusing = f"http://127.0.0.1:{unused_port}"

    flag = invoke("get", fault_server.url("/direct"), "--proxy", refusing, "--no-proxy", "127.0.0.1", "--retries", "0")
    env = invoke("get", fault_server.url("/direct"), "--no-proxy", "localhost, 127.0.0.0/8", "--retries", "0",
                 env={"HTTP_PROXY": refusing})  # fmt: skip
    star = invoke("get", fault_server.url("/direct"), "--no-proxy", "*", "--retries", "0", env={"ALL_PROXY": refusing})

    for result in (flag, env, star):
        assert (result.code, result.stdout, result.stderr) == (0, b'{"direct": true}', "")
    assert len(fault_server.requests) == 3


def test_no_proxy_flag_replaces_the_environments_list(proxy: FaultServer, invoke: Invoke) -> None:
    env = {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": "upstream.invalid"}

    result = invoke("get", UPSTREAM, "--no-proxy", "elsewhere.example", env=env)

    assert (result.code, result.stdout, result.stderr) == (0, b'{"via": "proxy"}', "")


def test_a_proxy_echoing_its_credentials_in_a_407_has_them_redacted(proxy: FaultServer, invoke: Invoke) -> None:
    proxy.script(UPSTREAM, EchoesCredentials(status=407))
    encoded = base64.b64encode(f"pat:{PROXY_PASSWORD}".encode()).decode()

    result = invoke("get", UPSTREAM, "--proxy", f"http://pat:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}")

    assert (result.code, result.stdout) == (4, b"")
    assert proxy.requests[0].headers["Proxy-Authorization"] == f"Basic {encoded}"
    assert result.stderr.startswith("apicli: HTTP 407")
    assert PROXY_PASSWORD not in result.stderr and encoded not in result.stderr


def test_an_unreachable_proxy_is_named_and_its_password_redacted(invoke: Invoke, unused_port: int) -> None:
    result = invoke("get", UPSTREAM, "--proxy", f"http://pat:{PROXY_PASSWORD}@127.0.0.1:{unused_port}",
                    "--retries", "0")  # fmt: skip

    assert (result.code, result.stdout) == (7, b"")
    # urllib3's ("Unable to connect to proxy", NewConnectionError(...)) said in words, on one line.
    assert result.stderr.splitlines()[0] == (
        "apicli: could not go through the proxy to http://upstream.invalid/users: cannot reach the proxy: "
        "connection refused"
    )
    assert PROXY_PASSWORD not in result.stderr


def test_an_environment_proxy_password_is_redacted_too(invoke: Invoke, unused_port: int) -> None:
    env = {"HTTP_PROXY": f"http://pat:{PROXY_PASSWORD}@127.0.0.1:{unused_port}"}

    result = invoke("get", UPSTREAM, "--retries", "0", "-v", env=env)

    assert result.code == 7
    assert f"> (through the proxy http://pat:REDACTED@127.0.0.1:{unused_port})" in result.stderr.splitlines()
    assert PROXY_PASSWORD not in result.stderr


def test_curl_preview_shows_the_proxy_redacted(invoke: Invoke) -> None:
    result = invoke("get", UPSTREAM, "--curl", "--proxy", f"http://pat:{PROXY_PASSWORD}@proxy.example:3128",
                    "--no-proxy", "localhost")  # fmt: skip

    assert result.code == 0
    assert "-x http://pat:REDACTED@proxy.example:3128 --noproxy localhost" in result.text
    assert PROXY_PASSWORD not in result.text + result.stderr


# -- proxy URLs that do not parse, and users beyond ASCII ----------------------------------------------


def test_a_redirect_through_the_proxy_keeps_a_utf8_user(proxy: FaultServer, invoke: Invoke) -> None:
    proxy.script("http://upstream.invalid/start", redirect("/users"))
    user = "\u00fc\u20ac"

    result = invoke(
        "get", "http://upstream.invalid/start", "--proxy", f"http://{user}:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    )

    assert (result.code, result.stdout, result.stderr) == (0, b'{"via": "proxy"}', "")
    expected = "Basic " + base64.b64encode(f"{user}:{PROXY_PASSWORD}".encode()).decode()
    assert [r.headers.get("Proxy-Authorization") for r in proxy.requests] == [expected, expected]


_password = st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=16).map(lambda pw: f"Pw{pw}")
_rest = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@given(st.sampled_from(["http", "https", "socks5h", "ftp", "HTTP", ""]), st.text(string.printable, max_size=8),
       _password, _rest | st.text(string.printable, max_size=20))  # fmt: skip
def test_no_proxy_url_error_shows_its_password(scheme: str, user: str, password: str, rest: str) -> None:
    text = f"{scheme}://{user}:{password}@{rest}" if scheme else f"{user}:{password}@{rest}"
    try:
        checked = check_proxy_url(text, "--proxy")
    except UsageError as exc:
        assert password not in exc.message + (exc.hint or "")
        return
    assert urlsplit(checked).hostname
    assert password not in redact_url(checked)


@given(st.text(max_size=60))
def test_any_text_checks_as_a_proxy_url_or_a_usage_error(text: str) -> None:
    try:
        checked = check_proxy_url(text, "--proxy")
    except UsageError:
        return
    assert urlsplit(checked).scheme.lower() in ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
    proxy_authorization(checked)  # never raises: any text makes bytes


def test_a_proxy_password_is_the_bytes_its_escapes_stand_for() -> None:
    assert proxy_authorization("http://a%3Ab:%FF%00@h:1") == "Basic " + base64.b64encode(b"a:b:\xff\x00").decode()
    assert proxy_authorization("http://h:1") is None
