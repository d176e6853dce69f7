"""A JSON body as one sliding buffer over its chunks: the reader under apicli's streaming JSON walks.

Every streaming walk of a body reads it through this: the constant-memory indenter
(output/prettystream.py), the --jq element splitter (filters/jqsplit.py) and paginate's page walk
(pagination/pagewalk.py). The buffer keeps only what the walk has not consumed; it counts the
lines it drops, so an error found deep in a body of any size can still be placed by line and
column, as a whole-body parser would. The walks cut a container's members into batches the same
way: at the likely cuts below, each checked by parsing the batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import ResponseFormatError

WINDOW = 512 * 1024
MAX_SCALAR = 1024 * 1024  # one number (or literal): past this the body is refused rather than held
WHITESPACE = b" \t\r\n"
# Where a member of a container likely ends: a comma between two members that look alike (`},{`,
# `],[`, `","`), or, in an object, a comma before the next key. Callers check every cut by parsing;
# these only order the tries.
_ALIKE = {
    ord("{"): re.compile(rb"\}\s*(,)\s*\{"),
    ord("["): re.compile(rb"\]\s*(,)\s*\["),
    ord('"'): re.compile(rb'"\s*(,)\s*"'),
}
_ANY_COMMA = re.compile(rb"(,)")
_TAIL = 64 * 1024  # the end of a region searched first for likely cuts; then four times as much, and so on
_SPACE = re.compile(rb"[ \t\r\n]*")
_BEFORE_KEY = re.compile(rb'(,)\s*"')


def likely_cuts(open_byte: bytes, region: bytes) -> re.Pattern[bytes]:
    """The pattern whose group 1 marks likely ends of a member, in a container opened by `open_byte`
    whose members start at `region`."""
    if open_byte == b"{":
        return _BEFORE_KEY
    lead = region.lstrip(WHITESPACE)[:1]
    return _ALIKE.get(lead[0], _ANY_COMMA) if lead else _ANY_COMMA


class JsonReader:
    """The body as one sliding buffer over its chunks; `pos` is the walk's place in `data`."""

    def __init__(self, chunks: Iterator[bytes], *, window: int = WINDOW, max_scalar: int = MAX_SCALAR) -> None:
        self.chunks = chunks
        self.window = window  # bytes read ahead at a time
        self.max_scalar = max_scalar
        self.data = b""
        self.pos = 0
        self.consumed = 0  # bytes dropped from the front, for error positions
        self.ended = False
        self.lines_dropped = 0  # newlines in the dropped bytes
        self.last_newline = -1  # where the last dropped newline was, counted from the body's start

    def fill(self, size: int) -> bool:
        """Have at least `size` bytes after pos, or all that is left; False when nothing is left."""
        if len(self.data) - self.pos < size and not self.ended:
            self._drop()
            parts = [self.data]
            have = len(self.data)
            while have < size:
                chunk = next(self.chunks, None)
                if chunk is None:
                    self.ended = True
                    break
                parts.append(chunk)
                have += len(chunk)
            self.data = b"".join(parts)
        return self.pos < len(self.data)

    def _drop(self) -> None:
        """Forget the bytes before pos (counting their lines first)."""
        if self.pos:
            newlines = self.data.count(b"\n", 0, self.pos)
            if newlines:
                self.lines_dropped += newlines
                self.last_newline = self.consumed + self.data.rindex(b"\n", 0, self.pos)
            self.consumed += self.pos
            self.data = self.data[self.pos :]
            self.pos = 0

    def place(self, offset: int) -> tuple[int, int]:
        """The line (from 1) and the number of bytes of that line before `offset` (a body offset
        not yet dropped): how a whole-body parser that counts bytes would place it."""
        local = offset - self.consumed
        newlines = self.data.count(b"\n", 0, local)
        last = self.data.rfind(b"\n", 0, local)
        line_start = (self.consumed + last if last >= 0 else self.last_newline) + 1
        return self.lines_dropped + newlines + 1, offset - line_start

    def skip_whitespace(self) -> int:
        """The next byte that is not whitespace (not consumed), or -1 at the end."""
        while True:
            self.pos = _SPACE.match(self.data, self.pos).end()  # type: ignore[union-attr]  # it matches empty
            if self.pos < len(self.data):
                return self.data[self.pos]
            if not self.fill(self.window):
                return -1

    def token(self, pattern: re.Pattern[bytes], what: str) -> bytes:
        """The token at pos; the buffer grows until it is whole (a string may be long)."""
        size = self.window
        while True:
            self.fill(size)
            match = pattern.match(self.data, self.pos)
            if match is not None and (match.end() < len(self.data) or self.ended):
                self.pos = match.end()
                return match.group()
            if self.ended:
                raise self.error(f"an unfinished {what}")
            if len(self.data) - self.pos > self.max_scalar:
                raise self.error(f"a {what} longer than {self.max_scalar // (1024 * 1024)} MiB")
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


def candidate_cuts(region: bytes, close_b: bytes, pattern: re.Pattern[bytes], *, last: bool) -> Iterator[int]:
    """Candidate cut points, from the end of the region backwards: likely element boundaries,
    then the closing brackets (first when the region is the `last` of the body, which likely
    holds the container's end: one batch then takes all its members)."""
    if last:
        yield from _closers(region, close_b)
    end, tail = len(region), _TAIL
    while end > 0:
        start = max(0, end - tail)
        yield from reversed([match.start(1) for match in pattern.finditer(region, start, end)])
        end, tail = start, tail * 4
    if not last:
        yield from _closers(region, close_b)


def _closers(region: bytes, close_b: bytes) -> Iterator[int]:
    closer = len(region)
    while (closer := region.rfind(close_b, 0, closer)) > 0:
        yield closer


def byte_offset(text: bytes, characters: int) -> int:
    """Where the `characters`-th character of UTF-8 `text` starts (orjson counts characters), less
    the opening bracket: in the region's coordinates."""
    head = text[: 4 * characters + 4].decode("utf-8", "ignore")[:characters]
    return len(head.encode("utf-8")) - 1
