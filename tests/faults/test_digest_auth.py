"""-A digest against a loopback server that checks RFC 7616 (MD5, qop=auth) digests, and where digest goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, json_reply, redirect
from tests.faults.auth_servers import DigestProtected
from tests.faults.wire import Exchange

PASSWORD = "dig-pw-5c1e0b"
ENV = {"DIGEST_PW": PASSWORD}


def test_digest_auth_answers_the_challenge(fault_server: FaultServer, invoke: Invoke) -> None:
    protected = DigestProtected()
    fault_server.script("/digest-auth/auth/ann", protected)

    result = invoke(
        "get", fault_server.url("/digest-auth/auth/ann?x=1"), "-A", "digest", "-u", "ann", "--password-env",
        "DIGEST_PW", env=ENV,
    )  # fmt: skip

    assert (result.code, result.stdout, result.stderr) == (0, b'{"secret": "data"}', "")
    assert protected.answers == ["challenge", "ok"]
    assert PASSWORD not in "".join(v for r in fault_server.requests for _, v in r.headers.pairs())


def test_a_wrong_password_ends_in_the_401(fault_server: FaultServer, invoke: Invoke) -> None:
    protected = DigestProtected()
    fault_server.script("/p", protected)

    result = invoke("get", fault_server.url("/p"), "-A", "digest", "-u", "ann:wrong-one")

    assert (result.code, result.stdout) == (4, b"")
    assert result.stderr.startswith("apicli: HTTP 401")
    assert protected.answers == ["challenge", "challenge"]  # tried once with the digest, not again and again


def test_basic_is_not_digest(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/p", DigestProtected())

    result = invoke("get", fault_server.url("/p"), "-A", "basic", "-u", f"ann:{PASSWORD}")

    assert result.code == 4
    assert fault_server.requests[0].headers["Authorization"].startswith("Basic ")


def test_a_digest_challenge_from_another_origin_is_not_answered(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    other = DigestProtected()
    fault_server.script("/start", redirect(other_fault_server.url("/trap")))
    other_fault_server.script("/trap", other)

    result = invoke("get", fault_server.url("/start"), "-A", "digest", "-u", f"ann:{PASSWORD}")

    assert (result.code, result.stdout) == (4, b"")
    assert other.answers == ["challenge"]  # one request there, and no digest in it
    assert [r.headers.get("Authorization") for r in other_fault_server.requests] == [None]


def test_after_a_digest_login_a_redirect_to_another_origin_carries_nothing(
    fault_server: FaultServer, other_fault_server: FaultServer, invoke: Invoke
) -> None:
    @dataclass
    class ThenRedirect(DigestProtected):
        def serve(self, exchange: Exchange) -> None:
            if exchange.request.headers.get("Authorization", "").startswith("Digest "):
                redirect(other_fault_server.url("/landing")).serve(exchange)
                return
            super().serve(exchange)

    fault_server.script("/start", ThenRedirect())
    other_fault_server.script("/landing", json_reply({"landed": True}))

    result = invoke("get", fault_server.url("/start"), "-A", "digest", "-u", f"ann:{PASSWORD}")

    assert (result.code, result.stdout) == (0, b'{"landed": true}'), result.stderr
    assert [r.headers.get("Authorization") for r in other_fault_server.requests] == [None]


def test_a_profile_can_use_digest(fault_server: FaultServer, invoke: Invoke, tmp_path: Path) -> None:
    fault_server.script("/p", DigestProtected())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.d]\nbase_url = "{fault_server.origin}"\n'
        'auth = { type = "digest", user = "ann", password_env = "DIGEST_PW" }\n'
    )

    result = invoke("get", "/p", "-P", "d", env={**ENV, "APICLI_CONFIG": str(config)})

    assert (result.code, result.stdout, result.stderr) == (0, b'{"secret": "data"}', "")


@pytest.mark.parametrize("preview", ["--curl", "--dry-run"])
def test_previews_of_digest_redact_the_password(fault_server: FaultServer, invoke: Invoke, preview: str) -> None:
    result = invoke("get", fault_server.url("/p"), preview, "-A", "digest", "-u", f"ann:{PASSWORD}")

    assert result.code == 0
    assert PASSWORD not in result.text + result.stderr
    if preview == "--curl":
        assert "--digest -u ann:REDACTED" in result.text
    assert fault_server.requests == []


def test_verbose_never_shows_the_password_or_the_digest(fault_server: FaultServer, invoke: Invoke) -> None:
    fault_server.script("/p", DigestProtected())

    result = invoke("get", fault_server.url("/p"), "-v", "-A", "digest", "-u", f"ann:{PASSWORD}")

    assert result.code == 0, result.stderr
    assert PASSWORD not in result.stderr and "response=" not in result.stderr
