"""Which --jq programs stream: `PATH[]` and `PATH[] | REST`, recognised from the program's text.

A program that iterates the array (or object) at a path of plain field accesses, and does
nothing with the document but that, means the same as running REST on each element in turn:
`.[]`, `.items[]`, `.data.results[] | select(.active) | .name`, `.data | .results[] | .id`,
`."a b"[]`, `.["a"][]`. Such a program can run on a body of any size, an element at a time
(jqsplit.py). Anything else reads the body whole: `first(.items[])`, `[.items[]]`,
`reduce .items[] as $x (…)`, `.items[]?`, `.items[] as $x | …`, `(.items)[]`, and any REST that
reads further inputs or its own position (`input`, `inputs`, `input_line_number`, `$__loc__`),
whose meaning depends on the document as a whole or on the program's text around it.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A jq string without interpolation or escapes jq reads differently from JSON.
_PLAIN_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_WHOLE_INPUT = re.compile(r"\binputs?\b|\binput_line_number\b|\$__loc__\b")
_MAX_PATH = 64


class Selection(NamedTuple):
    """The path whose array or object is iterated, and the program run on each element (None: the element itself)."""

    path: tuple[str, ...]
    rest: str | None

    def path_program(self) -> str:
        """The path part as a jq program, for the cases where it does not apply (its errors are jq's)."""
        steps = "".join(
            f".{key}" if _IDENT.fullmatch(key) else f"[{json.dumps(key, ensure_ascii=False)}]" for key in self.path
        )
        return ("" if steps.startswith(".") else ".") + steps + "[]"


def find_selection(expression: str) -> Selection | None:
    """The Selection `expression` makes, or None when it must read the document whole."""
    text = expression
    position = 0
    path: list[str] = []
    while True:
        step = _path_term(text, position, path)
        if step is None or len(path) > _MAX_PATH:
            return None
        position, iterated = step
        position = _skip_space(text, position)
        if position < 0:
            return None
        if iterated:
            if position == len(text):
                return Selection(tuple(path), None)
            if text[position] != "|":
                return None
            rest = text[position + 1 :]
            if not rest.strip() or _WHOLE_INPUT.search(rest):
                return None
            return Selection(tuple(path), rest)
        if position == len(text) or text[position] != "|":
            return None
        position += 1


def _skip_space(text: str, position: int) -> int:
    """Past spaces and comments (a comment with a backslash, which may continue it, ends the scan)."""
    while position < len(text):
        if text[position] in " \t\r\n":
            position += 1
        elif text[position] == "#":
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            if "\\" in text[position:end]:
                return -1
            position = end
        else:
            break
    return position


def _path_term(text: str, position: int, path: list[str]) -> tuple[int, bool] | None:
    """One term of field accesses from `position` (keys appended to `path`): where it ends, and
    whether it ended in `[]`; None when the term is anything else."""
    position = _skip_space(text, position)
    if position < 0 or not text.startswith(".", position):
        return None
    position += 1
    dotted = True  # right after a dot: a bare name may follow
    while True:
        if text.startswith("[]", position):
            return position + 2, True
        key_end = _key(text, position, path, dotted=dotted)
        if key_end is None:
            if dotted and position > 1 and text[position - 1] == "." and path and text[position - 2] != " ":
                return None  # a dot with nothing after it, as in `.a.`
            if position == len(text) or text[position] in " \t\r\n|#":
                return position, False  # the term ends (`.` alone, or `.a.b`)
            return None
        position = key_end
        dotted = text.startswith(".", position) and not text.startswith("..", position)
        if dotted:
            position += 1


def _key(text: str, position: int, path: list[str], *, dotted: bool) -> int | None:
    """A field access at `position` (`name` or `"name"` after a dot, `["name"]` anywhere)."""
    if dotted:
        match = _IDENT.match(text, position) or _PLAIN_STRING.match(text, position)
        if match is not None:
            token = match.group()
            path.append(json.loads(token) if token.startswith('"') else token)
            return match.end()
    if text.startswith("[", position):
        inner = _skip_space(text, position + 1)
        match = _PLAIN_STRING.match(text, inner)
        if match is not None:
            close = _skip_space(text, match.end())
            if text.startswith("]", close):
                path.append(json.loads(match.group()))
                return close + 1
    return None
