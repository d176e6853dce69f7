"""Which header values are secrets: one word rule for -v/-i display and for what leaves on a cross-origin redirect."""

from __future__ import annotations

import itertools

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from apicli.formats.urls import REDACTED
from apicli.output.report import Redactor, is_secret_header_name
from apicli.spec import Credentials
from apicli.transport.session import GuardedSession

SECRET_NAMES = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "authorization",
    "X-Auth-Token",
    "X-Access-Token",
    "X-CSRF-Token",
    "Token",
    "X-Api-Key",
    "X_API_KEY",
    "Api-Key",
    "X-ApiKey",
    "X-Secret",
    "Client-Secret",
    "X-Password",
    "X-Passwd",
    "Session",
    "X-Session-Id",
    "Session_Token",
    "X-Signature",
    "X-Hub-Signature",
    "X-Credential",
    "X-Amz-Security-Token",
]
HARMLESS_NAMES = [
    "WWW-Authenticate",
    "Access-Control-Allow-Credentials",
    "X-Author",
    "X-Auth-Realm-Info",
    "Content-Type",
    "Accept",
    "User-Agent",
    "X-Request-Id",
    "X-Tokenizer",
    "X-Sessionless",
    "X-Secretary",
    "X-Passwordless-Hint",
    "X-Keyboard",
    "X-Api-Version",
    "Key-Id",
    "X-Signatures-Count",
    "X-Signed-By",
    "X-Authenticated-As",
    "Set-Cookie2-Info",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_redacted_and_never_cross_origins(name: str) -> None:
    assert is_secret_header_name(name)
    assert Redactor().header(name, "hunter22") == REDACTED
    assert _survives_cross_origin(name) is False


@pytest.mark.parametrize("name", HARMLESS_NAMES)
def test_harmless_names_are_shown_and_kept_on_redirects(name: str) -> None:
    assert not is_secret_header_name(name)
    assert Redactor().header(name, "plain value") == "plain value"
    assert _survives_cross_origin(name) is True


def test_there_are_at_least_thirty_names_in_the_table() -> None:
    assert len(SECRET_NAMES) + len(HARMLESS_NAMES) >= 30


def test_response_headers_are_shown_as_sent_but_set_cookie_values() -> None:
    redactor = Redactor(secrets=["tok-12345"])
    for name in ("WWW-Authenticate", "X-Auth-Token", "Authorization", "X-Api-Key"):
        assert redactor.response_header(name, 'Bearer realm="api"') == 'Bearer realm="api"'
    assert redactor.response_header("Set-Cookie", "sid=abc123; Path=/; HttpOnly") == f"sid={REDACTED}; Path=/; HttpOnly"
    # This run's own secrets are still never shown, wherever the server echoes them.
    assert redactor.response_header("X-Echo", "got tok-12345") == f"got {REDACTED}"


def test_authorization_keeps_its_scheme() -> None:
    assert Redactor().header("Authorization", "Bearer abc.def") == f"Bearer {REDACTED}"


@given(st.lists(st.sampled_from(["x", "api", "key", "token", "auth", "info", "my"]), min_size=1, max_size=5),
       st.sampled_from(["-", "_"]))
def test_the_word_rule_agrees_with_its_definition(words: list[str], separator: str) -> None:
    name = separator.join(words)
    expected = "token" in words or any(a == "api" and b == "key" for a, b in itertools.pairwise(words))
    assert is_secret_header_name(name) is expected
    assert is_secret_header_name(name.upper()) is expected


def _survives_cross_origin(name: str) -> bool:
    """Whether `name` is still on a request after a redirect to another origin."""
    session = GuardedSession("http://127.0.0.1:1/", Credentials())
    request = requests.Request("GET", "http://127.0.0.1:1/a", headers={name: "v"}).prepare()
    response = requests.Response()
    response.request = request
    response.url = "http://127.0.0.1:1/a"
    moved = request.copy()
    moved.url = "http://127.0.0.1:2/b"
    session.rebuild_auth(moved, response)
    return name in moved.headers
