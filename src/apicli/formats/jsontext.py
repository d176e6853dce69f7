"""JSON from outside (a server, a helper, a file) parsed without Python recursion on its depth.

orjson parses iteratively and refuses documents nested past its own limit; what it refuses but
JSON allows (a lone surrogate escape, say) falls back to the standard parser after a depth scan.
Either way a deep document is one clear refusal (JSONTooDeep), never a RecursionError. Integers
wider than 64 bits come back as floats: use this for values apicli reads (a token, a cache entry),
not for bodies it passes on, which keep their own text.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import orjson

from ..limits import JSON_DEPTH

_OPENERS = re.compile(rb"[\[{]")


class JSONTooDeep(ValueError):
    """The document nests arrays and objects deeper than JSON_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {JSON_DEPTH} levels")


def nesting_depth(data: bytes) -> int:
    """How deep `data`'s arrays and objects nest, strings ignored; the count stops past JSON_DEPTH."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > JSON_DEPTH:
                    break
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def loads(data: bytes | str) -> Any:
    """The value of the JSON text `data`; ValueError (JSONTooDeep past JSON_DEPTH) when it is not one."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise JSONTooDeep() from None
        # orjson refuses some of what JSON allows (lone surrogate escapes): the standard parser, depth first.
        if _OPENERS.search(raw) and nesting_depth(raw) > JSON_DEPTH:
            raise JSONTooDeep() from None
        previous = sys.getrecursionlimit()
        # json's C parser counts each level against the recursion limit: room for JSON_DEPTH of them.
        sys.setrecursionlimit(previous + JSON_DEPTH + 64)
        try:
            return json.loads(raw)
        except RecursionError:
            raise JSONTooDeep() from None
        finally:
            sys.setrecursionlimit(previous)
    return value
