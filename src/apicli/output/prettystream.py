"""Pretty-printing a JSON document of any size in constant memory.

A document that fits in one window (a few MiB) is rendered whole, as before. A larger one is
walked container by container: the members of a container are taken in batches that end
where the window allows, and each batch is rendered by the same fast renderer as a whole
document (orjson and bulk colouring), then indented to its depth. Whether a batch really ends
at a member boundary is decided by the renderer itself: a cut inside a string or a nested
value does not parse, and an earlier cut is tried. A single member larger than the window is
descended into. Memory therefore stays near the window size whatever the document's size, and
the uncoloured text is the same as json.dumps(indent=2) of the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import orjson

from ..errors import ParseError, ResponseFormatError
from .colorize import KEY_COLOR, RESET, render_json

WINDOW = 512 * 1024
MAX_TOKEN = 64 * 1024 * 1024  # one string or number: past this, the body is refused rather than held
_VALUE_START = frozenset(b'{["-0123456789tfn')
_ATTEMPTS = 16  # cut points tried per window before descending into a member
_WHITESPACE = b" \t\r\n"
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(rb"[^\s,\]}:]+")


class _Reader:
    """The body as one sliding buffer over its chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.data = b""
        self.pos = 0
        self.consumed = 0  # bytes dropped from the front, for error positions
        self.ended = False

    def fill(self, size: int) -> bool:
        """Have at least `size` bytes after pos, or all that is left; False when nothing is left."""
        if len(self.data) - self.pos < size and not self.ended:
            parts = [self.data[self.pos :]]
            have = len(parts[0])
            self.consumed += self.pos
            self.pos = 0
            while have < size:
                chunk = next(self.chunks, None)
                if chunk is None:
                    self.ended = True
                    break
                parts.append(chunk)
                have += len(chunk)
            self.data = b"".join(parts)
        return self.pos < len(self.data)

    def skip_whitespace(self) -> int:
        """The next byte that is not whitespace (not consumed), or -1 at the end."""
        while True:
            while self.pos < len(self.data) and self.data[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.data):
                return self.data[self.pos]
            if not self.fill(WINDOW):
                return -1

    def token(self, pattern: re.Pattern[bytes], what: str) -> bytes:
        """The token at pos; the buffer grows until it is whole (a string may be long)."""
        size = WINDOW
        while True:
            self.fill(size)
            match = pattern.match(self.data, self.pos)
            if match is not None and (match.end() < len(self.data) or self.ended):
                self.pos = match.end()
                return match.group()
            if self.ended:
                raise self.error(f"an unfinished {what}")
            if len(self.data) - self.pos > MAX_TOKEN:
                raise self.error(f"a {what} longer than {MAX_TOKEN // (1024 * 1024)} MiB")
            size = 2 * max(size, len(self.data) - self.pos)

    def expect(self, byte: int) -> None:
        if self.skip_whitespace() != byte:
            raise self.error(f"{chr(byte)!r} expected")
        self.pos += 1

    def error(self, what: str) -> ResponseFormatError:
        return ResponseFormatError(
            f"the body is not valid JSON: {what} at byte {self.consumed + self.pos}",
            hint="the output above is incomplete; save the body with -o FILE to look at it",
        )


def iter_pretty(
    chunks: Iterator[bytes], *, color: bool, verbatim: Callable[[bytes], bytes] | None = None
) -> Iterator[bytes]:
    """The pretty (and maybe coloured) text of the JSON document in `chunks`, piece by piece.

    A document within one window that is not JSON comes back unchanged (through `verbatim`, when
    given), as a whole-body render does; a larger one that turns out not to be JSON raises
    ResponseFormatError.
    """
    reader = _Reader(chunks)
    reader.fill(WINDOW + 1)
    if reader.ended:
        body = reader.data
        try:
            yield render_json(body, color=color)
        except ParseError:
            yield body if verbatim is None else verbatim(body)
        return
    first = reader.skip_whitespace()
    if first == -1:
        return
    if first not in _VALUE_START:
        raise reader.error("it does not start with a JSON value")
    yield from _value(reader, 0, color)
    yield b"\n"
    if reader.skip_whitespace() != -1:
        raise reader.error("more data after the document")


def _value(reader: _Reader, depth: int, color: bool) -> Iterator[bytes]:
    first = reader.skip_whitespace()
    if first == -1:
        raise reader.error("a value")
    if first in b"[{":
        yield from _container(reader, depth, color, first)
        return
    token = reader.token(_STRING, "string") if first == ord('"') else reader.token(_SCALAR, "value")
    try:
        yield render_json(token, color=color).rstrip(b"\n")
    except ParseError:
        raise reader.error(f"{token[:40]!r}") from None


def _scalar_text(reader: _Reader, token: bytes) -> bytes:
    """A key as json.dumps writes it (escapes it needs no more are undone), without colour."""
    try:
        return render_json(token, color=False).rstrip(b"\n")
    except ParseError:
        raise reader.error(f"{token[:40]!r}") from None


def _container(reader: _Reader, depth: int, color: bool, opener: int) -> Iterator[bytes]:
    open_b, close_b = (b"[", b"]") if opener == ord("[") else (b"{", b"}")
    reader.pos += 1
    if reader.skip_whitespace() == close_b[0]:
        reader.pos += 1
        yield open_b + close_b
        return
    yield open_b + b"\n"
    pad = b"  " * (depth + 1)
    first = True
    while True:
        batch = _batch(reader, open_b, close_b, color)
        separator = b"" if first else b",\n"
        first = False
        if batch is not None:
            # The batch was rendered at depth 0: its members sit two spaces in; move them to this depth.
            inner = batch[batch.index(b"\n") + 1 : batch.rindex(b"\n", 0, len(batch) - 1)]
            if depth:
                shift = b"  " * depth
                inner = shift + inner.replace(b"\n", b"\n" + shift)
            yield separator + inner
        else:
            # One member is larger than the window: descend into it.
            yield separator + pad
            if open_b == b"{":
                if reader.skip_whitespace() != ord('"'):
                    raise reader.error("a key")
                key = _scalar_text(reader, reader.token(_STRING, "key"))
                yield (KEY_COLOR + key + RESET if color else key) + b": "
                reader.expect(ord(":"))
            yield from _value(reader, depth + 1, color)
        following = reader.skip_whitespace()
        if following == ord(","):
            reader.pos += 1
        elif following == close_b[0]:
            reader.pos += 1
            yield b"\n" + b"  " * depth + close_b
            return
        else:
            raise reader.error(f"',' or {close_b.decode()!r} expected")


# Where a member likely ends: a comma between two members that look alike (`},{`, `],[`), or,
# in an object, a comma before the next key. Any cut is checked by rendering; these only order the tries.
_BETWEEN = {
    ord("{"): re.compile(rb"\}\s*(,)\s*\{"),
    ord("["): re.compile(rb"\]\s*(,)\s*\["),
    ord('"'): re.compile(rb'"\s*(,)\s*"'),
}
_ANY_COMMA = re.compile(rb"(,)")
_BEFORE_KEY = re.compile(rb"(,)\s*\"")
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


def _batch(reader: _Reader, open_b: bytes, close_b: bytes, color: bool) -> bytes | None:
    """The rendered text of as many whole members as the window holds, consumed; None when not even one fits.

    A cut is checked by parsing; where a parse fails tells that every good cut lies before that
    point (the text up to it was valid), so later tries skip the cuts after it.
    """
    reader.fill(WINDOW)
    region = reader.data[reader.pos : reader.pos + WINDOW]
    lead = region.lstrip(_WHITESPACE)[:1]
    pattern = _BEFORE_KEY if open_b == b"{" else (_BETWEEN.get(lead[0], _ANY_COMMA) if lead else _ANY_COMMA)
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
            bound = _byte_offset(candidate, exc.pos) - 1  # in region coordinates: the bracket came first
            continue
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
