"""Failures after a redirect name the URL that failed; a Location that cannot be followed is a clear exit 3.

With -v every hop is shown as it happens, so the hop that led to a failure is on stderr too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.transport.redirects import check_location
from tests.conftest import Invoke
from tests.faults import FaultServer, SilentListener, redirect

ONCE = ("--retries", "0")


def test_a_redirect_to_a_refused_port_names_the_target_and_the_redirect(
    fault_server: FaultServer, refused_url: str, invoke: Invoke
) -> None:
    fault_server.script("/start", redirect(refused_url + "gone"))
    start = fault_server.url("/start")

    result = invoke("get", start, *ONCE)

    assert (result.code, result.stdout) == (7, b"")
    assert result.stderr.splitlines() == [
        f"apicli: connection refused ({refused_url}gone), reached by a redirect from {start}",
        "hint: check the host and port, and that the server is up",
    ]


def test_verbose_shows_the_hop_before_the_failure(fault_server: FaultServer, refused_url: str, invoke: Invoke) -> None:
    fault_server.script("/start", redirect(refused_url + "gone"))

    result = invoke("get", fault_server.url("/start"), "-v", "--retries", "1", "--backoff", "0")

    lines = result.stderr.splitlines()
    hop = lines.index(f"< 302 Found -> {refused_url}gone")
    where = refused_url.removeprefix("http://").rstrip("/")
    retry = lines.index(f"apicli: connection refused by {where}; retry 1 of 1 in 0 s")
    final = f"apicli: connection refused ({refused_url}gone), reached by a redirect from {fault_server.url('/start')}"
    assert hop < retry < lines.index(final + ", after 2 attempts")
    assert result.code == 7


def test_a_timeout_after_two_redirects_names_the_slow_target(
    fault_server: FaultServer, silent_server: SilentListener, invoke: Invoke
) -> None:
    fault_server.script("/a", redirect("/b"))
    fault_server.script("/b", redirect(silent_server.url("/slow")))
    start = fault_server.url("/a")

    result = invoke("get", start, "--timeout", "0.2", *ONCE)

    assert (result.code, result.stdout) == (8, b"")
    assert result.stderr.splitlines()[0] == (
        f"apicli: no data from {silent_server.url('/slow')} within 0.2s, reached by 2 redirects from {start}"
    )


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("http://[::1", "its Location 'http://[::1' is not a valid URL"),
        ("http://127.0.0.1:99999/x", "its Location 'http://127.0.0.1:99999/x' is not a valid URL"),
        ("", "its Location header is empty"),
        ("   ", "its Location header is empty"),
        ("javascript:alert(1)", "its Location 'javascript:alert(1)' is not an http or https URL"),
        ("ftp://127.0.0.1/file", "its Location 'ftp://127.0.0.1/file' is not an http or https URL"),
        ("http://127.0.0.1 x/", "its Location 'http://127.0.0.1 x/' is not a valid URL"),
        ("http://", "its Location 'http://' names no host"),
        ("//", "its Location '//' names no host"),
        ("https://:8443/x", "its Location 'https://:8443/x' names no host"),
    ],
)
def test_a_location_that_cannot_be_followed_is_exit_3_in_one_clean_line(
    fault_server: FaultServer, invoke: Invoke, location: str, problem: str
) -> None:
    fault_server.script("/moved", redirect(location))
    url = fault_server.url("/moved")

    result = invoke("get", url)

    assert (result.code, result.stdout) == (3, b"")
    first, hint = result.stderr.splitlines()
    assert first == f"apicli: HTTP 302 Found (GET {url}) cannot be followed: {problem}"
    assert hint.startswith("hint: ") and "drop --no-follow" not in hint
    assert len(fault_server.requests) == 1


def test_a_redirect_status_without_location_is_exit_3_without_a_no_follow_hint(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/moved", redirect("/x", status=302).__class__(302))
    url = fault_server.url("/moved")

    result = invoke("get", url)

    assert (result.code, result.stdout) == (3, b"")
    assert (
        result.stderr.splitlines()[0]
        == f"apicli: HTTP 302 Found (GET {url}) cannot be followed: it has no Location header"
    )
    assert "--no-follow" not in result.stderr


def test_no_follow_still_reports_a_malformed_location_as_not_followed(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    fault_server.script("/moved", redirect("http://[::1"))
    url = fault_server.url("/moved")

    result = invoke("get", url, "--no-follow")

    assert (result.code, result.stdout) == (3, b"")
    assert result.stderr.splitlines() == [
        f"apicli: HTTP 302 Found (GET {url}), redirect not followed: Location: http://[::1",
        "hint: following would not work either: its Location 'http://[::1' is not a valid URL; "
        "--ignore-status exits 0 with the response",
    ]


@settings(max_examples=300)
@given(st.text(max_size=60), st.sampled_from(["http://127.0.0.1:8080/a/b?q=1", "https://127.0.0.1/"]))
def test_check_location_refuses_or_gives_an_http_url_with_a_host(location: str, base: str) -> None:
    problem, target = check_location(location, base)
    if problem is None:
        parts = urlsplit(target)
        assert parts.scheme in ("http", "https") and parts.hostname
    else:
        assert problem.startswith("its Location")


@given(st.sampled_from(["http:", "https:", "//", "http://", "https://"]), st.sampled_from(["", ":80", "@", ":"]))
def test_an_authority_with_no_host_is_never_joined_back_onto_the_base(prefix: str, authority: str) -> None:
    location = prefix + ("" if prefix.endswith(":") else authority)
    problem, _target = check_location(location, "http://127.0.0.1:8080/moved")
    assert problem is not None and problem.endswith("names no host")
