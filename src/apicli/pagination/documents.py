"""One fetched page and what can be read from it: its JSON, its items, its next link, cursor and totals.

Everything here is pure: a `Page` is plain data, and the functions look things up in
parsed JSON. The lists of common places (`ITEM_KEYS`, `NEXT_PATHS`, ...) are the
conventions of widely used APIs; an explicit dot path always wins over them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ApicliError, ResponseFormatError
from ..limits import PAGE_OUTSIDE_ITEMS, size_text
from ..output.widenumbers import has_wide_integer
from .dotpath import MISSING, DotPath, format_path, lookup
from .linkheader import Link, parse_link_header

if TYPE_CHECKING:
    from ..inputs.writeout import TransferReport

__all__ = [
    "CURSOR_PATHS",
    "ITEM_KEYS",
    "NEXT_PATHS",
    "ItemBatch",
    "Page",
    "PageItems",
    "cursor_text",
    "decode_page",
    "detect_cursor_path",
    "detect_next_path",
    "find_items",
    "link_target",
    "loads_page",
    "looks_like_url",
    "not_json",
    "outside_too_large",
    "page_count",
    "total_items",
]

ITEM_KEYS = ("data", "items", "results", "values", "records", "entries", "nodes", "value")
NEXT_PATHS: tuple[DotPath, ...] = (
    ("next",),
    ("links", "next"),
    ("_links", "next", "href"),
    ("meta", "next"),
    ("paging", "next"),
    ("pagination", "next"),
    ("next_page_url",),
    ("@odata.nextLink",),
    ("nextLink",),
)
CURSOR_PATHS: tuple[DotPath, ...] = (
    ("next_cursor",),
    ("nextCursor",),
    ("meta", "next_cursor"),
    ("response_metadata", "next_cursor"),
    ("pagination", "next_cursor"),
    ("next_page_token",),
    ("nextPageToken",),
    ("meta", "next_token"),
    ("paging", "cursors", "after"),
)
TOTAL_ITEM_PATHS: tuple[DotPath, ...] = tuple(
    (*prefix, key)
    for prefix in ((), ("meta",), ("pagination",), ("paging",), ("meta", "pagination"), ("page",))
    for key in ("total", "total_count", "totalCount", "total_items", "totalItems", "total_results", "totalElements")
)
PAGE_COUNT_PATHS: tuple[DotPath, ...] = tuple(
    (*prefix, key)
    for prefix in ((), ("meta",), ("pagination",), ("paging",), ("meta", "pagination"), ("page",))
    for key in ("total_pages", "totalPages", "page_count", "pageCount", "last_page")
)
_URL_STARTS = ("http://", "https://", "/", "?", "./", "../")
_SHOWN_KEYS = 20


@dataclass(slots=True)
class Page:
    """A fetched page: the URL asked for, the URL answered (after redirects), headers of interest, its JSON.

    A page whose items are still arriving (`PageItems.streaming`) gets its document, and its
    report, when they end: the page's text after its items is read only then."""

    url: str
    final_url: str
    link_values: tuple[str, ...]
    total_header: str | None
    document: Any  # the document without its list of items, when that was found in the text (an empty list there)
    items: list[Any] | PageItems
    report: TransferReport | None = None  # -w's report of the transfer, written after the page's items

    @property
    def complete(self) -> bool:
        """Whether the whole page has been read (its document is known)."""
        return not isinstance(self.items, PageItems) or self.items.whole

    def close(self) -> None:
        """End a page whose items are still arriving; nothing for a page read whole."""
        if isinstance(self.items, PageItems):
            self.items.close()

    def links(self) -> list[Link]:
        """The Link header's links, relative targets resolved against the answered URL."""
        return parse_link_header(self.link_values, self.final_url) if self.link_values else []


def loads_page(body: bytes, exact: bool) -> Any:
    """JSON text parsed as a page is; ValueError or RecursionError when it is not JSON."""
    if exact:
        from .exact import loads_exact

        return loads_exact(body)
    if not has_wide_integer(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # NaN, lone surrogates and the like: the json module is more lenient
    return json.loads(body)


def not_json(body: bytes, content_type: str | None, exc: Exception) -> ResponseFormatError:
    kind = f" ({content_type})" if content_type else ""
    lines = body[:200].decode("utf-8", errors="replace").strip().splitlines()
    excerpt = _printable(lines[0]) if lines else None
    return ResponseFormatError(
        f"the response is not JSON{kind}: {exc}" if body.strip() else f"the response body is empty{kind}",
        detail=excerpt,
        hint="paginate reads JSON pages; use `apicli get` for other bodies",
    )


def outside_too_large() -> ResponseFormatError:
    return ResponseFormatError(
        f"the page without its list of items is larger than {size_text(PAGE_OUTSIDE_ITEMS.bytes)}",
        hint="paginate reads the rest of a page whole; name the list of items with --items PATH",
    )


def decode_page(body: bytes, content_type: str | None, *, exact: bool = False) -> Any:
    """The page's JSON; ResponseFormatError when it is not JSON. `exact` keeps numbers as written (for --jq)."""
    try:
        return loads_page(body, exact)
    except (ValueError, RecursionError) as exc:
        raise not_json(body, content_type, exc) from None


# -- a page's list of items, in batches ----------------------------------------------------------
#
# A page's list of items is found in its text as it arrives (pagewalk.py) and handed on as runs of
# that text, parsed only when written: a page costs one batch and what is held of it, whatever its size.


class ItemBatch:
    """A batch of a page's items as the page wrote them (`text`, a JSON array known to parse), and
    parsed only when asked: --jq hands libjq the text whole, every number as written."""

    __slots__ = ("count", "exact", "text")

    def __init__(self, text: bytes, count: int, exact: bool) -> None:
        self.text = text
        self.count = count
        self.exact = exact

    def __len__(self) -> int:
        return self.count

    def items(self) -> list[Any]:
        parsed: list[Any] = loads_page(self.text, self.exact)
        return parsed


Batch = ItemBatch | list[Any]
EndHook = Callable[[ApicliError | None], None]


class PageItems:
    """A page's items in batches: those `held` (all of them for a page read whole), then the `rest` as
    they arrive. `len` counts what is known so far; once the rest has ended, all of them. When the rest
    ends, fails or is closed unread, `closer` runs, then the hooks in `on_end` (with the error, if any)."""

    def __init__(self, held: list[Batch], rest: Iterator[Batch] | None = None) -> None:
        self.held = held
        self.rest = rest
        self.count = sum(len(batch) for batch in held)
        self.on_end: list[EndHook] = []
        self.closer: Callable[[], None] | None = None  # ends the connection the rest arrives on
        self.whole = rest is None  # every item has arrived, and the page's end with them
        self._stream: Generator[Batch, None, None] | None = None

    def __len__(self) -> int:
        return self.count

    @property
    def streaming(self) -> bool:
        """Whether some of the items are still to arrive."""
        return self.rest is not None

    def batches(self) -> Iterator[Batch]:
        if self.rest is None:
            return iter(self.held)
        self._stream = self._arriving()
        return self._stream

    def close(self) -> None:
        """End a page whose items are still arriving (its connection too), whether read or not."""
        if self._stream is not None:
            self._stream.close()
        if self.rest is not None:
            self._end(None)

    def _arriving(self) -> Generator[Batch, None, None]:
        held, self.held = self.held, []  # handed on once: the page's memory is one batch from here
        error: ApicliError | None = None
        try:
            yield from held
            assert self.rest is not None
            for batch in self.rest:
                self.count += len(batch)
                yield batch
            self.whole = True
        except ApicliError as exc:
            error = exc
            raise
        except (GeneratorExit, StopIteration):
            raise
        except BaseException:
            # An interrupt is no outcome of the page's: it ends the page unreported, as it ends a fetch.
            self.on_end = []
            raise
        finally:
            self._end(error)

    def _end(self, error: ApicliError | None) -> None:
        """The page is over: its connection is closed, then the hooks report it."""
        self.rest = None
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()
        hooks, self.on_end = self.on_end, []
        for hook in hooks:
            hook(error)


def find_items(document: Any, path: DotPath | None) -> list[Any]:
    """The page's items: the array at `path`, the top-level array, or the list under a common key."""
    if path is not None:
        value = lookup(document, path)
        if isinstance(value, list):
            return value
        if value is None:
            return []
        shown = format_path(path)
        if value is MISSING:
            raise ResponseFormatError(
                f"no {shown!r} in the response{_keys_clause(document)}", hint=_items_hint(document)
            )
        raise ResponseFormatError(f"--items {shown} is {_kind(value)}, not a list of items", hint=_items_hint(document))
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ITEM_KEYS:
            value = document.get(key)
            if isinstance(value, list):
                return value
        # `{"data": null}` is how some APIs say "no items".
        if any(key in document and document[key] is None for key in ITEM_KEYS):
            return []
        raise ResponseFormatError(
            f"no list of items found in the response object{_keys_clause(document)}", hint=_items_hint(document)
        )
    raise ResponseFormatError(f"the response is {_kind(document)}, not an array or an object holding one")


def link_target(value: object, where: str) -> str | None:
    """A next-link value as a URL reference; None when it says there is no next page."""
    if isinstance(value, Mapping):
        value = value.get("href", MISSING)
    if value is MISSING or value is None or value is False or value == "":
        return None
    if isinstance(value, str):
        return value
    raise ResponseFormatError(f"the next link at {where!r} is {_kind(value)}, not a URL")


def looks_like_url(value: object) -> bool:
    if isinstance(value, Mapping):
        value = value.get("href")
    return isinstance(value, str) and value.startswith(_URL_STARTS)


def detect_next_path(document: Any) -> tuple[DotPath | None, bool]:
    """The common place holding a next URL, and whether such a place exists at all (even if null)."""
    present = False
    for path in NEXT_PATHS:
        value = lookup(document, path)
        if looks_like_url(value):
            return path, True
        present = present or value is None
    return None, present


def detect_cursor_path(document: Any) -> DotPath | None:
    for path in CURSOR_PATHS:
        if lookup(document, path) is not MISSING:
            return path
    return None


def cursor_text(value: object, where: str) -> str | None:
    """A cursor value as query text; None when it says there is no next page."""
    if value is MISSING or value is None or value is False or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ResponseFormatError(f"the cursor at {where!r} is {_kind(value)}, not a string or a number")


def total_items(page: Page) -> int | None:
    """The collection's size from X-Total-Count or a total in the body, if either is given."""
    if page.total_header is not None:
        header = _count(page.total_header.strip())
        if header is not None:
            return header
    return _first_count(page.document, TOTAL_ITEM_PATHS)


def page_count(page: Page) -> int | None:
    """The number of pages from the body (total_pages, last_page, ...), if given."""
    return _first_count(page.document, PAGE_COUNT_PATHS)


def _first_count(document: Any, paths: tuple[DotPath, ...]) -> int | None:
    if not isinstance(document, dict):
        return None
    for path in paths:
        if path[0] in document:
            count = _count(lookup(document, path))
            if count is not None:
                return count
    return None


def _count(value: object) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _printable(text: str) -> str:
    """Server text for an error line, its control characters (escape sequences) replaced."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _keys_clause(document: Any) -> str:
    if not isinstance(document, dict):
        return f", which is {_kind(document)}"
    if not document:
        return ", an empty object"
    keys = list(document)
    shown = ", ".join(_printable(str(key)[:40]) for key in keys[:_SHOWN_KEYS])
    more = f", … ({len(keys)} keys)" if len(keys) > _SHOWN_KEYS else ""
    return f"; its top-level keys: {shown}{more}"


def _items_hint(document: Any) -> str:
    """Suggest --items with a real path when a list sits one level down."""
    if isinstance(document, dict):
        for key, value in document.items():
            if not key:
                continue
            if isinstance(value, list):
                return f"name the list with --items PATH, e.g. --items {format_path((key,))}"
            if isinstance(value, dict):
                for inner, nested in value.items():
                    if inner and isinstance(nested, list):
                        return f"name the list with --items PATH, e.g. --items {format_path((key, inner))}"
    return "name the list of items with --items PATH, e.g. --items data.users"
