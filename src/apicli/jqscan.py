"""Which jq programs may run in this process: those that cannot compute for long.

libjq holds the GIL while it evaluates, so a program that computes for minutes would leave
--max-time and Ctrl-C no way in; that is why jq normally runs in a forked child (jqworker.py).
The fork costs milliseconds, which matters for --until's checks on small bodies. A program
whose every call is a keyword or a builtin that costs at most n log n in its input, and that
uses no arithmetic operator that can repeat or split (`*`, `/`, `-`), finishes quickly on a
small input, and may run here. Anything else, or anything this scan does not understand, goes
to the child: a wrong "no" only costs the fork.
"""

from __future__ import annotations

import re

# Builtins whose cost grows at most as n log n with their input: paths, tests of type and
# shape, conversions, sorting. Regular expressions (backtracking), substring searches
# (`contains`, `index`, `split`), generators (`range`, `recurse`, `repeat`, `while`,
# `until`, `limit`), definitions, `reduce`/`foreach`, the builtins jq defines with `reduce`
# over a growing value (`add`, `join`, `flatten`, `from_entries`, `with_entries`), `del` and
# the assignments and `map_values` (path by path, each maybe a copy), and `env` are left out.
_BOUNDED = frozenset(
    {
        # keywords
        "if", "then", "elif", "else", "end", "and", "or", "not", "as", "try", "catch",
        "true", "false", "null",
        # shape and type
        "length", "utf8bytelength", "keys", "keys_unsorted", "values", "has", "in", "type",
        "arrays", "objects", "iterables", "booleans", "numbers", "strings", "nulls", "scalars",
        "isnan", "isinfinite", "isnormal", "infinite", "nan", "empty", "error", "select",
        # paths and collections
        "map", "to_entries", "any", "all",
        "first", "last", "reverse", "getpath", "paths", "leaf_paths", "path",
        "sort", "sort_by", "group_by", "unique", "unique_by", "min", "max", "min_by", "max_by",
        # conversions
        "tostring", "tonumber", "tojson", "fromjson", "ascii_downcase", "ascii_upcase",
        "ltrimstr", "rtrimstr", "startswith", "endswith", "explode", "implode",
        "floor", "ceil", "round", "sqrt", "fabs", "abs",
        "now", "todate", "fromdate", "todateiso8601", "fromdateiso8601",
    }
)  # fmt: skip
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?")
_UNBOUNDED_OPERATORS = frozenset("*/-")


class _NotBrief(Exception):
    """The program calls something unbounded, or the scan cannot tell (an unclosed string, say)."""


def runs_briefly(program: str) -> bool:
    """True when every name `program` calls is a keyword or a bounded builtin (see the module's notes)."""
    try:
        _scan_code(program, 0, inside_interpolation=False)
    except _NotBrief:
        return False
    return True


def _scan_code(text: str, position: int, *, inside_interpolation: bool) -> int:
    """Check code from `position` to the end, or to the `)` closing an interpolation; returns the end."""
    depth = 0
    while position < len(text):
        char = text[position]
        if char == "#":  # a comment, to the end of the line
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline + 1
        elif char == '"':
            position = _scan_string(text, position + 1)
        elif char.isdigit() or (char == "." and text[position + 1 : position + 2].isdigit()):
            match = _NUMBER.match(text, position)
            position = match.end() if match else position + 1
        elif _NAME.match(text, position):
            match = _NAME.match(text, position)
            assert match is not None
            previous = text[position - 1] if position else " "
            # `.name` is a field, `$name` a variable, `@name` a format: only a bare name is a call.
            if previous not in ".$@" and match.group() not in _BOUNDED:
                raise _NotBrief
            position = match.end()
        elif text.startswith("//", position):  # the alternative operator, not a division
            position += 2
        elif char == "=":
            if text.startswith("==", position):
                position += 2
            elif position and text[position - 1] in "!<>":
                position += 1
            else:  # an assignment (`=`, `|=`, `+=`, `//=`, …): jq updates it path by path, each maybe a copy
                raise _NotBrief
        elif char in _UNBOUNDED_OPERATORS:
            raise _NotBrief
        elif char == ")" and depth == 0 and inside_interpolation:
            return position + 1
        else:
            depth += {"(": 1, ")": -1}.get(char, 0)
            position += 1
    if inside_interpolation:
        raise _NotBrief
    return position


def _scan_string(text: str, position: int) -> int:
    """Skip a string literal from just after its quote; code in `\\(...)` is checked. Returns the end."""
    while position < len(text):
        char = text[position]
        if char == '"':
            return position + 1
        if char == "\\" and text[position + 1 : position + 2] == "(":
            position = _scan_code(text, position + 2, inside_interpolation=True)
        else:
            position += 2 if char == "\\" else 1
    raise _NotBrief
