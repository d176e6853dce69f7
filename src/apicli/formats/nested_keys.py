"""Nested JSON keys of data items, in HTTPie's grammar: `user[name]=ann`, `tags[]=a`, `[]:=1`.

A key is an optional name followed by bracketed segments. Inside brackets, nothing appends to
an array, digits index one (a gap before the index is filled with null), anything else names an
object key. With no name, the segments address the body itself: `[]:=1 []:=2` sends `[1, 2]`.
A backslash makes the next character literal: `a\\[b\\]` is the key `a[b]`, `[\\1]` the object
key "1", and `\\\\` a backslash; before any other character it stays as written.

Pure functions, so they can be fuzzed; errors are ItemErrors naming the item.
"""

from __future__ import annotations

from typing import Any

from ..errors import ItemError

APPEND = None  # the segment of `[]`
# A typo such as list[10000000] would otherwise build ten million nulls.
MAX_INDEX = 10_000

Segment = str | int | None


def _error(item: str, message: str) -> ItemError:
    return ItemError(f"item {item!r}: {message}", hint="nested keys look like user[name], tags[] or list[0]")


def parse_key_path(key: str, item: str) -> tuple[bool, list[Segment]]:
    """(whether the key has a leading name, its segments): `a[b][]` -> (True, ['a', 'b', None]).

    `[]` and `[0]` with no name address the top-level array: (False, [None]) and (False, [0]).
    """
    name: list[str] = []
    segments: list[Segment] = []
    i = 0
    length = len(key)
    while i < length and key[i] != "[":
        char = key[i]
        if char == "\\" and i + 1 < length and key[i + 1] in "[]\\":
            name.append(key[i + 1])
            i += 2
            continue
        if char == "]":
            raise _error(item, f"unexpected ']' at position {i + 1} of the key")
        name.append(char)
        i += 1
    while i < length:
        if key[i] != "[":
            raise _error(item, f"expected '[' at position {i + 1} of the key")
        close, text, escaped_digits = _bracket(key, i + 1, item)
        segments.append(_segment(text, escaped_digits, item))
        i = close + 1
    has_name = bool(name) or not segments
    if not has_name and isinstance(segments[0], str):
        raise _error(item, "a top-level segment is [] or a number: the body itself is an array")
    return has_name, (["".join(name)] if has_name else []) + segments


def _bracket(key: str, start: int, item: str) -> tuple[int, str, bool]:
    """The index of the closing bracket, the text inside, and whether it began with an escaped digit."""
    text: list[str] = []
    escaped_digits = False
    i = start
    while i < len(key):
        char = key[i]
        if char == "\\" and i + 1 < len(key):
            following = key[i + 1]
            escaped_digits = escaped_digits or (not text and following.isdigit())
            text.append(following if following in "[]\\" or following.isdigit() else char + following)
            i += 2
            continue
        if char == "]":
            return i, "".join(text), escaped_digits
        if char == "[":
            raise _error(item, f"unexpected '[' at position {i + 1} of the key")
        text.append(char)
        i += 1
    raise _error(item, "a '[' in the key is never closed")


def _segment(text: str, escaped_digits: bool, item: str) -> Segment:
    if text == "":
        return APPEND
    if escaped_digits or not text.isascii():
        return text
    if text.isdigit():
        if int(text) > MAX_INDEX:
            raise _error(item, f"array index {text} is beyond {MAX_INDEX}: the gap would be filled with nulls")
        return int(text)
    if text.startswith("-") and text[1:].isdigit():
        raise _error(item, "negative array indexes are not supported")
    return text


def _kind(value: Any) -> str:
    return "an object" if isinstance(value, dict) else "an array" if isinstance(value, list) else "a value"


def _fresh(segment: Segment) -> Any:
    return {} if isinstance(segment, str) else []


def set_nested(root: Any, has_name: bool, path: list[Segment], value: Any, item: str) -> Any:
    """Put `value` at `path` in `root` (None, a dict or a list); returns the root (new if it was None).

    A later item overwrites an earlier value at the same place, as in HTTPie; using a value as
    the wrong kind of container (`a=1 a[b]=2`, `a[]=1 a[b]=2`) is an error.
    """
    if root is None:
        root = {} if has_name else []
    if has_name and not isinstance(root, dict):
        raise _error(item, "the body is a top-level array ([]), so it has no named keys")
    if not has_name and not isinstance(root, list):
        raise _error(item, "the body is an object, so it cannot be a top-level array too")
    container = root
    where = "the body"
    for index, segment in enumerate(path):
        last = index == len(path) - 1
        if isinstance(segment, str):
            if not isinstance(container, dict):
                raise _error(item, f"{where} is {_kind(container)}, so it has no key {segment!r}")
            if last:
                container[segment] = value
                return root
            child = container.get(segment)
            if child is None:
                child = container[segment] = _fresh(path[index + 1])
        else:
            if not isinstance(container, list):
                shown = "[]" if segment is None else f"[{segment}]"
                raise _error(item, f"{where} is {_kind(container)}, so {shown} cannot index it")
            position = len(container) if segment is None else segment
            if position >= len(container):
                container.extend([None] * (position + 1 - len(container)))
            if last:
                container[position] = value
                return root
            child = container[position]
            if child is None:
                child = container[position] = _fresh(path[index + 1])
        where = f"{segment!r}" if isinstance(segment, str) else f"[{segment if segment is not None else ''}]"
        container = child
    return root
