"""--jq and --schema for paginate: filter each item (or the whole collection) with jq, check each item.

This module is loaded only when one of the flags is given, so the plain NDJSON path
imports neither jq nor jsonschema. Items reach jq as JSON text with every number as
the server wrote it, so that jq prints them as the jq command would: a batch of a page's
items as the page's own text, in one evaluation (JqItemSink.write_batch), or an item at a
time as `exact` writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ApicliError, Interrupted, RequestTimeout
from ..filters.jqfilter import RESULTS_LIMIT, JqProgram, apply_to_collection, apply_to_item
from ..filters.schema import MAX_REPORTED, SchemaValidator, schema_failure, validate_item
from ..output import ByteSink
from ..output.render import Renderer
from .documents import ItemBatch
from .exact import exact_text
from .settings import PaginationSettings
from .sinks import ItemSink, make_sink

__all__ = ["JqCollectionSink", "JqItemSink", "SchemaCheckingSink", "filtered_sink"]


class JqItemSink(ItemSink):
    """--jq: the program runs on each item; a page's results go out in one write and a flush."""

    def __init__(self, stream: ByteSink, renderer: Renderer, program: JqProgram) -> None:
        super().__init__(stream, renderer)
        self.program = program
        self.index = 0  # the next item's place in the whole stream

    def write_batch(self, batch: ItemBatch) -> None:
        every_item = self.program.on_each_element()
        output = self._whole_batch(every_item, batch.text) if every_item is not None else None
        if output is None:
            self.write_page(batch.items())
            return
        self._put_blocks([output])
        self.index += len(batch)

    def _whole_batch(self, every_item: JqProgram, text: bytes) -> bytes | None:
        """The batch's output from one evaluation, libjq iterating it (and laying it out where it
        can); None after an error, a halt or an output past RESULTS_LIMIT: the batch is then run an
        item at a time (write_page), which reports those with the item's place and the output before."""
        every_item.halted = False
        try:
            # libjq lays the output out in the child, unless a brief program runs on a small batch here.
            laid_out = not self.program.raw_output and every_item.runs_in_child(len(text))
            pieces = every_item.laid_out(text, self.renderer.jq_layout()) if laid_out else None
            output: bytes | None
            if pieces is None:
                output = self.renderer.jq_output(self.program, every_item.results(text.decode("utf-8")))
            else:
                output = _joined(pieces, RESULTS_LIMIT)
        except (RequestTimeout, Interrupted):
            raise  # the run's own end, not the program's
        except ApicliError:
            return None
        return None if every_item.halted else output

    def write_page(self, items: list[Any]) -> None:
        blocks: list[bytes] = []
        try:
            for item in items:
                blocks.append(self.renderer.jq_output(self.program, apply_to_item(self.program, exact_text(item))))
                self.index += 1
        except ApicliError as exc:
            # What the items before the failing one gave still goes out, as the jq command prints it.
            self._put_blocks(blocks)
            exc.message = f"item $[{self.index}]: {exc.message}"
            raise
        self._put_blocks(blocks)

    def _put_blocks(self, blocks: list[bytes]) -> None:
        block = b"".join(blocks)
        if block:
            self._put(block)


def _joined(pieces: Iterator[bytes], limit: int) -> bytes | None:
    """The pieces joined, or None (and the producer stopped) once they hold more than `limit` bytes."""
    held: list[bytes] = []
    size = 0
    try:
        for piece in pieces:
            size += len(piece)
            if size > limit:
                return None
            held.append(piece)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # a producer stopped early stops its child now
    return b"".join(held)


class JqCollectionSink(ItemSink):
    """--jq-all: the items are gathered in memory (as compact JSON text) and the program runs once at the end."""

    def __init__(self, stream: ByteSink, renderer: Renderer, program: JqProgram) -> None:
        super().__init__(stream, renderer)
        self.program = program
        self.texts: list[str] = []

    def write_page(self, items: list[Any]) -> None:
        self.texts.extend(map(exact_text, items))

    def finish(self) -> None:
        texts, self.texts = self.texts, []
        output = self.renderer.jq_output(self.program, apply_to_collection(self.program, texts))
        if output:
            self._put(output)

    def abort(self) -> None:
        # A result computed over part of the collection would be wrong data: write nothing.
        self.texts = []


class SchemaCheckingSink(ItemSink):
    """--schema: every item is passed on and checked; the first errors are kept, all of them counted."""

    def __init__(self, inner: ItemSink, validator: SchemaValidator) -> None:
        super().__init__(inner.stream, inner.renderer)
        self.inner = inner
        self.validator = validator
        self.index = 0  # the next item's place in the whole stream
        self.errors: list[str] = []  # at most MAX_REPORTED, so that a long bad run stays small
        self.error_count = 0
        self.failed_items = 0

    def write_page(self, items: list[Any]) -> None:
        self.inner.write_page(items)
        for item in items:
            found = validate_item(self.validator, item, root=f"$[{self.index}]")
            self.index += 1
            if found:
                self.failed_items += 1
                self.error_count += len(found)
                self.errors.extend(found[: MAX_REPORTED - len(self.errors)])

    def finish(self) -> None:
        self.inner.finish()

    def abort(self) -> None:
        self.inner.abort()

    def failure(self) -> ApicliError | None:
        if not self.error_count:
            return None
        failure = schema_failure(self.errors, total=self.error_count)
        failure.hint = f"{self.failed_items} of {self.index} items do not match {self.validator.path}"
        return failure


def filtered_sink(
    stream: ByteSink,
    renderer: Renderer,
    settings: PaginationSettings,
    *,
    jq: JqProgram | None,
    schema: SchemaValidator | None,
) -> ItemSink:
    """The sink for --jq and/or --schema; without --jq the items are written as usual."""
    sink: ItemSink
    if jq is None:
        sink = make_sink(stream, renderer, array=settings.array)
    elif settings.jq_all:
        sink = JqCollectionSink(stream, renderer, jq)
    else:
        sink = JqItemSink(stream, renderer, jq)
    return SchemaCheckingSink(sink, schema) if schema is not None else sink
