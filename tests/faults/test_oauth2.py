"""OAuth2 client credentials against a loopback token endpoint that counts its calls."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.faults.auth_servers import TokenEndpoint
from tests.faults.wire import Exchange

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
