"""End-to-end: --curl and --dry-run show the request, send nothing, and redact secrets unless asked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from apicli import __version__
from tests.conftest import Invoke

SECRET = "tok-77aa19c3"
ENV = {"T": SECRET, "K": "key-55b2e0"}
SHOWN_HEADERS = ("Authorization", "User-Agent", "Accept", "X-Trace", "X-API-Key", "Cookie")


def _echo(request: Request) -> Response:
    """What the server saw, minus what legitimately differs between clients (encodings, boundaries)."""
    payload: dict[str, object] = {
        "method": request.method,
        "path": request.path,
        "query": sorted(request.args.items(multi=True)),
        "headers": {name: request.headers.get(name) for name in SHOWN_HEADERS},
        "type": request.mimetype,
    }
    if request.mimetype == "multipart/form-data":
        payload["form"] = sorted(request.form.items(multi=True))
        payload["files"] = sorted((key, f.filename, f.read().decode()) for key, f in request.files.items(multi=True))
    else:
        payload["body"] = request.get_data(as_text=True)
    return Response(json.dumps(payload), content_type="application/json")


@pytest.fixture
def echo_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/echo").respond_with_handler(_echo)
    return httpserver.url_for("/echo")


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    path = tmp_path / "notes; v2.txt"  # a ; must be quoted inside curl's -F
    path.write_text("line one\nline two\n")
    return path


def _curl_cases(url: str, upload: Path) -> list[tuple[tuple[str, ...], bytes]]:
    data_file = upload.parent / "payload.txt"
    data_file.write_text("raw body\nwith two lines\n")
    return [
        (("get", url, "q==a b", "X-Trace:t1", "--token-env", "T"), b""),
        (("post", url, "name=ann", "age:=31", "--api-key-env", "K", "--api-key-query", "api_key"), b""),
        (("put", url, "--data", f"@{data_file}", "X-API-Key:inline-k"), b""),
        (("post", url, "--form", "a=1", "b=x y&z"), b""),
        (("post", url, "note=<not a file, for curl -F", f"file@{upload}"), b""),
        (("patch", url, "--data", "@-", "Cookie:sid=c00kie"), b"@literal, not a file"),
        (("delete", url, "-u", "ann:pw-123", "Accept:"), b""),
        (("request", "OPTIONS", url, "--api-key-env", "K"), b""),
    ]


def _without_proxies() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}


def test_printed_curl_command_gets_the_same_response(
    httpserver: HTTPServer, echo_url: str, invoke: Invoke, upload: Path
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    for args, stdin in _curl_cases(echo_url, upload):
        direct = invoke(*args, stdin=stdin, env=ENV)
        assert direct.code == 0, (args, direct.stderr)
        before = len(httpserver.log)
        shown = invoke(*args, "--curl", "--show-secrets", stdin=stdin, env=ENV)
        assert (shown.code, shown.stderr) == (0, ""), args
        assert len(httpserver.log) == before  # --curl sends nothing
        command = shown.text
        assert command.startswith("curl ") and command.endswith("\n") and command.count("\n") == 1
        replay = subprocess.run(
            ["bash", "-c", command], input=stdin, capture_output=True, timeout=20, env=_without_proxies()
        )
        assert replay.returncode == 0, (command, replay.stderr)
        assert json.loads(replay.stdout) == json.loads(direct.stdout), command


def test_curl_redacts_secrets_unless_asked(echo_url: str, invoke: Invoke) -> None:
    args = ("post", echo_url, "name=ann", "--token-env", "T", "Cookie:sid=c00kie", "-q", "api_key=k-9", "--curl")
    result = invoke(*args, env=ENV)
    assert result.code == 0
    assert result.text == (
        f"curl -sS '{echo_url}?api_key=REDACTED' -H 'User-Agent: apicli/{__version__}' "
        "-H 'Accept: application/json, */*;q=0.5' -H 'Content-Type: application/json' -H 'Cookie: REDACTED' "
        "-H 'Authorization: Bearer REDACTED' --data-binary '{\"name\": \"ann\"}' -L --max-redirs 30\n"
    )
    assert result.stderr == "apicli: secrets are shown as REDACTED; add --show-secrets to include them\n"
    basic = invoke("get", echo_url, "-u", "ann:pw-123", "--curl")
    assert " -u ann:REDACTED " in basic.text and "pw-123" not in basic.text
    shown = invoke(*args, "--show-secrets", env=ENV)
    assert SECRET in shown.text and "c00kie" in shown.text and "api_key=k-9" in shown.text
    assert shown.stderr == ""


def test_curl_network_and_output_flags(echo_url: str, invoke: Invoke, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))  # --cacert must hold PEM certificates: it is checked before use
    result = invoke(
        "get", echo_url, "--curl", "--max-time", "5", "--connect-timeout", "2", "--no-follow", "--retries", "2",
        "-o", str(tmp_path / "out.json"), "--cacert", str(ca),
    )  # fmt: skip
    assert result.code == 0
    assert result.text.endswith(
        f" --max-time 5 --connect-timeout 2 --cacert {ca} --retry 2 -o {tmp_path / 'out.json'}\n"
    )
    assert " -L " not in result.text
    insecure = invoke("head", echo_url, "--curl", "-k", "--max-redirects", "3", "--retries", "0")
    assert insecure.text.startswith(f"curl -sS --head {echo_url} ")
    assert insecure.text.endswith(" -L --max-redirs 3 -k\n")
    binary = invoke("post", echo_url, "--data", "@-", "--curl", stdin=b"\x00\x01binary")
    assert "--data-binary @-" in binary.text
    assert "pipe it into curl" in binary.stderr


def test_dry_run_prints_the_request_and_sends_nothing(httpserver: HTTPServer, echo_url: str, invoke: Invoke) -> None:
    result = invoke("post", echo_url, "page==2", "name=ann", "X-Trace:t1", "--token-env", "T", "--dry-run", env=ENV)
    assert result.code == 0
    head, _, body = result.text.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == f"POST {echo_url}?page=2"
    assert f"User-Agent: apicli/{__version__}" in lines
    assert "Content-Type: application/json" in lines and "Content-Length: 15" in lines
    assert "X-Trace: t1" in lines and "Authorization: Bearer REDACTED" in lines
    assert body == '{"name": "ann"}\n'
    assert SECRET not in result.text
    assert httpserver.log == []
    plain = invoke("get", echo_url, "--dry-run")
    assert "\n\n" not in plain.text and plain.stderr == ""  # no body, nothing redacted
    shown = invoke("get", echo_url, "--token-env", "T", "--dry-run", "--show-secrets", env=ENV)
    assert f"Authorization: Bearer {SECRET}" in shown.text.splitlines()


def test_dry_run_summarises_a_binary_body(echo_url: str, invoke: Invoke) -> None:
    result = invoke("put", echo_url, "--data", "@-", "--dry-run", stdin=b"\xff\xfe\x00\x01")
    assert result.text.endswith("\n\n(4 bytes of binary data)\n")


def test_preview_uses_the_profile(echo_url: str, invoke: Invoke, tmp_path: Path, httpserver: HTTPServer) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.api]\nbase_url = "{httpserver.url_for("/")}"\n'
        'auth = { type = "bearer", token_env = "T" }\nheaders = { X-Trace = "from-profile" }\n'
    )
    config.chmod(0o600)
    result = invoke("get", "/echo", "-P", "api", "--curl", env=ENV | {"APICLI_CONFIG": str(config)})
    assert result.text.startswith(f"curl -sS {echo_url} ")
    assert "-H 'X-Trace: from-profile'" in result.text and "-H 'Authorization: Bearer REDACTED'" in result.text


def test_preview_sends_nothing_for_paginate_and_download(
    httpserver: HTTPServer, echo_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    paged = invoke("paginate", echo_url, "--dry-run")
    assert (paged.code, paged.text.splitlines()[0]) == (0, f"GET {echo_url}")
    fetched = invoke("download", echo_url, "-d", str(tmp_path / "dl"), "--curl")
    assert fetched.code == 0 and fetched.text.startswith(f"curl -sS {echo_url} ")
    assert httpserver.log == []
    assert not (tmp_path / "dl").exists() or not any((tmp_path / "dl").iterdir())


def test_curl_and_dry_run_cannot_be_combined(echo_url: str, invoke: Invoke) -> None:
    result = invoke("get", echo_url, "--curl", "--dry-run")
    assert result.code == 2
    assert result.stderr == "apicli: --curl and --dry-run cannot be combined\n"


def test_an_empty_header_is_shown_and_previewed_apart_from_a_removed_one(invoke: Invoke) -> None:
    url = "http://127.0.0.1:9/x"
    dry = invoke("get", url, "X-Empty;", "Accept:", "--dry-run")
    assert dry.code == 0 and dry.stderr == ""
    lines = dry.stdout.decode().splitlines()
    assert "X-Empty: " in lines and not any(line.startswith("Accept:") for line in lines)
    curl = invoke("get", url, "X-Empty;", "Accept:", "--curl")
    assert curl.code == 0
    # curl's own spelling: 'Name;' sends an empty header, 'Name:' removes one.
    assert " -H 'X-Empty;' " in curl.stdout.decode() and " -H Accept: " in curl.stdout.decode()
