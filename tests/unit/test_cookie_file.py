"""The Netscape cookie-file line parser and formatter, and the --cookie flag parser."""

from __future__ import annotations

import time
from http.cookiejar import MozillaCookieJar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicli.errors import UsageError
from apicli.transport.cookies import (
    CookieLine,
    format_cookie_line,
    from_cookie,
    names_a_host,
    parse_cookie_flag,
    parse_cookie_line,
    to_cookie,
)

# Field text as a file holds it, one byte per character: no tabs, line breaks or other controls.
_FIELD = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=20)
# A domain that names a host: `.0.0.1`, which only an IP address could end in, is no cookie's.
# Labels after the first start with a letter, so the filter seldom discards (a slow draw fails health checks).
_DOMAIN = st.from_regex(r"\.?[a-z0-9]{1,10}(\.[a-z][a-z0-9]{0,9}){1,3}", fullmatch=True).filter(names_a_host)
_LINES = st.builds(
    CookieLine,
    domain=_DOMAIN,
    include_subdomains=st.booleans(),
    path=st.from_regex(r"/[a-z0-9/]{0,10}", fullmatch=True),
    secure=st.booleans(),
    expires=st.integers(min_value=0, max_value=10**11),
    name=st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True),
    value=_FIELD,
    http_only=st.booleans(),
).map(lambda line: line._replace(include_subdomains=line.domain.startswith(".")))


def test_curl_lines_parse() -> None:
    assert parse_cookie_line("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n") == CookieLine(
        "127.0.0.1", False, "/", False, 0, "sid", "abc", http_only=True
    )
    assert parse_cookie_line(".example.com\tTRUE\t/api\tTRUE\t1796399590\tpref\t") == CookieLine(
        ".example.com", True, "/api", True, 1796399590, "pref", ""
    )
    assert parse_cookie_line("example.com\tTRUE\t/\tFALSE\t0\tnovalue") == CookieLine(
        "example.com", True, "/", False, 0, "novalue", ""
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "# Netscape HTTP Cookie File",
        "# a comment\twith\ttabs\tthat\tlook\tlike\tfields",
        "example.com\tTRUE\t/\tFALSE\tsoon\tname\tvalue",  # expiry not a number
        "example.com\tMAYBE\t/\tFALSE\t0\tname\tvalue",
        "example.com\tTRUE\tnoslash\tFALSE\t0\tname\tvalue",
        "too\tfew\tfields",
        "\tTRUE\t/\tFALSE\t0\tname\tvalue",  # no domain
    ],
)
def test_lines_that_are_not_cookies_are_skipped(line: str) -> None:
    assert parse_cookie_line(line) is None


@given(st.text(max_size=200))
def test_any_text_parses_to_a_cookie_or_none(text: str) -> None:
    parsed = parse_cookie_line(text)
    assert parsed is None or isinstance(parsed, CookieLine)


@given(_LINES)
def test_format_then_parse_gives_the_line_back(line: CookieLine) -> None:
    assert parse_cookie_line(format_cookie_line(line)) == line


@given(_LINES)
def test_a_line_survives_the_standard_cookie_jar_and_back(line: CookieLine) -> None:
    assert from_cookie(to_cookie(line)) == line


@given(_LINES.filter(lambda line: line.expires > time.time() + 3600 or line.expires == 0))
def test_what_is_written_loads_in_the_standard_library_jar(line: CookieLine) -> None:
    # Python's own reader: the same cookie (it reads a session cookie's empty expiry only, hence the check).
    import io

    jar = MozillaCookieJar()
    text = "# Netscape HTTP Cookie File\n" + format_cookie_line(line._replace(expires=line.expires or 2**33)) + "\n"
    jar._really_load(io.StringIO(text), "x", True, True)  # type: ignore[attr-defined]
    [cookie] = list(jar)
    assert (cookie.domain, cookie.path, cookie.name, cookie.value or "") == (line.domain, line.path, line.name,
                                                                             line.value)  # fmt: skip


def test_a_dotless_host_is_matched_as_the_standard_library_expects_and_written_as_curl_does() -> None:
    line = CookieLine("localhost", False, "/", False, 0, "a", "1")
    assert to_cookie(line).domain == "localhost.local"
    assert from_cookie(to_cookie(line)) == line


@pytest.mark.parametrize(
    ("text", "pair"),
    [("sid=abc", ("sid", "abc")), ("empty=", ("empty", "")), ("k=a=b", ("k", "a=b")), (" sp =x y", ("sp", "x y"))],
)
def test_cookie_flag(text: str, pair: tuple[str, str]) -> None:
    assert parse_cookie_flag(text) == pair


@pytest.mark.parametrize("text", ["novalue", "=v", "a b=1", "a=1; b=2", "a=x\ny", "a\x00=1"])
def test_bad_cookie_flags_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_cookie_flag(text)


@given(st.text(max_size=40))
def test_the_cookie_flag_parser_only_raises_usage_errors(text: str) -> None:
    try:
        name, value = parse_cookie_flag(text)
    except UsageError:
        return
    assert name and ";" not in value and "\n" not in value
