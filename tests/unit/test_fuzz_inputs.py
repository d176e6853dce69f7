"""Fuzzing what the parsers' own property tests leave out: hostile alphabets, whole flag sets, redaction.

Each property says "only apicli's own errors" (or "never raises") for input built to hit the
grammar's corners: item separators and brackets, several Link header lines at once, lookups
on arbitrary documents, Content-Disposition with controls and surrogates, and the redaction of
secrets from URLs and text.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.downloads.filenames import choose_filename, parse_content_disposition
from apicli.errors import ApicliError, ParseError
from apicli.formats.urls import REDACTED, is_secret_query_name, redact_url
from apicli.inputs.items import build_body, parse_items, stdin_reader
from apicli.output.report import MIN_SECRET_LENGTH, Redactor
from apicli.pagination.dotpath import MISSING, lookup, parse_path
from apicli.pagination.linkheader import find_rel, parse_link_header
from apicli.spec import Credentials
from apicli.transport.session import redactor_for

# -- request items and body flags ----------------------------------------------------------------

# Mostly separators, brackets, escapes and "@-": the alphabet the item grammar is made of.
_item_text = st.text(alphabet=":=@[]\\-ab0 {}\"'", max_size=14)


@settings(max_examples=800, deadline=None)
@given(
    items=st.lists(_item_text, max_size=5),
    json_arg=st.one_of(st.none(), _item_text, st.just("@-")),
    data_arg=st.one_of(st.none(), _item_text, st.just("@-")),
    form=st.booleans(),
    stdin=st.binary(max_size=20),
)
def test_items_and_body_flags_raise_only_apicli_errors(
    items: list[str], json_arg: str | None, data_arg: str | None, form: bool, stdin: bytes
) -> None:
    reader = stdin_reader(io.BytesIO(stdin))
    try:
        parsed = parse_items(items, reader)
        build_body(parsed, json_arg=json_arg, data_arg=data_arg, form=form, stdin=reader)
    except ApicliError as exc:
        assert str(exc) and "\n" not in str(exc)


# -- Link headers --------------------------------------------------------------------------------

_link_text = st.text(alphabet='<>;,="\\ \trelnext/:?#prev\x00é', max_size=40)
_bases = st.sampled_from(["https://api.example.com/items?page=1", "http://127.0.0.1:8080/", "https://h/a/b/c"])


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(st.one_of(_link_text, st.text(max_size=30)), max_size=4), base=_bases, rel=st.text(max_size=6))
def test_several_link_header_lines_raise_only_parse_error(lines: list[str], base: str, rel: str) -> None:
    try:
        links = parse_link_header(lines, base)
    except ParseError as exc:
        assert "\n" not in str(exc)
        return
    found = find_rel(links, rel)
    assert found is None or isinstance(found, str)


# -- dot paths -----------------------------------------------------------------------------------

_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(document=_documents, text=st.text(alphabet="ab0123.[]-\\ ", max_size=12))
def test_lookup_on_any_document_never_raises(document: Any, text: str) -> None:
    try:
        path = parse_path(text)
    except ParseError:
        return
    value = lookup(document, path)
    assert value is MISSING or value is document or path


# -- Content-Disposition --------------------------------------------------------------------------

_disposition_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("; =\"'\\*%filenameUTF-8''attachment./")),
        st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So"]),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    ),
    max_size=50,
)


@settings(max_examples=500, deadline=None)
@given(value=_disposition_text, url=st.text(max_size=30))
def test_any_disposition_and_url_give_a_safe_name_or_parse_error(value: str, url: str) -> None:
    try:
        parse_content_disposition(value)
    except ParseError as exc:
        assert "\n" not in str(exc)
    name = choose_filename(value, url)
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")


# -- redaction -----------------------------------------------------------------------------------

_names = st.one_of(
    st.sampled_from(["token", "access_token", "client_secret", "X-Amz-Signature", "apiKey", "sig", "password"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.", min_size=1, max_size=12),
)
# Distinctive values, so finding one in the output means it leaked.
_values = st.text(alphabet="QWXZ0123456789", min_size=6, max_size=16)


@settings(max_examples=500, deadline=None)
@given(
    pairs=st.lists(st.tuples(_names, _values), max_size=5, unique_by=lambda pair: pair[1]),
    user_password=st.one_of(st.none(), st.text(alphabet="pqrstuv", min_size=6, max_size=12)),
)
def test_redacted_urls_hide_every_secret_query_value(pairs: list[tuple[str, str]], user_password: str | None) -> None:
    userinfo = f"ann:{user_password}@" if user_password else ""
    url = f"https://{userinfo}api.example.com/x?{urlencode(pairs)}"

    shown = redact_url(url)

    for name, value in pairs:
        if is_secret_query_name(name):
            assert value not in shown
    if user_password:
        assert user_password not in shown and f"ann:{REDACTED}@" in shown
    public = [value for name, value in pairs if not is_secret_query_name(name)]
    assert all(value in shown for value in public)  # the rest stays readable


@settings(max_examples=500, deadline=None)
@given(
    # Shorter secrets are redacted only in their known places (headers, query parameters), not in any text.
    secrets=st.lists(st.text(min_size=MIN_SECRET_LENGTH, max_size=12), max_size=4),
    text=st.text(max_size=60),
)
def test_redactor_leaves_no_secret_in_text(secrets: list[str], text: str) -> None:
    for secret in secrets:
        text = text[: len(text) // 2] + secret + text[len(text) // 2 :]

    shown = Redactor(secrets).text(text)

    for secret in secrets:
        # A secret may only "survive" where it overlaps the word REDACTED itself (secret "TEDX", say).
        assert all(_overlaps_marker(shown, start, len(secret)) for start in _find_all(shown, secret)), secret


def _find_all(text: str, part: str) -> list[int]:
    return [i for i in range(len(text) - len(part) + 1) if text.startswith(part, i)]


def _overlaps_marker(text: str, start: int, length: int) -> bool:
    return any(m < start + length and start < m + len(REDACTED) for m in _find_all(text, REDACTED))


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(st.tuples(st.sampled_from(["Authorization", "Cookie", "X-Auth-Token", "Accept"]), _values)),
    query=st.lists(st.tuples(_names, _values), max_size=3),
    bearer=st.one_of(st.none(), _values),
)
def test_redactor_for_a_request_hides_its_secret_headers_and_query(
    headers: list[tuple[str, str]], query: list[tuple[str, str]], bearer: str | None
) -> None:
    redactor = redactor_for(Credentials(bearer=bearer), headers=headers, url="https://h/x", query=query)
    text = " ".join(value for _, value in headers + query) + f" {bearer}"

    shown = redactor.text(text)

    secret = [v for n, v in headers if n != "Accept"] + [v for n, v in query if is_secret_query_name(n)]
    for value in secret + ([bearer] if bearer else []):
        # In free text a value is redacted from MIN_SECRET_LENGTH on; shorter ones only in their own places.
        assert value not in shown or len(value) < MIN_SECRET_LENGTH
