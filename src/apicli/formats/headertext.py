"""One policy for text that goes into a request header.

http.client sends a header's str value as Latin-1, so text with other characters raised
UnicodeEncodeError deep inside a send. apicli instead sends any text as its UTF-8 bytes (what
curl and browsers send for a typed `€`), carried in a str whose code points are those bytes.
Control characters cannot be sent at all: a value holding one is refused, naming where it came
from, before anything is sent. The conversion is made once, where text enters a request:
the request's own headers in Client.prepare, credentials where they are added, cookies where
they are given. Values that came from a server (a Set-Cookie) are already bytes-as-Latin-1
and pass through unchanged.
"""

from __future__ import annotations

from ..errors import UsageError

# C0 controls but horizontal tab, and DEL: what RFC 9110 field values and RFC 6265 cookies exclude.
_CONTROLS = frozenset(chr(code) for code in (*range(0x09), *range(0x0A, 0x20), 0x7F))


class HeaderTextError(UsageError):
    """Text that cannot go into a header; `source` names the flag or field it came from."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}", hint="a header value is one line of text without control characters")
        self.source = source


def has_controls(text: str) -> bool:
    """True when `text` holds a character no header may carry (CR, LF, NUL, other C0 controls, DEL)."""
    return not _CONTROLS.isdisjoint(text)


def header_text(value: str, source: str) -> str:
    """`value` as a header value http.client sends as UTF-8 bytes; HeaderTextError for control characters.

    Undecodable bytes from the command line or a file (surrogate escapes) are sent as they were.
    The message names `source`, never the value, which may be a secret.
    """
    if has_controls(value):
        raise HeaderTextError(source, "the value holds a control character, which a header cannot carry")
    wire = _as_wire_text(value)
    if wire is value and not value.isascii():  # a lone surrogate that stands for no byte
        raise HeaderTextError(source, "the value is not valid text")
    return wire


def header_bytes(value: str, source: str) -> bytes:
    """`value`'s bytes as header_text sends them (for a credential encoded before it is sent, like Basic)."""
    return header_text(value, source).encode("latin-1")


def shown_text(value: str) -> str:
    """A header value as header_text made it, shown as the text it stands for where it is UTF-8."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _as_wire_text(value: str) -> str:
    if value.isascii():
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte: http.client names the header
        return value
