"""The response's facts as jq variables: $status, $headers, $elapsed, $url, $method, $retries.

They are named and shaped as --envelope names them, and usable in every jq expression apicli
runs (--jq, --until, --assert, --capture). A program is compiled once, before anything is sent,
but the facts exist only when the answer has come; so a program that names one of them gets
its input wrapped instead of being compiled again: it runs on `[FACTS, BODY]`, and a prefix
binds the variables and hands the body on as `.`. A program that names none of them runs on
the body as it is, at no cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

RESPONSE_VARIABLES = ("status", "headers", "elapsed", "url", "method", "retries")
_NAMED = re.compile(r"\$(?:" + "|".join(RESPONSE_VARIABLES) + r")(?![A-Za-z0-9_])")
# Names no user program spells (jq variables cannot start with a digit after the underscores).
_FACTS, _BODY = "$__apicli_facts", "$__apicli_body"
# One line, so that $__loc__ in the program still counts the program's own lines from 1.
WRAPPER = (
    f". as [{_FACTS}, {_BODY}] | {_FACTS} as {{"
    + ", ".join(f"${name}" for name in RESPONSE_VARIABLES)
    + f"}} | {_BODY} | "
)
NO_FACTS = b"{}"  # every variable null: a program run where no response is at hand


def names_response(source: str) -> bool:
    """Whether `source` may use a response variable (a mention inside a string also counts: harmless)."""
    return _NAMED.search(source) is not None


def wrapped(facts: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The input `[FACTS, BODY]` for a program compiled with WRAPPER, the body's chunks passed on as they come."""
    yield b"[" + facts + b","
    yield from chunks
    yield b"]"
