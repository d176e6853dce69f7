"""End-to-end: profiles from the config file, precedence, credential scoping, errors and `apicli config`."""

from __future__ import annotations

import base64
import json
import re
import ssl
import string
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from apicli.config.config_file import Profile
from apicli.config.profiles import resolve_url
from apicli.errors import UsageError
from tests.conftest import Invoke

TOKEN = "tok-3f9a2c71"
WriteConfig = Callable[..., dict[str, str]]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write config.toml (mode 600 unless told) and return the env that points apicli at it."""

    def write(text: str, mode: int = 0o600) -> dict[str, str]:
        path = tmp_path / "config.toml"
        path.write_text(text)
        path.chmod(mode)
        return {"APICLI_CONFIG": str(path)}

    return write


def _echo(request: Request) -> Response:
    payload = {
        "path": request.path,
        "query": request.args.to_dict(flat=False),
        "auth": request.headers.get("Authorization"),
        "team": request.headers.get("X-Team"),
        "key": request.headers.get("X-Key"),
    }
    return Response(json.dumps(payload), content_type="application/json")


def _profile(server: HTTPServer, name: str = "default", extra: str = "") -> str:
    return f"""
[profiles.{name}]
base_url = "{server.url_for("/v1")}"
headers = {{ X-Team = "core" }}
query = {{ per_page = 50, lang = "en" }}
auth = {{ type = "bearer", token_env = "TEST_TOKEN" }}
{extra}
"""


def test_default_profile_relative_url_headers_query_and_token(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig
) -> None:
    httpserver.expect_request("/v1/users").respond_with_handler(_echo)
    env = write_config(_profile(httpserver)) | {"TEST_TOKEN": TOKEN}
    result = invoke("get", "/users", "lang==fr", env=env)
    assert (result.code, result.stderr) == (0, "")
    seen = json.loads(result.stdout)
    assert seen == {
        "path": "/v1/users",
        "query": {"per_page": ["50"], "lang": ["fr"]},  # the command line's lang replaces the profile's
        "auth": f"Bearer {TOKEN}",
        "team": "core",
        "key": None,
    }


def test_flags_override_profile_headers_and_credentials(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig
) -> None:
    httpserver.expect_request("/v1/x").respond_with_handler(_echo)
    env = write_config(_profile(httpserver)) | {"TEST_TOKEN": TOKEN}
    result = invoke("get", "/x", "X-Team:edge", "-u", "ann:pw", env=env)
    seen = json.loads(result.stdout)
    assert seen["team"] == "edge"
    assert seen["auth"] == "Basic " + base64.b64encode(b"ann:pw").decode()
    explicit = json.loads(invoke("get", "/x", "-H", "Authorization: Token abc", env=env).stdout)
    assert explicit["auth"] == "Token abc"


def test_named_profile_by_flag_and_by_environment(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig, tmp_path: Path
) -> None:
    httpserver.expect_request("/v1/x").respond_with_handler(_echo)
    key_file = tmp_path / "key.txt"
    key_file.write_text("key-from-file\n")
    staging = _profile(httpserver, "staging").replace(
        'auth = { type = "bearer", token_env = "TEST_TOKEN" }',
        'auth = { type = "api_key", header = "X-Key", key_file = "key.txt" }',
    )
    env = write_config(staging)
    assert invoke("get", "/x", env=env).code == 2  # no default profile: a relative URL has no base
    by_flag = json.loads(invoke("get", "/x", "-P", "staging", env=env).stdout)
    by_env = json.loads(invoke("get", "/x", env=env | {"APICLI_PROFILE": "staging"}).stdout)
    assert by_flag == by_env
    assert by_flag["key"] == "key-from-file" and by_flag["auth"] is None


def test_basic_auth_with_password_file_and_api_key_in_query(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig, tmp_path: Path
) -> None:
    httpserver.expect_request("/x").respond_with_handler(_echo)
    (tmp_path / "pw").write_text("s3cret-pw\n")
    env = write_config(
        f"""
[profiles.basic]
base_url = "{httpserver.url_for("/")}"
auth = {{ type = "basic", user = "ann", password_file = "{tmp_path / "pw"}" }}

[profiles.keyed]
base_url = "{httpserver.url_for("/")}"
[profiles.keyed.auth]
type = "api_key"
query = "api_key"
key_env = "KEY"
"""
    )
    basic = json.loads(invoke("get", "/x", "-P", "basic", env=env).stdout)
    assert basic["auth"] == "Basic " + base64.b64encode(b"ann:s3cret-pw").decode()
    keyed = json.loads(invoke("get", "/x", "-P", "keyed", env=env | {"KEY": "k-123"}).stdout)
    assert keyed["query"] == {"api_key": ["k-123"]}
    missing = invoke("get", "/x", "-P", "keyed", env=env)
    assert missing.code == 2
    assert missing.stderr.startswith(
        "apicli: profile 'keyed' (profiles.keyed.auth.key_env): environment variable KEY is not set or empty"
    )


def test_profile_credentials_never_reach_another_origin(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke, write_config: WriteConfig
) -> None:
    second_server.expect_request("/elsewhere").respond_with_handler(_echo)
    httpserver.expect_request("/v1/hop").respond_with_data(
        "", status=302, headers={"Location": second_server.url_for("/elsewhere")}
    )
    env = write_config(_profile(httpserver)) | {"TEST_TOKEN": TOKEN}
    sent = invoke("get", second_server.url_for("/elsewhere"), env=env)
    direct = json.loads(sent.stdout)
    assert direct == {"path": "/elsewhere", "query": {}, "auth": None, "team": None, "key": None}
    assert sent.stderr == (
        f"apicli: note: profile 'default' has credentials for http://127.0.0.1:{httpserver.port}; "
        f"not sent to http://127.0.0.1:{second_server.port}, another origin\n"
    )
    assert invoke("get", second_server.url_for("/elsewhere"), "-s", env=env).stderr == ""
    redirected = json.loads(invoke("get", "/hop", env=env).stdout)
    assert redirected["auth"] is None  # plain headers follow a redirect, as in any client; credentials do not
    assert httpserver.log[-1][0].headers["Authorization"] == f"Bearer {TOKEN}"  # its own origin got it


def test_profile_retries_and_timeout_apply_unless_flags_say_otherwise(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig
) -> None:
    httpserver.expect_request("/busy").respond_with_data("busy", status=503)

    def slow(request: Request) -> Response:
        time.sleep(0.4)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    env = write_config(f'[profiles.default]\nbase_url = "{httpserver.url_for("/")}"\nretries = 1\ntimeout = 0.1\n')
    assert invoke("get", "/busy", env=env).code == 5
    assert len(httpserver.log) == 2  # one try and the profile's one retry
    assert invoke("get", "/busy", "--retries", "0", env=env).code == 5
    assert len(httpserver.log) == 3
    timed_out = invoke("get", "/slow", "--retries", "0", env=env)
    assert timed_out.code == 8 and "within 0.1s" in timed_out.stderr
    assert invoke("get", "/slow", "--timeout", "5", env=env).stdout == b"late"


def test_profile_verify_trusts_its_ca_bundle(
    invoke: Invoke, write_config: WriteConfig, tmp_path: Path, unused_port: int
) -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/tls").respond_with_data("secure")
    server.start()
    try:
        url = server.url_for("/tls")
        assert invoke("get", url, "--retries", "0").code == 7  # the private CA is not trusted by default
        env = write_config('[profiles.default]\nverify = "ca.pem"\n')
        assert invoke("get", url, env=env).stdout == b"secure"
    finally:
        server.stop()


def test_inline_secrets_are_warned_about(httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig) -> None:
    httpserver.expect_request("/x").respond_with_handler(_echo)
    text = (
        f'[profiles.default]\nbase_url = "{httpserver.url_for("/")}"\nauth = {{ type = "bearer", token = "{TOKEN}" }}\n'
    )
    private = invoke("get", "/x", env=write_config(text))
    assert json.loads(private.stdout)["auth"] == f"Bearer {TOKEN}"
    assert private.stderr == (
        "apicli: note: profile 'default' keeps secrets inline (profiles.default.auth.token); "
        "*_env or *_file keys keep them out of the config file\n"
    )
    exposed = invoke("get", "/x", env=write_config(text, mode=0o644))
    assert "is readable by group or others; run: chmod 600" in exposed.stderr.splitlines()[0]
    assert TOKEN not in exposed.stderr
    assert invoke("get", "/x", "-s", env=write_config(text, mode=0o644)).stderr == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[profiles.default]\nbase_url = "http://127.0.0.1:1"\ntimeout = \n', ":3: invalid TOML: "),
        (
            '[profiles.default]\nbase_url = "http://127.0.0.1:1"\n\ntimeout = "5"\n',
            ":4: profiles.default.timeout: expected",
        ),
        ("[profiles.a]\nretries = 2\ntimout = 5\n", ":3: profiles.a.timout: unknown key; did you mean 'timeout'?"),
        *[
            (f"[profiles.a]\nretries = 2\ntimeout = {value}\n", f":3: profiles.a.timeout: expected {expected}")
            for value, expected in [
                ("nan", "a positive, finite number of seconds, not nan"),
                ("+inf", "a positive, finite number of seconds, not inf"),
                ("-inf", "a positive, finite number of seconds, not -inf"),
                ("0", "a positive, finite number of seconds, not 0"),
                ("-1.5", "a positive, finite number of seconds, not -1.5"),
                ("1" + "0" * 400, "a positive, finite number of seconds, not a number too large"),
                ("true", "a positive number of seconds, not a boolean"),
            ]
        ],
        ("[profiles.a]\nretries = 1" + "0" * 5000 + "\n", ": invalid TOML: an integer has too many digits"),
        ("[profiles.a]\n\nretries = -1\n", ":3: profiles.a.retries: expected a whole number >= 0, not -1"),
        ("[profiles.a]\nretries = inf\n", ":2: profiles.a.retries: expected a whole number >= 0, not a number"),
        ('[profiles.a]\nauth = { type = "bearer", token_env = "X" }\n', ":2: profiles.a.auth: needs a base_url"),
        (
            '[profiles.a]\nbase_url = "http://h"\n[profiles.a.auth]\ntype = "basic"\nuser = "u"\n',
            ":3: profiles.a.auth: basic auth needs exactly one of password_env, password_file, password (found none)",
        ),
        (
            '[profiles.a]\nbase_url = "http://h"\nheaders = { "Bad Name" = "x" }\n',
            ":3: profiles.a.headers.Bad Name: is not",
        ),
        ("colour = true\n", ":1: colour: unknown key"),
    ],
)
def test_invalid_config_exits_2_with_file_and_line(
    invoke: Invoke, write_config: WriteConfig, text: str, expected: str
) -> None:
    env = write_config(text)
    result = invoke("get", "http://127.0.0.1:1/", env=env)
    assert result.code == 2
    assert result.stdout == b""
    assert result.stderr.startswith(f"apicli: {env['APICLI_CONFIG']}{expected}"), result.stderr


def test_unknown_profile_and_missing_file(invoke: Invoke, write_config: WriteConfig, tmp_path: Path) -> None:
    env = write_config("[profiles.dev]\n[profiles.prod]\n")
    unknown = invoke("get", "http://127.0.0.1:1/", "-P", "qa", env=env)
    assert unknown.code == 2
    assert (
        unknown.stderr == f"apicli: unknown profile 'qa' in {env['APICLI_CONFIG']}\nhint: profiles there: dev, prod\n"
    )
    nowhere = invoke("get", "http://127.0.0.1:1/", "-P", "qa", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert nowhere.code == 2 and "there is no config file at" in nowhere.stderr
    relative = invoke("get", "/users")
    assert relative.code == 2 and relative.stderr.startswith("apicli: relative URL '/users' needs a profile")


def test_config_path_and_show_redacts_secrets(invoke: Invoke, write_config: WriteConfig, tmp_path: Path) -> None:
    env = write_config(
        """
[profiles.default]
base_url = "https://api.example.com/v2"
timeout = 5
headers = { Accept = "application/json", X-Api-Token = "hdr-secret-1" }
auth = { type = "bearer", token = "inline-secret-2" }

[profiles."odd name"]
base_url = "https://other.example.com"
query = { per_page = 100, access_token = "q-secret-3" }
auth = { type = "api_key", header = "X-Key", key_env = "OTHER_KEY" }
"""
    )
    path = invoke("config", "path", env=env)
    assert (path.code, path.text) == (0, env["APICLI_CONFIG"] + "\n")
    shown = invoke("config", "show", env=env)
    assert shown.code == 0
    for secret in ("hdr-secret-1", "inline-secret-2", "q-secret-3"):
        assert secret not in shown.text
    document = tomllib.loads(shown.text)  # what it prints is TOML itself
    default = document["profiles"]["default"]
    assert default["auth"] == {"type": "bearer", "token": "REDACTED"}
    assert default["headers"] == {"Accept": "application/json", "X-Api-Token": "REDACTED"}
    odd = document["profiles"]["odd name"]
    assert odd["query"] == {"per_page": "100", "access_token": "REDACTED"}
    assert odd["auth"] == {"type": "api_key", "header": "X-Key", "key_env": "OTHER_KEY"}
    one = invoke("config", "show", "--profile", "odd name", env=env)
    assert list(tomllib.loads(one.text)["profiles"]) == ["odd name"]
    assert invoke("config", "show", "-P", "nope", env=env).code == 2
    default_path = invoke("config", "path", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert default_path.text == f"{tmp_path / 'xdg' / 'apicli' / 'config.toml'}\n"


def test_home_paths_expand_and_unknown_users_stay_as_written(
    httpserver: HTTPServer, invoke: Invoke, tmp_path: Path
) -> None:
    """~ is expanded in one place, for every path a user gives; ~nosuchuser is left as written, like a shell."""
    httpserver.expect_request("/v1/me").respond_with_handler(_echo)
    home = tmp_path / "home"
    home.mkdir()
    (home / "token").write_text(f"{TOKEN}\n")
    trustme.CA().cert_pem.write_to_path(str(home / "ca.pem"))  # --cacert is checked for PEM before use
    (home / "any.schema.json").write_text("{}")
    config = home / "apicli.toml"
    config.write_text(
        f'[profiles.default]\nbase_url = "{httpserver.url_for("/v1")}"\n'
        'auth = { type = "bearer", token_file = "~/token" }\n'
    )
    config.chmod(0o600)
    env = {"HOME": str(home), "APICLI_CONFIG": "~/apicli.toml"}

    result = invoke("get", "/me", "--schema", "~/any.schema.json", env=env)
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["auth"] == f"Bearer {TOKEN}"
    assert invoke("config", "path", env=env).text == f"{config}\n"
    curl = invoke("get", "http://127.0.0.1:9/x", "--cacert", "~/ca.pem", "--curl", env={"HOME": str(home)})
    assert f"--cacert {home / 'ca.pem'}" in curl.text

    unknown = invoke("get", "/me", env={"APICLI_CONFIG": "~nosuchuser0/apicli.toml"})
    assert (unknown.code, unknown.stderr) == (2, "apicli: APICLI_CONFIG: ~nosuchuser0/apicli.toml does not exist\n")
    config.write_text(
        f'[profiles.default]\nbase_url = "{httpserver.url_for("/v1")}"\n'
        'auth = { type = "bearer", token_file = "~nosuchuser0/token" }\n'
    )
    missing = invoke("get", "/me", env=env)
    assert missing.code == 2
    assert missing.stderr.startswith("apicli: profile 'default' (profiles.default.auth.token_file): cannot read ")
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("word", ["users", "users/1", "v2-beta/items?page=2", "_internal#top"])
def test_a_bare_word_under_a_profile_is_refused_not_taken_for_a_host(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig, word: str
) -> None:
    env = write_config(_profile(httpserver)) | {"TEST_TOKEN": TOKEN}
    result = invoke("get", word, env=env)
    host = re.split(r"[/?#]", word)[0]
    assert (result.code, result.stdout) == (2, b"")
    assert result.stderr.splitlines() == [
        f"apicli: {word!r} would be the host {host!r}, not a path under profile 'default'",
        f"hint: write /{word} for the path under {httpserver.url_for('/v1')}, or http://{word} for that host",
    ]
    assert httpserver.log == []


@pytest.mark.parametrize("url", ["localhost/x", "api:8080/x", "api.example.com/x", "user@api/x", "http://users/"])
def test_a_host_stays_a_host_under_a_profile(
    httpserver: HTTPServer, invoke: Invoke, write_config: WriteConfig, url: str
) -> None:
    env = write_config(_profile(httpserver)) | {"TEST_TOKEN": TOKEN}
    result = invoke("get", url, "--dry-run", env=env)
    assert result.code == 0 and result.stdout.startswith(b"GET http")


def test_a_bare_word_without_a_base_url_is_a_host(invoke: Invoke, write_config: WriteConfig) -> None:
    env = write_config("[profiles.default]\ntimeout = 5\n")
    result = invoke("get", "api/x", "--dry-run", env=env)
    assert (result.code, result.stdout.split(b"\n")[0]) == (0, b"GET http://api/x")


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_./:@?#[]", max_size=30))
def test_resolve_url_refuses_exactly_the_bare_words(url: str) -> None:
    profile = Profile(name="p", path=Path("config.toml"), base_url="https://api.example.com/v1")
    first = re.split(r"[/?#]", url, maxsplit=1)[0]
    bare = (
        bool(first)
        and all(ch.isalnum() or ch in "-_" for ch in first)
        and first.lower() != "localhost"
        and not url.startswith("/")
    )
    try:
        resolved = resolve_url(url, profile)
    except UsageError as exc:
        assert bare, url
        assert exc.hint is not None and f"/{url}" in exc.hint
    else:
        assert not bare, url
        assert resolved == (f"https://api.example.com/v1{url}" if url.startswith("/") else url)
        if not url.startswith("/"):
            assert resolve_url(url, None) == url  # without a profile, nothing changes
