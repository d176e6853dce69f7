"""Pretty-printing a JSON document of any size in constant memory.

A document that fits in one window (a few MiB) is rendered whole, as before. A larger one is
walked container by container: the members of a container are taken in batches that end
where the window allows, and each batch is rendered by the same fast renderer as a whole
document (orjson and bulk colouring), then indented to its depth. Whether a batch really ends
at a member boundary is decided by the renderer itself: a cut inside a string or a nested
value does not parse, and an earlier cut is tried. A single member larger than the window is
descended into, with a stack of open containers rather than recursion (past JSON_DEPTH levels
the body is refused), and a string larger than the window is written in pieces as it is
scanned. Memory therefore stays near the window size whatever the document's size, time stays
linear in it, and the uncoloured text is the same as json.dumps(indent=2) of the whole document.

This is apicli's one JSON indenter: a body, a record, an item and a --jq result all come here.
With `exact`, for JSON text that must be shown as it was written (jq's output, whose numbers
jq spelled), every number and string keeps its spelling: batches are rendered in bulk only
where orjson writes them back byte for byte, and anything else is walked token by token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import orjson

from ..errors import ParseError, ResponseFormatError
from ..formats.jsonreader import JsonReader, likely_cuts
from ..limits import JSON_DEPTH
from .colorize import BOOL_COLOR, KEY_COLOR, NULL_COLOR, RESET, STRING_COLOR, render_exact, render_json, render_value

WINDOW = 512 * 1024
MAX_SCALAR = 1024 * 1024  # one number (or literal): past this the body is refused rather than held
_VALUE_START = frozenset(b'{["-0123456789tfn')
_ATTEMPTS = 16  # cut points tried per window before descending into a member
_SCALAR = re.compile(rb"[^\s,\]}:]+")
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERAL_COLORS = {b"true": BOOL_COLOR, b"false": BOOL_COLOR, b"null": NULL_COLOR}
# A string's text as whole units: runs of plain bytes and complete escapes. Possessive: the match
# is linear and keeps no backtracking state, however long the string.
_STRING_UNITS = re.compile(rb'[^"\\]*+(?:\\(?:u[0-9a-fA-F]{4}|[^u])[^"\\]*+)*+')
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_MIN_PIECE = 64  # a string piece holds at least this much, so that backing off never leaves it empty


def iter_pretty(
    chunks: Iterator[bytes],
    *,
    color: bool,
    verbatim: Callable[[bytes], bytes] | None = None,
    exact: bool = False,
) -> Iterator[bytes]:
    """The pretty (and maybe coloured) text of the JSON document in `chunks`, piece by piece.

    A document within one window that is not JSON comes back unchanged (through `verbatim`, when
    given), as a whole-body render does; a larger one that turns out not to be JSON raises
    ResponseFormatError. With `exact`, numbers and strings keep their spelling (see the module
    docstring); the text is expected to be compact and valid, as jq writes it.
    """
    reader = JsonReader(chunks, window=WINDOW, max_scalar=MAX_SCALAR)
    reader.fill(WINDOW + 1)
    if reader.ended:
        body = reader.data
        if not exact:
            try:
                yield render_json(body, color=color)
            except ParseError:
                yield body if verbatim is None else verbatim(body)
            return
        rendered = render_exact(body, color=color)
        if rendered is not None:
            yield rendered
            return
    first = reader.skip_whitespace()
    if first == -1:
        return
    if first not in _VALUE_START:
        raise reader.error("it does not start with a JSON value")
    yield from _value(reader, color, exact)
    yield b"\n"
    if reader.skip_whitespace() != -1:
        raise reader.error("more data after the document")


class _Open:
    """A container being written: its brackets and whether a member has been written yet."""

    __slots__ = ("close_b", "members", "open_b")

    def __init__(self, open_b: bytes, close_b: bytes) -> None:
        self.open_b = open_b
        self.close_b = close_b
        self.members = 0


def pretty_json(
    text: bytes, *, color: bool, verbatim: Callable[[bytes], bytes] | None = None, exact: bool = False
) -> bytes:
    """A whole JSON text indented (and maybe coloured), ending in a newline; text that is not JSON
    comes back as it is, or as `verbatim` makes it."""
    try:
        return b"".join(iter_pretty(iter([text]), color=color, verbatim=verbatim, exact=exact))
    except ResponseFormatError:
        return text if verbatim is None else verbatim(text)


def pretty_value(value: object, *, color: bool) -> bytes:
    """One parsed JSON value (a page's item) indented, ending in a newline: what pretty_json makes
    of its text, without writing the text first."""
    return render_value(value, color=color)


def _value(reader: JsonReader, color: bool, exact: bool) -> Iterator[bytes]:
    """The document's value, walked with a stack of open containers (never Python recursion on depth)."""
    opened: list[_Open] = []
    want_value = True  # the next thing to write is a value (the document, or a member descended into)
    while True:
        if want_value:
            want_value = False
            first = reader.skip_whitespace()
            if first == -1:
                raise reader.error("a value")
            if first in b"[{":
                if len(opened) == JSON_DEPTH and not exact:  # jq's results are bounded in size, not depth
                    raise reader.error(f"arrays and objects nested deeper than {JSON_DEPTH} levels")
                open_b, close_b = (b"[", b"]") if first == ord("[") else (b"{", b"}")
                reader.pos += 1
                if reader.skip_whitespace() == close_b[0]:
                    reader.pos += 1
                    yield open_b + close_b
                else:
                    yield open_b + b"\n"
                    opened.append(_Open(open_b, close_b))
                    yield from _next_member(reader, opened, color, exact)
                    want_value = _descending(opened)
                    continue
            elif first == ord('"'):
                yield from _string(reader, STRING_COLOR if color else b"", exact)
            elif exact:
                yield _exact_scalar(reader, color)
            else:
                token = reader.token(_SCALAR, "value")
                try:
                    yield render_json(token, color=color).rstrip(b"\n")
                except ParseError:
                    raise reader.error(f"{token[:40]!r}") from None
        # A value was written: close what it ended, and go on with the next member of its container.
        while opened:
            container = opened[-1]
            following = reader.skip_whitespace()
            if following == ord(","):
                reader.pos += 1
                yield from _next_member(reader, opened, color, exact)
                if _descending(opened):
                    want_value = True
                    break
            elif following == container.close_b[0]:
                reader.pos += 1
                opened.pop()
                yield b"\n" + b"  " * len(opened) + container.close_b
            else:
                raise reader.error(f"',' or {container.close_b.decode()!r} expected")
        if not opened and not want_value:
            return


_DESCEND = -1  # marks a container whose next member is too large for a batch: it is walked value by value


def _descending(opened: list[_Open]) -> bool:
    container = opened[-1]
    if container.members == _DESCEND:
        container.members = 1
        return True
    return False


def _exact_scalar(reader: JsonReader, color: bool) -> bytes:
    """A number as it is spelled, or a literal in its colour."""
    token = reader.token(_SCALAR, "value")
    literal_color = _LITERAL_COLORS.get(token)
    if literal_color is not None:
        return literal_color + token + RESET if color else token
    if _NUMBER.fullmatch(token) is None:
        raise reader.error(f"{token[:40]!r}")
    return token


def _next_member(reader: JsonReader, opened: list[_Open], color: bool, exact: bool) -> Iterator[bytes]:
    """Write the next members of the innermost container: a batch, or the start of one member too large for it."""
    container = opened[-1]
    depth = len(opened) - 1
    separator = b",\n" if container.members else b""
    batch = _batch(reader, container.open_b, container.close_b, color, exact)
    if batch is not None:
        # The batch was rendered at depth 0: its members sit two spaces in; move them to this depth.
        inner = batch[batch.index(b"\n") + 1 : batch.rindex(b"\n", 0, len(batch) - 1)]
        if depth:
            shift = b"  " * depth
            inner = shift + inner.replace(b"\n", b"\n" + shift)
        container.members += 1
        yield separator + inner
        return
    # One member is larger than the window: its key here, its value walked by the caller.
    yield separator + b"  " * (depth + 1)
    if container.open_b == b"{":
        if reader.skip_whitespace() != ord('"'):
            raise reader.error("a key")
        yield from _string(reader, KEY_COLOR if color else b"", exact)
        yield b": "
        reader.expect(ord(":"))
    container.members = _DESCEND


def _string(reader: JsonReader, color_code: bytes, exact: bool) -> Iterator[bytes]:
    """A string (at reader.pos) as the renderer writes it, in pieces: a string of any length in bounded memory."""
    yield color_code + b'"'
    for piece in _string_pieces(reader):
        if exact:
            yield piece
            continue
        try:
            yield render_json(b'"' + piece + b'"', color=False)[1:-2]
        except ParseError:
            raise reader.error(f"an invalid string {piece[:40]!r}") from None
    yield b'"' + (RESET if color_code else b"")


def _string_pieces(reader: JsonReader) -> Iterator[bytes]:
    """The text between a string's quotes, in pieces of whole characters and whole escapes.

    Each piece is cut where it can be rendered alone: never inside an escape, a UTF-8
    character, or between the two escapes of a surrogate pair. The scan is one linear regex
    match per piece, so a string costs time in proportion to its length.
    """
    reader.pos += 1
    size = max(WINDOW, _MIN_PIECE)
    while True:
        reader.fill(size + 8)  # a few bytes past the piece: where it ends is seen, not guessed
        data, start = reader.data, reader.pos
        limit = min(len(data), start + size)
        end = _STRING_UNITS.match(data, start, limit).end()  # type: ignore[union-attr]  # it matches empty
        if end < limit and data[end] == ord('"'):
            reader.pos = end + 1
            if end > start:
                yield data[start:end]
            return
        if end == start:
            # An escape at the start that does not complete: invalid, or the body ended inside it.
            if reader.ended and limit == len(data) and end == limit:
                raise reader.error("an unfinished string")
            raise reader.error("an invalid escape in a string")
        cut = end
        if end == limit:
            if reader.ended and limit == len(data):
                raise reader.error("an unfinished string")
            while cut > start and data[cut] & 0xC0 == 0x80:
                cut -= 1  # inside a UTF-8 character: it starts the next piece
        if cut - 6 >= start and _HIGH_SURROGATE.match(data, cut - 6, cut) and _escapes(data, cut - 6, start):
            cut -= 6  # keep a surrogate pair's two escapes together
        reader.pos = cut
        yield data[start:cut]


def _escapes(data: bytes, backslash: int, start: int) -> bool:
    """Whether the backslash at `backslash` starts an escape: the run of backslashes up to it is odd."""
    run = backslash + 1 - len(data[start : backslash + 1].rstrip(b"\\")) - start
    return run % 2 == 1


_TAIL = 64 * 1024


def _cuts(region: bytes, close_b: bytes, pattern: re.Pattern[bytes]) -> Iterator[int]:
    """Candidate cut points, from the end of the region backwards: the closer first, then separators."""
    closer = region.rfind(close_b)
    if closer > 0:
        yield closer
    end, tail = len(region), _TAIL
    while end > 0:
        start = max(0, end - tail)
        found = [match.start(1) for match in pattern.finditer(region, start, end)]
        yield from reversed(found)
        end, tail = start, tail * 4


def _batch(reader: JsonReader, open_b: bytes, close_b: bytes, color: bool, exact: bool) -> bytes | None:
    """The rendered text of as many whole members as the window holds, consumed; None when not even one fits.

    A cut is checked by parsing; where a parse fails tells that every good cut lies before that
    point (the text up to it was valid), so later tries skip the cuts after it.
    """
    reader.fill(WINDOW)
    region = reader.data[reader.pos : reader.pos + WINDOW]
    pattern = likely_cuts(open_b, region)
    bound = len(region) + 1
    attempts = 0
    for cut in _cuts(region, close_b, pattern):
        if cut >= bound:
            continue
        if attempts == _ATTEMPTS:
            break
        attempts += 1
        candidate = open_b + region[:cut] + close_b
        try:
            orjson.loads(candidate)
        except orjson.JSONDecodeError as exc:
            # Exact text may hold a number orjson refuses (1E+1000), which render_exact reads.
            if not exact or "infinity" not in str(exc):
                bound = _byte_offset(candidate, exc.pos) - 1  # in region coordinates: the bracket came first
                continue
        if exact:
            exact_text = render_exact(candidate, color=color)
            if exact_text is None:  # not valid after all, or nested too deeply: a shorter batch, or a walk
                bound = cut
                continue
            rendered = exact_text
        else:
            try:
                rendered = render_json(candidate, color=color)
            except ParseError:
                continue
        reader.pos += cut
        return rendered
    return None


def _byte_offset(text: bytes, characters: int) -> int:
    """Where the `characters`-th character of UTF-8 `text` starts (orjson counts characters)."""
    head = text[: 4 * characters + 4].decode("utf-8", "ignore")[:characters]
    return len(head.encode("utf-8"))
