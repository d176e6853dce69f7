"""OAuth2 client credentials against a loopback token endpoint that counts its calls."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.auth.token_auth import OAuth2Error, client_authorization, parse_answer, parse_token_response
from apicli.auth.token_cache import sound_entry
from apicli.formats.headertext import has_controls
from apicli.formats.httpsyntax import is_header_name
from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.faults.auth_servers import TokenEndpoint
from tests.faults.wire import Exchange
from tests.hostile.harness import assert_clean, run

CLIENT_SECRET = "cs-4be19f0a7d"


@dataclass
class Api:
    """Accepts the tokens in `valid` (all issued ones when None)."""

    endpoint: TokenEndpoint
    valid: set[str] | None = None

    def serve(self, exchange: Exchange) -> None:
        given = exchange.request.headers.get("Authorization", "")
        accepted = self.valid if self.valid is not None else set(self.endpoint.issued)
        if given.removeprefix("Bearer ") in accepted:
            json_reply({"ok": True}).serve(exchange)
        else:
            Reply(401, [("WWW-Authenticate", 'Bearer error="invalid_token"')], "").serve(exchange)


@pytest.fixture
def oauth(other_fault_server: FaultServer, tmp_path: Path) -> tuple[TokenEndpoint, dict[str, str], list[str]]:
    endpoint = TokenEndpoint(CLIENT_SECRET)
    other_fault_server.script("/oauth/token", endpoint)
    env = {"CLIENT_SECRET": CLIENT_SECRET, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = ["--oauth2-token-url", other_fault_server.url("/oauth/token"), "--oauth2-client-id", "app",
            "--oauth2-client-secret-env", "CLIENT_SECRET", "--oauth2-scope", "read write",
            "--oauth2-audience", "api"]  # fmt: skip
    return endpoint, env, args


def test_the_token_is_fetched_once_and_cached_across_runs(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]], tmp_path: Path
) -> None:
    endpoint, env, args = oauth
    fault_server.script("/me", Api(endpoint))

    first = invoke("get", fault_server.url("/me"), *args, env=env)
    second = invoke("get", fault_server.url("/me"), *args, env=env)

    for result in (first, second):
        assert (result.code, result.stdout, result.stderr) == (0, b'{"ok": true}', "")
    assert endpoint.forms == [{"grant_type": ["client_credentials"], "scope": ["read write"], "audience": ["api"]}]
    assert [r.headers["Authorization"] for r in fault_server.requests] == ["Bearer at-1-9f8e7d"] * 2
    [cached] = (tmp_path / "cache" / "apicli").iterdir()
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE(cached.parent.stat().st_mode) == 0o700
    assert CLIENT_SECRET not in cached.read_text()


@pytest.mark.parametrize(("expires_in", "fetches"), [(3600, 1), (59, 2), (None, 2), ("7200", 1)])
def test_a_token_is_reused_until_a_minute_before_it_expires(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]],
    expires_in: object, fetches: int,
) -> None:  # fmt: skip
    endpoint, env, args = oauth
    endpoint.expires_in = expires_in
    fault_server.script("/me", Api(endpoint))

    results = [invoke("get", fault_server.url("/me"), *args, env=env) for _ in range(2)]

    assert [r.code for r in results] == [0, 0]
    assert len(endpoint.issued) == fetches


def test_a_different_scope_is_a_different_token(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]]
) -> None:
    endpoint, env, args = oauth
    fault_server.script("/me", Api(endpoint))
    other_scope = [*args[:-4], "--oauth2-scope", "admin", *args[-2:]]

    assert invoke("get", fault_server.url("/me"), *args, env=env).code == 0
    assert invoke("get", fault_server.url("/me"), *other_scope, env=env).code == 0

    assert [form["scope"] for form in endpoint.forms] == [["read write"], ["admin"]]


def test_a_401_fetches_a_fresh_token_once(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]]
) -> None:
    endpoint, env, args = oauth
    api = Api(endpoint, valid={"at-2-9f8e7d"})  # the first token was revoked early
    fault_server.script("/me", api)

    recovered = invoke("get", fault_server.url("/me"), *args, env=env)
    api.valid = set()  # now no token works: one refresh, then the 401 stands
    refused = invoke("get", fault_server.url("/me"), *args, "--retries", "0", env=env)

    assert (recovered.code, recovered.stdout, recovered.stderr) == (0, b'{"ok": true}', "")
    assert (refused.code, refused.stdout) == (4, b"")
    assert refused.stderr.startswith("apicli: HTTP 401")
    assert endpoint.issued == ["at-1-9f8e7d", "at-2-9f8e7d", "at-3-9f8e7d"]
    assert len(fault_server.requests) == 4


def test_another_origin_never_sees_the_token(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke,
    oauth: tuple[TokenEndpoint, dict[str, str], list[str]],
) -> None:  # fmt: skip
    _, env, args = oauth
    fault_server.script("/start", redirect(other_fault_server.url("/landing")))
    other_fault_server.script("/landing", json_reply({"landed": True}))

    result = invoke("get", fault_server.url("/start"), *args, env=env)

    assert (result.code, result.stdout) == (0, b'{"landed": true}'), result.stderr
    assert fault_server.requests[0].headers["Authorization"] == "Bearer at-1-9f8e7d"
    [landing] = other_fault_server.requests_for("/landing")
    assert "Authorization" not in landing.headers


def test_the_token_request_is_not_retried_and_its_failure_names_no_secret(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]]
) -> None:
    endpoint, env, args = oauth
    endpoint.status = 503

    unavailable = invoke("get", fault_server.url("/me"), *args, "--retries", "3", "--retry-unsafe", env=env)
    endpoint.status = 200
    wrong = invoke("get", fault_server.url("/me"), *args, env={**env, "CLIENT_SECRET": "wrong-secret-1"})

    assert (unavailable.code, unavailable.stdout) == (1, b"")
    assert unavailable.stderr.startswith("apicli: the OAuth2 token request to http://127.0.0.1:")
    assert "failed: HTTP 503 (temporarily_unavailable)" in unavailable.stderr
    assert (wrong.code, wrong.stdout) == (1, b"")
    assert "HTTP 401 (invalid_client)" in wrong.stderr
    assert len(endpoint.forms) == 2  # one POST each, never repeated
    assert fault_server.requests == []
    assert CLIENT_SECRET not in unavailable.stderr + wrong.stderr


def test_verbose_shows_neither_secret_nor_token(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]]
) -> None:
    _, env, args = oauth
    fault_server.script("/me", json_reply({"echo": "at-1-9f8e7d"}, status=403))

    result = invoke("get", fault_server.url("/me"), *args, "-v", env=env)

    assert result.code == 4
    assert "> Authorization: Bearer REDACTED" in result.stderr
    assert "at-1-9f8e7d" not in result.stderr and CLIENT_SECRET not in result.stderr


def test_a_profile_oauth2_table(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]], tmp_path: Path
) -> None:
    endpoint, env, args = oauth
    fault_server.script("/me", Api(endpoint))
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.svc]\nbase_url = "{fault_server.origin}"\ncookie_jar = "jar.txt"\n'
        f'[profiles.svc.oauth2]\ntoken_url = "{args[1]}"\nclient_id = "app"\nclient_secret_file = "client-secret"\n'
        'scope = "read"\n'
    )

    result = invoke("get", "/me", "-P", "svc", env={**env, "APICLI_CONFIG": str(config)})

    assert (result.code, result.stdout, result.stderr) == (0, b'{"ok": true}', "")
    assert endpoint.forms == [{"grant_type": ["client_credentials"], "scope": ["read"]}]
    assert (tmp_path / "jar.txt").is_file()


def test_a_corrupt_cache_entry_is_fetched_again(
    fault_server: FaultServer, invoke: Invoke, oauth: tuple[TokenEndpoint, dict[str, str], list[str]], tmp_path: Path
) -> None:
    endpoint, env, args = oauth
    fault_server.script("/me", Api(endpoint))
    assert invoke("get", fault_server.url("/me"), *args, env=env).code == 0
    [cached] = (tmp_path / "cache" / "apicli").iterdir()
    cached.write_text(json.dumps({"headers": "nonsense"}))

    result = invoke("get", fault_server.url("/me"), *args, env=env)

    assert (result.code, result.stderr) == (0, "")
    assert len(endpoint.issued) == 2


# -- the answer and cache parsers, and text beyond ASCII ---------------------------------------------


def test_the_token_request_goes_through_a_proxy_whose_user_is_beyond_ascii(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    from tests.faults.auth_servers import TokenEndpoint as Endpoint

    api = FaultServer()
    with api:
        api.script("/me", json_reply({"ok": True}))
        endpoint = Endpoint(CLIENT_SECRET)
        fault_server.script("http://token.invalid/oauth/token", endpoint)  # the proxy answers for it
        proxy = f"http://%C3%BC%E2%82%AC:pw@127.0.0.1:{fault_server.port}"
        args = ["get", api.url("/me"), "--proxy", proxy, "--no-proxy", "127.0.0.1",
                "--oauth2-token-url", "http://token.invalid/oauth/token", "--oauth2-client-id", "app",
                "--oauth2-client-secret-env", "CLIENT_SECRET"]  # fmt: skip

        outcome = run(args, env={"CLIENT_SECRET": CLIENT_SECRET, "XDG_CACHE_HOME": str(tmp_path)})

    assert_clean(outcome, 0)
    [sent] = fault_server.requests
    assert sent.headers["Proxy-Authorization"] == "Basic " + base64.b64encode("\u00fc\u20ac:pw".encode()).decode()
    assert api.requests[0].headers["Authorization"] == "Bearer at-1-9f8e7d"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)


def _header_text_only(value: str) -> bool:
    return not has_controls(value) and max(map(ord, value), default=0) <= 0xFF


@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                 st.dictionaries(st.sampled_from(["access_token", "expires_in", "error"]), json_values)
                 .map(lambda v: json.dumps(v).encode())),
       st.booleans())  # fmt: skip
def test_any_token_answer_is_a_token_or_an_oauth2_error(body: bytes, success: bool) -> None:
    try:
        token, expires_in = parse_token_response(parse_answer(body, success=success))
    except OAuth2Error:
        return
    assert token.strip() and _header_text_only(token)
    assert expires_in is None or 0 < expires_in < 10**9


def test_a_token_answer_nested_too_deep_is_refused_but_an_error_body_only_unread() -> None:
    with pytest.raises(OAuth2Error, match="nested deeper than 1024"):
        parse_answer(b"[" * 5000 + b"]" * 5000, success=True)
    assert parse_answer(b"[" * 5000 + b"]" * 5000, success=False) is None


@given(st.one_of(json_values, st.fixed_dictionaries({"headers": json_values, "expires_at": json_values}),
                 st.fixed_dictionaries({"headers": st.dictionaries(st.text(max_size=10), st.text(max_size=20)),
                                        "expires_at": st.floats() | st.integers()})))  # fmt: skip
def test_any_cache_entry_is_sound_headers_or_absent(entry: object) -> None:
    headers = sound_entry(entry, now=1000.0)
    if headers is None:
        return
    assert headers and all(is_header_name(name) and _header_text_only(value) for name, value in headers.items())
    assert isinstance(entry, dict) and entry["expires_at"] - 60 > 1000.0


def test_client_credentials_go_as_utf8() -> None:
    assert (
        client_authorization("\u00e4pp", "s\u20ac") == "Basic " + base64.b64encode("\u00e4pp:s\u20ac".encode()).decode()
    )
