"""Credentials stay on their origin, and secrets never reach stderr: the single cases beside the table.

test_credentials.py runs every kind of credential through the same checks; these are the cases
that concern one kind, one command or one message. Leak checks assert on what the other server
actually received, with a positive control where the credential must reach its own origin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.faults.credential_kinds import (
    BASIC,
    CREDENTIALS,
    ENV,
    SECRET,
    EchoesCredentials,
    assert_carries_secret,
    assert_no_leak,
)

# -- redirects to another origin -----------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
def test_cross_origin_redirect_of_a_post_drops_credentials_but_keeps_the_body(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, status: int
) -> None:
    fault_server.script("/orders", redirect(other_fault_server.url("/orders"), status=status))
    other_fault_server.script("/orders", json_reply({"id": 1}, status=201))

    result = invoke("post", fault_server.url("/orders"), "item=book", "--token-env", "SECRET_VAR", env=ENV)

    assert result.code == 0, result.stderr
    [landed] = other_fault_server.requests
    assert (landed.method, landed.body) == ("POST", b'{"item": "book"}')
    assert_no_leak([landed])


# Proxy-Authorization is for a proxy; without one, requests rightly drops it on any redirect.
def test_same_origin_redirect_merges_a_given_cookie_with_a_fresh_one(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/login", Reply(302, [("Location", "/home"), ("Set-Cookie", "fresh=1; Path=/")]))
    fault_server.script("/home", json_reply({}))

    result = invoke("get", fault_server.url("/login"), f"Cookie:sid={SECRET}")

    assert result.code == 0, result.stderr
    cookies = {part.strip() for part in fault_server.requests_for("/home")[0].headers["Cookie"].split(";")}
    assert cookies == {f"sid={SECRET}", "fresh=1"}


def test_same_origin_redirect_does_not_repeat_an_api_key_parameter(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/a", redirect(f"/b?key={SECRET}&page=2"))
    fault_server.script("/b", json_reply({}))

    result = invoke("get", fault_server.url("/a"), "--api-key-env", "SECRET_VAR", "--api-key-query", "key", env=ENV)

    assert result.code == 0, result.stderr
    assert fault_server.requests_for("/b")[0].params == {"key": [SECRET], "page": ["2"]}


def test_cookie_set_by_the_first_origin_does_not_follow_a_redirect(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    # Cookies are scoped by host, not port, so a cookie jar alone would send this one along.
    location = other_fault_server.url("/landing")
    fault_server.script("/start", Reply(302, [("Location", location), ("Set-Cookie", f"sid={SECRET}; Path=/")]))
    other_fault_server.script("/landing", json_reply({}))

    result = invoke("get", fault_server.url("/start"))

    assert result.code == 0, result.stderr
    assert_no_leak(other_fault_server.requests)


def test_password_in_the_url_does_not_follow_a_redirect(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/start", redirect(other_fault_server.url("/landing")))
    other_fault_server.script("/landing", json_reply({}))
    url = fault_server.url("/start").replace("http://", f"http://ann:{SECRET}@")

    result = invoke("get", url)

    assert result.code == 0, result.stderr
    assert_carries_secret(fault_server.requests_for("/start")[0])
    assert_no_leak(other_fault_server.requests)
    assert SECRET not in result.stderr


def test_a_url_password_echoed_back_as_basic_auth_is_redacted(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/me", EchoesCredentials())

    result = invoke("get", fault_server.url("/me").replace("http://", f"http://ann:{SECRET}@"))

    assert (result.code, result.stdout) == (4, b"")
    assert fault_server.requests[0].headers["Authorization"] == f"Basic {BASIC}"
    assert "invalid credentials" in result.stderr
    assert SECRET not in result.stderr and BASIC not in result.stderr


def test_scheme_relative_redirect_to_another_port_drops_credentials(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/start", redirect(f"//127.0.0.1:{other_fault_server.port}/landing"))
    other_fault_server.script("/landing", json_reply({}))

    result = invoke("get", fault_server.url("/start"), "--token-env", "SECRET_VAR", f"Cookie:c={SECRET}", env=ENV)

    assert result.code == 0, result.stderr
    assert_no_leak(other_fault_server.requests)


def test_retries_at_the_other_origin_stay_without_credentials(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/start", redirect(other_fault_server.url("/landing")))
    other_fault_server.script("/landing", [Reply(503), Reply(502), json_reply({"ok": True})])
    given = (*CREDENTIALS["bearer-env"].args, *CREDENTIALS["cookie-item"].args)

    result = invoke("get", fault_server.url("/start"), *given, env=ENV)

    assert result.code == 0, result.stderr
    assert len(other_fault_server.requests) == 3
    assert_no_leak(other_fault_server.requests)


def test_a_redirect_chain_through_another_origin_leaks_nothing_there(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/start", redirect(other_fault_server.url("/bounce"), status=307))
    other_fault_server.script("/bounce", redirect(other_fault_server.url("/again"), status=308))
    other_fault_server.script("/again", redirect(fault_server.url("/home"), status=302))
    fault_server.script("/home", json_reply({"home": True}))

    result = invoke("get", fault_server.url("/start"), "--api-key-env", "SECRET_VAR", "--api-key-query", "key", env=ENV)

    assert (result.code, result.stdout) == (0, b'{"home": true}'), result.stderr
    assert [r.path for r in other_fault_server.requests] == ["/bounce", "/again"]
    assert_no_leak(other_fault_server.requests)


# -- redaction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"token={SECRET}",
        f"access_token={SECRET}",
        f"api_key={SECRET}",
        f"apiKey={SECRET}",
        f"client_secret={SECRET}",
        f"private-token={SECRET}",
        f"password={SECRET}",
        f"X-Amz-Signature={SECRET}",
        f"sig={SECRET}",
    ],
)
def test_secret_query_values_are_redacted_in_error_messages(refused_url: str, invoke: Invoke, query: str) -> None:
    result = invoke("get", f"{refused_url}items?page=2&{query}", "--retries", "0", "-v")

    assert result.code == 7
    assert "page=2" in result.stderr  # ordinary parameters stay readable
    assert SECRET not in result.stderr
    assert "REDACTED" in result.stderr


def test_secret_query_items_are_redacted_in_error_messages(refused_url: str, invoke: Invoke) -> None:
    result = invoke("get", refused_url, f"access_token=={SECRET}", "--retries", "0")

    assert result.code == 7
    assert SECRET not in result.stderr


def test_api_key_query_is_redacted_in_a_timeout_message(fault_server: FaultServer, invoke: Invoke) -> None:
    from tests.faults import NoReply

    fault_server.script("/slow", NoReply(seconds=5))

    result = invoke(
        "get", fault_server.url("/slow"), "--api-key-env", "SECRET_VAR", "--api-key-query", "k", "--timeout", "0.2",
        "--retries", "0", env=ENV,
    )  # fmt: skip

    assert result.code == 8
    assert fault_server.requests[0].params["k"] == [SECRET]
    assert SECRET not in result.stderr


def test_password_in_a_failing_url_is_redacted(refused_url: str, invoke: Invoke) -> None:
    url = refused_url.replace("http://", f"http://ann:{SECRET}@")

    result = invoke("get", url, "--retries", "0", "-v")

    assert result.code == 7
    assert "ann:REDACTED@" in result.stderr
    assert SECRET not in result.stderr and BASIC not in result.stderr


def test_a_header_value_with_a_line_break_is_refused_without_quoting_it(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    result = invoke("get", fault_server.url("/x"), f"Authorization:Bearer {SECRET}\r\nX-Injected: 1")

    assert result.code == 2
    assert result.stderr.startswith("apicli: invalid header 'Authorization'")
    assert SECRET not in result.stderr
    assert fault_server.requests == []


def test_signed_redirect_locations_are_redacted_on_stderr(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    signed = other_fault_server.url(f"/blob?X-Amz-Signature={SECRET}&part=1")
    fault_server.script("/file", redirect(signed))
    other_fault_server.script("/blob", Reply(200, body=b"blob"))

    followed = invoke("get", fault_server.url("/file"), "-v")
    not_followed = invoke("get", fault_server.url("/file"), "--no-follow", "-i")

    assert (followed.code, followed.stdout) == (0, b"blob")
    assert not_followed.code == 3
    for result in (followed, not_followed):
        assert "X-Amz-Signature=REDACTED" in result.stderr
        assert SECRET not in result.stderr
    assert other_fault_server.requests[0].params["X-Amz-Signature"] == [SECRET]  # still sent as given


# -- pagination: next links to another origin ------------------------------------------------------


def _next_link(url: str) -> list[tuple[str, str]]:
    return [("Link", f'<{url}>; rel="next"')]


def test_paginate_refuses_a_next_link_to_another_origin(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/items", json_reply([1, 2], headers=_next_link(other_fault_server.url("/items"))))
    other_fault_server.script("/items", json_reply([3]))

    result = invoke("paginate", fault_server.url("/items"), "--token-env", "SECRET_VAR", env=ENV)

    assert result.code == 1
    assert result.stdout == b"1\n2\n"  # the pages before the refusal
    assert result.stderr.startswith("apicli: page 1: the next link ")
    assert "--allow-cross-origin" in result.stderr
    assert other_fault_server.requests == []


def test_paginate_does_not_carry_a_cookie_set_by_the_first_origin(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    headers = [*_next_link(other_fault_server.url("/more")), ("Set-Cookie", f"sid={SECRET}; Path=/")]
    fault_server.script("/items", json_reply([1], headers=headers))
    other_fault_server.script("/more", json_reply([2]))

    result = invoke("paginate", fault_server.url("/items"), "--allow-cross-origin")

    assert (result.code, result.stdout) == (0, b"1\n2\n"), result.stderr
    assert_no_leak(other_fault_server.requests)


def test_paginate_next_url_in_the_body_to_another_origin_carries_nothing(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/items", json_reply({"items": [1], "next": other_fault_server.url("/items?cursor=b")}))
    other_fault_server.script("/items", json_reply({"items": [2], "next": None}))

    result = invoke(
        "paginate", fault_server.url("/items"), "--allow-cross-origin", "--api-key-env", "SECRET_VAR",
        "--api-key-query", "key", f"Cookie:s={SECRET}", env=ENV,
    )  # fmt: skip

    assert (result.code, result.stdout) == (0, b"1\n2\n"), result.stderr
    assert fault_server.requests[0].params["key"] == [SECRET]
    assert_no_leak(other_fault_server.requests)


def test_paginate_page_redirected_to_another_origin_carries_nothing(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/items", json_reply([1], headers=_next_link("/items2")))
    fault_server.script("/items2", redirect(other_fault_server.url("/moved"), status=307))
    other_fault_server.script("/moved", json_reply([2]))

    result = invoke("paginate", fault_server.url("/items"), *CREDENTIALS["bearer-env"].args, env=ENV)

    assert (result.code, result.stdout) == (0, b"1\n2\n"), result.stderr
    assert [r.path for r in other_fault_server.requests] == ["/moved"]
    assert_no_leak(other_fault_server.requests)


def test_paginate_keeps_credentials_on_same_origin_pages(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/items", [json_reply([1], headers=_next_link("/items?page=2")), json_reply([2])])

    result = invoke(
        "paginate", fault_server.url("/items"), "--api-key-env", "SECRET_VAR", "--api-key-query", "key", env=ENV
    )

    assert (result.code, result.stdout) == (0, b"1\n2\n"), result.stderr
    assert [r.params.get("key") for r in fault_server.requests] == [[SECRET], [SECRET]]


# -- downloads ---------------------------------------------------------------------------------------


# download takes URLs, not request items: headers come with -H.
def test_download_of_urls_on_two_origins_sends_credentials_to_the_first_only(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/a.bin", Reply(200, body=b"a"))
    other_fault_server.script("/b.bin", Reply(200, body=b"b"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{fault_server.url('/a.bin')}\n{other_fault_server.url('/b.bin')}\n")

    result = invoke(
        "download", "--input-file", str(listing), "-d", str(tmp_path / "out"), "--token-env", "SECRET_VAR",
        "-H", f"X-Auth-Token: {SECRET}", env=ENV,
    )  # fmt: skip

    assert result.code == 0, result.stderr
    assert_carries_secret(fault_server.requests_for("/a.bin")[0])
    assert_no_leak(other_fault_server.requests)


# -- profiles ------------------------------------------------------------------------------------------


def _profile(tmp_path: Path, base_url: str) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.work]\nbase_url = "{base_url}"\nheaders = {{ "X-Tenant" = "acme", "X-Auth-Token" = "{SECRET}" }}\n'
        f'auth = {{ type = "bearer", token = "{SECRET}" }}\n'
    )
    config.chmod(0o600)
    return {"APICLI_CONFIG": str(config)}


def test_profile_credentials_stay_on_the_profile_origin(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/start", redirect(other_fault_server.url("/landing")))
    other_fault_server.script("/landing", json_reply({}))
    other_fault_server.script("/direct", json_reply({}))
    env = _profile(tmp_path, fault_server.origin)

    via_redirect = invoke("get", "/start", "-P", "work", env=env)
    direct = invoke("get", other_fault_server.url("/direct"), "-P", "work", env=env)

    assert via_redirect.code == 0 and direct.code == 0, via_redirect.stderr + direct.stderr
    assert fault_server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert_no_leak(other_fault_server.requests)
    assert [r.path for r in other_fault_server.requests] == ["/landing", "/direct"]


def test_profile_secrets_are_redacted_in_verbose_output(
    fault_server: FaultServer, invoke: Invoke, tmp_path: Path
) -> None:
    fault_server.script("/me", json_reply({"echo": SECRET}, status=401))

    result = invoke("get", "/me", "-P", "work", "-v", env=_profile(tmp_path, fault_server.origin))

    assert result.code == 4
    assert "REDACTED" in result.stderr
    assert SECRET not in result.stderr


# -- --curl and --dry-run ------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", ["--curl", "--dry-run"])
def test_previews_show_secrets_only_when_asked(fault_server: FaultServer, invoke: Invoke, preview: str) -> None:
    result = invoke("get", fault_server.url("/x"), preview, "--show-secrets", "--token-env", "SECRET_VAR", env=ENV)

    assert result.code == 0, result.stderr
    assert SECRET in result.stdout.decode()
    assert fault_server.requests == []
