"""Pretty-print and colour JSON for the terminal, fast enough for documents of tens of megabytes.

orjson parses and indents. Colouring never visits tokens one by one in Python: every step is a
bulk C-level operation (``bytes.replace``, ``split``, ``%`` formatting) over runs of whole lines.

1. The second byte of each escaped quote (and escaped backslash) is swapped for a control byte,
   which JSON text never holds raw, so that every remaining ``"`` opens or closes a string.
2. Splitting on ``"`` alternates layout and string bodies. The layout is rebuilt with a
   ``\\x00`` where each string was; with string bodies out of the way, ``bytes.replace`` can
   tell keys (a ``\\x00`` before ``:``), other strings and ``true``/``false``/``null`` apart.
   Numbers keep the terminal's default colour.
3. Each ``\\x00`` becomes ``<colour>"%s"<reset>`` and one ``%`` formatting puts the string
   bodies back.

The uncoloured text equals ``json.dumps(value, indent=2, ensure_ascii=False)`` plus a newline.
orjson spells some floats differently from Python's ``repr`` (``0.00001`` for ``1e-05``,
``1e-7`` for ``1e-07``, and before orjson 3.11.7 ``1e16`` for ``1e+16``); those spellings are
rewritten to Python's, so both outputs mean the same numbers and also read the same.
"""

from __future__ import annotations

import gc
import json
import math
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

import orjson

from apicli.errors import ParseError

from ..palette import BOOL_COLOR, KEY_COLOR, NULL_COLOR, RESET, STRING_COLOR
from .widenumbers import has_wide_integer

__all__ = [
    "BOOL_COLOR",
    "KEY_COLOR",
    "NULL_COLOR",
    "RESET",
    "STRING_COLOR",
    "colorize_indented",
    "render_exact",
    "render_json",
    "render_value",
    "strip_ansi",
]


_ORJSON_INDENT = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
_UTF8_BOM = b"\xef\xbb\xbf"

# Stand-ins while colouring. JSON text never holds these bytes raw: serialisers escape control characters.
# An escape keeps its backslash and only its second byte is swapped, so hiding and restoring keep the
# length (bytes.replace then makes a single copy) and restoring looks for a single byte.
_STRING_SLOT = b"\x00"
_BACKSLASH_STAND_IN = b"\x01"
_QUOTE_STAND_IN = b"\x02"

# Colouring works on runs of about this many bytes; see _colorize.
_RUN_SIZE = 256 * 1024

_ANSI_SEQUENCE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
_OWN_SEQUENCES = (KEY_COLOR, STRING_COLOR, BOOL_COLOR, NULL_COLOR, RESET)


_FloatFix = tuple[bytes, re.Pattern[bytes], bytes]


def _float_fixes() -> tuple[_FloatFix, ...]:
    """Rewrites that turn this orjson's float spellings into Python's repr, found by probing.

    Each is (a literal the pattern needs, pattern, replacement). Every pattern is anchored on
    a number that ends its line (``,`` or newline next), which in indented JSON only a number
    token can do, so text inside strings is never touched.
    """
    fixes: list[_FloatFix] = []
    if orjson.dumps(1e16) == b"1e16":
        # Exponent without a sign: 1e16 -> 1e+16.
        fixes.append((b"e", re.compile(rb"e(?<=[0-9]e)(?=[0-9]+,?\n)"), b"e+"))
    if orjson.dumps(1e-7) == b"1e-7":
        # One-digit exponent: 1e-7 -> 1e-07.
        fixes.append((b"e-", re.compile(rb"e-(?=[0-9],?\n)"), b"e-0"))
    if orjson.dumps(1.5e-5) == b"0.000015":
        # Plain decimals below 1e-4, which repr writes with an exponent: 0.000015 -> 1.5e-05 and
        # 0.00001 -> 1e-05. One pattern does both: the point is captured (from behind) only when
        # more digits follow, and a group that did not take part is substituted as empty.
        small = rb"0\.0000(?<![0-9]0\.0000)(?:(?<=0(\.)0000)([1-9])([0-9]+)|([1-9]))(?=,?\n)"
        fixes.append((b"0.0000", re.compile(small), rb"\2\4\1\3e-05"))
    return tuple(fixes)


_FLOAT_FIXES = _float_fixes()
# Whether this orjson writes positive exponents with a sign (3.11.7 and later).
_SIGNED_EXPONENT = orjson.dumps(1e16) == b"1e+16"


def _fix_floats(text: bytes) -> bytes:
    for needed, pattern, replacement in _FLOAT_FIXES:
        if needed in text:  # a cheap scan that usually spares the regex one
            text = pattern.sub(replacement, text)
    return text


class _VerbatimNumbers:
    """Parser hooks that keep numbers orjson cannot write as their literal text.

    Integers beyond 64 bits and numbers beyond double range (``1e400``) stand in as marked
    strings, so that orjson can serialise the rest; ``restore`` then swaps each serialised
    marker back for the literal.
    """

    def __init__(self, *, every_literal: bool = False) -> None:
        self._nonce = secrets.token_hex(8)
        self.used = False
        self.every_literal = every_literal  # keep each float's literal, and each integer's that int() would change

    def _mark(self, literal: str) -> str:
        self.used = True
        return f"\x00{self._nonce}{literal}"

    def parse_int(self, literal: str) -> int | str:
        if self.every_literal and literal == "-0":
            return self._mark(literal)
        if len(literal) < 19:
            return int(literal)
        try:
            number = int(literal)
        except ValueError:  # more digits than Python converts
            return self._mark(literal)
        return number if -(2**63) <= number < 2**64 else self._mark(literal)

    def parse_float(self, literal: str) -> float | str:
        if self.every_literal:
            return self._mark(literal)
        number = float(literal)
        return number if math.isfinite(number) else self._mark(literal)

    def restore(self, text: bytes) -> bytes:
        if not self.used:
            return text
        marker = re.compile(rb'"\\u0000' + self._nonce.encode() + rb'([-+.0-9eE]+)"')
        return marker.sub(rb"\1", text)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Parsing allocates millions of containers, and each burst makes the cycle collector re-scan
    # the growing heap: about half the parse time. Parsed JSON holds no cycles, so pausing is safe.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _dump_with_stdlib(value: object, indent: int) -> bytes:
    text = json.dumps(value, indent=indent, ensure_ascii=False) + "\n"
    # A lone surrogate (valid as a JSON escape) cannot be UTF-8; write it back as its escape.
    return text.encode("utf-8", "backslashreplace")


def _load_verbatim(text: bytes, numbers: _VerbatimNumbers) -> Any:
    """Parse with the json module, each number kept as written (through `numbers`); NaN and friends refused."""
    return json.loads(
        text.decode("utf-8"),
        parse_int=numbers.parse_int,
        parse_float=numbers.parse_float,
        parse_constant=_reject_constant,
    )


def _render_with_stdlib(body: bytes, indent: int, orjson_error: Exception | None) -> bytes:
    """Parse with the json module, for what orjson rejects or would change; floats come out as repr."""
    numbers = _VerbatimNumbers()
    try:
        value = _load_verbatim(body, numbers)
        text = None
        if indent == 2:
            with suppress(orjson.JSONEncodeError):  # lone surrogates, deep nesting
                text = _fix_floats(orjson.dumps(value, option=_ORJSON_INDENT))
        if text is None:
            text = _dump_with_stdlib(value, indent)
    except RecursionError:
        raise ParseError("JSON document is nested too deeply") from None
    except ValueError as exc:  # also JSONDecodeError and UnicodeDecodeError
        raise ParseError(f"invalid JSON: {orjson_error or exc}") from None
    return numbers.restore(text)


def _indent(body: bytes, indent: int) -> tuple[bytes, bool]:
    """Indented text of ``body`` ending in a newline, and whether its floats are still spelled by orjson."""
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM) :]  # RFC 8259 lets parsers ignore a BOM; some servers send one
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # Valid JSON that orjson refuses (a lone surrogate escape, 1e400) still renders.
        return _render_with_stdlib(body, indent, exc), False
    text = None
    if indent == 2:
        with suppress(orjson.JSONEncodeError):  # nested deeper than orjson writes
            text = orjson.dumps(value, option=_ORJSON_INDENT)
    # orjson reads an integer beyond 64 bits as a float, which it then writes as 1e+18 or more.
    # Without such a float in the output (one scan) the slower look at the input is not needed.
    maybe_wide = text is None or not _SIGNED_EXPONENT or b"e+" in text
    if maybe_wide and has_wide_integer(body):
        return _render_with_stdlib(body, indent, None), False
    if text is not None:
        return text, True
    try:
        return _dump_with_stdlib(value, indent), False
    except RecursionError:
        raise ParseError("JSON document is nested too deeply") from None


def render_json(body: bytes, *, color: bool, indent: int = 2) -> bytes:
    """Parse ``body`` and return it indented, ending in a newline, ANSI-coloured if ``color``.

    Raises ParseError for anything that is not one JSON document (NaN and Infinity included).
    Documents with integers beyond 64 bits, lone surrogate escapes or numbers beyond double range
    are parsed by the json module instead, slower but exact; such numbers keep their spelling.
    An ``indent`` other than 2 is written by the json module.
    """
    if indent < 0:
        raise ValueError("indent must not be negative")
    with _gc_paused():
        text, by_orjson = _indent(body, indent)
        if color:
            return _colorize(text, fix_floats=by_orjson)
        return _fix_floats(text) if by_orjson else text


def render_value(value: object, *, color: bool) -> bytes:
    """Indent one already-parsed JSON value, ending in a newline, ANSI-coloured if ``color``.

    Raises TypeError or ValueError, as json.dumps does, for values JSON cannot represent.
    orjson writes NaN and infinities as null.
    """
    try:
        text, by_orjson = orjson.dumps(value, option=_ORJSON_INDENT), True
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits, non-string keys, lone surrogates, deep nesting.
        text, by_orjson = _dump_with_stdlib(value, 2), False
    if color:
        return _colorize(text, fix_floats=by_orjson)
    return _fix_floats(text) if by_orjson else text


def render_exact(text: bytes, *, color: bool) -> bytes | None:
    """Compact JSON ``text``, as jq writes it, indented (and maybe coloured) and ending in a newline,
    with every number spelled as in ``text``; None when it cannot be parsed here (nested too deeply).

    orjson indents it when it writes the parsed value back as ``text`` exactly (no number is
    respelled, and floats are left as they are, unlike render_json); otherwise the json module
    parses it with every float, and every integer that would change, kept as its literal.
    """
    with _gc_paused():
        indented = _indent_exact(text)
        if indented is None:
            return None
        return _colorize(indented, fix_floats=False) if color else indented


def _indent_exact(text: bytes) -> bytes | None:
    try:
        value = orjson.loads(text)
        if orjson.dumps(value) == text:
            return orjson.dumps(value, option=_ORJSON_INDENT)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass
    numbers = _VerbatimNumbers(every_literal=True)
    try:
        value = _load_verbatim(text, numbers)
        try:
            indented = orjson.dumps(value, option=_ORJSON_INDENT)
        except orjson.JSONEncodeError:  # lone surrogates, deep nesting
            indented = _dump_with_stdlib(value, 2)
    except (ValueError, RecursionError):
        return None
    indented = numbers.restore(indented)
    # jq escapes DEL, which both serialisers write raw; text as jq writes it holds no raw DEL.
    return indented.replace(b"\x7f", b"\\u007f") if b"\x7f" in indented else indented


def colorize_indented(text: bytes) -> bytes:
    """Colour JSON text (indented or compact, as json.dumps or orjson write it) for a terminal.

    Removing the colour codes again (``strip_ansi``) gives back ``text`` exactly. Text holding
    raw NUL, SOH or STX bytes cannot be JSON and comes back unchanged.
    """
    return _colorize(text, fix_floats=False)


def _colorize(text: bytes, *, fix_floats: bool) -> bytes:
    # Work through the text in runs of whole lines (no JSON token spans a newline). Every step
    # copies its input, and on a whole document each copy lands in freshly mapped memory whose
    # page faults cost more than the copying; runs this size stay in cache and reuse the heap.
    if len(text) <= _RUN_SIZE:
        return _colorize_lines(text, fix_floats)
    runs = []
    start = 0
    while start < len(text):
        end = text.find(b"\n", start + _RUN_SIZE) + 1
        if end == 0:
            end = len(text)
        runs.append(_colorize_lines(text[start:end], fix_floats))
        start = end
    return b"".join(runs)


def _colorize_lines(text: bytes, fix_floats: bool) -> bytes:
    if b"\x00" in text or b"\x01" in text or b"\x02" in text:
        return text
    hidden = text
    if b"\\" in hidden:
        # Hide escaped quotes so that each remaining quote delimits a string; escaped backslashes
        # go first, or the last one in "C:\\" would seem to escape the closing quote.
        hidden = hidden.replace(b"\\\\", b"\\" + _BACKSLASH_STAND_IN)
        hidden = hidden.replace(b'\\"', b"\\" + _QUOTE_STAND_IN)

    parts = hidden.split(b'"')
    if len(parts) % 2 == 0:
        return text  # an unterminated string: not JSON
    strings = tuple(parts[1::2])
    # %-formatting builds the layout: bytes.join would first allocate a buffer record per item.
    layout = (b"%s" + _STRING_SLOT) * len(strings) + b"%s"
    layout %= tuple(parts[0::2])
    del parts

    if b"%" in layout:
        layout = layout.replace(b"%", b"%%")  # not JSON, but must survive the final formatting
    if fix_floats:
        layout = _fix_floats(layout)
    # Outside strings these words can only be the literals themselves.
    layout = layout.replace(b"true", BOOL_COLOR + b"true" + RESET)
    layout = layout.replace(b"false", BOOL_COLOR + b"false" + RESET)
    layout = layout.replace(b"null", NULL_COLOR + b"null" + RESET)
    layout = layout.replace(_STRING_SLOT + b":", KEY_COLOR + b'"%s"' + RESET + b":")
    layout = layout.replace(_STRING_SLOT, STRING_COLOR + b'"%s"' + RESET)
    colored = layout % strings
    if hidden is not text:
        colored = colored.replace(_QUOTE_STAND_IN, b'"').replace(_BACKSLASH_STAND_IN, b"\\")
    return colored


def strip_ansi(text: bytes) -> bytes:
    """Remove ANSI escape sequences (CSI, such as colours) from ``text``."""
    for sequence in _OWN_SEQUENCES:
        text = text.replace(sequence, b"")
    if b"\x1b" in text:
        text = _ANSI_SEQUENCE.sub(b"", text)
    return text
