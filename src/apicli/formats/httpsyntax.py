"""Pieces of HTTP header grammar (RFC 9110) shared by the header checks and the Link and Content-Disposition parsers."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import ParseError

OWS = " \t"
EXCERPT_CHARS = 60
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A field value may hold tab, but no other C0 control character and no DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def is_header_name(name: str) -> bool:
    """Whether `name` is a header field name (an RFC 9110 token)."""
    return _TOKEN.fullmatch(name) is not None


def has_control_character(value: str) -> bool:
    """Whether `value` holds a character no header value may hold (line breaks, NUL, other controls)."""
    return _CONTROL.search(value) is not None


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as a header value, or None when it can.

    Only control characters: other text goes on the wire as its UTF-8 bytes (headertext.py).
    """
    return "a control character" if has_control_character(value) else None


def skip_ows(text: str, pos: int) -> int:
    """The position after any optional whitespace at `pos`."""
    while pos < len(text) and text[pos] in OWS:
        pos += 1
    return pos


def excerpt(text: str, pos: int) -> str:
    """The text from `pos`, cut short enough to quote in an error message."""
    rest = text[pos:]
    return rest if len(rest) <= EXCERPT_CHARS else rest[:EXCERPT_CHARS] + "..."


def parse_quoted(text: str, pos: int, error: Callable[[str], ParseError]) -> tuple[str, int]:
    """Parse the quoted-string that opens at `pos`; return its unescaped content and the next position."""
    chars: list[str] = []
    i = pos + 1
    end = len(text)
    while i < end:
        ch = text[i]
        if ch == '"':
            return "".join(chars), i + 1
        if ch == "\\" and i + 1 < end:
            i += 1
            ch = text[i]
        chars.append(ch)
        i += 1
    raise error(f"unterminated quoted string in {excerpt(text, pos)!r}")
