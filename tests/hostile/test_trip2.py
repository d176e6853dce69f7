"""Where new users trip, part 2: secrets in the wrong place, hints that fit, messages that point somewhere.

Each row is something a newcomer does, run as a real process against a loopback server: a
secret pasted where a variable's name belongs is never echoed; the hint under an error status
comes from what happened; a broken redirect's hints do not point at each other; -v shows the
request body, redacted and bounded; the README's set -e idiom works as printed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import ExitCode
from apicli.formats.status_hints import status_hint
from apicli.inputs.secret_input import shown_variable
from apicli.output.report import SHOWN_REQUEST_BODY, request_body_lines
from tests.faults.behaviours import Reply, StallAfterHeaders, json_reply, redirect
from tests.faults.faultserver import FaultServer
from tests.hostile.harness import APICLI, assert_clean, run

SECRET = "ghp_abcdef123456"
README = Path(__file__).resolve().parents[2] / "README.md"

# -- item 2: a secret where a variable's name belongs ---------------------------------------------

OAUTH = ["--oauth2-token-url", "{origin}/token", "--oauth2-client-id", "cid"]
# (flag, arguments the flag needs besides itself)
ENV_FLAGS = [
    ("--token-env", []),
    ("--password-env", ["-u", "ann"]),
    ("--api-key-env", []),
    ("--oauth2-client-secret-env", OAUTH),
]
# (row, value typed, exact stderr); {flag} is the flag, {example} the corrected setting.
ENV_VALUES = [
    (
        "secret-that-is-a-valid-name",
        SECRET,
        [
            "apicli: {flag}: the environment variable it names is not set or empty (the name is not shown: "
            "it looks like a secret, not a variable's name)",
            "hint: name the variable that holds the secret, as in {flag} GITHUB_TOKEN",
        ],
    ),
    (
        "secret-with-punctuation",
        "s3cr3t-v4lue/with+chars==",
        [
            "apicli: {flag} takes the name of an environment variable; the value given is not one (not shown: "
            "it may be the secret itself)",
            "hint: name the variable that holds the secret, as in {flag} GITHUB_TOKEN",
        ],
    ),
    (
        "dollar-name",
        "$TOKEN",
        ["apicli: {flag} takes the name of an environment variable, not $TOKEN", "hint: drop the $: {flag} TOKEN"],
    ),
    (
        "dollar-brace-name",
        "${MY_TOKEN}",
        [
            "apicli: {flag} takes the name of an environment variable, not $MY_TOKEN",
            "hint: drop the $: {flag} MY_TOKEN",
        ],
    ),
    ("unset-name", "NO_SUCH_VAR_0", ["apicli: {flag}: environment variable NO_SUCH_VAR_0 is not set or empty"]),
]


@pytest.mark.parametrize(("flag", "needs"), ENV_FLAGS, ids=[flag for flag, _ in ENV_FLAGS])
@pytest.mark.parametrize(("row", "value", "stderr"), ENV_VALUES, ids=[row for row, _, _ in ENV_VALUES])
def test_an_env_flag_never_echoes_a_secret(
    fault_server: FaultServer, flag: str, needs: list[str], row: str, value: str, stderr: list[str]
) -> None:
    extra = [part.format(origin=fault_server.origin) for part in needs]
    outcome = run(["get", fault_server.url("/x"), *extra, flag, value], env={"TOKEN": "", "MY_TOKEN": ""})
    assert_clean(outcome, ExitCode.USAGE)
    assert outcome.stderr.splitlines() == [line.format(flag=flag) for line in stderr]
    assert "abcdef123456" not in outcome.stderr and "v4lue" not in outcome.stderr
    assert fault_server.requests == []


# (auth table, the *_env key)
CONFIG_KEYS = [
    ('{ type = "bearer", token_env = "%s" }', "token_env"),
    ('{ type = "basic", user = "ann", password_env = "%s" }', "password_env"),
    ('{ type = "digest", user = "ann", password_env = "%s" }', "password_env"),
    ('{ type = "api_key", header = "X-Key", key_env = "%s" }', "key_env"),
]


@pytest.mark.parametrize(("auth", "key"), CONFIG_KEYS, ids=[auth.split('"')[1] for auth, _ in CONFIG_KEYS])
@pytest.mark.parametrize("value", [SECRET, "s3cr3t-v4lue/with+chars=="], ids=["valid-name", "punctuation"])
def test_a_config_env_key_never_echoes_a_secret(
    fault_server: FaultServer, tmp_path: Path, auth: str, key: str, value: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.p]\nbase_url = "{fault_server.origin}"\nauth = {auth % value}\n')
    config.chmod(0o600)
    env = {"APICLI_CONFIG": str(config)}
    outcome = run(["get", "/x", "-P", "p"], env=env)
    assert_clean(
        outcome, ExitCode.USAGE, stderr_has=[f"profile 'p' (profiles.p.auth.{key})", f'{key} = "GITHUB_TOKEN"']
    )
    shown = run(["config", "show", "p"], env=env)
    for seen in (outcome, shown):
        assert "abcdef123456" not in seen.stderr + seen.stdout.decode() and "v4lue" not in seen.stderr
    assert fault_server.requests == []


@given(st.text(min_size=1, max_size=80))
def test_shown_variable_echoes_only_names(value: str) -> None:
    shown = shown_variable(value)
    assert shown is None or (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", shown) and shown == value)
    if shown is not None and any(char.isdigit() for char in value):
        assert value.isupper() and "_" in value


# -- item 4: the hint under an error status -------------------------------------------------------

DIGEST = 'Digest realm="r", nonce="n", qop="auth"'
# (row, arguments after the URL, the replies, exact hint line)
STATUS_HINTS = [
    (
        "post-503-not-retried",
        ["post", "a=1"],
        [json_reply({"e": 1}, 503)],
        "hint: a POST is not retried: --retry-unsafe (or an Idempotency-Key header) lets apicli retry it",
    ),
    (
        "get-503-retries-exhausted",
        ["get", "--retries", "1", "--backoff", "0"],
        [json_reply({"e": 1}, 503), json_reply({"e": 2}, 503)],
        "hint: gave up after 2 attempts: raise --retries (and --max-time) to keep trying",
    ),
    (
        "401-digest-not-asked",
        ["get", "-u", "ann:pw"],
        [Reply(401, {"WWW-Authenticate": DIGEST}, b"no")],
        "hint: the server asks for Digest auth: -A digest -u USER",
    ),
    (
        "401-digest-nothing-sent",
        ["get"],
        [Reply(401, {"WWW-Authenticate": DIGEST}, b"no")],
        "hint: the server asks for Digest auth: -A digest -u USER",
    ),
    (
        "401-bearer-nothing-sent",
        ["get"],
        [Reply(401, {"WWW-Authenticate": 'Bearer realm="api"'}, b"no")],
        "hint: the server asks for a bearer token: --token-env VAR (or --token-file FILE)",
    ),
    (
        "401-bearer-refused",
        ["get", "--token-env", "T"],
        [Reply(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, b"no")],
        "hint: use --ignore-status to get the body on stdout and exit 0",
    ),
    (
        "429-retry-after-no-retries",
        ["get", "--retries", "0"],
        [Reply(429, {"Retry-After": "30"}, b"slow down")],
        "hint: the server asks to wait 30 s (Retry-After)",
    ),
    (
        "head-404-no-body",
        ["head"],
        [Reply(404, {"Content-Length": "12"}, b"")],
        "hint: use --ignore-status to exit 0 (this response has no body)",
    ),
    (
        "get-404-with-body",
        ["get"],
        [json_reply({"e": "missing"}, 404)],
        "hint: use --ignore-status to get the body on stdout and exit 0",
    ),
]


@pytest.mark.parametrize(("row", "args", "replies", "hint"), STATUS_HINTS, ids=[row[0] for row in STATUS_HINTS])
def test_the_status_hint_fits_the_situation(
    fault_server: FaultServer, row: str, args: list[str], replies: list[Reply], hint: str
) -> None:
    fault_server.script("/s", replies)
    verb, *rest = args
    outcome = run([verb, fault_server.url("/s"), *rest], env={"T": "tok-1234567890"})
    status = replies[-1].status
    assert_clean(outcome, ExitCode.HTTP_4XX if status < 500 else ExitCode.HTTP_5XX)
    assert hint in outcome.stderr.splitlines(), outcome.stderr


@given(
    st.sampled_from(["GET", "POST", "HEAD", "PATCH"]),
    st.sampled_from([400, 401, 404, 429, 500, 503]),
    st.text(max_size=300),
    st.one_of(st.none(), st.text(max_size=60)),
    st.one_of(st.none(), st.text(max_size=60)),
    st.booleans(),
)
def test_status_hint_takes_any_headers(
    method: str, status: int, challenge: str, authorization: str | None, retry_after: str | None, has_body: bool
) -> None:
    response = {"WWW-Authenticate": challenge}
    if retry_after is not None:
        response["Retry-After"] = retry_after
    request = {"Authorization": authorization} if authorization is not None else {}
    hint = status_hint(method, status, response, request, None, has_body=has_body)
    # Whatever the server sent, the hint is one printable line of bounded size.
    assert hint and hint.isprintable() and len(hint) < 400


# -- item 9: messages that mislead ----------------------------------------------------------------

# (row, the Location sent or None for none, extra flags, exact stderr)
REDIRECT_ROWS = [
    (
        "empty-location-followed",
        "",
        [],
        ExitCode.REDIRECT,
        [
            "apicli: HTTP 302 Found (GET {url}) cannot be followed: its Location header is empty",
            "hint: the server's redirect is broken: a redirect needs a Location naming an http or https URL",
        ],
    ),
    (
        "empty-location-no-follow",
        "",
        ["--no-follow"],
        ExitCode.REDIRECT,
        [
            "apicli: HTTP 302 Found (GET {url}), redirect not followed",
            "hint: following would not work either: its Location header is empty; "
            "--ignore-status exits 0 with the response",
        ],
    ),
    (
        "ftp-location-no-follow",
        "ftp://127.0.0.1/x",
        ["--no-follow"],
        ExitCode.REDIRECT,
        [
            "apicli: HTTP 302 Found (GET {url}), redirect not followed: Location: ftp://127.0.0.1/x",
            "hint: following would not work either: its Location 'ftp://127.0.0.1/x' is not an http or https URL; "
            "--ignore-status exits 0 with the response",
        ],
    ),
    (
        "good-location-no-follow",
        "/there",
        ["--no-follow"],
        ExitCode.REDIRECT,
        [
            "apicli: HTTP 302 Found (GET {url}), redirect not followed: Location: /there",
            "hint: drop --no-follow to follow it",
        ],
    ),
]


@pytest.mark.parametrize(
    ("row", "location", "flags", "code", "stderr"), REDIRECT_ROWS, ids=[row[0] for row in REDIRECT_ROWS]
)
def test_redirect_hints_do_not_point_at_each_other(
    fault_server: FaultServer, row: str, location: str, flags: list[str], code: int, stderr: list[str]
) -> None:
    fault_server.script("/r", redirect(location))
    outcome = run(["get", fault_server.url("/r"), *flags])
    assert_clean(outcome, code)
    assert outcome.stderr.splitlines() == [line.format(url=fault_server.url("/r")) for line in stderr]


def test_a_timeout_on_a_redirects_target_says_how_it_was_reached(fault_server: FaultServer) -> None:
    fault_server.script("/from", redirect("/slow"))
    fault_server.script("/slow", StallAfterHeaders(Reply(200, {"Content-Length": "10"}, b"0123456789"), 30))
    outcome = run(["get", fault_server.url("/from"), "--timeout", "0.5", "--retries", "0"], timeout=20)
    assert_clean(outcome, ExitCode.TIMEOUT, bounded=True)
    first = outcome.stderr.splitlines()[0]
    assert fault_server.url("/slow") in first and f"reached by a redirect from {fault_server.url('/from')}" in first


# -- item 10: -v shows the request body -----------------------------------------------------------

# (row, arguments after the URL, lines that must be on stderr, text that must not)
VERBOSE_BODY = [
    ("json", ["name=ann"], ['> {"name": "ann"}'], []),
    ("json-secret-field", ["password=hunter2-pw", "user=ann"], ['"password": "REDACTED"'], ["hunter2-pw"]),
    ("form-secret-field", ["--form", "token=tk-999", "a=1"], ["> token=REDACTED&a=1"], ["tk-999"]),
    ("escapes", ["--json", '"\\u001b]0;title\\u0007"'], [], ["\x1b", "\x07"]),
    (
        "large",
        ["--json", json.dumps("x" * 20_000)],
        [f"> (... {20_002 - SHOWN_REQUEST_BODY} more bytes, 20002 in all)"],
        [],
    ),
]


@pytest.mark.parametrize(("row", "args", "shown", "hidden"), VERBOSE_BODY, ids=[row[0] for row in VERBOSE_BODY])
def test_verbose_shows_the_request_body(
    fault_server: FaultServer, row: str, args: list[str], shown: list[str], hidden: list[str]
) -> None:
    fault_server.script("/v", json_reply({"ok": True}))
    outcome = run(["post", fault_server.url("/v"), *args, "-v"])
    assert_clean(outcome, 0)
    for needle in shown:
        assert any(needle in line for line in outcome.stderr.splitlines()), outcome.stderr
    for needle in hidden:
        assert needle not in outcome.stderr
    assert "byte body)" not in outcome.stderr


def test_verbose_summarises_file_and_multipart_bodies(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/v", [json_reply({"ok": True}), json_reply({"ok": True})])
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)))
    streamed = run(["post", fault_server.url("/v"), "--data", f"@{blob}", "-v"])
    assert_clean(streamed, 0)
    assert "> (streamed body)" in streamed.stderr.splitlines()
    multipart = run(["post", fault_server.url("/v"), "--form", "a=1", f"f@{blob}", "-v"])
    assert_clean(multipart, 0)
    assert re.search(r"^> \(\d+ byte multipart/form-data body\)$", multipart.stderr, re.MULTILINE), multipart.stderr


def test_a_binary_body_is_shown_as_its_size() -> None:
    assert request_body_lines(bytes(range(256)), "application/octet-stream") == ["(256 byte binary body)"]
    assert request_body_lines(b"\xff\xfe" * 5000, None) == ["(10000 byte binary body)"]


@given(
    st.one_of(st.binary(max_size=9000), st.text(max_size=9000)),
    st.sampled_from(
        [None, "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
    ),
)
def test_request_body_lines_are_bounded(body: bytes | str, content_type: str | None) -> None:
    lines = request_body_lines(body, content_type)
    assert lines
    assert sum(len(line) for line in lines) <= SHOWN_REQUEST_BODY + 200


# -- item 10: the README ----------------------------------------------------------------------------


def test_readme_status_idiom_works_under_set_e(fault_server: FaultServer) -> None:
    (line,) = [line for line in README.read_text().splitlines() if line.startswith("code=$(apicli get")]
    fault_server.script("/users/1", json_reply({"e": "missing"}, 404))
    script = line.replace("apicli get :8080", f"{APICLI} get :{fault_server.port}")
    done = subprocess.run(
        ["bash", "-e", "-c", f'{script}\necho "code=$code"'], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "code=404"


def test_readme_gives_the_test_times() -> None:
    text = README.read_text()
    assert "make test   #" in text and "about 5 minutes on 2 cores" in text
