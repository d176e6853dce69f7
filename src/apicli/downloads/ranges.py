"""HTTP range bookkeeping for resumable downloads: Content-Range, validators, Accept-Ranges.

Pure functions over header values, so the resume rules can be tested without a server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# `bytes 0-499/1234`, `bytes 0-499/*` or, on a 416, `bytes */1234`.
_CONTENT_RANGE = re.compile(r"\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class ContentRange:
    """A parsed Content-Range; start/end are None for the `*/total` form of a 416."""

    start: int | None
    end: int | None
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """The byte range a Content-Range value describes; None when it is missing or malformed."""
    if not value:
        return None
    match = _CONTENT_RANGE.match(value)
    if match is None:
        return None
    first, last, total_text = match.groups()
    total = None if total_text == "*" else int(total_text)
    if first is None:
        return None if total is None else ContentRange(None, None, total)
    start, end = int(first), int(last)
    if end < start or (total is not None and end >= total):
        return None
    return ContentRange(start, end, total)


def content_length(headers: Mapping[str, str]) -> int | None:
    """Content-Length as a number; None when absent or not a plain non-negative integer."""
    value = headers.get("Content-Length")
    if value is None:
        return None
    value = value.strip()
    # Duplicated headers arrive joined ("10, 10"); agreeing copies are fine.
    values = {part.strip() for part in value.split(",")}
    if len(values) != 1:
        return None
    (single,) = values
    return int(single) if single.isdigit() else None


def accepts_byte_ranges(headers: Mapping[str, str]) -> bool:
    value = headers.get("Accept-Ranges", "")
    return any(token.strip().lower() == "bytes" for token in value.split(","))


def resume_validator(headers: Mapping[str, str]) -> str | None:
    """The If-Range value that pins this representation: a strong ETag, else Last-Modified.

    A weak ETag can never satisfy If-Range (it needs a strong comparison), so it is skipped.
    """
    etag = (headers.get("ETag") or "").strip()
    if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2:
        return etag
    modified = (headers.get("Last-Modified") or "").strip()
    return modified or None


def changed_representation(sent: str | None, headers: Mapping[str, str]) -> str | None:
    """Why a 206 to `If-Range: sent` is not the rest of the version the part holds; None when it is.

    RFC 9110 §13.1.5: the range may be used only if the validator still matches, compared strongly.
    A server that ignores If-Range but still answers 206 shows it here: another ETag (or
    Last-Modified, when that was the validator), or none at all.
    """
    if not sent:
        return None
    name = "ETag" if sent.startswith('"') else "Last-Modified"
    got = (headers.get(name) or "").strip()
    if not got:
        return f"it has no {name}, and the part was fetched with {name}: {shown_value(sent)}"
    if got != sent:
        return f"{name}: {shown_value(got)} instead of {shown_value(sent)}"
    return None


def shown_value(value: str, limit: int = 80) -> str:
    """A header value safe to print: control characters escaped, long values cut."""
    text = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in value[:limit])
    return text + ("..." if len(value) > limit else "")


def range_headers(offset: int, validator: str | None) -> tuple[tuple[str, str], ...]:
    """Headers asking for the rest of the body from `offset`, only if it is still the same file."""
    if offset <= 0:
        return ()
    headers: tuple[tuple[str, str], ...] = (("Range", f"bytes={offset}-"),)
    if validator:
        headers += (("If-Range", validator),)
    return headers
