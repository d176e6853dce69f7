"""Download file names: Content-Disposition, URLs, sanitising hostile names, and unique paths."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.downloads.filenames import (
    choose_filename,
    filename_from_url,
    parse_content_disposition,
    sanitize_filename,
    unique_path,
)
from apicli.errors import ParseError

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")

# --- parse_content_disposition ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('attachment; filename="report.csv"', "report.csv"),
        ("attachment; filename=report.csv", "report.csv"),
        ('inline; filename="a b.txt"', "a b.txt"),
        ("attachment; filename=my report.pdf", "my report.pdf"),
        ('ATTACHMENT; FileName="Report.CSV"', "Report.CSV"),
        ('attachment; size=42; filename="x.bin"; creation-date="Wed, 12 Feb 1997 16:29:51 -0500"', "x.bin"),
        ('filename="no-type.txt"', "no-type.txt"),
        (r'attachment; filename="say \"hi\".txt"', 'say "hi".txt'),
        (r'attachment; filename="back\\slash.txt"', "back\\slash.txt"),
        ('attachment; filename="semi;colon.txt"', "semi;colon.txt"),
        ('attachment;filename="tight.txt";', "tight.txt"),
        ('attachment ;  filename = "spaced.txt" ', "spaced.txt"),
        ('attachment; filename="first.txt"; filename="second.txt"', "first.txt"),
        ("attachment; filename*=UTF-8''%e2%82%ac%20rates.txt", "€ rates.txt"),
        ("attachment; filename*=utf-8'en'%C3%A9t%C3%A9.txt", "été.txt"),
        ("attachment; filename*=ISO-8859-1''%E9t%E9.txt", "été.txt"),
        ("attachment; FILENAME*=UTF-8''plain.txt", "plain.txt"),
        ("attachment; filename*=\"UTF-8''quoted%20ext.txt\"", "quoted ext.txt"),
    ],
)
def test_parse_content_disposition(value: str, expected: str) -> None:
    assert parse_content_disposition(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%e2%82%ac.txt",
        "attachment; filename*=UTF-8''%e2%82%ac.txt; filename=\"fallback.txt\"",
    ],
)
def test_extended_filename_wins_in_either_order(value: str) -> None:
    assert parse_content_disposition(value) == "€.txt"


@pytest.mark.parametrize(
    "extended",
    [
        "KOI8-R''%c6%c1%ca%cc",  # a charset RFC 8187 does not name
        "UTF-8''%ff%fe.txt",  # not valid UTF-8
        "no-quotes.txt",
        "UTF-8'only-one-quote.txt",
        "UTF-8''",
    ],
)
def test_undecodable_extended_filename_falls_back(extended: str) -> None:
    value = f'attachment; filename="fallback.txt"; filename*={extended}'
    assert parse_content_disposition(value) == "fallback.txt"
    assert parse_content_disposition(f"attachment; filename*={extended}") is None


@pytest.mark.parametrize(
    "value",
    ["", "attachment", "inline", "attachment; size=42", 'attachment; filename=""', "attachment; filename="],
)
def test_no_filename_gives_none(value: str) -> None:
    assert parse_content_disposition(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('attachment; filename="unterminated.txt', "unterminated quoted string"),
        ('attachment; filename="trailing-backslash\\', "unterminated quoted string"),
        ('attachment; filename="a.txt" junk', "unexpected text after a quoted value"),
        ("attachment; =orphan", "has no name"),
    ],
)
def test_malformed_content_disposition_raises_parse_error(value: str, fragment: str) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_content_disposition(value)
    message = str(excinfo.value)
    assert message.startswith("malformed Content-Disposition: ")
    assert fragment in message
    assert excinfo.value.hint


# --- filename_from_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/files/report.csv", "report.csv"),
        ("https://example.com/files/report.csv?token=abc#part", "report.csv"),
        ("https://example.com/files/dir/", "dir"),
        ("https://example.com/files/%E2%82%AC%20rates.txt", "€ rates.txt"),
        ("https://example.com/a%2Fb", "a/b"),  # decoded; sanitize_filename deals with the slash
        ("http://127.0.0.1:8080//x//", "x"),
        ("/relative/only.bin", "only.bin"),
    ],
)
def test_filename_from_url(url: str, expected: str) -> None:
    assert filename_from_url(url) == expected


@pytest.mark.parametrize(
    "url", ["https://example.com", "https://example.com/", "https://example.com/?q=1", "", "http://[::1/x"]
)
def test_filename_from_url_without_a_segment(url: str) -> None:
    assert filename_from_url(url) is None


# --- sanitize_filename --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.csv", "report.csv"),
        ("../../x", "x"),
        ("../../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("..", "download"),
        (".", "download"),
        ("...", "download"),
        ("", "download"),
        ("   ", "download"),
        ("/", "download"),
        ("C:\\x\\y", "y"),
        ("C:\\Windows\\", "Windows"),
        ("C:evil.txt", "C_evil.txt"),
        ("reports/", "reports"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a\x00b\x1fc\x7fd\x85e\x9f.txt", "abcde.txt"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("\x00\x01\x02", "download"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        (".bashrc", "bashrc"),
        ("  . hidden.txt", "hidden.txt"),
        ("trailing. . ", "trailing"),
        ("€ rates.txt", "€ rates.txt"),
        ("\ud800name.txt", "_name.txt"),
    ],
)
def test_sanitize_hostile_names(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "_CON"),
        ("con", "_con"),
        ("nul.txt", "_nul.txt"),
        ("Com1.tar.gz", "_Com1.tar.gz"),
        ("LPT9", "_LPT9"),
        ("AUX .txt", "_AUX .txt"),
        ("CONOUT$", "_CONOUT$"),
        ("COM¹.log", "_COM¹.log"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("COM10", "COM10"),
        ("my-con.txt", "my-con.txt"),
    ],
)
def test_reserved_windows_names_get_a_prefix(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_long_names_keep_their_extension() -> None:
    result = sanitize_filename("x" * 300 + ".csv")
    assert len(result.encode()) == 200
    assert result == "x" * 196 + ".csv"


def test_long_names_keep_a_double_extension() -> None:
    result = sanitize_filename("archive-" * 50 + ".tar.gz", max_bytes=100)
    assert result.endswith(".tar.gz")
    assert len(result.encode()) <= 100


def test_truncation_never_splits_a_code_point() -> None:
    result = sanitize_filename("€" * 100 + ".txt", max_bytes=50)
    assert result == "€" * 15 + ".txt"  # 45 + 4 bytes; a 16th euro sign would need 52
    result = sanitize_filename("😀" * 100, max_bytes=50)
    assert result == "😀" * 12


def test_an_overlong_extension_is_cut_with_the_name() -> None:
    result = sanitize_filename("name." + "é" * 15, max_bytes=20)
    assert result == "name." + "é" * 7
    assert len(result.encode()) == 19


def test_truncation_does_not_leave_a_reserved_name() -> None:
    # "CONOUT$" + ".txt" fits, the emoji does not: the cut would expose the device name.
    result = sanitize_filename("CONOUT$😀.txt", max_bytes=14)
    assert result == "_CONOUT$.txt"


def test_tiny_caps_are_raised_to_fit_the_fallback() -> None:
    assert sanitize_filename("", max_bytes=0) == "download"
    assert len(sanitize_filename("abcdefghijklmnop", max_bytes=1)) == 8


# --- choose_filename ----------------------------------------------------------------------------


def test_choose_prefers_content_disposition() -> None:
    assert choose_filename('attachment; filename="a.csv"', "https://example.com/b.csv") == "a.csv"


def test_choose_falls_back_to_the_url() -> None:
    assert choose_filename(None, "https://example.com/files/b.csv") == "b.csv"
    assert choose_filename("", "https://example.com/files/b.csv") == "b.csv"
    assert choose_filename("inline", "https://example.com/files/b.csv") == "b.csv"


def test_choose_ignores_malformed_content_disposition() -> None:
    assert choose_filename('attachment; filename="broken', "https://example.com/b.csv") == "b.csv"


def test_choose_skips_a_name_that_sanitises_to_nothing() -> None:
    assert choose_filename('attachment; filename=".."', "https://example.com/b.csv") == "b.csv"


def test_choose_falls_back_to_download() -> None:
    assert choose_filename(None, "https://example.com/") == "download"
    assert choose_filename('attachment; filename="/"', "http://127.0.0.1:8080") == "download"


def test_choose_sanitises_every_source() -> None:
    assert choose_filename('attachment; filename="../../etc/passwd"', "https://example.com/") == "passwd"
    assert choose_filename(None, "https://example.com/a%2F..%2F..%2Fpasswd") == "passwd"
    assert choose_filename(None, "https://example.com/CON") == "_CON"


# --- unique_path --------------------------------------------------------------------------------


def test_unique_path_returns_the_name_when_free(tmp_path: Path) -> None:
    assert unique_path(tmp_path, "report.csv") == tmp_path / "report.csv"


def test_unique_path_numbers_taken_names(tmp_path: Path) -> None:
    (tmp_path / "report.csv").touch()
    assert unique_path(tmp_path, "report.csv") == tmp_path / "report (1).csv"
    (tmp_path / "report (1).csv").touch()
    assert unique_path(tmp_path, "report.csv") == tmp_path / "report (2).csv"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("archive.tar.gz", "archive (1).tar.gz"),
        ("README", "README (1)"),
        ("v1.2.3.zip", "v1.2.3 (1).zip"),
        (
            "notes.a-suffix-far-too-long-to-be-an-extension",
            "notes.a-suffix-far-too-long-to-be-an-extension (1)",
        ),
    ],
)
def test_unique_path_keeps_the_extension(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / name).touch()
    assert unique_path(tmp_path, name) == tmp_path / expected


def test_unique_path_treats_a_dangling_symlink_as_taken(tmp_path: Path) -> None:
    (tmp_path / "data.json").symlink_to(tmp_path / "nowhere")
    assert unique_path(tmp_path, "data.json") == tmp_path / "data (1).json"


# --- properties ---------------------------------------------------------------------------------

_any_text = st.text(st.characters(exclude_categories=[]), max_size=300)
# Separators, dots, forbidden and control characters, multi-byte and lone surrogate code points.
_pathlike = st.text(alphabet='./\\ :<>*?"|\x00\x1f\x85\u202eaé€😀\ud800\udc80', max_size=40)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@settings(max_examples=500)
@given(name=st.one_of(_any_text, _pathlike), max_bytes=st.integers(min_value=8, max_value=255))
def test_sanitised_names_stay_inside_the_directory(directory: Path, name: str, max_bytes: int) -> None:
    result = sanitize_filename(name, max_bytes=max_bytes)
    assert result
    assert "/" not in result and "\\" not in result
    assert not _CONTROLS.search(result)
    assert not any(unicodedata.category(ch) == "Cs" for ch in result)
    assert len(result.encode("utf-8")) <= max_bytes
    assert result not in (".", "..") and not result.startswith(".")
    assert (directory / result).resolve().parent == directory.resolve()


@settings(max_examples=500)
@given(value=st.one_of(st.text(max_size=80), st.text(alphabet="; =\"'\\*%afilenameUTF-8", max_size=60)))
def test_content_disposition_raises_nothing_but_parse_error(value: str) -> None:
    try:
        parse_content_disposition(value)
    except ParseError as exc:
        assert "\n" not in str(exc)
    assert choose_filename(value, "https://example.com/x")


@settings(max_examples=500)
@given(url=st.text(max_size=80))
def test_filename_from_url_never_raises(url: str) -> None:
    filename_from_url(url)
