"""Splitting a body into the elements a streamed --jq selection iterates, in constant memory.

For `PATH[] | REST` (jqshape.py) the body is walked with the streaming JSON reader: down the
path's objects, then through the array (or object) there in batches of whole elements that
end where the window allows. A batch's cut is checked as prettystream checks one, by parsing
it (orjson, in C): a cut inside a string or a nested value does not parse. An element that
no batch can take (larger than the window, or a number orjson refuses) is delimited by its
brackets and quotes and checked by libjq's own parser. Each batch goes to the jq child as
`[0, [ELEMENTS]]`, where `.[1][] | REST` runs: libjq sees the elements' own text, so numbers
stay as written and the results are the whole-document path's, element by element.

Everything else in the body is checked as it passes, so a body that is not JSON fails as the
whole-document path fails: the message is libjq's own, for the first error, found by handing
libjq the text from the last good place on, behind a short prefix that puts its parser in the
same state (`{"items":[0,`), and placed by line and column in the whole body.

Where the path does not apply (a key missing, a value that is not an object, an element list
that is not a container) the program runs on a stand-in document of the same shape
(`[2, {"items": 5}]`), so its error is jq's. A key repeated along the path (jq keeps the last
one) is refused: the elements of the first were already streamed.
"""

from __future__ import annotations

import ctypes
import json
import re
from collections.abc import Generator, Iterator

import orjson

from ..errors import OutputError, ResponseFormatError
from ..formats.jsonreader import WINDOW, JsonReader, byte_offset, candidate_cuts, likely_cuts
from ..limits import STREAM_ELEMENT, size_text
from .jqshape import Selection
from .libjq import JqFailed, parse_error

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.S)
# A string as JSON allows it, without surrogate escapes (libjq judges their pairing): what passes
# needs no second look from libjq.
_JSON_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4})*+"')
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*+"|["\[\]{},]', re.S)
_SCALAR = re.compile(rb'[^\s,\]}:\[{"]+')
_JSON_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")
_ATTEMPTS = 16
_ENDS_A_LITERAL = frozenset(b"]},:")
_PLACE = re.compile(r" at line (\d+), column (\d+)$")
ELEMENTS, STAND_IN = b"[0,", b"[2,"


def child_program(selection: Selection) -> str:
    """What the jq child runs on each input the splitter makes."""
    rest = "" if selection.rest is None else f" | (\n{selection.rest}\n)"
    return f"if .[0] == 0 then .[1][]{rest} else .[1] | {selection.path_program()}{rest} end"


class Splitter:
    """One body walked for one selection: `inputs()` is the text for the jq child, an input a line."""

    def __init__(self, chunks: Iterator[bytes], selection: Selection, library: ctypes.CDLL) -> None:
        self.reader = JsonReader(chunks, window=WINDOW)
        self.selection = selection
        self.library = library

    def documents(self) -> Iterator[Iterator[bytes]]:
        """The inputs for each of the body's JSON values in turn (a body may hold several, one
        after another): libjq runs the program on each value before it parses the next."""
        reader = self.reader
        while reader.skip_whitespace() != -1:
            document = self._document()
            yield document
            for _input in document:  # what the caller left of it is still checked
                pass

    # The path

    def _document(self) -> Iterator[bytes]:
        reader = self.reader
        found: list[tuple[bytes, str, bytes]] = []  # per level: the prefix before its object, its key, the raw key
        prefix = b""
        stand_in: bytes | None = None
        for key in self.selection.path:
            if reader.skip_whitespace() != ord("{"):
                stand_in = self._stand_in(prefix)
                break
            reader.pos += 1
            raw = yield from self._members(prefix, key, after=False, repeat=False)
            if raw is None:
                stand_in = b"{}"  # the object without the key: jq reads null there
                break
            found.append((prefix, key, raw))
            prefix += b"{" + raw + b":"
        else:
            opening = reader.skip_whitespace()
            if opening in (ord("["), ord("{")):
                reader.pos += 1
                yield from self._container(prefix, opening, elements=True)
            else:
                stand_in = self._stand_in(prefix)
        for level_prefix, key, _raw in reversed(found):
            yield from self._members(level_prefix, key, after=True, repeat=True)
        if stand_in is not None:
            document = stand_in
            for _prefix, key, _raw in reversed(found):
                document = b"{" + json.dumps(key).encode() + b":" + document + b"}"
            yield STAND_IN + document + b"]\n"

    def _members(self, prefix: bytes, key: str, *, after: bool, repeat: bool) -> Generator[bytes, None, bytes | None]:
        """An object's members from the reader on (after `{`, or after a member when `after`):
        the raw key of `key` when it comes (the reader then at its value), or None at the object's end.
        With `repeat`, the key was met before: meeting it again is refused."""
        reader = self.reader
        first = not after
        while True:
            if after:
                following = reader.skip_whitespace()
                if following == ord("}"):
                    reader.pos += 1
                    return None
                if following != ord(","):
                    raise self._broken(prefix + b'{"":0 ', self._offset())
                reader.pos += 1
            after = True
            if reader.skip_whitespace() != ord('"'):
                if first and reader.skip_whitespace() == ord("}"):
                    reader.pos += 1
                    return None
                raise self._broken(prefix + (b"{" if first else b'{"":0,'), self._offset())
            raw = self._string(prefix + (b"{" if first else b'{"":0,'), self._offset())
            first = False
            if reader.skip_whitespace() != ord(":"):
                raise self._broken(prefix + b'{""', self._offset())
            reader.pos += 1
            if json.loads(raw, strict=False) == key:
                if repeat:
                    raise self._repeated(key)
                return raw
            yield from self._skip_value(prefix + b'{"":')

    def _stand_in(self, prefix: bytes) -> bytes:
        """The value at the reader, where the path needs something else, as a small value that jq
        fails on alike: an array as `[]`, a scalar or a string as itself."""
        reader = self.reader
        opening = reader.skip_whitespace()
        start = self._offset()
        if opening == ord("["):
            reader.pos += 1
            for _ in self._container(prefix, opening, elements=False):
                pass
            return b"[]"
        if opening == ord('"'):
            return self._string(prefix, start)
        token = self._scalar(prefix, start)
        if not prefix and reader.fill(1) and reader.data[reader.pos] in _ENDS_A_LITERAL:
            # A number or literal ends at the byte after it, which libjq reads before it hands the
            # value over: a closing bracket or a separator there fails the parse first.
            raise self._broken(b"0", self._offset())
        return token

    def _skip_value(self, prefix: bytes) -> Iterator[bytes]:
        """A value that is not on the path: checked, not kept."""
        reader = self.reader
        opening = reader.skip_whitespace()
        start = self._offset()
        if opening in (ord("["), ord("{")):
            reader.pos += 1
            yield from self._container(prefix, opening, elements=False)
        elif opening == ord('"'):
            self._string(prefix, start)
        else:
            self._scalar(prefix, start)

    def _string(self, prefix: bytes, start: int) -> bytes:
        try:
            token = self.reader.token(_STRING, "string")
        except ResponseFormatError:
            raise self._broken(prefix, start) from None
        if _JSON_STRING.fullmatch(token) is None:
            self._check(prefix, token, start)
        return token

    def _scalar(self, prefix: bytes, start: int) -> bytes:
        reader = self.reader
        if reader.skip_whitespace() == -1 or reader.data[reader.pos] in b",]}:":
            raise self._broken(prefix, start)
        try:
            token = reader.token(_SCALAR, "value")
        except ResponseFormatError:
            raise self._broken(prefix, start) from None
        if _JSON_SCALAR.fullmatch(token) is None:
            self._check(prefix, token, start)
        return token

    # A container's members

    def _container(self, prefix: bytes, opening: int, *, elements: bool) -> Iterator[bytes]:
        """The members of the array or object just opened, in checked batches; with `elements`,
        each batch as an input for the child."""
        reader = self.reader
        open_b, close_b = (b"[", b"]") if opening == ord("[") else (b"{", b"}")
        dummy = b"0" if open_b == b"[" else b'"":0'
        keys: set[str] | None = set() if elements and open_b == b"{" else None
        inner = prefix + open_b
        if reader.skip_whitespace() == close_b[0]:
            reader.pos += 1
            return
        state = inner  # the parser's state where the next member starts: after `[`, then after `0,`
        while True:
            batch = self._batch(open_b, close_b)
            if batch is None:
                batch = self._member(state, open_b, close_b)
            text, value = batch
            if keys is not None:
                self._no_repeats(keys, value, text)
            if elements:
                yield ELEMENTS + open_b + text + close_b + b"]\n"
            following = reader.skip_whitespace()
            if following == ord(","):
                reader.pos += 1
                state = inner + dummy + b","
                if reader.skip_whitespace() == close_b[0]:
                    raise self._broken(state, self._offset())
            elif following == close_b[0]:
                reader.pos += 1
                return
            else:
                raise self._broken(inner + dummy + b" ", self._offset())

    def _batch(self, open_b: bytes, close_b: bytes) -> tuple[bytes, object] | None:
        """As many whole members as the window holds, checked by orjson and consumed (their text
        and value); None when not even one fits, or orjson refuses them."""
        reader = self.reader
        reader.fill(WINDOW)
        region = reader.data[reader.pos : reader.pos + WINDOW]
        pattern = likely_cuts(open_b, region)
        bound = len(region) + 1
        last = reader.ended and reader.pos + len(region) == len(reader.data)
        for attempt, cut in enumerate(candidate_cuts(region, close_b, pattern, last=last)):
            if attempt == _ATTEMPTS:
                break
            if cut >= bound or not region[:cut].strip():
                continue
            candidate = open_b + region[:cut] + close_b
            try:
                value = orjson.loads(candidate)
            except orjson.JSONDecodeError as exc:
                failed_at = byte_offset(candidate, exc.pos)
                if failed_at < cut:  # the region itself is wrong there: so is any longer cut
                    bound = min(bound, failed_at)
                continue
            reader.pos += cut
            return region[:cut], value
        return None

    def _member(self, state: bytes, open_b: bytes, close_b: bytes) -> tuple[bytes, object]:
        """One member delimited by its brackets and quotes, and checked by libjq; its value is
        parsed only for an object's key."""
        reader = self.reader
        start_offset = self._offset()
        scan = reader.pos
        depth = 0
        while True:
            for match in _STRUCTURE.finditer(reader.data, scan):
                token = match.group()
                if token == b'"':  # a string not yet whole in the buffer
                    scan = match.start()
                    break
                if token[0] == ord('"') or (depth and token == b","):
                    continue
                if token in (b"[", b"{"):
                    depth += 1
                elif depth and token in (b"]", b"}"):
                    depth -= 1
                else:  # a comma, or the container's end, outside any nesting
                    return self._checked_member(state, open_b, close_b, start_offset, match.start())
            else:
                scan = len(reader.data)
            if reader.ended:
                return self._checked_member(state, open_b, close_b, start_offset, len(reader.data))
            held = len(reader.data) - reader.pos
            if held > STREAM_ELEMENT.bytes:
                raise OutputError(
                    f"--jq: {STREAM_ELEMENT.what} is larger than {size_text(STREAM_ELEMENT.bytes)}",
                    hint="select inside the element, as in --jq '.items[].parts[]', or save the body with -o FILE",
                )
            shift = reader.pos
            reader.fill(2 * held + WINDOW)
            scan -= shift - reader.pos

    def _checked_member(
        self, state: bytes, open_b: bytes, close_b: bytes, start_offset: int, end: int
    ) -> tuple[bytes, object]:
        reader = self.reader
        text = reader.data[reader.pos : end]
        if not text.strip() or parse_error(self.library, open_b + text + close_b) is not None:
            raise self._broken(state, start_offset)
        reader.pos = end
        value: object = None
        if open_b == b"{":
            key = _STRING.search(text)
            value = {json.loads(key.group(), strict=False) if key else "": None}
        return text, value

    def _no_repeats(self, keys: set[str], value: object, text: bytes) -> None:
        """An object's keys across batches: jq keeps a repeated key's last value in its first
        place, which a stream has already passed. (Within one batch libjq sees both.)"""
        assert isinstance(value, dict)
        names = value.keys()
        again = keys.intersection(names)
        if again:
            raise self._repeated(min(again))
        keys.update(names)

    # Errors

    def _check(self, prefix: bytes, token: bytes, start: int) -> None:
        """A string or scalar that only libjq can judge (an escape, `nan`, a control byte)."""
        if parse_error(self.library, b"[" + token + b"]") is not None:
            raise self._broken(prefix, start)

    def _offset(self) -> int:
        return self.reader.consumed + self.reader.pos

    def _broken(self, prefix: bytes, start: int) -> JqFailed:
        """libjq's parser error for the body, whose text from `start` on follows a parser state that
        `prefix` recreates: the first error after `start` is the body's first. (After a value the
        prefix ends in a space: whatever ended the body's value, the stand-in's ends there too.)"""
        reader = self.reader
        reader.pos = start - reader.consumed
        while True:
            text = prefix + reader.data[reader.pos :]
            message = parse_error(self.library, text)
            past_end = message is None or (" at EOF " in message and not reader.ended)
            if past_end and not reader.ended and len(text) <= STREAM_ELEMENT.bytes:
                reader.fill(2 * len(text) + WINDOW)
                continue
            break
        if message is None:
            return JqFailed("parse error: Unfinished JSON term at EOF")
        placed = _PLACE.search(message)
        if placed is None:
            return JqFailed(f"parse error: {message}")
        line, column = int(placed.group(1)), int(placed.group(2))
        line_start = 0
        for _ in range(line - 1):
            line_start = text.index(b"\n", line_start) + 1
        offset = start + max(0, line_start + column - len(prefix))
        body_line, body_column = reader.place(offset)
        return JqFailed(f"parse error: {message[: placed.start()]} at line {body_line}, column {body_column}")

    def _repeated(self, key: str) -> ResponseFormatError:
        shown = json.dumps(key, ensure_ascii=False)
        return ResponseFormatError(
            f"--jq: the response has the key {shown} more than once along {self.selection.path_program()}; "
            "jq would keep the last one, and the elements of the first were already streamed",
            hint=_WHOLE_HINT,
        )


_WHOLE_HINT = "put the path in parentheses to read the body whole, as in --jq '(.items)[] | ...'"
