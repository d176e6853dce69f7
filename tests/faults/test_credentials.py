"""Every kind of credential through the same checks: it stays on its origin, and never reaches stderr.

The kinds are the rows of CREDENTIALS (credential_kinds.py), from a bearer flag to a digest
login, an OAuth2 token, a cookie jar and a proxy's password. Each leak check asserts on what
actually arrived at the *other* server (its recorded requests: headers, request target and
body), with a positive control that the credential did reach the party it belongs to: its
origin, or for a proxy's password the proxy. The second origin is the same host on another
port: browsers and curl treat that as another origin, and so must apicli. Single cases that
concern one kind or one message are in test_credential_cases.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, Reply, json_reply, redirect
from tests.faults.credential_kinds import CREDENTIALS, EchoesCredentials, Rig

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                   "no_proxy")  # fmt: skip
KINDS = list(CREDENTIALS)


@pytest.fixture
def rig(
    request: pytest.FixtureRequest, fault_server: FaultServer, other_fault_server: FaultServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Rig]:  # fmt: skip
    """The kind of credential named by the test's parameter, with its handshake set up."""
    for name in PROXY_VARIABLES:  # only --proxy may send anything through a proxy
        monkeypatch.delenv(name, raising=False)
    made = Rig(request.param, fault_server, other_fault_server, tmp_path)
    yield made
    made.close()


def _next_link(url: str) -> list[tuple[str, str]]:
    return [("Link", f'<{url}>; rel="next"')]


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
@pytest.mark.parametrize("rig", KINDS, indirect=True)
def test_cross_origin_redirect_drops_every_credential(rig: Rig, invoke: Invoke, status: int) -> None:
    rig.serve("/start", redirect(rig.other.url("/landing"), status=status))
    rig.serve_other("/landing", json_reply({"landed": True}))

    result = invoke("get", rig.origin.url("/start"), *rig.args, env=rig.env)

    assert (result.code, result.stdout) == (0, b'{"landed": true}'), result.stderr
    rig.assert_reached("/start")
    rig.assert_no_leak()


# Proxy-Authorization is for a proxy; without one, requests rightly drops it on any redirect.
@pytest.mark.parametrize("rig", [kind for kind in KINDS if kind != "proxy-authorization-item"], indirect=True)
def test_same_origin_redirect_keeps_the_credential(rig: Rig, invoke: Invoke) -> None:
    rig.serve("/a", redirect("/b"))
    rig.serve("/b", json_reply({"ok": True}))

    result = invoke("get", rig.origin.url("/a"), *rig.args, env=rig.env)

    assert (result.code, result.stdout) == (0, b'{"ok": true}'), result.stderr
    rig.assert_reached("/a")
    rig.assert_reached("/b")


# -- redaction --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rig", KINDS, indirect=True)
def test_verbose_output_redacts_every_credential(rig: Rig, invoke: Invoke) -> None:
    rig.serve("/me", redirect("/me2"))
    rig.serve("/me2", json_reply({"ok": True}))

    result = invoke("get", rig.origin.url("/me"), "-v", "-i", *rig.args, env=rig.env)

    assert (result.code, result.stdout) == (0, b'{"ok": true}'), result.stderr
    rig.assert_reached("/me")
    if "-v" in rig.handshake.shown_in:
        assert "REDACTED" in result.stderr
    else:  # the request was shown, with nothing of the credential in it
        assert f"> GET {rig.origin.url('/me')}\n" in result.stderr
    assert rig.shows(result.stderr) == []


@pytest.mark.parametrize("rig", KINDS, indirect=True)
def test_a_secret_echoed_in_an_error_body_is_redacted(rig: Rig, invoke: Invoke) -> None:
    rig.serve("/me", EchoesCredentials())

    result = invoke("get", rig.origin.url("/me"), *rig.args, env=rig.env)

    assert (result.code, result.stdout) == (4, b"")
    rig.assert_reached("/me")
    assert "invalid credentials" in result.stderr
    assert rig.shows(result.stderr) == []


@pytest.mark.parametrize("preview", ["--curl", "--dry-run"])
@pytest.mark.parametrize("rig", KINDS, indirect=True)
def test_previews_redact_every_credential_and_send_nothing(rig: Rig, invoke: Invoke, preview: str) -> None:
    result = invoke("post", rig.origin.url("/x"), "a=1", preview, *rig.args, env=rig.env)

    assert result.code == 0, result.stderr
    shown = result.stdout.decode() + result.stderr
    if preview in rig.handshake.shown_in:
        assert "REDACTED" in shown
    else:  # the request as it would be sent first, with no place for this credential
        assert shown.startswith(f"POST {rig.origin.url('/x')}\n")
    assert rig.shows(shown) == []
    assert rig.sent_nothing()


# -- pagination and downloads -----------------------------------------------------------------------


@pytest.mark.parametrize("rig", KINDS, indirect=True)
def test_paginate_follows_a_cross_origin_next_link_without_credentials(rig: Rig, invoke: Invoke) -> None:
    rig.serve("/items", json_reply([1, 2], headers=_next_link(rig.other.url("/more?page=2"))))
    rig.serve_other("/more", json_reply([3]))

    result = invoke("paginate", rig.origin.url("/items"), "--allow-cross-origin", *rig.args, env=rig.env)

    assert (result.code, result.stdout) == (0, b"1\n2\n3\n"), result.stderr
    rig.assert_reached("/items")
    rig.assert_no_leak()


# download takes URLs, not request items: headers come with -H.
@pytest.mark.parametrize(
    "rig", [kind for kind in KINDS if "item" not in kind and kind != "custom-token-header"], indirect=True
)
def test_download_redirected_to_another_origin_carries_nothing(rig: Rig, invoke: Invoke, tmp_path: Path) -> None:
    rig.serve("/file.bin", redirect(rig.other.url("/cdn/file.bin"), status=302))
    rig.serve_other("/cdn/file.bin", Reply(200, {"Content-Type": "application/octet-stream"}, b"data"))
    out = tmp_path / "out"

    result = invoke("download", rig.origin.url("/file.bin"), "-d", str(out), *rig.args, env=rig.env)

    assert result.code == 0, result.stderr
    assert (out / "file.bin").read_bytes() == b"data"
    rig.assert_reached("/file.bin")
    rig.assert_no_leak()
