"""Hostile input to redaction and --envelope: stdout data is never altered, stderr never shows a secret.

Redaction is for what apicli displays on stderr. A secret's known places there (the credential
headers, Set-Cookie values, the query parameter it came from) are always redacted; its value
anywhere else only from MIN_SECRET_LENGTH characters, since a short one (a cookie `theme=json`)
turns up by chance. The body, --envelope and `head` on stdout are data: exactly as sent.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import NamedTuple

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.formats.urls import REDACTED
from apicli.output.envelope import body_json
from apicli.output.report import MIN_SECRET_LENGTH, Redactor
from tests.faults import FaultServer, Reply
from tests.hostile.harness import assert_clean, run

TOKEN = "tok-5f3a9c1e77"  # long enough to be redacted wherever it appears
SHORT = "json"  # a cookie value that occurs by chance in `application/json`

JSON_TYPE = ("Content-Type", "application/json")
# Secrets reach apicli through the environment, as --token-env and --api-key-env read them.
ENV = {"TEST_TOKEN": TOKEN, "TEST_KEY": "k3y"}


class Row(NamedTuple):
    name: str
    reply: Reply
    args: list[str]  # after the URL
    code: int
    stdout: bytes | None  # exactly, when given
    stdout_has: list[bytes]
    stderr_has: list[str]
    stderr_lacks: list[str]


def row(
    name: str,
    reply: Reply,
    args: list[str],
    code: int = 0,
    *,
    stdout: bytes | None = None,
    stdout_has: tuple[bytes, ...] = (),
    stderr_has: tuple[str, ...] = (),
    stderr_lacks: tuple[str, ...] = (),
) -> Row:
    return Row(name, reply, args, code, stdout, list(stdout_has), list(stderr_has), list(stderr_lacks))


ECHO_401 = Reply(401, [JSON_TYPE], json.dumps({"error": "bad token", "got": TOKEN}))
DEEP = "[" * 100_000 + "]" * 100_000

ROWS = [
    # B5: a 4-letter cookie value rewrote the data: "application/REDACTED".
    row(
        "B5 a short cookie value inside the content type",
        Reply(200, [JSON_TYPE], "{}"),
        ["--cookie", f"theme={SHORT}", "--envelope", "--jq", '.headers["content-type"]'],
        stdout=b'"application/json"\n',
    ),
    row(
        "a short cookie value in -i on stderr",
        Reply(200, [JSON_TYPE], "{}"),
        ["--cookie", f"theme={SHORT}", "-i"],
        stderr_has=("Content-Type: application/json",),
    ),
    row(
        "a short cookie value is still redacted in its own header",
        Reply(200, [JSON_TYPE], "{}"),
        ["--cookie", f"theme={SHORT}", "-v"],
        stderr_has=("> Cookie: REDACTED",),
        stderr_lacks=(f"theme={SHORT}",),
    ),
    row(
        "--envelope keeps Set-Cookie as sent: it is data",
        Reply(200, [JSON_TYPE, ("Set-Cookie", f"sid={TOKEN}; Path=/")], "{}"),
        ["--envelope", "--jq", '.headers["set-cookie"]'],
        stdout=f'"sid={TOKEN}; Path=/"\n'.encode(),
    ),
    row(
        "-i still redacts Set-Cookie on stderr",
        Reply(200, [JSON_TYPE, ("Set-Cookie", f"sid={SHORT}; Path=/")], "{}"),
        ["-i"],
        stdout=b"{}",
        stderr_has=("Set-Cookie: sid=REDACTED; Path=/",),
    ),
    # The 401 body that echoes the token: --envelope is data on stdout (documented), stderr never shows it.
    row(
        "a 401 that echoes the token, with --envelope",
        ECHO_401,
        ["--token-env", "TEST_TOKEN", "--envelope", "--jq", ".body.got", "--retries", "0"],
        4,
        stdout=f'"{TOKEN}"\n'.encode(),
        stderr_has=("apicli: HTTP 401",),
        stderr_lacks=(TOKEN,),
    ),
    row(
        "a 401 that echoes the token, on stderr",
        ECHO_401,
        ["--token-env", "TEST_TOKEN", "--retries", "0"],
        4,
        stdout=b"",
        stderr_has=("apicli: HTTP 401", REDACTED),
        stderr_lacks=(TOKEN,),
    ),
    row(
        "a 401 that echoes a cookie from the flag, on stderr",
        ECHO_401,
        ["--cookie", f"sid={TOKEN}", "--retries", "0"],
        4,
        stdout=b"",
        stderr_has=(REDACTED,),
        stderr_lacks=(TOKEN,),
    ),
    row(
        "a short API key in its own query parameter, with -v",
        Reply(200, [JSON_TYPE], "{}"),
        ["--api-key-env", "TEST_KEY", "--api-key-query", "k", "-v"],
        stderr_has=("?k=REDACTED",),
        stderr_lacks=("k3y",),
    ),
    # B23: 100,000 nested arrays were an internal RecursionError.
    row(
        "B23 JSON too deep to parse is embedded as text",
        Reply(200, [JSON_TYPE], DEEP),
        ["--envelope", "--jq", ".body | type, length"],
        stdout=b'"string"\n200000\n',
    ),
    row(
        "B23 without --jq",
        Reply(200, [JSON_TYPE], DEEP),
        ["--envelope"],
        stdout_has=(b'"body":"[[[[',),
    ),
    row(
        "JSON nested 1024 deep is embedded as JSON",
        Reply(200, [JSON_TYPE], "[" * 1024 + "]" * 1024),
        ["--envelope", "--jq", ".body | type"],
        stdout=b'"array"\n',
    ),
    row(
        "NaN is not JSON: embedded as text",
        Reply(200, [JSON_TYPE], "[NaN]"),
        ["--envelope", "--jq", ".body"],
        stdout=b'"[NaN]"\n',
    ),
    row(
        "a lone surrogate escape: embedded as text, so --jq can read the envelope",
        Reply(200, [JSON_TYPE], '["\\ud800"]'),
        ["--envelope", "--jq", ".body"],
        stdout=b'"[\\"\\\\ud800\\"]"\n',
    ),
]


@pytest.mark.parametrize("case", ROWS, ids=[case.name for case in ROWS])
def test_stdout_is_data_and_stderr_never_shows_a_secret(case: Row, fault_server: FaultServer) -> None:
    fault_server.script("/x", case.reply)

    outcome = run(["get", fault_server.url("/x"), *case.args], env=ENV, timeout=60)

    assert_clean(outcome, case.code, stderr_has=case.stderr_has, bounded=True)
    if case.stdout is not None:
        assert outcome.stdout == case.stdout, outcome.describe()
    for needle in case.stdout_has:
        assert needle in outcome.stdout, outcome.describe()
    for needle in case.stderr_lacks:
        assert needle not in outcome.stderr, outcome.describe()


def test_head_prints_the_headers_as_sent_on_stdout(fault_server: FaultServer) -> None:
    # `head` is curl -I: the headers are its data, Set-Cookie and echoed secrets included.
    fault_server.script("/x", Reply(200, [("Set-Cookie", f"sid={TOKEN}"), ("X-Echo", TOKEN)], ""))

    outcome = run(["head", fault_server.url("/x"), "--token-env", "TEST_TOKEN"], env=ENV)

    assert_clean(outcome, 0)
    assert f"Set-Cookie: sid={TOKEN}\n".encode() in outcome.stdout
    assert f"X-Echo: {TOKEN}\n".encode() in outcome.stdout


def test_many_jar_cookies_are_redacted_on_stderr_in_linear_time(fault_server: FaultServer, tmp_path: Path) -> None:
    # B4: every cookie re-sorted the redactor's list. 15,000 secrets, and an error body that echoes one.
    count = 15_000  # what fits the 1 MiB jar limit
    echoed = f"value-{count - 1:012d}"
    fault_server.script("/x", Reply(500, [("Content-Type", "text/plain")], f"bad cookie {echoed} and more"))
    jar = tmp_path / "jar.txt"
    jar.write_bytes(b"".join(b"127.0.0.1\tFALSE\t/p%d\tFALSE\t0\tc%d\tvalue-%012d\n" % (i, i, i) for i in range(count)))

    outcome = run(["get", fault_server.url("/x"), "--cookie-jar", str(jar), "--retries", "0"], timeout=90)

    assert_clean(outcome, 5, stderr_has=["apicli: HTTP 500", f"bad cookie {REDACTED} and more"])
    assert echoed not in outcome.stderr


# --- the redactor and the envelope's body, for any input -----------------------------------------


def test_adding_secrets_is_cheap() -> None:
    redactor = Redactor()
    started = time.monotonic()
    for i in range(200_000):
        redactor.add(f"secret-{i:012d}")
    assert redactor.text("a secret-000000199999 b") == f"a {REDACTED} b"
    assert time.monotonic() - started < 20  # was a sort of the whole list per addition: hours


secret = st.text(st.sampled_from("abcdefghij-0123456789"), min_size=MIN_SECRET_LENGTH, max_size=20)
prose = st.text(st.sampled_from("abcdefghij-0123456789 ABCDE/"), max_size=200)


@given(st.lists(secret, max_size=40), st.lists(st.tuples(prose, st.booleans()), max_size=8))
def test_no_secret_survives_and_nothing_else_changes(secrets: list[str], pieces: list[tuple[str, bool]]) -> None:
    # Secrets have no capitals, so REDACTED can never combine with its neighbours into one.
    text = "".join(
        piece + (secrets[i % len(secrets)] if use and secrets else "") for i, (piece, use) in enumerate(pieces)
    )
    shown = Redactor(secrets).text(text)
    assert not any(s in shown for s in secrets)
    if not any(s in text for s in secrets):
        assert shown == text


@given(st.lists(st.text(max_size=MIN_SECRET_LENGTH - 1), max_size=10), st.text(max_size=200))
def test_short_secrets_never_change_text(secrets: list[str], text: str) -> None:
    assert Redactor(secrets).text(text) == text


@given(st.lists(secret, min_size=1, max_size=80), prose)
def test_many_secrets_are_found_like_a_few(secrets: list[str], text: str) -> None:
    # Past a few secrets, one indexed scan replaces the loop of str.replace: both hide every secret.
    text = text + secrets[0] + text + secrets[-1]
    many = Redactor(secrets + [f"padding-{i:04d}" for i in range(40)]).text(text)
    assert not any(s in many for s in secrets)


@given(st.binary(max_size=300), st.sampled_from([None, "application/json", "text/plain", "image/png"]))
def test_the_envelope_body_is_always_json(body: bytes, content_type: str | None) -> None:
    value = orjson.loads(body_json(body, content_type))
    try:
        if value == orjson.loads(body):
            return  # embedded as the JSON it is
    except orjson.JSONDecodeError:
        pass
    if isinstance(value, str):
        assert value.encode("utf-8") == body
    else:
        assert base64.b64decode(value["base64"]) == body


@given(st.integers(1, 3000))
def test_any_depth_of_nesting_is_embedded_without_recursion(depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    value = orjson.loads(body_json(body, "application/json"))
    assert value == body.decode() if depth > 1024 else isinstance(value, list)
