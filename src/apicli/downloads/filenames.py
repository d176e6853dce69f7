"""Choose safe local file names for downloads.

The name comes from `Content-Disposition` (RFC 6266, with RFC 8187 `filename*`), else
from the URL's last path segment, else "download". Whatever the server sends is
sanitised to a single harmless path component, so a download can never escape the
target directory, hide itself as a dotfile, or trip over Windows' reserved names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from ..errors import ParseError
from ..formats.httpsyntax import OWS, excerpt, parse_quoted, skip_ows

__all__ = [
    "FALLBACK_NAME",
    "choose_filename",
    "filename_from_url",
    "parse_content_disposition",
    "sanitize_filename",
    "unique_path",
]

FALLBACK_NAME = "download"

_HINT = 'expected something like: attachment; filename="report.csv"'
# RFC 8187 names only UTF-8 and ISO-8859-1; anything else falls back to `filename=`.
_EXT_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "iso-8859-1"}

# C0, DEL and C1 controls, plus the bidirectional overrides that can make
# `invoice\u202efdp.exe` display as `invoiceexe.pdf`.
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates cannot be encoded to a file name on most systems.
_SURROGATES = re.compile("[\ud800-\udfff]")
_FORBIDDEN_CHARS = re.compile(r'[<>:"|?*]')
_SEPARATORS = re.compile(r"[/\\]")
# Windows refuses these as a file's stem whatever the extension ("con.txt" too).
_RESERVED_STEMS = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "123456789¹²³"]
)
# Small enough caps cannot hold even the fallback name, so they are raised to this.
_MIN_MAX_BYTES = len(FALLBACK_NAME)
# A "suffix" longer than 16 characters is more likely part of the name than a file type.
_EXTENSION = re.compile(r"(?:\.tar)?\.[^.\s]{1,16}\Z")


def parse_content_disposition(value: str) -> str | None:
    """The file name a Content-Disposition value suggests, unsanitised; None when it has none.

    `filename*` wins over `filename` when its charset is one we can decode; a malformed
    value (an unterminated quote, text after a quoted string) raises ParseError.
    """
    params = _parse_disposition_params(value)
    extended = params.get("filename*")
    if extended is not None:
        decoded = _decode_ext_value(extended)
        if decoded:
            return decoded
    return params.get("filename") or None


def filename_from_url(url: str) -> str | None:
    """The URL's last non-empty path segment, percent-decoded; None when the path has none."""
    try:
        path = urlsplit(url).path
    except ValueError:  # an unbalanced IPv6 bracket, say: there is no path to speak of
        return None
    for segment in reversed(path.split("/")):
        if segment:
            return unquote(segment, errors="replace")
    return None


def sanitize_filename(name: str, max_bytes: int = 200) -> str:
    """Reduce `name` to one safe file name of at most `max_bytes` UTF-8 bytes; never raises.

    The result is a bare name (no directory parts, no controls, none of `<>:"|?*`, no
    leading dot) that is not a Windows device name; "download" when nothing is left.
    """
    return _sanitize(name, max_bytes) or FALLBACK_NAME


def choose_filename(content_disposition: str | None, url: str, max_bytes: int = 200) -> str:
    """The sanitised name to save a download as: Content-Disposition, then the URL, then "download"."""
    suggested: str | None = None
    if content_disposition:
        try:
            suggested = parse_content_disposition(content_disposition)
        except ParseError:
            suggested = None  # a broken header must not fail the download
    for candidate in (suggested, filename_from_url(url)):
        if candidate:
            cleaned = _sanitize(candidate, max_bytes)
            if cleaned:
                return cleaned
    return FALLBACK_NAME


def unique_path(directory: Path, name: str) -> Path:
    """`directory / name`, or `name (1).ext`, `name (2).ext`, ... for the first that does not exist.

    This only picks a name: open it with mode "x" to be safe from a racing writer.
    """
    candidate = directory / name
    if not os.path.lexists(candidate):
        return candidate
    stem, extension = _split_extension(name)
    number = 1
    while True:
        candidate = directory / f"{stem} ({number}){extension}"
        if not os.path.lexists(candidate):
            return candidate
        number += 1


def _sanitize(name: str, max_bytes: int) -> str:
    """Like sanitize_filename, but "" when nothing usable is left."""
    name = _SURROGATES.sub("_", name)
    name = _CONTROL_CHARS.sub("", name)
    # The last non-empty part, so that "reports/" still gives "reports".
    parts = [part for part in _SEPARATORS.split(name) if part]
    name = parts[-1] if parts else ""
    name = _FORBIDDEN_CHARS.sub("_", name)
    # Leading dots would hide the file (and ".." would climb); Windows drops trailing dots and spaces.
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return ""
    cap = max(max_bytes, _MIN_MAX_BYTES)
    name = _fit(_avoid_reserved(name), cap)
    # Truncation can leave a reserved stem behind ("CONOUT$" + a character that did not fit).
    return _fit(_avoid_reserved(name), cap)


def _avoid_reserved(name: str) -> str:
    stem = name.split(".", 1)[0].rstrip(" ")
    return "_" + name if stem.upper() in _RESERVED_STEMS else name


def _fit(name: str, cap: int) -> str:
    """Cut `name` to `cap` UTF-8 bytes, keeping a short extension when there is room."""
    if len(name.encode("utf-8")) <= cap:
        return name
    stem, extension = _split_extension(name)
    extension_bytes = len(extension.encode("utf-8"))
    if extension and extension_bytes <= cap // 2:
        kept = _truncate_utf8(stem, cap - extension_bytes).rstrip(". ")
        if kept:
            return kept + extension
    # `name` starts with neither a dot nor a space, so at least its first character survives.
    return _truncate_utf8(name, cap).rstrip(". ")


def _truncate_utf8(text: str, limit: int) -> str:
    # Dropping the bytes of a cut code point keeps the result valid UTF-8.
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _split_extension(name: str) -> tuple[str, str]:
    """("archive", ".tar.gz") for "archive.tar.gz"; ("README", "") for "README"."""
    match = _EXTENSION.search(name)
    if match is None or match.start() == 0:
        return name, ""
    return name[: match.start()], match.group()


def _parse_disposition_params(value: str) -> dict[str, str]:
    """Lowercase parameter names to values; the first occurrence of a name wins.

    The disposition type and any valueless parameter are skipped, which also accepts
    servers that leave the type out (`filename="a.txt"`).
    """
    params: dict[str, str] = {}
    pos = 0
    end = len(value)
    while pos < end:
        pos = skip_ows(value, pos)
        if pos >= end:
            break
        if value[pos] == ";":
            pos += 1
            continue
        start = pos
        while pos < end and value[pos] not in "=;":
            pos += 1
        name = value[start:pos].strip(OWS).lower()
        if pos >= end or value[pos] == ";":
            continue
        if not name:
            raise _error(f"a parameter has no name in {excerpt(value, start)!r}")
        pos = skip_ows(value, pos + 1)
        if pos < end and value[pos] == '"':
            param_value, pos = parse_quoted(value, pos, _error)
            pos = skip_ows(value, pos)
            if pos < end and value[pos] != ";":
                raise _error(f"unexpected text after a quoted value in {excerpt(value, pos)!r}")
        else:
            start = pos
            while pos < end and value[pos] != ";":
                pos += 1
            # Lenient: unquoted names with spaces (`filename=my report.pdf`) are common.
            param_value = value[start:pos].strip(OWS)
        params.setdefault(name, param_value)
    return params


def _decode_ext_value(text: str) -> str | None:
    """Decode an RFC 8187 ext-value (`UTF-8'en'%e2%82%ac.txt`); None when it cannot be."""
    charset, quote1, rest = text.partition("'")
    _language, quote2, encoded = rest.partition("'")
    codec = _EXT_CHARSETS.get(charset.strip(OWS).lower())
    if not (quote1 and quote2 and codec):
        return None
    try:
        return unquote_to_bytes(encoded).decode(codec)
    except UnicodeError:  # bytes that are not valid in the charset, or unencodable input
        return None


def _error(detail: str) -> ParseError:
    return ParseError(f"malformed Content-Disposition: {detail}", hint=_HINT)
