"""Hostile input to the credential surfaces: token endpoints, Digest challenges, credential helpers,
the token cache, proxy URLs and the secrets given by flags.

Every row runs the installed apicli as a process against loopback servers and asserts its exit
code, one `apicli:` line, no traceback, no secret in what it printed and, for the huge and endless
kinds, apicli's own memory.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apicli.auth.token_cache import cache_key
from tests.faults import FaultServer, Reply, gzip_bomb, json_reply
from tests.faults.auth_servers import TokenEndpoint
from tests.faults.wire import Exchange
from tests.hostile.harness import assert_clean, run

CLIENT_SECRET = "cs-hostile-31c7"
PASSWORD = "PW1234"
PROXY_ENV = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")
UPSTREAM = "http://upstream.invalid/users"  # never resolved: only a proxy answers for it
DEEP = b"[" * 100_000
BUDGET = 256 << 20  # an endless server gives up after this many bytes, or when the client hangs up


@dataclass(frozen=True)
class Endless:
    """A head, then `unit` over and over (no length, no end) until the budget or a hang-up."""

    status: int = 200
    unit: bytes = b'{"access_token": "' + b"a" * 65_000
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(self.status, [*self.headers, ("Connection", "close")])
        block, sent = self.unit * max(1, (1 << 16) // len(self.unit)), 0
        try:
            while sent < BUDGET:
                exchange.send(block)
                sent += len(block)
        except OSError:
            return  # the client hung up: what it should do


@dataclass(frozen=True)
class Slow:
    """A head, then one byte of `unit` every `interval` seconds until the client hangs up."""

    unit: bytes = b" "
    interval: float = 0.05

    def serve(self, exchange: Exchange) -> None:
        exchange.send_head(200, [("Content-Type", "application/json"), ("Connection", "close")])
        try:
            while exchange.wait(self.interval):
                exchange.send(self.unit)
        except OSError:
            return


def raw(status: int, body: bytes) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, body)


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)


def assert_no_secret(outcome: Any, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in outcome.stderr and secret.encode() not in outcome.stdout, outcome.describe()


# -- B7, B8: the OAuth2 token endpoint's answer ---------------------------------------------------

OAUTH2_ROWS = [
    # (id, what the token endpoint does, extra flags, exit code, stderr has)
    ("deep-array", raw(200, DEEP), [], 1, "nested deeper than 1024"),
    ("deep-object", raw(200, b'{"a":' * 50_000), [], 1, "nested deeper than 1024"),
    ("deep-error-body", raw(400, DEEP), [], 1, "failed: HTTP 400"),
    ("endless", Endless(), [], 1, "larger than 1 MiB"),
    ("endless-error-body", Endless(status=400), [], 1, "failed: HTTP 400"),
    ("endless-with-max-time", Endless(), ["--max-time", "5"], 1, "larger than 1 MiB"),
    ("gzip-bomb", gzip_bomb(1 << 30), [], 1, "larger than 1 MiB"),
    ("gzip-bomb-error-body", Reply(400, gzip_bomb(1 << 30).head(), gzip_bomb(1 << 30).body), [], 1, "HTTP 400"),
    ("slow-drip-past-max-time", Slow(), ["--max-time", "1"], 8, "--max-time"),
    ("not-an-object", raw(200, b"[1, 2]"), [], 1, "not a JSON object"),
    ("not-json", raw(200, b"\xff\xfe{"), [], 1, "not a JSON object"),
    ("crlf-in-token", json_reply({"access_token": "a\r\nX-Evil: 1"}), [], 1, "no usable access_token"),
    ("nul-in-token", json_reply({"access_token": "a\u0000b"}), [], 1, "no usable access_token"),
    ("token-not-a-string", json_reply({"access_token": {"a": 1}}), [], 1, "no usable access_token"),
    ("huge-expires-in", raw(200, b'{"access_token": "t1", "expires_in": 1e400}'), [], 0, ""),
    ("non-ascii-token", json_reply({"access_token": "t\u00f6k\u20acn"}), [], 0, ""),
]


@pytest.fixture
def api(fault_server: FaultServer) -> FaultServer:
    fault_server.script("/me", json_reply({"ok": True}))
    return fault_server


def oauth2_args(token_url: str, client_id: str = "app") -> list[str]:
    return ["--oauth2-token-url", token_url, "--oauth2-client-id", client_id,
            "--oauth2-client-secret-env", "CLIENT_SECRET", "--retries", "0"]  # fmt: skip


@pytest.mark.parametrize(("behaviour", "extra", "code", "needle"), [row[1:] for row in OAUTH2_ROWS],
                         ids=[row[0] for row in OAUTH2_ROWS])  # fmt: skip
def test_token_endpoint_answers(
    api: FaultServer, other_fault_server: FaultServer, tmp_path: Path, behaviour: Any, extra: list[str], code: int,
    needle: str,
) -> None:  # fmt: skip
    other_fault_server.script("/token", behaviour)
    env = {"CLIENT_SECRET": CLIENT_SECRET, "XDG_CACHE_HOME": str(tmp_path)}

    outcome = run(["get", api.url("/me"), *oauth2_args(other_fault_server.url("/token")), *extra], env=env)

    assert_clean(outcome, code, stderr_has=needle, bounded=True)
    assert_no_secret(outcome, CLIENT_SECRET)


# -- B9: text that is not ASCII in credentials sent in headers ------------------------------------

UNICODE_ROWS = [
    # (id, client id, client secret)
    ("client-id", "\u00e4pp\u20ac", CLIENT_SECRET),
    ("client-secret", "app", "s\u00e9cr\u20act"),
    ("both", "\u00e9\u20ac", "\u20ac\u20ac"),
]


@pytest.mark.parametrize(("client_id", "secret"), [row[1:] for row in UNICODE_ROWS],
                         ids=[row[0] for row in UNICODE_ROWS])  # fmt: skip
def test_oauth2_client_credentials_beyond_ascii_go_as_utf8(
    api: FaultServer, other_fault_server: FaultServer, tmp_path: Path, client_id: str, secret: str
) -> None:
    endpoint = TokenEndpoint(secret, client_id=client_id)
    other_fault_server.script("/token", endpoint)
    env = {"CLIENT_SECRET": secret, "XDG_CACHE_HOME": str(tmp_path)}

    outcome = run(["get", api.url("/me"), *oauth2_args(other_fault_server.url("/token"), client_id)], env=env)

    assert_clean(outcome, 0)
    assert endpoint.issued == ["at-1-9f8e7d"]
    [sent] = other_fault_server.requests_for("/token")
    expected = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"


SECRET_FLAG_ROWS = [
    # (id, flags, environment, exit code, stderr has): secrets given by flags, sent in a header
    ("token-env-latin1", ["--token-env", "TOKEN"], {"TOKEN": "t\u00f6k"}, 0, ""),
    # Text beyond Latin-1 goes as UTF-8 (tests/hostile/test_header_text.py checks the bytes).
    ("token-env-beyond-latin1", ["--token-env", "TOKEN"], {"TOKEN": "t\u20ac"}, 0, ""),
    ("token-env-crlf", ["--token-env", "TOKEN"], {"TOKEN": f"{PASSWORD}\r\nX-Evil: 1"}, 2, "control character"),
    ("token-env-nul-free-tab", ["--token-env", "TOKEN"], {"TOKEN": f"a\t{PASSWORD}"}, 0, ""),
    ("api-key-env-latin1", ["--api-key-env", "KEY"], {"KEY": "k\u00e9"}, 0, ""),
    ("api-key-env-beyond-latin1", ["--api-key-env", "KEY"], {"KEY": "k\u20ac"}, 0, ""),
    ("api-key-env-crlf", ["--api-key-env", "KEY"], {"KEY": f"{PASSWORD}\nX: y"}, 2, "control character"),
    ("basic-user-latin1", ["-u", f"\u00e4nn:{PASSWORD}"], {}, 0, ""),
    ("oauth2-secret-crlf", ["--oauth2-token-url", "http://127.0.0.1:9/t", "--oauth2-client-id", "app",
                            "--oauth2-client-secret-env", "CLIENT_SECRET"],
     {"CLIENT_SECRET": f"{PASSWORD}\r\n"}, 2, "control character"),
    ("oauth2-client-id-crlf", ["--oauth2-token-url", "http://127.0.0.1:9/t", "--oauth2-client-id", "a\r\nb",
                               "--oauth2-client-secret-env", "CLIENT_SECRET"],
     {"CLIENT_SECRET": PASSWORD}, 2, "control character"),
]  # fmt: skip


@pytest.mark.parametrize(("flags", "env", "code", "needle"), [row[1:] for row in SECRET_FLAG_ROWS],
                         ids=[row[0] for row in SECRET_FLAG_ROWS])  # fmt: skip
def test_secrets_given_by_flags(
    api: FaultServer, tmp_path: Path, flags: list[str], env: dict[str, str], code: int, needle: str
) -> None:
    outcome = run(["get", api.url("/me"), *flags, "--retries", "0"], env={**env, "XDG_CACHE_HOME": str(tmp_path)})

    assert_clean(outcome, code, stderr_has=needle)
    assert_no_secret(outcome, PASSWORD)
    if code == 0:
        assert len(api.requests_for("/me")) == 1


def test_secret_files_with_line_breaks_inside_are_refused(api: FaultServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(f"{PASSWORD}\r\nX-Evil: 1\n".encode())

    outcome = run(["get", api.url("/me"), "--token-file", str(token_file)])

    assert_clean(outcome, 2, stderr_has="control character")
    assert_no_secret(outcome, PASSWORD)
    assert api.requests_for("/me") == []


# -- B6: Digest challenges ------------------------------------------------------------------------

DIGEST_ROWS = [
    # (id, the WWW-Authenticate a 401 carries, stderr has)
    ("no-realm", 'Digest nonce="n1", qop="auth"', "no realm"),
    ("no-nonce", 'Digest realm="r1", qop="auth"', "no nonce"),
    ("unterminated-quote", 'Digest realm="r, nonce="n', "malformed"),
    ("bare-scheme", "Digest", "no realm"),
    ("only-commas", "Digest ,,,,", "no realm"),
    ("empty-values", "Digest realm=, nonce=", "malformed"),
    ("unknown-algorithm", 'Digest realm="r", nonce="n", algorithm=ROT13', "algorithm"),
    ("auth-int-only", 'Digest realm="r", nonce="n", qop="auth-int"', "qop"),
    ("garbage", 'Digest \x01\x02=="', "malformed"),
    ("quotes-in-realm", r'Digest realm="a\"b\\", nonce="n"', "HTTP 401"),
]


@pytest.mark.parametrize(("challenge", "needle"), [row[1:] for row in DIGEST_ROWS],
                         ids=[row[0] for row in DIGEST_ROWS])  # fmt: skip
def test_digest_challenges(fault_server: FaultServer, challenge: str, needle: str) -> None:
    fault_server.script("/d", Reply(401, [("WWW-Authenticate", challenge)], "no"))

    outcome = run(["get", fault_server.url("/d"), "-u", f"ann:{PASSWORD}", "-A", "digest", "--retries", "0"])

    assert_clean(outcome, 4, stderr_has=["HTTP 401", needle])
    assert_no_secret(outcome, PASSWORD)


def test_digest_with_a_user_beyond_ascii_is_sent_as_utf8(fault_server: FaultServer) -> None:
    fault_server.script("/d", Reply(401, [("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth"')], "no"))

    outcome = run(["get", fault_server.url("/d"), "-u", f"\u00e4nn:{PASSWORD}", "-A", "digest", "--retries", "0"])

    assert_clean(outcome, 4, stderr_has="HTTP 401")
    answered = fault_server.requests_for("/d")[1].headers["Authorization"]
    assert 'username="\u00e4nn"'.encode() in answered.encode("latin-1")


def test_an_endless_401_body_under_a_digest_challenge_stays_bounded(fault_server: FaultServer) -> None:
    challenge = ("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth"')
    fault_server.script("/d", Endless(status=401, unit=b"x" * 4096, headers=(challenge,)))

    outcome = run(["get", fault_server.url("/d"), "-u", f"ann:{PASSWORD}", "-A", "digest", "--retries", "0"])

    assert_clean(outcome, 4, stderr_has="HTTP 401", bounded=True)


# -- B11, B12: credential helpers -----------------------------------------------------------------


def helper(code: str) -> str:
    """--auth-command text running `code` in this Python."""
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


HELPER_ROWS = [
    # (id, --auth-command, extra flags, exit code, stderr has)
    ("endless-stdout", "yes", [], 1, "more than 64 KiB"),
    ("endless-stderr", helper("import sys\nwhile True: sys.stderr.write('x' * 65536)"), [], 1, "more than 64 KiB"),
    ("one-huge-line", helper("import sys; sys.stdout.write('t' * (1 << 26))"), [], 1, "more than 64 KiB"),
    ("deep-json", helper("print('{\"headers\": ' + '[' * 60000)"), [], 1, "nested deeper than 1024"),
    ("deep-json-closed", helper("print('{\"headers\": ' + '[' * 5000 + ']' * 5000 + '}')"), [], 1, "nested deeper"),
    ("never-ends", helper("import time; time.sleep(60)"), ["--max-time", "1"], 8, "--max-time"),
    ("silent-endless-past-max-time", helper("import time\nwhile True: print(end='', flush=True); time.sleep(0.01)"),
     ["--max-time", "1"], 8, "--max-time"),
    ("crlf-in-header-value", helper("print('{\"headers\": {\"X-T\": \"a\\\\r\\\\nX-Evil: 1\"}}')"), [], 1,
     "header value"),
    ("not-utf8", helper("import sys; sys.stdout.buffer.write(b'tok\\xff\\xfe')"), [], 1, "not UTF-8 text"),
    ("utf8-token", helper("print('t\\u00f6k\\u20acn')"), [], 0, ""),
    ("utf8-header-value", helper("import json; print(json.dumps({'headers': {'X-T': 'v\\u20ac'}}))"), [], 0, ""),
    ("keeps-stdout-open-after-exit", helper("import os, subprocess, sys\n"
                                            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(20)'])\n"
                                            "print('tok', flush=True)"), [], 0, ""),
]  # fmt: skip


@pytest.mark.parametrize(("command", "extra", "code", "needle"), [row[1:] for row in HELPER_ROWS],
                         ids=[row[0] for row in HELPER_ROWS])  # fmt: skip
def test_helper_output(api: FaultServer, command: str, extra: list[str], code: int, needle: str) -> None:
    outcome = run(["get", api.url("/me"), "--auth-command", command, "--retries", "0", *extra], timeout=20)

    assert_clean(outcome, code, stderr_has=needle, bounded=True)
    assert outcome.seconds < 10, outcome.describe()


# -- B10: damaged token-cache entries count as absent ---------------------------------------------

FAR = 4_000_000_000.0
CACHE_ROWS: list[tuple[str, Callable[[Path], None]]] = [
    ("crlf-in-token", lambda p: p.write_text(json.dumps({"headers": {"Authorization": "Bearer a\r\nX: 1"},
                                                         "expires_at": FAR}))),
    ("beyond-latin1", lambda p: p.write_text(json.dumps({"headers": {"Authorization": "Bearer \u20ac"},
                                                         "expires_at": FAR}))),
    ("bad-header-name", lambda p: p.write_text(json.dumps({"headers": {"Bad Name": "x"}, "expires_at": FAR}))),
    ("deep", lambda p: p.write_bytes(b'{"headers": ' + DEEP)),
    ("deep-closed", lambda p: p.write_bytes(b'{"headers": {"a": ' + b"[" * 3000 + b"]" * 3000 + b"}}")),
    ("nan-expiry", lambda p: p.write_text('{"headers": {"Authorization": "Bearer x"}, "expires_at": NaN}')),
    ("infinite-expiry", lambda p: p.write_text('{"headers": {"Authorization": "Bearer x"}, "expires_at": 1e400}')),
    ("huge-int-expiry", lambda p: p.write_text('{"headers": {"Authorization": "Bearer x"}, "expires_at": 1' +
                                               "0" * 400 + "}")),
    ("bool-expiry", lambda p: p.write_text('{"headers": {"Authorization": "Bearer x"}, "expires_at": true}')),
    ("not-an-object", lambda p: p.write_text("[1]")),
    ("headers-a-list", lambda p: p.write_text(json.dumps({"headers": [["a", "b"]], "expires_at": FAR}))),
    ("huge-file", lambda p: p.write_bytes(b" " * (32 << 20))),
    ("not-utf8", lambda p: p.write_bytes(b'{"headers": {"Authorization": "Bearer \xff"}, "expires_at": 4e9}')),
    ("fifo", lambda p: os.mkfifo(p)),
    ("directory", lambda p: p.mkdir()),
]  # fmt: skip


@pytest.mark.parametrize("damage", [row[1] for row in CACHE_ROWS], ids=[row[0] for row in CACHE_ROWS])
def test_a_damaged_cache_entry_is_fetched_again(
    api: FaultServer, other_fault_server: FaultServer, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    endpoint = TokenEndpoint(CLIENT_SECRET)
    other_fault_server.script("/token", endpoint)
    token_url = other_fault_server.url("/token")
    directory = tmp_path / "apicli"
    directory.mkdir(mode=0o700)
    damage(directory / cache_key("oauth2", [token_url, "app", "", ""]))
    env = {"CLIENT_SECRET": CLIENT_SECRET, "XDG_CACHE_HOME": str(tmp_path)}

    outcome = run(["get", api.url("/me"), *oauth2_args(token_url)], env=env, timeout=20)

    assert_clean(outcome, 0, bounded=True)
    assert endpoint.issued == ["at-1-9f8e7d"]
    assert api.requests_for("/me")[0].headers["Authorization"] == "Bearer at-1-9f8e7d"


# -- B13: proxy URLs and variables never show their password --------------------------------------

PROXY_FLAG_ROWS = [
    # (id, --proxy, exit code, stderr has)
    ("unclosed-ipv6", f"http://u:{PASSWORD}@[::1", 2, "invalid --proxy"),
    ("bad-port", f"http://u:{PASSWORD}@127.0.0.1:port", 2, "invalid --proxy"),
    ("no-host", f"http://u:{PASSWORD}@", 2, "invalid --proxy"),
    ("unsupported-scheme", f"ftp://u:{PASSWORD}@127.0.0.1:21", 2, "invalid --proxy"),
    ("password-with-at", f"http://u:{PASSWORD}@x@[::1", 2, "invalid --proxy"),
    ("socks-unclosed-ipv6", f"socks5h://u:{PASSWORD}@[::1", 2, "invalid --proxy"),
    ("control-character", f"http://u:{PASSWORD}@127.0.0.1:1/\x01", 2, "invalid --proxy"),
    ("slash-in-user", f"http://a/b:{PASSWORD}@127.0.0.1:1", 2, "invalid --proxy"),
    ("slash-in-password", f"http://u:{PASSWORD}/x@127.0.0.1:1", 2, "invalid --proxy"),
    ("hash-in-password", f"http://u:{PASSWORD}#x@127.0.0.1:1", 2, "invalid --proxy"),
]


@pytest.mark.parametrize(("proxy", "code", "needle"), [row[1:] for row in PROXY_FLAG_ROWS],
                         ids=[row[0] for row in PROXY_FLAG_ROWS])  # fmt: skip
def test_proxy_flag_errors_never_show_the_password(proxy: str, code: int, needle: str) -> None:
    outcome = run(["get", UPSTREAM, "--proxy", proxy, "--retries", "0"])

    assert_clean(outcome, code, stderr_has=needle)
    assert_no_secret(outcome, PASSWORD)


PROXY_VARIABLE_ROWS = [
    # (id, variable, its value, request URL scheme)
    ("http-unclosed-ipv6", "HTTP_PROXY", f"http://u:{PASSWORD}@[::1", "http"),
    ("lower-http", "http_proxy", f"http://u:{PASSWORD}@[::1", "http"),
    ("https-bad-port", "HTTPS_PROXY", f"http://u:{PASSWORD}@127.0.0.1:port", "https"),
    ("lower-https", "https_proxy", f"http://u:{PASSWORD}@[::1", "https"),
    ("all-proxy", "ALL_PROXY", f"http://u:{PASSWORD}@[::1", "http"),
    ("lower-all-proxy", "all_proxy", f"http://u:{PASSWORD}@127.0.0.1:99999", "http"),
    ("unsupported-scheme", "HTTP_PROXY", f"ftp://u:{PASSWORD}@127.0.0.1:21", "http"),
    ("slash-in-password", "HTTP_PROXY", f"http://u:{PASSWORD}/x@127.0.0.1:1", "http"),
    ("socks-unclosed-ipv6", "ALL_PROXY", f"socks5h://u:{PASSWORD}@[::1", "http"),
]


@pytest.mark.parametrize(("variable", "value", "scheme"), [row[1:] for row in PROXY_VARIABLE_ROWS],
                         ids=[row[0] for row in PROXY_VARIABLE_ROWS])  # fmt: skip
def test_a_malformed_proxy_variable_is_named(variable: str, value: str, scheme: str) -> None:
    outcome = run(["get", f"{scheme}://127.0.0.1:9/x", "--retries", "0"], env={variable: value})

    assert_clean(outcome, 2, stderr_has=f"the {variable} variable")
    assert_no_secret(outcome, PASSWORD)


def test_a_malformed_proxy_variable_is_named_for_the_token_request_too(api: FaultServer, tmp_path: Path) -> None:
    env = {"CLIENT_SECRET": CLIENT_SECRET, "HTTP_PROXY": f"http://u:{PASSWORD}@[::1", "NO_PROXY": api.url("/")[7:-1]}

    outcome = run(["get", api.url("/me"), *oauth2_args("http://token.invalid/t")], env=env)

    assert_clean(outcome, 2, stderr_has="the HTTP_PROXY variable")
    assert_no_secret(outcome, PASSWORD, CLIENT_SECRET)


@dataclass(frozen=True)
class ProxyAuthRequired:
    """A forward proxy that refuses with 407 and echoes the Proxy-Authorization it was sent."""

    def serve(self, exchange: Exchange) -> None:
        echoed = exchange.request.headers.get("Proxy-Authorization", "")
        Reply(407, [("Proxy-Authenticate", 'Basic realm="p"')], f"you sent {echoed}").serve(exchange)


def test_proxy_failures_never_show_the_password(fault_server: FaultServer, unused_port: int) -> None:
    fault_server.script(UPSTREAM, ProxyAuthRequired())
    fault_server.script("127.0.0.1:9", ProxyAuthRequired())  # a CONNECT's target
    encoded = base64.b64encode(f"u:{PASSWORD}".encode()).decode()
    proxy = f"http://u:{PASSWORD}@127.0.0.1:{fault_server.port}"

    refused = run(["get", UPSTREAM, "--proxy", f"http://u:{PASSWORD}@127.0.0.1:{unused_port}", "--retries", "0"])
    plain = run(["get", UPSTREAM, "--proxy", proxy, "--retries", "0"])
    tunnel = run(["get", "https://127.0.0.1:9/", "--proxy", proxy, "--retries", "0"])

    assert_clean(refused, 7, stderr_has="cannot reach the proxy")
    assert_clean(plain, 4, stderr_has="HTTP 407")
    assert_clean(tunnel, 7, stderr_has="407")
    for outcome in (refused, plain, tunnel):
        assert_no_secret(outcome, PASSWORD, encoded)


def test_a_proxy_user_beyond_ascii_is_sent_as_utf8(fault_server: FaultServer) -> None:
    fault_server.script(UPSTREAM, json_reply({"via": "proxy"}))
    user = "\u00fc\u20ac"

    literal = run(["get", UPSTREAM, "--proxy", f"http://{user}:{PASSWORD}@127.0.0.1:{fault_server.port}"])
    escaped = run(["get", UPSTREAM, "--retries", "0"],
                  env={"HTTP_PROXY": f"http://%C3%BC%E2%82%AC:{PASSWORD}@127.0.0.1:{fault_server.port}"})  # fmt: skip

    expected = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    for outcome in (literal, escaped):
        assert_clean(outcome, 0)
        assert outcome.stdout == b'{"via": "proxy"}'
    assert [r.headers["Proxy-Authorization"] for r in fault_server.requests] == [expected, expected]
