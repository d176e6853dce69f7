"""Writing items: NDJSON (the default), one streamed JSON array (--array), or pretty for a terminal,
as the run's Renderer says.

Each page becomes one block of bytes and one write, then a flush, so the first items
reach a reader (jq, head) while later pages are still being fetched, and nothing but
the current page is ever held. Items are encoded with orjson; the json module takes
over for what orjson cannot encode (integers beyond 64 bits).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ApicliError
from ..output import ByteSink
from ..output.render import Renderer

if TYPE_CHECKING:
    from .documents import ItemBatch

__all__ = ["ArraySink", "ItemSink", "NdjsonSink", "PrettySink", "array_block", "make_sink", "ndjson_block"]

_GROUP = 256  # items encoded before their texts are joined


def _encode_slowly(item: Any) -> bytes:
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:
        # backslashreplace writes a lone surrogate as its own JSON escape (\ud800).
        return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def _join(separator: bytes, items: list[Any]) -> bytes:
    # Each result of orjson.dumps keeps a buffer of some KiB behind it: a page's worth held at once
    # cost gigabytes, so items are encoded and joined a group at a time.
    groups = range(0, len(items), _GROUP)
    try:
        return separator.join([separator.join([orjson.dumps(item) for item in items[k : k + _GROUP]]) for k in groups])
    except orjson.JSONEncodeError:
        return separator.join(
            [separator.join([_encode_slowly(item) for item in items[k : k + _GROUP]]) for k in groups]
        )


def ndjson_block(items: list[Any]) -> bytes:
    """The items as NDJSON lines, each ending in a newline; b"" for no items."""
    return _join(b"\n", items) + b"\n" if items else b""


def array_block(items: list[Any]) -> bytes:
    """The items as compact JSON separated by commas (the inside of an array)."""
    return _join(b",", items)


class ItemSink(ABC):
    """Receives each page's items in order; `finish` completes the output, `abort` is called after an error."""

    def __init__(self, stream: ByteSink, renderer: Renderer | None = None) -> None:
        self.stream = stream
        self.renderer = renderer or Renderer()  # on a terminal, DEL and C1 controls in strings are escaped

    @abstractmethod
    def write_page(self, items: list[Any]) -> None: ...

    def write_batch(self, batch: ItemBatch) -> None:
        """A batch of a page's items, as text (parsed here unless the sink can take the text)."""
        self.write_page(batch.items())

    def finish(self) -> None:
        return None

    def abort(self) -> None:
        """After an error the items written stay as they are, and an --array is left unclosed."""
        # A closed array would let a consumer take a failed run's output for the whole collection.
        return None

    def failure(self) -> ApicliError | None:
        """An error to raise once the output is complete and saved (--schema mismatches); None when all is well."""
        return None

    def _put(self, block: bytes) -> None:
        # Failures are translated by the sink: StdoutSink for stdout, atomic_output for -o FILE.
        self.stream.write(self.renderer.safe(block))
        self.stream.flush()


class NdjsonSink(ItemSink):
    def write_page(self, items: list[Any]) -> None:
        if items:
            self._put(ndjson_block(items))


class ArraySink(ItemSink):
    """`[` goes out with the first items and `]` at the end: never a half-opened array before data."""

    started = False

    def write_page(self, items: list[Any]) -> None:
        if items:
            self._put((b"," if self.started else b"[") + array_block(items))
            self.started = True

    def finish(self) -> None:
        self._put(b"]\n" if self.started else b"[]\n")


class PrettySink(ItemSink):
    """Indented (and maybe coloured) items for a person: one after another, or inside an array."""

    def __init__(self, stream: ByteSink, renderer: Renderer, *, array: bool) -> None:
        super().__init__(stream, renderer)
        self.indent = self.renderer.value_indenter()
        self.array = array
        self.started = False

    def write_page(self, items: list[Any]) -> None:
        if not items:
            return
        rendered = [self.indent(item).rstrip(b"\n") for item in items]
        if self.array:
            block = b",\n".join(b"  " + text.replace(b"\n", b"\n  ") for text in rendered)
            self._put((b",\n" if self.started else b"[\n") + block)
        else:
            self._put(b"\n".join(rendered) + b"\n")
        self.started = True

    def finish(self) -> None:
        if self.array:
            self._put(b"\n]\n" if self.started else b"[]\n")


def make_sink(stream: ByteSink, renderer: Renderer, *, array: bool) -> ItemSink:
    if renderer.pretty:
        return PrettySink(stream, renderer, array=array)
    return ArraySink(stream, renderer) if array else NdjsonSink(stream, renderer)
