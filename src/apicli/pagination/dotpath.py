"""Dot paths into JSON documents, as given to `--items`, `--next` and `--cursor`.

    meta.next        key `next` inside key `meta`
    data.items.0     first element (or key "0" when `items` is an object)
    items[0]         first element;  items[-1]  last element
    a\\.b             one key named `a.b`; a backslash makes the next character literal
    .data.items      a leading dot is ignored, as in jq
    "" or "."        the whole document

A parsed path is a tuple of steps: `str` for a key and `int` for a bracketed list index.
A bare all-digit key such as the `0` in `items.0` stays a `str`; `lookup` uses it as an
index on a list and as a key on an object.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, TypeAlias

from ..errors import ParseError

__all__ = ["MISSING", "DotPath", "format_path", "lookup", "parse_path"]

DotPath: TypeAlias = tuple[str | int, ...]

_HINT = r"paths look like data.items, items[0] or items[-1]; write a\.b for a key with a dot"
# Longer digit strings cannot index any list and would trip int()'s digit limit.
_MAX_INDEX_DIGITS = 18


class _Missing(enum.Enum):
    MISSING = enum.auto()

    def __repr__(self) -> str:
        return "MISSING"

    __str__ = __repr__


MISSING: Final = _Missing.MISSING
"""What `lookup` returns when the path leads nowhere (distinct from a JSON null)."""


def parse_path(text: str) -> DotPath:
    """Parse a dot path into its steps; raise ParseError when it is malformed."""
    pos = 1 if text.startswith(".") else 0
    end = len(text)
    steps: list[str | int] = []
    while pos < end:
        if text[pos] == "[":
            index, pos = _parse_index(text, pos)
            steps.append(index)
        elif text[pos] == ".":
            raise _error(text, "empty segment")
        else:
            key, pos = _parse_key(text, pos)
            steps.append(key)
        if pos >= end:
            break
        if text[pos] == ".":
            pos += 1
            if pos >= end:
                raise _error(text, "empty segment at the end")
        elif text[pos] != "[":
            # Only reachable after `]`: a key stops at the first unescaped `.` or `[`.
            raise _error(text, f"expected '.' or '[' after ']' at position {pos}")
    return tuple(steps)


def format_path(path: DotPath) -> str:
    """The text form of `path`, such that `parse_path(format_path(path)) == path`."""
    if not path:
        return "."
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
            continue
        if not step:
            raise ParseError("an empty key cannot be written as a dot path", hint=_HINT)
        escaped = "".join("\\" + ch if ch in "\\.[" else ch for ch in step)
        parts.append("." + escaped if parts else escaped)
    return "".join(parts)


def lookup(document: object, path: DotPath) -> object:
    """The value at `path` in `document`, or MISSING when any step does not exist."""
    current = document
    for step in path:
        if isinstance(current, Mapping):
            # JSON object keys are strings; an int step means "list index" only.
            if isinstance(step, int):
                return MISSING
            current = current.get(step, MISSING)
            if current is MISSING:
                return MISSING
        elif isinstance(current, list | tuple):
            index = _as_index(step)
            if index is None or not -len(current) <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def _as_index(step: str | int) -> int | None:
    if isinstance(step, int):
        return step
    if step.isascii() and step.isdigit() and len(step) <= _MAX_INDEX_DIGITS:
        return int(step)
    return None


def _parse_index(text: str, pos: int) -> tuple[int, int]:
    """Parse `[n]` opening at `pos`; return n and the position after `]`."""
    close = text.find("]", pos + 1)
    if close < 0:
        raise _error(text, f"unterminated '[' at position {pos}")
    inner = text[pos + 1 : close].strip(" ")
    digits = inner[1:] if inner.startswith("-") else inner
    if not (digits.isascii() and digits.isdigit()):
        raise _error(text, f"list index {inner!r} is not an integer")
    if len(digits) > _MAX_INDEX_DIGITS:
        raise _error(text, f"list index {inner[:20]!r}... is too large")
    return int(inner), close + 1


def _parse_key(text: str, pos: int) -> tuple[str, int]:
    """Parse a key up to the next unescaped `.` or `[`; return it and that position."""
    chars: list[str] = []
    end = len(text)
    while pos < end and text[pos] not in ".[":
        ch = text[pos]
        if ch == "\\":
            pos += 1
            if pos >= end:
                raise _error(text, "a backslash at the end escapes nothing")
            ch = text[pos]
        chars.append(ch)
        pos += 1
    return "".join(chars), pos


def _error(text: str, detail: str) -> ParseError:
    shown = text if len(text) <= 60 else text[:60] + "..."
    return ParseError(f"invalid path {shown!r}: {detail}", hint=_HINT)
