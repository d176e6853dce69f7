"""Pagination across origins: without a credential a next link elsewhere is followed, with a note.

``:PORT`` means localhost, and the fault server's next links name 127.0.0.1: two spellings of
loopback that are still two origins.
"""

from __future__ import annotations

import pytest

from tests.conftest import Invoke
from tests.faults import FaultServer, json_reply


def _pages(server: FaultServer, count: int = 3) -> None:
    for number in range(1, count + 1):
        following = {"next": server.url(f"/pages/{number + 1}.json")} if number < count else {}
        server.script(f"/pages/{number}.json", json_reply({"items": [number], **following}))


def test_localhost_pages_whose_next_links_name_127_0_0_1_are_all_fetched(
    fault_server: FaultServer, invoke: Invoke
) -> None:
    _pages(fault_server)

    result = invoke("paginate", f":{fault_server.port}/pages/1.json")

    assert (result.code, result.stdout) == (0, b"1\n2\n3\n"), result.stderr
    # One note for the new origin, however many pages follow on it.
    assert result.stderr == (
        f"apicli: paginate: following next links to another origin, {fault_server.url('/pages/2.json')} "
        f"(started at http://localhost:{fault_server.port}/pages/1.json)\n"
    )


def test_quiet_follows_without_the_note(fault_server: FaultServer, invoke: Invoke) -> None:
    _pages(fault_server)

    result = invoke("paginate", f":{fault_server.port}/pages/1.json", "-s")

    assert (result.code, result.stdout, result.stderr) == (0, b"1\n2\n3\n", "")


@pytest.mark.parametrize(
    "credential",
    [
        ("--token-env", "PAGES_TOKEN"),
        ("Authorization:Bearer s3cr3t-value",),
        ("X-Api-Key:s3cr3t-value",),
        ("token==s3cr3t-value",),
    ],
    ids=["token", "authorization-header", "api-key-header", "secret-query"],
)
def test_with_a_credential_in_play_the_other_spelling_is_refused(
    fault_server: FaultServer, invoke: Invoke, credential: tuple[str, ...]
) -> None:
    _pages(fault_server)

    result = invoke("paginate", f":{fault_server.port}/pages/1.json", *credential, env={"PAGES_TOKEN": "s3cr3t-value"})

    assert (result.code, result.stdout) == (1, b"1\n"), result.stderr
    assert result.stderr.startswith(
        f"apicli: page 1: the next link {fault_server.url('/pages/2.json')} is on another origin than "
        f"http://localhost:{fault_server.port}/pages/1.json; not followed"
    )
    assert "hint: pass --allow-cross-origin" in result.stderr
    assert "s3cr3t" not in result.stderr
    assert [request.path for request in fault_server.requests] == ["/pages/1.json"]


def test_allow_cross_origin_follows_without_the_credential(fault_server: FaultServer, invoke: Invoke) -> None:
    _pages(fault_server)

    result = invoke(
        "paginate", f":{fault_server.port}/pages/1.json", "--token-env", "PAGES_TOKEN", "--allow-cross-origin",
        env={"PAGES_TOKEN": "s3cr3t-value"},
    )  # fmt: skip

    assert (result.code, result.stdout, result.stderr) == (0, b"1\n2\n3\n", "")
    first, *rest = fault_server.requests
    assert first.headers["Authorization"] == "Bearer s3cr3t-value"
    assert rest and all("Authorization" not in request.headers for request in rest)
