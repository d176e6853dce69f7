"""-A digest against a loopback server that checks RFC 7616 (MD5, qop=auth) digests, and where digest goes."""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.transport.digest_auth import ChallengeError, DigestAnswerer, parse_challenges, usable_challenge
from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.faults.auth_servers import NONCE, REALM, DigestProtected
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


# -- the user as UTF-8, other algorithms, and the challenge grammar ---------------------------------


@dataclass
class Utf8DigestProtected:
    """Checks a digest whose user name is UTF-8 (RFC 7616 §4: the bytes the hash is over), for `algorithm`."""

    user: str
    algorithm: str = "MD5"

    def serve(self, exchange: Exchange) -> None:
        request = exchange.request
        given = request.headers.get("Authorization", "").encode("latin-1").decode("utf-8")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', given))
        name = self.algorithm.upper().removesuffix("-SESS")
        hash_of = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[name]

        def h(text: str) -> str:
            return hash_of(text.encode()).hexdigest()

        secret = h(f"{self.user}:{REALM}:{PASSWORD}")
        if self.algorithm.upper().endswith("-SESS"):
            secret = h(f"{secret}:{NONCE}:{fields.get('cnonce')}")
        expected = h(f"{secret}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{h('GET:' + request.target)}")
        if fields.get("username") == self.user and fields.get("response") == expected:
            json_reply({"ok": True}).serve(exchange)
            return
        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{NONCE}", algorithm={self.algorithm}'
        Reply(401, [("WWW-Authenticate", challenge)], "who?").serve(exchange)


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"])
@pytest.mark.parametrize("user", ["ann", "\u00e4nn\u00e9"])
def test_the_user_goes_as_utf8_with_every_algorithm(
    fault_server: FaultServer, invoke: Invoke, user: str, algorithm: str
) -> None:
    fault_server.script("/p", Utf8DigestProtected(user, algorithm))

    result = invoke("get", fault_server.url("/p?q=1"), "-A", "digest", "-u", f"{user}:{PASSWORD}")

    assert (result.code, result.stdout, result.stderr) == (0, b'{"ok": true}', "")


def test_a_known_challenge_is_answered_up_front_with_a_counted_nonce(fault_server: FaultServer) -> None:
    from apicli.transport.digest_auth import DigestAnswerer

    answerer = DigestAnswerer("ann", PASSWORD)
    answerer.challenge = {"realm": REALM, "nonce": NONCE, "qop": "auth", "opaque": 'o"1'}
    first = answerer.authorization("GET", "http://h/a?b=1")
    second = answerer.authorization("GET", "http://h/a?b=1")

    assert 'uri="/a?b=1"' in first and "nc=00000001" in first and "nc=00000002" in second
    assert 'opaque="o\\"1"' in first


CHALLENGE_PROBLEMS = [
    ('Digest nonce="n"', "has no realm"),
    ('Digest realm="r"', "has no nonce"),
    ('Digest realm="r", nonce=""', "has no nonce"),
    ('Digest realm="r, nonce="n', "is malformed"),
    ('Digest realm=, nonce="n"', "is malformed"),
    ('Digest realm="r" nonce="n"', "is malformed"),
    ('Basic realm="b"', "is missing"),
    ('Digest realm="r", nonce="n", algorithm=SHA-512-256', "asks for algorithm 'SHA-512-256'"),
    ('Digest realm="r", nonce="n", qop="auth-int"', "asks for qop 'auth-int'"),
]


@pytest.mark.parametrize(("header", "problem"), CHALLENGE_PROBLEMS)
def test_challenges_that_cannot_be_answered_say_why(header: str, problem: str) -> None:
    with pytest.raises(ChallengeError, match=re.escape(problem)):
        usable_challenge(parse_challenges(header))


def test_the_digest_challenge_is_found_among_others() -> None:
    header = 'Basic realm="b", Digest realm="r\\"1", nonce=abc, qop="auth,auth-int", Bearer x=y'

    assert parse_challenges(header) == {"realm": 'r"1', "nonce": "abc", "qop": "auth,auth-int"}


_token = st.text(alphabet=string.ascii_letters + string.digits + "-_.!#$%&'*+^`|~", min_size=1, max_size=12)


@given(st.dictionaries(_token, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=20),
                       max_size=6))  # fmt: skip
def test_any_digest_parameters_read_back_as_they_were_quoted(params: dict[str, str]) -> None:
    quoted = ", ".join(f'{name}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                       for name, value in params.items())  # fmt: skip
    expected: dict[str, str] = {}
    for name, value in params.items():
        expected.setdefault(name.lower(), value)

    assert parse_challenges(f"Digest {quoted}") == expected


@given(st.text(max_size=200))
def test_any_www_authenticate_value_is_parameters_or_a_challenge_error(header: str) -> None:
    try:
        params = usable_challenge(parse_challenges(header))
    except ChallengeError as exc:
        assert str(exc).startswith(("is ", "has no ", "asks for "))
        return
    answer = DigestAnswerer("ann", PASSWORD)
    answer.challenge = params
    assert answer.authorization("GET", "http://h/").startswith("Digest username=")
