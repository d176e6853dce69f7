"""End-to-end: credentials, netrc, redaction, and credentials staying on their origin."""

from __future__ import annotations

import base64
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import Invoke

SECRET = "s3cr3t-token-value"


def _auth_of(server: HTTPServer) -> str | None:
    return server.log[-1][0].headers.get("Authorization")


def test_bearer_token_from_env_and_file(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/me").respond_with_data("ok")
    assert invoke("get", httpserver.url_for("/me"), "--token-env", "API_TOKEN", env={"API_TOKEN": SECRET}).code == 0
    assert _auth_of(httpserver) == f"Bearer {SECRET}"
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    assert invoke("get", httpserver.url_for("/me"), "--token-file", str(token_file)).code == 0
    assert _auth_of(httpserver) == f"Bearer {SECRET}"


def test_api_key_header_and_query(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/k").respond_with_data("ok")
    env = {"KEY": SECRET}
    assert invoke("get", httpserver.url_for("/k"), "--api-key-env", "KEY", env=env).code == 0
    assert httpserver.log[-1][0].headers["X-API-Key"] == SECRET
    assert (
        invoke("get", httpserver.url_for("/k"), "--api-key-env", "KEY", "--api-key-header", "X-Token", env=env).code
        == 0
    )
    assert httpserver.log[-1][0].headers["X-Token"] == SECRET
    assert (
        invoke("get", httpserver.url_for("/k"), "--api-key-env", "KEY", "--api-key-query", "api_key", env=env).code == 0
    )
    assert httpserver.log[-1][0].args["api_key"] == SECRET


def test_basic_auth_and_missing_password(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/b").respond_with_data("ok")
    assert invoke("get", httpserver.url_for("/b"), "-u", "ann:pw").code == 0
    assert _auth_of(httpserver) == "Basic " + base64.b64encode(b"ann:pw").decode()
    assert invoke("get", httpserver.url_for("/b"), "-u", "ann", "--password-env", "PW", env={"PW": "x1"}).code == 0
    assert _auth_of(httpserver) == "Basic " + base64.b64encode(b"ann:x1").decode()
    result = invoke("get", httpserver.url_for("/b"), "-u", "ann")
    assert result.code == 2 and result.stderr.startswith("apicli: no password for user 'ann'")


def test_netrc_is_honoured(httpserver: HTTPServer, invoke: Invoke, tmp_path: Path) -> None:
    httpserver.expect_request("/n").respond_with_data("ok")
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login nina password fromnetrc\n")
    netrc.chmod(0o600)
    assert invoke("get", httpserver.url_for("/n"), env={"NETRC": str(netrc)}).code == 0
    assert _auth_of(httpserver) == "Basic " + base64.b64encode(b"nina:fromnetrc").decode()


def test_verbose_redacts_secrets(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/v").respond_with_data("ok", headers={"Set-Cookie": "session=abcdef123"})
    result = invoke(
        "get",
        httpserver.url_for("/v"),
        "-v",
        "--token-env",
        "T",
        "Cookie:sid=cookievalue",
        "X-Api-Key:key12345",
        env={"T": SECRET},
    )
    assert result.code == 0
    assert "Authorization: Bearer REDACTED" in result.stderr
    assert "Cookie: REDACTED" in result.stderr
    assert "X-Api-Key: REDACTED" in result.stderr
    assert "Set-Cookie: session=REDACTED" in result.stderr
    for secret in (SECRET, "cookievalue", "key12345", "abcdef123"):
        assert secret not in result.stderr


def test_error_messages_redact_secret_query_values(invoke: Invoke, unused_port: int) -> None:
    result = invoke(
        "get",
        f"http://127.0.0.1:{unused_port}/x",
        "--api-key-env",
        "K",
        "--api-key-query",
        "key",
        "--retries",
        "0",
        env={"K": SECRET},
    )
    assert result.code == 7
    assert SECRET not in result.stderr


def test_cross_origin_redirect_strips_every_credential(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke
) -> None:
    second_server.expect_request("/landing").respond_with_data("elsewhere")
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": second_server.url_for("/landing")}
    )
    result = invoke(
        "get",
        httpserver.url_for("/start"),
        "--token-env",
        "T",
        "Cookie:sid=c00kie",
        "X-Api-Key:k3y-value",
        "Proxy-Authorization:Basic eA==",
        env={"T": SECRET},
    )
    assert (result.code, result.stdout) == (0, b"elsewhere")
    first = httpserver.log[-1][0].headers
    assert first["Authorization"] == f"Bearer {SECRET}" and first["Cookie"] == "sid=c00kie"
    landed = second_server.log[-1][0]
    for name in ("Authorization", "Cookie", "Proxy-Authorization"):
        assert name not in landed.headers, name
    assert "k3y-value" not in str(landed.headers)


def test_cross_origin_redirect_strips_api_key_query(
    httpserver: HTTPServer, second_server: HTTPServer, invoke: Invoke
) -> None:
    second_server.expect_request("/landing").respond_with_data("elsewhere")
    httpserver.expect_request("/start").respond_with_data(
        "", status=307, headers={"Location": second_server.url_for("/landing")}
    )
    result = invoke(
        "get", httpserver.url_for("/start"), "--api-key-env", "K", "--api-key-query", "key", env={"K": SECRET}
    )
    assert result.code == 0
    assert httpserver.log[-1][0].args["key"] == SECRET
    assert "key" not in second_server.log[-1][0].args


def test_same_origin_redirect_keeps_credentials(httpserver: HTTPServer, invoke: Invoke) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("ok")
    assert invoke("get", httpserver.url_for("/a"), "--token-env", "T", env={"T": SECRET}).code == 0
    assert _auth_of(httpserver) == f"Bearer {SECRET}"
