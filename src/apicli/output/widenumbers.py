"""Spotting integers that orjson cannot keep exact (beyond 64 bits), with C-speed scans.

orjson silently turns such integers into floats, so the callers send documents that may
hold one through the stdlib json module instead.
"""

from __future__ import annotations

import re


def _shape_table() -> bytes:
    # Digits -> "0", "-" kept, what may precede a number token ("[", ",", ":", whitespace) -> " ",
    # everything else -> "x". A digit run preceded by a letter or a quote is inside a string.
    table = bytearray(b"x" * 256)
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b"[,: \t\r\n":
        table[byte] = ord(" ")
    table[ord("-")] = ord("-")
    return bytes(table)


_SHAPE = _shape_table()
# An integer of 20 digits may exceed 2**64 - 1; a negative one of 19 may be below -2**63.
_WIDE_POSITIVE = b"0" * 20
_WIDE_NEGATIVE = b"-" + b"0" * 19
_INTEGER = re.compile(rb"-?[0-9]+")
_AFTER_NUMBER = frozenset(b",]} \t\r\n")


def has_wide_integer(body: bytes) -> bool:
    """Whether ``body`` may hold an integer beyond 64 bits, which orjson would turn into a float.

    One ``translate`` and a few ``find`` scans; each long digit run found is then checked on
    its own. A run inside a string that merely looks like a number token counts too: it only
    costs the slower path.
    """
    shape = body.translate(_SHAPE)
    for run in (_WIDE_POSITIVE, _WIDE_NEGATIVE):
        if shape.startswith(run) and _is_wide_integer_at(body, 0):
            return True
        needle = b" " + run
        at = shape.find(needle)
        while at != -1:
            if _is_wide_integer_at(body, at + 1):
                return True
            at = shape.find(needle, at + 1)
    return False


def _is_wide_integer_at(body: bytes, start: int) -> bool:
    match = _INTEGER.match(body, start)
    if match is None or (match.end() < len(body) and body[match.end()] not in _AFTER_NUMBER):
        return False  # a float's integer part, or digits inside a string
    token = match.group()
    if len(token.lstrip(b"-")) > 20:
        return True
    return not -(2**63) <= int(token) < 2**64
