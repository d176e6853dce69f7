"""Text that goes into request headers: one policy, checked on the wire.

Text beyond ASCII is sent as its UTF-8 bytes (what curl and HTTPie send for what was typed),
control characters are refused before anything is sent, naming the flag and never the value.
The fault server decodes the head as Latin-1, so each recorded value's Latin-1 bytes are the
bytes that crossed the wire.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.formats.headertext import HeaderTextError, header_text, shown_text
from tests.faults.behaviours import json_reply
from tests.faults.faultserver import FaultServer
from tests.hostile.harness import assert_clean, run

# (name, extra arguments, environment, header name, the bytes it must carry)
SENT_AS_UTF8 = [
    ("header-item-cjk", ["X-A:日本"], {}, "X-A", "日本".encode()),
    ("header-flag-euro", ["-H", "X-A: 5 €"], {}, "X-A", "5 €".encode()),
    ("header-item-latin-1-range", ["X-A:café"], {}, "X-A", "café".encode()),
    ("token-env", ["--token-env", "T"], {"T": "tok€n"}, "Authorization", "Bearer tok€n".encode()),
    (
        "basic-user",
        ["-u", "usér:pässwörd€"],
        {},
        "Authorization",
        b"Basic " + base64.b64encode("usér:pässwörd€".encode()),
    ),
    ("api-key", ["--api-key-env", "K"], {"K": "k€y"}, "X-API-Key", "k€y".encode()),
]


@pytest.mark.parametrize(("name", "args", "env", "header", "wire"), SENT_AS_UTF8, ids=[r[0] for r in SENT_AS_UTF8])
def test_text_beyond_ascii_is_sent_as_utf8(
    fault_server: FaultServer, name: str, args: list[str], env: dict[str, str], header: str, wire: bytes
) -> None:
    fault_server.script("/h", json_reply({"ok": True}))

    outcome = run(["get", fault_server.url("/h"), *args], env=env)

    assert_clean(outcome, 0)
    assert outcome.stdout.strip() == b'{"ok": true}'
    (request,) = fault_server.requests_for("/h")
    assert request.headers[header].encode("latin-1") == wire


REFUSED = [
    ("header-flag-newline", ["-H", "X-A: a\nb"], {}, "X-A"),
    ("header-item-escape", ["X-A:\x1b]0;t\x07"], {}, "X-A"),
    ("token-env-cr", ["--token-env", "T"], {"T": "ab\rcd"}, "bearer token"),
    ("user-nul", ["-u", "ann:p\x01w"], {}, "-u/--user"),
]


@pytest.mark.parametrize(("name", "args", "env", "named"), REFUSED, ids=[r[0] for r in REFUSED])
def test_control_characters_are_refused_before_sending(
    fault_server: FaultServer, name: str, args: list[str], env: dict[str, str], named: str
) -> None:
    fault_server.script("/h", json_reply({"ok": True}))

    outcome = run(["get", fault_server.url("/h"), *args], env=env)

    assert_clean(outcome, 2, stderr_has=named)
    assert outcome.stdout == b""
    assert fault_server.requests_for("/h") == []


@given(st.text())
def test_header_text_is_the_utf8_bytes_or_a_refusal(text: str) -> None:
    try:
        wire = header_text(text, "--flag")
    except HeaderTextError as exc:
        # The message is fixed text naming the flag: the value (maybe a secret) is never in it.
        assert str(exc) == "--flag: the value holds a control character, which a header cannot carry"
        return
    assert wire.encode("latin-1") == text.encode("utf-8", "surrogateescape")
    assert shown_text(wire) == text or "\udc80" <= max(text) <= "\udcff"
