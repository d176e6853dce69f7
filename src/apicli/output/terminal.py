"""Text that reaches a terminal with every control character made visible.

A server controls status reasons, header names and values, error bodies, file names and
text bodies. Written raw, an escape sequence in any of them could retitle the window,
recolour or rewrite the screen. `visible` spells each control character out instead
(`\\x1b`, `\\x07`, `\\x9b`), keeping only newline and tab, which lay text out and cannot
take over a terminal. A byte that was not UTF-8 (decoded with surrogateescape) shows as
`\\xNN`, and any other lone surrogate as `\\uXXXX`.
"""

from __future__ import annotations

import codecs
import re

# C0 controls but tab and newline, DEL, C1 controls, and surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPED_BYTE = range(0xDC80, 0xDD00)  # what surrogateescape makes of a byte that is not UTF-8


# JSON text (as the renderers write it) escapes C0 controls inside strings, but may hold DEL and
# C1 controls (U+0080-U+009F, two bytes in UTF-8) raw; outside strings it holds none of them.
_RAW_IN_JSON = re.compile(rb"\x7f|\xc2[\x80-\x9f]")


def safe_json(text: bytes) -> bytes:
    """Rendered JSON for a terminal: DEL and C1 controls in strings written as JSON escapes
    (the text still parses to the same value), so none reaches the terminal raw."""
    if b"\x7f" not in text and b"\xc2" not in text:
        return text
    return _RAW_IN_JSON.sub(lambda match: b"\\u%04x" % ord(match.group().decode("utf-8")), text)


# In JSON text as json.dumps writes it (C0 controls already escaped): DEL, C1 controls and lone
# surrogates (a byte that was not UTF-8, under surrogateescape), which would reach a terminal raw.
_RAW_IN_JSON_TEXT = re.compile("[\x7f-\x9f\ud800-\udfff]")


def visible_json(text: str) -> str:
    """JSON text for a terminal: what safe_json does for bytes, and a lone surrogate as its escape,
    so the text still parses and no control byte reaches the terminal."""
    return _RAW_IN_JSON_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def terminal_text(body: bytes) -> bytes:
    """A whole body that is not JSON after all, made safe for a terminal."""
    return TerminalText().feed(body, final=True)


def _spell(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code in _ESCAPED_BYTE:
        return f"\\x{code - 0xDC00:02x}"
    if code >= 0xD800:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


def visible(text: str) -> str:
    """`text` with its control characters spelled out; unchanged when it has none."""
    return _UNSAFE.sub(_spell, text) if _UNSAFE.search(text) else text


class TerminalText:
    """Turns body bytes into safe terminal text chunk by chunk (a character may span two chunks)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._pending_cr = False

    def feed(self, chunk: bytes, *, final: bool = False) -> bytes:
        text = self._decoder.decode(chunk, final)
        if self._pending_cr:
            text = "\r" + text
            self._pending_cr = False
        if text.endswith("\r") and not final:
            # A CRLF may be cut between chunks: wait for the next one to tell.
            text = text[:-1]
            self._pending_cr = True
        # CRLF line ends are layout; a lone CR could overwrite what was shown and is spelled out.
        return visible(text.replace("\r\n", "\n")).encode("utf-8")

    def finish(self) -> bytes:
        return self.feed(b"", final=True)
