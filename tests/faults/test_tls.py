"""TLS end to end: a real HTTPS server on loopback, trusted only through a throwaway CA.

Verification is on by default; --cacert and --insecure are the two ways past it, and they win
over the CA-bundle environment variables requests otherwise prefers. An https -> http
redirect is refused unless --allow-insecure-redirect, and even then carries no credentials.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from apicli.transport.session import tls_hint
from tests.conftest import Invoke
from tests.faults import FaultServer, RangeFile, Reply, ResetMidBody, StallAfterHeaders, json_reply, redirect

SECRET = "tls-s3cret-71d0"
BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def no_bundle_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification against the system store only, whatever this machine's environment says."""
    for name in BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def stranger_ca_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that did not sign the server's certificate."""
    path = tmp_path_factory.mktemp("stranger") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def assert_verification_failure(stderr: str, url: str) -> None:
    first, *rest = stderr.splitlines()
    assert first.startswith(f"apicli: TLS failure talking to {url}: "), stderr
    assert "CERTIFICATE_VERIFY_FAILED" in first
    assert rest == ["hint: pass --cacert FILE to trust a private CA, or --insecure to skip verification"]


@pytest.mark.usefixtures("no_bundle_env")
def test_verification_is_on_by_default(tls_fault_server: FaultServer, invoke: Invoke) -> None:
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    result = invoke("get", tls_fault_server.url("/secure"), "--retries", "0")

    assert result.code == 7
    assert result.stdout == b""
    assert_verification_failure(result.stderr, tls_fault_server.url("/secure"))
    assert tls_fault_server.requests == []  # the handshake failed: no request was sent


def test_verification_failure_with_a_system_bundle_in_the_environment(
    tls_fault_server: FaultServer, invoke: Invoke
) -> None:
    tls_fault_server.script("/secure", json_reply({}))

    result = invoke("get", tls_fault_server.url("/secure"), "--retries", "0", env={"REQUESTS_CA_BUNDLE": ""})

    assert result.code == 7
    assert_verification_failure(result.stderr, tls_fault_server.url("/secure"))


@pytest.mark.usefixtures("no_bundle_env")
def test_cacert_trusts_the_private_ca(tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path) -> None:
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    result = invoke("get", tls_fault_server.url("/secure"), "--cacert", str(fault_ca_pem))

    assert (result.code, result.stdout, result.stderr) == (0, b'{"tls": true}', "")


@pytest.mark.usefixtures("no_bundle_env")
def test_cacert_of_another_ca_still_fails(tls_fault_server: FaultServer, invoke: Invoke, stranger_ca_pem: Path) -> None:
    tls_fault_server.script("/secure", json_reply({}))

    result = invoke("get", tls_fault_server.url("/secure"), "--cacert", str(stranger_ca_pem), "--retries", "0")

    assert result.code == 7
    assert_verification_failure(result.stderr, tls_fault_server.url("/secure"))


@pytest.mark.usefixtures("no_bundle_env")
def test_insecure_skips_verification_quietly(tls_fault_server: FaultServer, invoke: Invoke) -> None:
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    result = invoke("get", tls_fault_server.url("/secure"), "--insecure")

    # No InsecureRequestWarning block on stderr: the user asked for this.
    assert (result.code, result.stdout, result.stderr) == (0, b'{"tls": true}', "")


@pytest.mark.parametrize("variable", BUNDLE_VARIABLES)
@pytest.mark.parametrize("flag", ["--cacert", "--insecure"])
def test_flags_win_over_a_ca_bundle_in_the_environment(
    tls_fault_server: FaultServer,
    invoke: Invoke,
    fault_ca_pem: Path,
    stranger_ca_pem: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    flag: str,
) -> None:
    for name in BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    tls_fault_server.script("/secure", json_reply({"tls": True}))
    args = ("--cacert", str(fault_ca_pem)) if flag == "--cacert" else ("--insecure",)

    result = invoke("get", tls_fault_server.url("/secure"), *args, env={variable: str(stranger_ca_pem)})

    assert (result.code, result.stdout) == (0, b'{"tls": true}'), result.stderr


@pytest.mark.parametrize("variable", BUNDLE_VARIABLES)
def test_a_ca_bundle_in_the_environment_is_honoured_without_flags(
    tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    result = invoke("get", tls_fault_server.url("/secure"), env={variable: str(fault_ca_pem)})

    assert (result.code, result.stdout) == (0, b'{"tls": true}'), result.stderr


def test_https_to_http_redirect_is_refused(
    tls_fault_server: FaultServer, fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path
) -> None:
    tls_fault_server.script("/down", redirect(fault_server.url("/plain")))
    fault_server.script("/plain", json_reply({"plain": True}))

    result = invoke(
        "get", tls_fault_server.url("/down"), "--cacert", str(fault_ca_pem), "--token-env", "T", env={"T": SECRET}
    )

    assert result.code == 1
    assert result.stdout == b""
    assert result.stderr.startswith(
        f"apicli: refusing to follow a redirect from https to http ({fault_server.url('/plain')})"
    )
    assert "hint: pass --allow-insecure-redirect" in result.stderr
    assert fault_server.requests == []
    assert tls_fault_server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    "credential",
    [
        ("--token-env", "T"),
        ("-u", f"ann:{SECRET}"),
        ("--api-key-env", "T", "--api-key-query", "key"),
        ("--api-key-env", "T"),
        (f"Cookie:sid={SECRET}",),
    ],
    ids=["bearer", "basic", "api-key-query", "api-key-header", "cookie"],
)
def test_allowed_insecure_redirect_carries_no_credentials(
    tls_fault_server: FaultServer,
    fault_server: FaultServer,
    invoke: Invoke,
    fault_ca_pem: Path,
    credential: tuple[str, ...],
) -> None:
    tls_fault_server.script("/down", redirect(fault_server.url("/plain"), status=307))
    fault_server.script("/plain", json_reply({"plain": True}))

    result = invoke(
        "get", tls_fault_server.url("/down"), "--cacert", str(fault_ca_pem), "--allow-insecure-redirect",
        *credential, env={"T": SECRET},
    )  # fmt: skip

    assert (result.code, result.stdout) == (0, b'{"plain": true}'), result.stderr
    [landed] = fault_server.requests
    assert SECRET not in str(landed.headers.pairs()) + landed.target
    assert not {"authorization", "cookie", "x-api-key"} & set(landed.headers)


def test_same_host_http_to_https_upgrade_is_another_origin(
    fault_server: FaultServer, tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path
) -> None:
    # The upgrade direction is allowed, but the scheme is part of the origin: no credentials.
    fault_server.script("/up", redirect(tls_fault_server.url("/secure"), status=301))
    tls_fault_server.script("/secure", json_reply({"tls": True}))

    result = invoke(
        "get", fault_server.url("/up"), "--cacert", str(fault_ca_pem), "--token-env", "T", env={"T": SECRET}
    )

    assert (result.code, result.stdout) == (0, b'{"tls": true}'), result.stderr
    assert "authorization" not in tls_fault_server.requests[0].headers


def test_reset_mid_body_over_tls_is_exit_7(tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path) -> None:
    tls_fault_server.script("/reset", ResetMidBody(Reply(200, body=b"x" * 5000), after=100))

    result = invoke("get", tls_fault_server.url("/reset"), "--cacert", str(fault_ca_pem))

    assert result.code == 7, result.stderr
    assert result.stderr.startswith("apicli: ")
    assert "Traceback" not in result.stderr
    assert len(tls_fault_server.requests) == 1


def test_stall_over_tls_is_bounded_by_max_time(
    tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path
) -> None:
    import time

    tls_fault_server.script("/stall", StallAfterHeaders(Reply(200, body=b"late"), seconds=10))
    started = time.monotonic()

    result = invoke("get", tls_fault_server.url("/stall"), "--cacert", str(fault_ca_pem), "--max-time", "0.5")

    assert result.code == 8, result.stderr
    assert time.monotonic() - started < 1.5


def test_https_to_a_plain_http_server_is_a_clear_tls_failure(invoke: Invoke) -> None:
    # A plain HTTP server answers a TLS hello with a plain-text 400, as real ones do.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/x"

        def answer_in_plain_text() -> None:
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                with connection:
                    connection.recv(4096)
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        thread = threading.Thread(target=answer_in_plain_text, daemon=True)
        thread.start()
        result = invoke("get", url, "--retries", "0", "--timeout", "2")
        thread.join(timeout=5)

    # --insecure cannot help a port that does not speak TLS: the hint names the http:// URL instead.
    assert result.code == 7, result.stderr
    assert result.stdout == b""
    assert result.stderr == (
        f"apicli: TLS failure talking to {url}: the server answered in plain HTTP, not TLS\n"
        f"hint: write {url.replace('https://', 'http://')} to talk to it over HTTP\n"
    )


def test_plain_http_to_a_tls_server_fails_cleanly(tls_fault_server: FaultServer, invoke: Invoke) -> None:
    url = tls_fault_server.url("/x").replace("https://", "http://")

    result = invoke("get", url, "--retries", "0", "--timeout", "2")

    assert result.code == 7, result.stderr
    assert result.stderr.startswith("apicli: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["paginate", "download"])
@pytest.mark.parametrize("flag", ["--cacert", "--insecure"])
def test_paginate_and_download_honour_the_tls_flags_too(
    tls_fault_server: FaultServer,
    invoke: Invoke,
    fault_ca_pem: Path,
    stranger_ca_pem: Path,
    tmp_path: Path,
    command: str,
    flag: str,
) -> None:
    tls_fault_server.script("/items.json", json_reply([1, 2]))
    args = ("--cacert", str(fault_ca_pem)) if flag == "--cacert" else ("--insecure",)
    where = ("-d", str(tmp_path)) if command == "download" else ()

    refused = invoke(command, tls_fault_server.url("/items.json"), *where, "--retries", "0")
    result = invoke(
        command, tls_fault_server.url("/items.json"), *where, *args, env={"REQUESTS_CA_BUNDLE": str(stranger_ca_pem)}
    )

    assert refused.code == 7 and "--cacert" in refused.stderr
    assert result.code == 0, result.stderr
    if command == "paginate":
        assert result.stdout == b"1\n2\n"
    else:
        assert (tmp_path / "items.json").read_bytes() == b"[1, 2]"


@pytest.mark.usefixtures("no_bundle_env")
def test_a_download_cut_mid_body_over_tls_resumes_and_verifies(
    tls_fault_server: FaultServer, invoke: Invoke, fault_ca_pem: Path, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 1200  # 300 KiB: several reads through the TLS layer
    tls_fault_server.script("/big.bin", [RangeFile(payload, cut_after=70_000), RangeFile(payload)])
    url = tls_fault_server.url("/big.bin")
    digest = hashlib.sha256(payload).hexdigest()

    result = invoke("download", url, "-d", str(tmp_path), "--cacert", str(fault_ca_pem), "--backoff", "0",
                    "--sha256", digest)

    assert result.code == 0, result.stderr
    assert (tmp_path / "big.bin").read_bytes() == payload
    assert sorted(path.name for path in tmp_path.iterdir()) == ["big.bin"]
    assert [request.headers.get("Range") for request in tls_fault_server.requests] == [None, "bytes=70000-"]


@pytest.fixture
def client_auth_server(fault_ca: trustme.CA) -> Iterator[FaultServer]:
    """An HTTPS server that requires a client certificate signed by the throwaway CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    fault_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    fault_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    server = FaultServer(tls=context)
    with server:
        yield server


@pytest.fixture(scope="module")
def client_cert_files(fault_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    issued = fault_ca.issue_cert("apicli-client.test")
    folder = tmp_path_factory.mktemp("client-cert")
    files = {name: folder / f"{name}.pem" for name in ("combined", "cert", "key")}
    issued.private_key_and_cert_chain_pem.write_to_path(str(files["combined"]))
    issued.cert_chain_pems[0].write_to_path(str(files["cert"]))
    issued.private_key_pem.write_to_path(str(files["key"]))
    return files


@pytest.mark.usefixtures("no_bundle_env")
def test_client_certificates_open_a_server_that_requires_one(
    client_auth_server: FaultServer, invoke: Invoke, fault_ca_pem: Path, client_cert_files: dict[str, Path]
) -> None:
    client_auth_server.script("/mtls", json_reply({"client": True}))
    url = client_auth_server.url("/mtls")
    trust = ("--cacert", str(fault_ca_pem), "--retries", "0")

    combined = invoke("get", url, *trust, "--cert", str(client_cert_files["combined"]))
    cert, key = str(client_cert_files["cert"]), str(client_cert_files["key"])
    separate = invoke("get", url, *trust, "--cert", cert, "--key", key)
    missing = invoke("get", url, *trust)

    assert (combined.code, combined.stdout, combined.stderr) == (0, b'{"client": true}', "")
    assert (separate.code, separate.stdout, separate.stderr) == (0, b'{"client": true}', "")
    assert (missing.code, missing.stdout) == (7, b"")
    # A TLS 1.3 client learns of the refusal after its handshake: it reads the server's alert, or
    # (when it was still writing its request) an EOF; both hints point at --cert (exact texts below).
    first, hint = missing.stderr.splitlines()
    assert first.startswith(f"apicli: TLS failure talking to {url}: ")
    assert hint.startswith("hint: the server ") and "pass --cert FILE" in hint


@pytest.mark.parametrize(
    ("description", "hint"),
    [
        ("[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)",
         "the server asks for a client certificate: pass --cert FILE (and --key FILE)"),
        ("[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate (_ssl.c:2580)",
         "the server refused the client certificate: check --cert and --key"),
        ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca (_ssl.c:2580)",
         "the server refused the client certificate: check --cert and --key"),
        ("EOF occurred in violation of protocol (_ssl.c:2427)",
         "the server ended the TLS session: if it wants a client certificate, pass --cert FILE"),
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
         "pass --cacert FILE to trust a private CA, or --insecure to skip verification"),
    ],
)
def testtls_hints_follow_who_refused_what(description: str, hint: str) -> None:
    assert tls_hint(description) == hint


@pytest.mark.usefixtures("no_bundle_env")
def test_a_client_certificate_from_another_ca_is_refused(
    client_auth_server: FaultServer, invoke: Invoke, fault_ca_pem: Path, tmp_path: Path
) -> None:
    stranger = trustme.CA().issue_cert("apicli-client.test")
    combined = tmp_path / "stranger.pem"
    stranger.private_key_and_cert_chain_pem.write_to_path(str(combined))
    client_auth_server.script("/mtls", json_reply({"client": True}))

    result = invoke("get", client_auth_server.url("/mtls"), "--cacert", str(fault_ca_pem), "--cert", str(combined))

    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.startswith(f"apicli: TLS failure talking to {client_auth_server.url('/mtls')}: ")
    assert "Traceback" not in result.stderr
