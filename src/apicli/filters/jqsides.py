"""The top-level shape of a jq expression, for --assert's failure messages.

Two things are read from an assert's text, without parsing jq fully: a trailing `# comment`,
which is the assert's message, and a comparison at the top of its last pipe stage
(`PREFIX | LEFT OP RIGHT`), whose two sides are shown when it fails. Anything the scan is not
sure of (definitions, reductions, alternatives, several outputs at the top) yields no sides:
the assert is then reported without them, never with wrong ones.

The scan walks the text once, keeping a stack of open brackets and of strings (a string's
`\\(...)` interpolation holds an expression, which may hold strings again), so nesting costs a
list entry, not Python recursion.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
# Top-level words and operators after which the last stage is not a plain comparison.
_UNSURE_WORDS = frozenset(
    {"def", "reduce", "foreach", "label", "import", "include", "try", "catch", "and", "or", "if", "as"}
)
_UNSURE_OPERATORS = ("?//", "//=", "|=", "+=", "-=", "*=", "/=", "%=", "//", ",", ";", "=")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(")]}")
_MAX_TEXT = 8192  # longer asserts are reported without sides


class Sides(NamedTuple):
    """`PREFIX | LEFT OP RIGHT`: prefix is "" when the comparison is the whole expression."""

    prefix: str
    left: str
    operator: str
    right: str


class _Top(NamedTuple):
    """What lies at the top level (outside brackets and strings): positions and tokens."""

    pipes: list[int]  # offsets of `|`
    tokens: list[tuple[int, str]]  # (offset, operator or word) of everything else of interest
    comment: int | None  # offset of a `#` that starts a comment running to the end of the text
    balanced: bool


def split_message(text: str) -> tuple[str, str | None]:
    """The expression and its message: `.id > 0  # the id is set` -> (".id > 0", "the id is set")."""
    top = _scan(text)
    if top.comment is None or not top.balanced:
        return text, None
    message = text[top.comment + 1 :].strip()
    expression = text[: top.comment].rstrip()
    return (expression, message or None) if expression else (text, None)


def comparison_sides(text: str) -> Sides | None:
    """The two sides of a comparison at the top of the last stage, or None when there is none for sure."""
    if len(text) > _MAX_TEXT:
        return None
    top = _scan(text)
    if not top.balanced or top.comment is not None:
        return None
    start = top.pipes[-1] + 1 if top.pipes else 0
    if any(token in _UNSURE_WORDS and token != "as" for _offset, token in top.tokens):
        return None
    if any(token == "as" and offset >= start for offset, token in top.tokens):
        return None
    stage = [(offset, token) for offset, token in top.tokens if offset >= start]
    if any(token in _UNSURE_OPERATORS or token in _UNSURE_WORDS for _offset, token in stage):
        return None
    comparisons = [(offset, token) for offset, token in stage if token in _COMPARISONS]
    if len(comparisons) != 1:
        return None
    offset, operator = comparisons[0]
    prefix = text[: top.pipes[-1]].strip() if top.pipes else ""
    left = text[start:offset].strip()
    right = text[offset + len(operator) :].strip()
    if not left or not right:
        return None
    return Sides(prefix, left, operator, right)


def _scan(text: str) -> _Top:
    pipes: list[int] = []
    tokens: list[tuple[int, str]] = []
    comment: int | None = None
    # Each entry: a closing bracket awaited, or '"' for an open string, or "\\(" for an interpolation.
    stack: list[str] = []
    position = 0
    length = len(text)
    while position < length:
        char = text[position]
        if stack and stack[-1] == '"':
            if char == "\\":
                if text.startswith("\\(", position):
                    stack.append(")")  # the interpolation ends at its matching parenthesis
                    position += 2
                    continue
                position += 2
                continue
            if char == '"':
                stack.pop()
            position += 1
            continue
        if char == "#":
            end = text.find("\n", position)
            if end < 0:
                if not stack:
                    comment = position
                break
            comment = None
            position = end + 1
            continue
        if char == '"':
            stack.append('"')
        elif char in _OPEN:
            stack.append(_OPEN[char])
        elif char in _CLOSE:
            if not stack or stack[-1] != char:
                return _Top(pipes, tokens, None, balanced=False)
            stack.pop()
        elif not stack:
            position = _top_token(text, position, pipes, tokens)
            continue
        position += 1
    return _Top(pipes, tokens, comment, balanced=not stack)


def _top_token(text: str, position: int, pipes: list[int], tokens: list[tuple[int, str]]) -> int:
    """Record the token at `position` (top level) if it matters; return where the next one starts."""
    word = _WORD.match(text, position)
    if word is not None:
        if position == 0 or text[position - 1] not in ".$@":  # not a field, variable or format
            tokens.append((position, word.group()))
        return word.end()
    for operator in (*_UNSURE_OPERATORS, *_COMPARISONS):
        if text.startswith(operator, position):
            if operator == "=" and text.startswith("==", position):
                continue
            tokens.append((position, operator))
            return position + len(operator)
    if text[position] == "|":
        pipes.append(position)
    elif text[position] == "?" and text.startswith("?//", position):
        tokens.append((position, "?//"))
        return position + 3
    return position + 1
