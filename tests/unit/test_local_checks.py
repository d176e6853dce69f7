"""Local checks and bounded reads: what passes them can go on the wire, what fails names the flag.

Properties compare the header checks with http.client, which puts headers on the wire, and
with RFC 9110's token grammar; the item parser is fuzzed for empty names in every item kind.
"""

from __future__ import annotations

import http.client
import io
import string
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import InvalidURL, ItemError, UsageError
from apicli.formats.headertext import header_text
from apicli.formats.httpsyntax import header_value_problem, is_header_name
from apicli.formats.urls import normalize_url
from apicli.inputs.items import SEPARATORS, parse_items, stdin_reader
from apicli.inputs.local_checks import check_client_certificate, check_header_values
from apicli.inputs.local_input import read_capped
from tests.conftest import Invoke

TCHAR = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)
SECRET = "s3cr3t-value"


def _wire_accepts(name: str, value: str) -> bool:
    """Whether http.client would write this header (it raises before anything is sent otherwise)."""
    conn = http.client.HTTPConnection("127.0.0.1", 9)
    conn.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
    try:
        conn.putheader(name, value)
    except (ValueError, UnicodeEncodeError):
        return False
    return True


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=12))
def test_header_names_are_exactly_rfc_9110_tokens(name: str) -> None:
    assert is_header_name(name) == (name != "" and all(ch in TCHAR for ch in name))
    if is_header_name(name):
        assert _wire_accepts(name, "v")


@settings(max_examples=800, deadline=None)
@given(value=st.text(max_size=20))
def test_a_header_value_that_passes_goes_on_the_wire_and_one_that_fails_is_not_quoted(value: str) -> None:
    full = SECRET + value
    try:
        check_header_values([("X-Key", full)], "-H/--header")
    except UsageError as exc:
        assert header_value_problem(full) is not None
        shown = f"{exc}\n{exc.hint}"
        assert SECRET not in shown and "X-Key" in shown and "-H/--header" in shown
        return
    assert header_value_problem(full) is None
    assert _wire_accepts("X-Key", header_text(full.strip(), "-H/--header"))


@pytest.mark.parametrize("code", [*range(0, 9), *range(10, 32), 127])
def test_every_control_character_but_tab_is_refused(code: int) -> None:
    assert header_value_problem(f"a{chr(code)}b") == "a control character"


def test_tab_latin_1_and_wider_characters_are_allowed() -> None:
    assert header_value_problem("a\tb café") is None
    assert header_value_problem("日本") is None  # sent as UTF-8


_key_text = st.text(alphabet=string.ascii_letters + string.digits + "_-[]. é", max_size=8)
_value_text = st.text(alphabet=string.printable + "é", max_size=10)


@settings(max_examples=500, deadline=None)
@given(key=_key_text, value=_value_text.filter(lambda v: not v.startswith("@") and "\\" not in v))  # ==@ reads a file
def test_query_items_keep_their_name_or_are_refused_when_it_is_empty(key: str, value: str) -> None:
    item = f"{key}=={value}"
    if not key:
        with pytest.raises(ItemError, match="has an empty name"):
            parse_items([item])
        return
    assert parse_items([item]).query == [(key, value)]


@settings(max_examples=300, deadline=None)
@given(separator=st.sampled_from([sep for sep in SEPARATORS if sep != ":"]), value=_value_text)
def test_an_empty_name_is_refused_in_every_item_kind(separator: str, value: str) -> None:
    with pytest.raises(ItemError) as caught:
        parse_items([f"{separator}{value}"], stdin_reader(io.BytesIO(b"{}")))
    assert "has an empty name" in str(caught.value)
    assert caught.value.hint


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=8), value=st.text(max_size=12))
def test_header_items_that_pass_the_local_checks_go_on_the_wire(name: str, value: str) -> None:
    try:
        parsed = parse_items([f"{name.replace(':', '')}:{value}"])
        check_header_values(parsed.headers, "the Name:Value item")
    except UsageError:
        return
    for header, text in parsed.headers:
        assert _wire_accepts(header, header_text(text, "the Name:Value item"))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), limit=st.integers(min_value=0, max_value=300))
def test_a_capped_read_stops_one_byte_past_the_cap(data: bytes, limit: int) -> None:
    result = read_capped(io.BytesIO(data), limit)
    if len(data) <= limit:
        assert result == data
    else:
        assert result == data[: limit + 1]


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=string.ascii_letters + string.digits + ":/?#@[].-+%", max_size=24))
def test_urls_are_http_or_https_or_refused_with_a_clear_error(text: str) -> None:
    try:
        url = normalize_url(text)
    except InvalidURL as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert url.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:/etc/passwd", "data:text/plain,x", "about:blank", "mailto:x", "ws://h/"]
)
def test_other_schemes_are_named(url: str) -> None:
    with pytest.raises(InvalidURL, match="unsupported URL scheme"):
        normalize_url(url)


@pytest.mark.parametrize("url", ["localhost:8080/x", "example.com:443", "user:pw@example.com/x", "[::1]:80/"])
def test_host_and_port_shorthand_is_not_taken_for_a_scheme(url: str) -> None:
    assert normalize_url(url).startswith(("http://", "https://"))


def test_an_encrypted_key_is_left_to_the_handshake(tmp_path: Path) -> None:
    issued = trustme.CA().issue_cert("client.example")
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    cert = tmp_path / "cert.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    (tmp_path / "key.pem").write_bytes(encrypted)

    check_client_certificate(cert, tmp_path / "key.pem")  # no prompt, no error


@pytest.mark.parametrize(
    "args",
    [
        ("-H", f"Authorization: Bearer {SECRET}\x01"),
        (f"Authorization:Bearer {SECRET}\x7f",),
        (f"X-Api-Key:{SECRET}\r\nX-Injected: 1",),
        (f"X-Api-Key:{SECRET}日本\x00",),
    ],
)
def test_a_refused_header_value_is_never_shown(invoke: Invoke, args: tuple[str, ...]) -> None:
    result = invoke("get", "http://127.0.0.1:9/x", "--retries", "0", *args)

    assert result.code == 2
    assert SECRET not in result.stderr
    assert result.stderr.startswith("apicli: invalid header ")


def test_a_refused_token_is_never_shown(invoke: Invoke) -> None:
    result = invoke("get", "http://127.0.0.1:9/x", "--token-env", "T", env={"T": f"{SECRET}\x1b"})

    assert result.code == 2
    assert SECRET not in result.stderr
