"""A page read as it arrives: its list of items handed on in batches, the rest kept to be parsed.

A page of a million items would cost gigabytes as Python objects, and a page may be larger than
any amount of memory worth holding. So the page is walked from its chunks (formats/jsonreader):
down the `--items` path (or to the top-level array, or under the common keys), through the list
of items in runs of about ITEM_BATCH bytes of whole items, each checked by parsing it, and past
everything else, whose text is kept (at most PAGE_OUTSIDE_ITEMS) and parsed at the end as the
page's document, with `[]` where the items were: its next link, cursor and totals.

Runs are held back until the page ends or PAGE_HOLD bytes of them are held. A page that ends
first is whole: its items are handed on only once all of it proved to be JSON. A longer page is
committed at that point to the list that would be chosen so far, and its items are handed on as
they come; an error later in the page then comes after them.

Which list holds the items is decided as for a page parsed whole: the list at `--items`, the
last one where a key repeats; or the first of ITEM_KEYS holding a list. Once a page is
committed, a later list that would change that choice cannot be taken back, so it fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..errors import ApicliError, OutputError, ResponseFormatError
from ..formats.jsonreader import WINDOW, JsonReader, byte_offset, candidate_cuts, likely_cuts
from ..limits import PAGE_HOLD, PAGE_ITEM, PAGE_OUTSIDE_ITEMS, size_text
from .documents import ITEM_KEYS, Batch, ItemBatch, PageItems, find_items, loads_page, not_json, outside_too_large
from .dotpath import DotPath, format_path

__all__ = ["ITEM_BATCH", "PageWalk", "read_items"]

ITEM_BATCH = 256 * 1024  # bytes of item text parsed at once
_SHORT_LIST = 4 * 1024  # a first `]` this near is tried as the list's end before any other cut
_FIRST_RUN = 8 * 1024  # the first run of a list; each next one four times as long, up to ITEM_BATCH
_CUT_ATTEMPTS = 16  # cuts tried per run (a comma may be inside a string) before taking one item alone
_LENIENT_ATTEMPTS = 4  # of those, tried again with the lenient parser
_MAX_FOLLOWED = 64  # path steps followed in the text; a longer path is looked up in the parsed document
_MAX_INDEX = 1 << 20
_HEAD = 200  # bytes of the page kept for an error's excerpt
# A whole string, or a quote whose string the buffer does not hold whole yet; brackets outside strings.
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*+"|["\[\]{}]', re.S)
_SCALAR = re.compile(rb"[^,\]}\s]*")
_SCALAR_START = frozenset(b"-0123456789tfnNI")  # JSON's, and the NaN and Infinity the lenient parser takes


def read_items(walk: PageWalk, content_type: str | None) -> PageItems:
    """The page's items: all of them once the page has ended, or those held when it was committed
    and the rest still to arrive. Raises ResponseFormatError where the page is not one."""
    arriving = _translated(walk, content_type)
    held: list[Batch] = []
    for batch in arriving:
        held.append(batch)
        if not walk.finished:
            return PageItems(held, arriving)
    return PageItems(held)


def _translated(walk: PageWalk, content_type: str | None) -> Iterator[Batch]:
    try:
        yield from walk.batches()
    except ApicliError:
        raise
    except OutsideTooLarge:
        raise outside_too_large() from None
    except (ValueError, RecursionError) as exc:
        raise not_json(walk.head, content_type, exc) from None


class OutsideTooLarge(Exception):
    """The page without its list of items is larger than PAGE_OUTSIDE_ITEMS."""


class _Candidate:
    """A list that may be the page's items: its runs while held, its rank, and its place in the
    document's text (where `[]` stands for it until the page ends)."""

    __slots__ = ("key", "place", "rank", "runs", "size")

    def __init__(self, key: str | None, rank: int, place: int) -> None:
        self.key = key  # the member it is under, for the common keys
        self.rank = rank  # lower wins: the order of ITEM_KEYS
        self.place = place
        self.runs: list[ItemBatch] = []
        self.size = 0

    def text(self) -> bytes:
        return b"[" + b",".join(run.text[1:-1] for run in self.runs) + b"]"


class PageWalk:
    """One page's text, walked once; `batches()` hands on the runs of its list of items."""

    def __init__(self, chunks: Iterator[bytes], path: DotPath | None, *, exact: bool, hold: int | None = None) -> None:
        self.reader = JsonReader(chunks, window=WINDOW)
        self.path = path
        self.exact = exact
        self.hold = PAGE_HOLD if hold is None else hold  # read here, so that tests can set a small one
        self.head = b""
        # The text outside the items, in one buffer: held as many small pieces, it would cost its
        # size many times over. Its size counts the lists that are not the items, too.
        self.outside = bytearray()
        self.outside_size = 0
        self.candidates: list[_Candidate] = []  # the lists that may still be the items
        self.committed: _Candidate | None = None
        self.held = 0
        self.finished = False  # the page ended and proved to be JSON
        self.document: Any = None

    def empty(self) -> bool:
        """Whether the body has nothing but whitespace."""
        reader = self.reader
        if not reader.consumed and not reader.pos:
            reader.fill(_HEAD)
            self.head = reader.data[:_HEAD]
        return reader.skip_whitespace() == -1

    def batches(self) -> Iterator[Batch]:
        """The items' runs: all at once after the page has ended, or from the commit on as they come.

        Raises ValueError where the page is not JSON, OutsideTooLarge, or ResponseFormatError."""
        reader = self.reader
        if self.empty():
            raise ValueError("the body is empty")
        opening = reader.skip_whitespace()
        if self.path is not None:
            yield from self._follow(self.path)
        elif opening == ord("["):
            yield from self._list(None, 0)
        elif opening == ord("{"):
            yield from self._members(None, auto=True)
        else:
            self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
        if reader.skip_whitespace() != -1:
            raise ValueError(f"more data after the document at byte {self._offset()}")
        yield from self._finish()

    # The page's structure

    def _follow(self, path: DotPath) -> Iterator[ItemBatch]:
        """The value at the reader, walked along `path` to the list it names."""
        opening = self.reader.skip_whitespace()
        if not path:
            if opening == ord("["):
                yield from self._list(None, 0)
            else:
                self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            return
        step = path[0]
        if len(path) > _MAX_FOLLOWED or opening not in (ord("{"), ord("[")):
            self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
        elif opening == ord("{") and isinstance(step, str):
            yield from self._members(path, auto=False)
        elif opening == ord("[") and isinstance(step, str | int) and str(step).isascii() and str(step).isdigit():
            index = int(step)
            if index > _MAX_INDEX:
                self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            else:
                yield from self._elements(index, path[1:])
        else:  # a negative index, or a key on an array: the parsed document answers
            self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)

    def _members(self, path: DotPath | None, *, auto: bool) -> Iterator[ItemBatch]:
        """The object at the reader: the member `path[0]` followed further, or with `auto` the
        common keys' lists taken as candidates; every other member kept as text."""
        reader = self.reader
        self._keep(1)  # {
        since = len(self.candidates)
        wanted = None if path is None else path[0]
        if reader.skip_whitespace() == ord("}"):
            self._keep(1)
            return
        while True:
            if reader.skip_whitespace() != ord('"'):
                raise ValueError(f"a key expected at byte {self._offset()}")
            raw = self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            key = loads_page(raw, False) if len(raw) <= 4096 else None
            if reader.skip_whitespace() != ord(":"):
                raise ValueError(f"':' expected at byte {self._offset()}")
            self._keep(1)
            reader.skip_whitespace()
            if auto and key in ITEM_KEYS:
                self._supersede([c for c in self.candidates[since:] if c.key == key])
                if reader.skip_whitespace() == ord("["):
                    yield from self._list(key, ITEM_KEYS.index(key))
                else:
                    self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            elif path is not None and key == wanted:
                self._supersede(self.candidates[since:])
                yield from self._follow(path[1:])
            else:
                self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            following = reader.skip_whitespace()
            self._keep(1)
            if following == ord("}"):
                return
            if following != ord(","):
                raise ValueError(f"',' or '}}' expected at byte {self._offset() - 1}")

    def _elements(self, index: int, rest: DotPath) -> Iterator[ItemBatch]:
        """The array at the reader: element `index` followed along `rest`, the others kept as text."""
        reader = self.reader
        self._keep(1)  # [
        if reader.skip_whitespace() == ord("]"):
            self._keep(1)
            return
        number = 0
        while True:
            reader.skip_whitespace()
            if number == index:
                yield from self._follow(rest)
            else:
                self._copy_value(PAGE_OUTSIDE_ITEMS.bytes)
            number += 1
            following = reader.skip_whitespace()
            self._keep(1)
            if following == ord("]"):
                return
            if following != ord(","):
                raise ValueError(f"',' or ']' expected at byte {self._offset() - 1}")

    # A list that may hold the items

    def _list(self, key: str | None, rank: int) -> Iterator[ItemBatch]:
        reader = self.reader
        committed = self.committed
        if committed is not None and (key is None or rank < committed.rank):
            raise self._conflict(key)
        candidate = _Candidate(key, rank, len(self.outside))
        self.candidates.append(candidate)
        self.outside += b"[]"
        reader.pos += 1  # [
        if reader.skip_whitespace() == ord("]"):
            reader.pos += 1
            return
        size = _FIRST_RUN  # runs grow to ITEM_BATCH: a short list costs a short look
        while True:
            text, count = self._run(size)
            size = min(4 * size, ITEM_BATCH)
            yield from self._add(candidate, ItemBatch(b"[" + text + b"]", count, self.exact))
            following = reader.skip_whitespace()
            reader.pos += 1
            if following == ord("]"):
                return
            if following != ord(","):
                raise ValueError(f"',' or ']' expected at byte {self._offset() - 1}")

    def _add(self, candidate: _Candidate, batch: ItemBatch) -> Iterator[ItemBatch]:
        if candidate is self.committed:
            yield batch
            return
        candidate.runs.append(batch)
        candidate.size += len(batch.text)
        if self.committed is not None:  # it can no longer be the items: it is the document's text
            self._grow_outside(len(batch.text))
            return
        self.held += len(batch.text)
        if self.held > self.hold:
            yield from self._commit()

    def _commit(self) -> Iterator[ItemBatch]:
        """Too much is held: hand on the list that would be chosen so far, and from now on its runs as they come."""
        chosen = self._chosen()
        assert chosen is not None  # the list being read is a candidate
        self.committed = chosen
        for candidate in self.candidates:
            if candidate is not chosen:
                self._grow_outside(candidate.size)
        runs, chosen.runs = chosen.runs, []
        yield from runs

    def _chosen(self) -> _Candidate | None:
        return min(self.candidates, key=lambda candidate: candidate.rank) if self.candidates else None

    def _supersede(self, candidates: list[_Candidate]) -> None:
        """A member named again replaces the lists found under its first value (as JSON parsers keep the
        last): they are no longer candidates, and their text does not matter (their `[]` stays)."""
        if not candidates:
            return
        for candidate in candidates:
            if candidate is self.committed:
                raise self._conflict(candidate.key)
            if self.committed is None:
                self.held -= candidate.size
            self._grow_outside(candidate.size)  # a page read whole would hold it as text
        gone = {id(candidate) for candidate in candidates}
        self.candidates = [candidate for candidate in self.candidates if id(candidate) not in gone]

    def _finish(self) -> Iterator[Batch]:
        """The document parsed; for a page that was held whole, its items handed on now."""
        chosen = self.committed if self.committed is not None else self._chosen()
        others = [candidate for candidate in self.candidates if candidate is not chosen]
        if self.committed is None:
            for candidate in others:
                self._grow_outside(candidate.size)
        text, self.outside = self.outside, bytearray()
        for candidate in sorted(others, key=lambda other: other.place, reverse=True):
            text[candidate.place : candidate.place + 2] = candidate.text()
        self.document = loads_page(bytes(text), self.exact)
        self.finished = True
        if chosen is None:
            yield find_items(self.document, self.path)
            return
        if chosen is not self.committed:
            runs, chosen.runs = chosen.runs, []
            yield from runs

    def _conflict(self, key: str | None) -> ResponseFormatError:
        where = f"--items {format_path(self.path)}" if self.path is not None else f"{key!r}"
        return ResponseFormatError(
            f"the page has another list of items at {where} after {size_text(self.hold)} of items from the first "
            "were written; a page read whole would take the other one",
            hint="name the list of items with --items PATH",
        )

    # Runs of items

    def _run(self, size: int) -> tuple[bytes, int]:
        """Whole items from the reader on, about `size` bytes of them, checked by parsing them: their
        text and how many. A run is cut where an item likely ends (formats/jsonreader.candidate_cuts);
        parsing it tells whether the cut was between two items (inside a string or a nested value it does
        not parse). Each cut is tried with orjson (a wrong one fails fast, and where it fails narrows the
        next tries), then the first few with the lenient parser, which takes what orjson refuses (NaN,
        lone surrogates); an item that no run can take is delimited alone."""
        reader = self.reader
        reader.fill(size)
        start = reader.pos
        region = reader.data[start : start + size]
        last = reader.ended and start + len(region) == len(reader.data)
        tried: list[int] = []
        found = self._cut(region, last, tried)
        if found is not None:
            cut, count = found
            reader.pos = start + cut
            return region[:cut], count
        for cut in tried[:_LENIENT_ATTEMPTS]:
            try:
                count = len(loads_page(b"[" + region[:cut] + b"]", False))
            except (ValueError, RecursionError):
                continue
            reader.pos = start + cut
            return region[:cut], count
        end = self._value_end(PAGE_ITEM.bytes, _item_too_large)
        text = reader.data[reader.pos : end]
        count = len(loads_page(b"[" + text + b"]", self.exact))
        reader.pos = end
        return text, count

    def _cut(self, region: bytes, last: bool, tried: list[int]) -> tuple[int, int] | None:
        """The first cut of `region` that orjson parses as whole items, and how many; the cuts it
        refused are added to `tried`. Where a refusal places the first error, the region is
        narrowed to end there and its cuts are found anew: a short list followed by the rest of
        the page costs a few small tries, not a scan of the whole region for each."""
        closer = region.find(b"]", 0, _SHORT_LIST)
        if closer > 0:  # a list that ends soon (one of many small ones) ends at its first `]` if that parses
            try:
                return closer, len(orjson.loads(b"[" + region[:closer] + b"]"))
            except orjson.JSONDecodeError:
                pass
        attempts = 0
        while attempts < _CUT_ATTEMPTS:
            narrowed = False
            for cut in candidate_cuts(region, b"]", likely_cuts(b"[", region), last=last):
                if attempts == _CUT_ATTEMPTS:
                    break
                attempts += 1
                if not region[:cut].strip():
                    continue
                candidate = b"[" + region[:cut] + b"]"
                try:
                    return cut, len(orjson.loads(candidate))
                except orjson.JSONDecodeError as exc:
                    tried.append(cut)
                    failed_at = byte_offset(candidate, exc.pos)
                if failed_at < cut:  # the region is wrong there: so is any longer cut
                    region, narrowed = region[:failed_at], True
                    break
            if not narrowed:
                return None
        return None

    # Text outside the items

    def _keep(self, size: int) -> None:
        """Keep the next `size` bytes as the document's text."""
        reader = self.reader
        self._grow_outside(size)
        self.outside += reader.data[reader.pos : reader.pos + size]
        reader.pos += size

    def _copy_value(self, limit: int) -> bytes:
        """Keep the value at the reader as the document's text, and return it."""
        reader = self.reader
        end = self._value_end(limit, OutsideTooLarge)
        text = reader.data[reader.pos : end]
        self._grow_outside(len(text))
        self.outside += text
        reader.pos = end
        return text

    def _grow_outside(self, size: int) -> None:
        self.outside_size += size
        if self.outside_size > PAGE_OUTSIDE_ITEMS.bytes:
            raise OutsideTooLarge

    def _value_end(self, limit: int, too_large: Callable[[], Exception]) -> int:
        """Where the value at the reader ends, as an index into its buffer, found by counting brackets
        outside strings (never recursion); the buffer grows as needed, but not past `limit`."""
        reader = self.reader
        if reader.skip_whitespace() == -1:
            raise ValueError("a value expected at the end")
        first = reader.data[reader.pos]
        if first not in b'[{"':
            if first not in _SCALAR_START:
                raise ValueError(f"a value expected at byte {self._offset()}")
            while True:
                end = _SCALAR.match(reader.data, reader.pos).end()  # type: ignore[union-attr]  # it matches empty
                if end < len(reader.data) or reader.ended:
                    return self._within(end, limit, too_large)
                self._grow(limit, too_large)
        scan, depth = reader.pos, 0
        while True:
            for match in _STRUCTURE.finditer(reader.data, scan):
                token = match.group()
                if token == b'"':  # a string the buffer does not hold whole yet
                    scan = match.start()
                    break
                if token[0] == ord('"'):
                    if not depth:
                        return self._within(match.end(), limit, too_large)
                    continue
                depth += 1 if token in (b"[", b"{") else -1
                if not depth:
                    return self._within(match.end(), limit, too_large)
            else:
                scan = len(reader.data)
            if reader.ended:
                raise ValueError(f"an unfinished value at byte {self._offset()}")
            scan -= self._grow(limit, too_large)

    def _within(self, end: int, limit: int, too_large: Callable[[], Exception]) -> int:
        if end - self.reader.pos > limit:
            raise too_large()
        return end

    def _grow(self, limit: int, too_large: Callable[[], Exception]) -> int:
        """More of the body behind the value at the reader; how far the buffer's indexes moved."""
        reader = self.reader
        held = len(reader.data) - reader.pos
        if held > limit:
            raise too_large()
        if reader.ended:
            return 0
        shift = reader.pos
        reader.fill(min(2 * held, limit) + WINDOW)
        return shift - reader.pos

    def _offset(self) -> int:
        return self.reader.consumed + self.reader.pos


def _item_too_large() -> OutputError:
    return OutputError(
        f"an item of the page is larger than {size_text(PAGE_ITEM.bytes)}",
        hint="paginate reads each item whole; save the page with `apicli get URL -o FILE`",
    )
