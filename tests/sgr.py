"""What a terminal shows of SGR-coloured text: each visible character with the colour it is drawn in.

Two renderings may place their escapes differently (libjq colours punctuation with an empty colour,
apicli leaves it out) and still look the same; this compares what is seen, not the bytes.
"""

from __future__ import annotations

import re

_SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def plain(text: bytes) -> bytes:
    """The text without its colours."""
    return _SGR.sub(b"", text)


def seen(text: bytes) -> list[tuple[str, str]]:
    """Each visible character of `text` (whitespace left out) with its colour ("" for the default).

    Both renderers set a whole colour after a reset, so a sequence replaces the colour in force."""
    colour = ""
    shown: list[tuple[str, str]] = []
    position = 0
    for match in [*_SGR.finditer(text), None]:
        end = match.start() if match is not None else len(text)
        shown.extend((char, colour) for char in text[position:end].decode("utf-8") if not char.isspace())
        if match is None:
            break
        colour = "" if match.group(1) in (b"", b"0") else match.group(1).decode()
        position = match.end()
    return shown


def looks_the_same(first: bytes, second: bytes) -> bool:
    return plain(first) == plain(second) and seen(first) == seen(second)
