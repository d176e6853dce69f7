"""Pages for --jq: JSON parsed so that every number can be written back exactly as the server wrote it.

jq prints a number that passes through unchanged as it was written (1.50 stays
1.50, 12345678901234567890123 stays whole). A double cannot carry that, so
`loads_exact` keeps each non-integer number as a `WrittenNumber`: a float, so
that --schema and the next-page logic see an ordinary number, that also holds
its text. `exact_text` writes an item back as compact JSON with those texts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["WrittenNumber", "exact_decoder", "exact_text", "loads_exact"]


class WrittenNumber(float):
    """A JSON number that a float does not reproduce as written (1.50, 1E2, -0, NaN): it keeps its text."""

    __slots__ = ("text",)
    text: str


def _written(text: str) -> WrittenNumber:
    number = WrittenNumber(text)
    number.text = text
    return number


def _integer(text: str) -> int | WrittenNumber:
    # int("-0") is 0, and jq prints -0 for -0.
    if text == "-0":
        return _written(text)
    try:
        return int(text)
    except ValueError:  # more digits than int() converts: kept as written all the same
        return _written(text)


def loads_exact(body: bytes) -> Any:
    """The JSON value of `body`, numbers kept as written; ValueError or RecursionError when it is not JSON."""
    return json.loads(body, parse_float=_written, parse_int=_integer, parse_constant=_written)


def exact_decoder(parse_constant: Callable[[str], Any] = _written) -> json.JSONDecoder:
    """A decoder that keeps numbers as `loads_exact` does; `parse_constant` may refuse NaN and Infinity."""
    return json.JSONDecoder(parse_float=_written, parse_int=_integer, parse_constant=parse_constant)


class _Token(str):
    """Punctuation queued between values in `exact_text` (JSON strings are plain `str`, never this)."""

    __slots__ = ()


_CLOSE_ARRAY, _CLOSE_OBJECT, _COMMA = _Token("]"), _Token("}"), _Token(",")
_CONSTANTS: dict[bool | None, str] = {None: "null", True: "true", False: "false"}


def exact_text(value: Any) -> str:
    """Compact JSON for a value from `loads_exact`, every number as it was written."""
    try:
        # orjson refuses float subclasses, integers beyond 64 bits and lone surrogates: all go the long way.
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return _slow_text(value)


def _slow_text(value: Any) -> str:
    """The long way, with a stack rather than recursion: a deep item must not overflow Python's stack."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        current = todo.pop()
        kind = type(current)
        if kind is _Token:
            out.append(current)
        elif kind is str:
            out.append(_string(current))
        elif kind is WrittenNumber:
            out.append(current.text)
        elif kind is int:
            out.append(str(current))
        elif kind is dict:
            out.append("{")
            todo.append(_CLOSE_OBJECT)
            entries = list(current.items())
            for index in range(len(entries) - 1, -1, -1):
                key, member = entries[index]
                todo.append(member)
                todo.append(_Token(_string(key) + ":"))
                if index:
                    todo.append(_COMMA)
        elif kind is list:
            out.append("[")
            todo.append(_CLOSE_ARRAY)
            for index in range(len(current) - 1, -1, -1):
                todo.append(current[index])
                if index:
                    todo.append(_COMMA)
        elif kind is bool or current is None:
            out.append(_CONSTANTS[current])
        else:  # not produced by loads_exact; written as the json module would
            out.append(json.dumps(current))
    return "".join(out)


_unicode_text = json.JSONEncoder(ensure_ascii=False).encode


def _string(text: str) -> str:
    """A JSON string as orjson writes it (UTF-8 as is), but a lone surrogate as its \\u escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(text)
    return _unicode_text(text)
