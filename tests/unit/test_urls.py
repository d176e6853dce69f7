"""URL shorthand, origins and redaction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ApicliError, InvalidURL
from apicli.formats.urls import normalize_url, redact_url, same_origin


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        (":8080/x", "http://localhost:8080/x"),
        (":/x", "http://localhost/x"),
        (":", "http://localhost/"),
        ("localhost:3000", "http://localhost:3000/"),
        ("127.0.0.1/a?b=c", "http://127.0.0.1/a?b=c"),
        ("api.example.com/v1", "https://api.example.com/v1"),
        ("http://example.com", "http://example.com/"),
        ("HTTPS://Example.com/A", "HTTPS://Example.com/A"),
    ],
)
def test_normalize_url(given_url: str, expected: str) -> None:
    assert normalize_url(given_url) == expected


@pytest.mark.parametrize("bad", ["", "  ", "ftp://x.test/", "http://", "http://a b/", ":x/y", "http://h:99999/"])
def test_invalid_urls(bad: str) -> None:
    with pytest.raises(InvalidURL):
        normalize_url(bad)


def test_origins() -> None:
    assert same_origin("http://a.test/x", "http://a.test:80/y")
    assert not same_origin("http://a.test/", "https://a.test/")
    assert not same_origin("http://a.test:8080/", "http://a.test:8081/")


def test_redact_url_hides_passwords_and_secret_params() -> None:
    redacted = redact_url("https://ann:hunter2@a.test/x?token=abc&page=2", {"token"})
    assert "hunter2" not in redacted and "abc" not in redacted and "page=2" in redacted


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=60))
def test_normalize_url_raises_only_invalid_url(text: str) -> None:
    try:
        result = normalize_url(text)
    except ApicliError as exc:
        assert isinstance(exc, InvalidURL)
    else:
        assert result.lower().startswith(("http://", "https://"))
