"""One fetched page and what can be read from it: its JSON, its items, its next link, cursor and totals.

Everything here is pure: a `Page` is plain data, and the functions look things up in
parsed JSON. The lists of common places (`ITEM_KEYS`, `NEXT_PATHS`, ...) are the
conventions of widely used APIs; an explicit dot path always wins over them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ResponseFormatError
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
    "Page",
    "PageItems",
    "cursor_text",
    "decode_page",
    "detect_cursor_path",
    "detect_next_path",
    "find_items",
    "link_target",
    "looks_like_url",
    "page_count",
    "read_page",
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


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched page: the URL asked for, the URL answered (after redirects), headers of interest, its JSON."""

    url: str
    final_url: str
    link_values: tuple[str, ...]
    total_header: str | None
    document: Any  # with a large list of items, the document without them (that list is empty here)
    items: list[Any] | PageItems
    report: TransferReport | None = None  # -w's report of the transfer, written after the page's items

    def links(self) -> list[Link]:
        """The Link header's links, relative targets resolved against the answered URL."""
        return parse_link_header(self.link_values, self.final_url) if self.link_values else []


def _loads(body: bytes, exact: bool) -> Any:
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


def _not_json(body: bytes, content_type: str | None, exc: Exception) -> ResponseFormatError:
    kind = f" ({content_type})" if content_type else ""
    lines = body[:200].decode("utf-8", errors="replace").strip().splitlines()
    excerpt = _printable(lines[0]) if lines else None
    return ResponseFormatError(
        f"the response is not JSON{kind}: {exc}" if body.strip() else f"the response body is empty{kind}",
        detail=excerpt,
        hint="paginate reads JSON pages; use `apicli get` for other bodies",
    )


def decode_page(body: bytes, content_type: str | None, *, exact: bool = False) -> Any:
    """The page's JSON; ResponseFormatError when it is not JSON. `exact` keeps numbers as written (for --jq)."""
    try:
        return _loads(body, exact)
    except (ValueError, RecursionError) as exc:
        raise _not_json(body, content_type, exc) from None


# -- a page's list of items, read in batches ------------------------------------------------------
#
# A page of a million small items would cost gigabytes as Python objects. So the list of items is
# found in the page's text by a scan (no objects made), the rest of the document is parsed as
# usual, and the items are parsed a batch at a time when they are written: a page costs its bytes
# (at most limits.WHOLE_BODY) and one batch. Every batch is parsed once beforehand as well, so a
# page that is not JSON is refused before any of its items is written, as a page parsed whole is.

ITEM_BATCH = 256 * 1024  # bytes of item text parsed at once
_CUT_ATTEMPTS = 16  # commas tried per batch (a comma may be inside a string) before taking one item alone
_SPACE = re.compile(rb"[ \t\r\n]*")
_STRUCTURAL = re.compile(rb'["\[\]{}]')
_SCALAR_END = re.compile(rb"[^,\]}\s]*")
# The inside of a string: plain bytes and whole escapes, matched without backtracking state.
_STRING_INSIDE = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+', re.S)


class _Unscannable(Exception):
    """The page's text is not the shape the scan follows: the whole page is parsed instead."""


class _OutsideTooLarge(Exception):
    """A value outside the list of items is larger than PAGE_OUTSIDE_ITEMS."""


class PageItems:
    """A page's items as runs of its text, parsed a batch at a time; `len` is known beforehand."""

    def __init__(self, body: bytes, cuts: list[tuple[int, int, int]], exact: bool) -> None:
        self.body = body
        self.cuts = cuts  # (start, end, count): runs of whole items in body[start:end]
        self.exact = exact
        self.count = sum(count for _, _, count in cuts)

    def __len__(self) -> int:
        return self.count

    def batches(self) -> Iterator[ItemBatch]:
        for start, end, count in self.cuts:
            yield ItemBatch(b"[" + self.body[start:end] + b"]", count, self.exact)


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
        parsed: list[Any] = _loads(self.text, self.exact)
        return parsed


_Cuts = list[tuple[int, int, int]]


def read_page(body: bytes, content_type: str | None, path: DotPath | None, *, exact: bool = False) -> tuple[Any, Any]:
    """The page's document and items (a list, or PageItems for a list of items found by the scan).

    The document outside a scanned list of items (or the whole page, when the scan does not
    apply) is parsed into objects, so it is refused past PAGE_OUTSIDE_ITEMS bytes.
    """
    found: tuple[int, int, _Cuts] | None = None
    try:
        found = _scan_for_items(body, path, exact)
    except _Unscannable:
        pass
    except _OutsideTooLarge:
        raise _outside_too_large() from None
    except (ValueError, RecursionError) as exc:
        raise _not_json(body, content_type, exc) from None
    outside = body if found is None else body[: found[0]] + b"[]" + body[found[1] :]
    if len(outside) > PAGE_OUTSIDE_ITEMS.bytes:
        raise _outside_too_large()
    document = decode_page(outside, content_type, exact=exact)
    if found is None:
        return document, find_items(document, path)
    return document, PageItems(body, found[2], exact)


def _outside_too_large() -> ResponseFormatError:
    return ResponseFormatError(
        f"the page without its list of items is larger than {size_text(PAGE_OUTSIDE_ITEMS.bytes)}",
        hint="paginate reads the rest of a page whole; name the list of items with --items PATH",
    )


def _space(body: bytes, pos: int) -> int:
    return _SPACE.match(body, pos).end()  # type: ignore[union-attr]  # it matches empty


def _string_end(body: bytes, quote: int) -> int:
    """Just past the string that opens at `quote`."""
    end = _STRING_INSIDE.match(body, quote + 1).end()  # type: ignore[union-attr]
    if end >= len(body) or body[end] != ord('"'):
        raise ValueError(f"an unfinished string at byte {quote}")
    return end + 1


def _value_end(body: bytes, pos: int, limit: int | None = None) -> int:
    """Just past the value at `pos`, found by counting brackets outside strings (never recursion).

    With `limit`, a value longer than that is _OutsideTooLarge as soon as the scan passes it."""
    if pos >= len(body):
        raise ValueError("a value expected at the end")
    first = body[pos]
    if first == ord('"'):
        end = _string_end(body, pos)
    elif first not in b"[{":
        end = _SCALAR_END.match(body, pos).end()  # type: ignore[union-attr]
        if end == pos:
            raise ValueError(f"a value expected at byte {pos}")
    else:
        depth, end = 0, pos
        stop = len(body) if limit is None else min(len(body), pos + limit + 1)
        while depth or end == pos:
            found = _STRUCTURAL.search(body, end, stop)
            if found is None:
                if stop < len(body):
                    raise _OutsideTooLarge
                raise ValueError("an unfinished array or object")
            at = found.start()
            if body[at] == ord('"'):
                end = _string_end(body, at)
                continue
            depth += 1 if body[at] in b"[{" else -1
            end = at + 1
    if limit is not None and end - pos > limit:
        raise _OutsideTooLarge
    return end


def _scan_for_items(body: bytes, path: DotPath | None, exact: bool) -> tuple[int, int, _Cuts] | None:
    """The list of items in the page's text, found as find_items finds it: (start, end, cuts).

    None when there is none to scan (the whole page is then parsed, as before); _Unscannable for
    paths the scan does not follow (negative indexes)."""
    start = _space(body, 0)
    if start >= len(body) or body[start] not in b"[{":
        return None
    if path is None and body[start] == ord("["):
        end, cuts = _array(body, start, exact)
        found: tuple[int, int, _Cuts] | None = (start, end, cuts)
    elif path is None:
        spans, end = _members(body, start, frozenset(ITEM_KEYS), exact)
        found = next((spans[key] for key in ITEM_KEYS if key in spans), None)
    else:
        found, end = _follow(body, start, path, exact)
    if _space(body, end) != len(body):
        raise ValueError("more data after the document")
    return found


def _follow(body: bytes, start: int, path: DotPath, exact: bool) -> tuple[tuple[int, int, _Cuts] | None, int]:
    """The list at `path` from the value at `start`, and where that value ends."""
    step, rest = path[0], path[1:]
    if body[start] == ord("{") and isinstance(step, str):
        spans, end = _members(body, start, frozenset({step}), exact, inner=rest)
        return spans.get(step), end
    if body[start] == ord("[") and (isinstance(step, int) or (step.isascii() and step.isdigit())):
        index = int(step)
        if index < 0 or index > 1 << 20:
            raise _Unscannable
        return _element(body, start, index, rest, exact)
    return None, _value_end(body, start, PAGE_OUTSIDE_ITEMS.bytes)


def _value(body: bytes, start: int, rest: DotPath, exact: bool) -> tuple[tuple[int, int, _Cuts] | None, int]:
    """What the path `rest` finds from the value at `start` (the value itself when `rest` is empty)."""
    if rest:
        if body[start] in b"[{":
            return _follow(body, start, rest, exact)
        return None, _value_end(body, start, PAGE_OUTSIDE_ITEMS.bytes)
    if body[start] == ord("["):
        end, cuts = _array(body, start, exact)
        return (start, end, cuts), end
    return None, _value_end(body, start, PAGE_OUTSIDE_ITEMS.bytes)


def _members(
    body: bytes, pos: int, wanted: frozenset[str], exact: bool, *, inner: DotPath = ()
) -> tuple[dict[str, tuple[int, int, _Cuts]], int]:
    """The lists found under the `wanted` keys of the object at `pos` (the last of a repeated key), and its end."""
    spans: dict[str, tuple[int, int, _Cuts]] = {}
    pos = _space(body, pos + 1)
    if body[pos : pos + 1] == b"}":
        return spans, pos + 1
    while True:
        if body[pos : pos + 1] != b'"':
            raise ValueError(f"a key expected at byte {pos}")
        key_end = _string_end(body, pos)
        key = orjson.loads(body[pos:key_end]) if key_end - pos <= 4096 else None
        pos = _space(body, key_end)
        if body[pos : pos + 1] != b":":
            raise ValueError(f"':' expected at byte {pos}")
        start = _space(body, pos + 1)
        if key in wanted:
            found, end = _value(body, start, inner, exact)
            spans.pop(key, None)
            if found is not None:
                spans[key] = found
        else:
            end = _value_end(body, start, PAGE_OUTSIDE_ITEMS.bytes)
        pos = _space(body, end)
        if body[pos : pos + 1] == b"}":
            return spans, pos + 1
        if body[pos : pos + 1] != b",":
            raise ValueError(f"',' or '}}' expected at byte {pos}")
        pos = _space(body, pos + 1)


def _element(
    body: bytes, pos: int, index: int, rest: DotPath, exact: bool
) -> tuple[tuple[int, int, _Cuts] | None, int]:
    """What `rest` finds in element `index` of the array at `pos`, and where the array ends."""
    found = None
    pos = _space(body, pos + 1)
    if body[pos : pos + 1] == b"]":
        return None, pos + 1
    number = 0
    while True:
        if number == index:
            found, end = _value(body, pos, rest, exact)
        else:
            end = _value_end(body, pos, PAGE_OUTSIDE_ITEMS.bytes)
        number += 1
        pos = _space(body, end)
        if body[pos : pos + 1] == b"]":
            return found, pos + 1
        if body[pos : pos + 1] != b",":
            raise ValueError(f"',' or ']' expected at byte {pos}")
        pos = _space(body, pos + 1)


def _array(body: bytes, opening: int, exact: bool) -> tuple[int, _Cuts]:
    """Where the array at `opening` ends, and its inside as runs of whole items of about ITEM_BATCH bytes.

    Each run is parsed once here (so a page that is not JSON is refused before an item is written);
    a run is cut at a comma or at the closing bracket, and parsing it tells whether the cut was
    really between two items: at a bracket or comma inside a string, the run does not parse."""
    cuts: _Cuts = []
    pos = _space(body, opening + 1)
    if body[pos : pos + 1] == b"]":
        return pos + 1, cuts
    while True:
        taken = _run(body, pos)
        if taken is None:  # one item longer than a run, or brackets and commas inside its strings: it alone
            cut = _value_end(body, pos)
            taken = (cut, len(_loads(b"[" + body[pos:cut] + b"]", exact)))
        cut, count = taken
        cuts.append((pos, cut, count))
        after = _space(body, cut)
        if body[after : after + 1] == b"]":
            return after + 1, cuts
        if body[after : after + 1] != b",":
            raise ValueError(f"',' or ']' expected at byte {after}")
        pos = _space(body, after + 1)


def _run(body: bytes, pos: int) -> tuple[int, int] | None:
    """Where a run of whole items from `pos` ends (at a comma or a closing bracket) and how many it holds.

    A run is parsed only to check and count it. A comma may be inside an item, so several cuts are
    tried: each first with orjson alone (a wrong cut fails fast), and only when none parses that
    way with the lenient parser too, which takes what orjson refuses (NaN, lone surrogates, wide
    integers) and refuses what the exact parser refuses (PageItems.batches parses the run again)."""
    high = min(len(body), pos + ITEM_BATCH)
    cuts: list[int] = []
    for _ in range(_CUT_ATTEMPTS):
        cut = max(body.rfind(b",", pos, high), body.rfind(b"]", pos, high))
        if cut <= pos:
            break
        try:
            return cut, len(orjson.loads(b"[" + body[pos:cut] + b"]"))
        except orjson.JSONDecodeError:
            cuts.append(cut)
            high = cut
    for cut in cuts:
        try:
            return cut, len(_loads(b"[" + body[pos:cut] + b"]", exact=False))
        except (ValueError, RecursionError):
            pass
    return None


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
