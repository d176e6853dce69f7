"""Pieces of HTTP header grammar (RFC 9110) shared by the Link and Content-Disposition parsers."""

from __future__ import annotations

from collections.abc import Callable

from .errors import ParseError

OWS = " \t"
EXCERPT_CHARS = 60


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
