"""Next-page strategies: Link header, next URL in the body, cursor, page number, offset/limit.

A `Pager` is asked, after each page, for the URL of the next one (None: that was the
last). Pagers that can also say which URLs come after it without fetching them
(page numbers or offsets with a known total; a Link header whose rel="last" differs
only in a page number) return a `Plan`, which the runner uses to fetch ahead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from ..errors import ParseError, ResponseFormatError
from .documents import (
    CURSOR_PATHS,
    NEXT_PATHS,
    Page,
    cursor_text,
    detect_cursor_path,
    detect_next_path,
    link_target,
    page_count,
    total_items,
)
from .dotpath import MISSING, DotPath, format_path, lookup
from .linkheader import find_rel
from .query import query_value, step_parameter, with_query_param
from .settings import PaginationSettings, Scheme

__all__ = [
    "BodyPager",
    "CursorPager",
    "LinkPager",
    "OffsetPager",
    "PagePager",
    "Pager",
    "Plan",
    "SinglePage",
    "detect_pager",
    "forced_pager",
]

_PAGING_RELS = frozenset({"next", "last", "prev", "previous", "first"})


@dataclass(frozen=True)
class Plan:
    """The URLs of the pages after the current one, in order, when they can be known ahead; else why not."""

    urls: Iterator[str] | None
    note: str


class Pager(ABC):
    """Finds the next page's URL from the current page; may keep state across pages."""

    def first_url(self, url: str) -> str:
        """The URL of the first request, given the URL on the command line."""
        return url

    @abstractmethod
    def describe(self) -> str:
        """What was detected or chosen, for -v."""

    @abstractmethod
    def next_url(self, page: Page) -> str | None:
        """The next page's URL, or None when `page` is the last one. Called once per page, in order."""

    def plan(self, page: Page, next_url: str) -> Plan:
        """The URLs from `next_url` on, when computable without fetching (called right after next_url)."""
        return Plan(None, "the next URLs cannot be known before each page arrives")

    def looked_for(self, page: Page) -> str | None:
        """What was looked for in vain, when `page` ended the run without saying it was the last; else None."""
        return None


def _next_places() -> str:
    return ", ".join(format_path(path) for path in NEXT_PATHS)


_ANYWHERE = 'a Link header with rel="next" or a next URL in the body at {}'


class SinglePage(Pager):
    def __init__(self, why: str, *, silent_end: bool = False) -> None:
        self.why = why
        self.silent_end = silent_end  # the page itself said it is the last (a null next link)

    def describe(self) -> str:
        return self.why

    def next_url(self, page: Page) -> str | None:
        return None

    def looked_for(self, page: Page) -> str | None:
        return None if self.silent_end else _ANYWHERE.format(_next_places())


class LinkPager(Pager):
    def describe(self) -> str:
        return 'next pages from the Link header (rel="next")'

    def next_url(self, page: Page) -> str | None:
        return find_rel(page.links(), "next")

    def looked_for(self, page: Page) -> str | None:
        # Other paging links (prev, first, last) without a next one say this is the last page.
        return None if page.link_values else 'a Link header with rel="next"'

    def plan(self, page: Page, next_url: str) -> Plan:
        last = find_rel(page.links(), "last")
        if last is None:
            return Plan(None, 'the Link header has no rel="last" link')
        if last == next_url:
            return Plan(iter([next_url]), "1 more page")
        step = step_parameter(next_url, last)
        if step is None:
            return Plan(None, 'the rel="last" URL differs from rel="next" in more than one page-number parameter')
        name, low, high = step
        urls = (with_query_param(next_url, name, str(number)) for number in range(low, high + 1))
        return Plan(urls, f'{name}={low}..{high} from rel="last"')


class BodyPager(Pager):
    def __init__(self, path: DotPath | None) -> None:
        self.path = path
        self.place_seen = path is not None  # a next place was found, even if null: it said where pages end

    def looked_for(self, page: Page) -> str | None:
        if self.path is not None and lookup(page.document, self.path) is MISSING:
            return f"a next URL in the body at {format_path(self.path)}"
        return None if self.place_seen else f"a next URL in the body at {_next_places()}"

    def describe(self) -> str:
        where = format_path(self.path) if self.path is not None else "a common place"
        return f"next pages from the next URL in the body at {where!r}"

    def next_url(self, page: Page) -> str | None:
        if self.path is None:
            self.path, self.place_seen = detect_next_path(page.document)
            if self.path is None:
                return None
        where = format_path(self.path)
        target = link_target(lookup(page.document, self.path), where)
        if target is None:
            return None
        try:
            return urljoin(page.final_url, target)
        except ValueError:
            raise ResponseFormatError(f"the next link at {where!r} is not a valid URL: {target[:200]!r}") from None


class CursorPager(Pager):
    def __init__(self, param: str, path: DotPath | None, note: Callable[[str], None]) -> None:
        self.param = param
        self.path = path
        self.note = note
        self.base = ""

    def describe(self) -> str:
        where = format_path(self.path) if self.path is not None else "a common place"
        return f"cursor from {where!r} in each body, sent as ?{self.param}="

    def first_url(self, url: str) -> str:
        self.base = url
        return url

    def next_url(self, page: Page) -> str | None:
        if self.path is None:
            self.path = detect_cursor_path(page.document)
            if self.path is None:
                looked = ", ".join(format_path(path) for path in CURSOR_PATHS)
                self.note(
                    f"apicli: paginate: no cursor in the first page (looked for {looked}); "
                    "stopping after it; name the cursor with --cursor PATH"
                )
                return None
        value = cursor_text(lookup(page.document, self.path), format_path(self.path))
        return None if value is None else with_query_param(self.base, self.param, value)


class PagePager(Pager):
    def __init__(self, param: str, start: int | None) -> None:
        self.param = param
        self.start = start
        self.current = 1
        self.first_number = 1
        self.per_page: int | None = None
        self.base = ""

    def describe(self) -> str:
        return f"page numbers in ?{self.param}=, from {self.first_number}"

    def first_url(self, url: str) -> str:
        given = query_value(url, self.param)
        if self.start is not None:
            self.current = self.start
        elif given is not None and given.isascii() and given.isdigit() and len(given) < 10:
            self.current = int(given)
        self.first_number = self.current
        self.base = url
        return with_query_param(url, self.param, str(self.current))

    def next_url(self, page: Page) -> str | None:
        if not page.items:
            return None
        if self.per_page is None:
            self.per_page = len(page.items)
        last = self._last_number(page)
        if last is not None and self.current >= last:
            return None
        self.current += 1
        return with_query_param(self.base, self.param, str(self.current))

    def plan(self, page: Page, next_url: str) -> Plan:
        last = self._last_number(page)
        if last is None:
            return Plan(None, 'the total is unknown (no X-Total-Count, no total in the body, no rel="last" link)')
        urls = (with_query_param(self.base, self.param, str(number)) for number in range(self.current, last + 1))
        return Plan(urls, f"{self.param}={self.current}..{last}")

    def _last_number(self, page: Page) -> int | None:
        """The last page's number, from rel="last", a page count or a total item count."""
        # APIs counting pages from 0 number the last page count-1.
        origin = 0 if self.first_number == 0 else 1
        if page.link_values:
            try:
                last_url = find_rel(page.links(), "last")
            except ParseError:
                last_url = None  # the Link header is only a hint here
            number = query_value(last_url, self.param) if last_url else None
            if number is not None and number.isascii() and number.isdigit() and len(number) < 10:
                return int(number)
        pages = page_count(page)
        if pages is not None:
            return origin + pages - 1
        total = total_items(page)
        if total is not None and self.per_page:
            return origin + math.ceil(total / self.per_page) - 1
        return None


class OffsetPager(Pager):
    def __init__(self, param: str, limit: int, limit_param: str, start: int | None) -> None:
        self.param = param
        self.limit = limit
        self.limit_param = limit_param
        self.offset = start or 0
        self.base = ""

    def describe(self) -> str:
        return f"offsets in ?{self.param}=, {self.limit} at a time (?{self.limit_param}={self.limit})"

    def first_url(self, url: str) -> str:
        self.base = with_query_param(url, self.limit_param, str(self.limit))
        return with_query_param(self.base, self.param, str(self.offset))

    def next_url(self, page: Page) -> str | None:
        if not page.items:
            return None
        # Step by what arrived, not by --limit: a server that caps the page size loses nothing.
        self.offset += len(page.items)
        total = total_items(page)
        if total is not None and self.offset >= total:
            return None
        return with_query_param(self.base, self.param, str(self.offset))

    def plan(self, page: Page, next_url: str) -> Plan:
        total = total_items(page)
        if total is None:
            return Plan(None, "the total is unknown (no X-Total-Count, no total in the body)")
        if len(page.items) != self.limit:
            return Plan(None, f"the first page had {len(page.items)} items, not --limit {self.limit}")
        offsets = range(self.offset, total, self.limit)
        urls = (with_query_param(self.base, self.param, str(offset)) for offset in offsets)
        return Plan(urls, f"{self.param}={self.offset}..{offsets[-1] if offsets else self.offset}")


def forced_pager(settings: PaginationSettings, note: Callable[[str], None]) -> Pager | None:
    """The pager the flags ask for; None when the scheme is to be detected from the first page."""
    scheme = settings.scheme
    if scheme is Scheme.LINK:
        return LinkPager()
    if scheme is Scheme.BODY:
        return BodyPager(settings.next_path)
    if scheme is Scheme.CURSOR:
        return CursorPager(settings.cursor_param, settings.cursor_path, note)
    if scheme is Scheme.PAGE:
        return PagePager(settings.page_param, settings.start)
    if scheme is Scheme.OFFSET and settings.limit is not None:
        return OffsetPager(settings.offset_param, settings.limit, settings.limit_param, settings.start)
    return None


def detect_pager(page: Page) -> Pager:
    """Auto-detection on the first page: a Link header first, then a next URL in a common place of the body."""
    rels: set[str] = set()
    for link in page.links():
        rels |= link.rels
    if rels & _PAGING_RELS:
        return LinkPager()
    path, present = detect_next_path(page.document)
    if path is not None:
        return BodyPager(path)
    if present:
        return SinglePage("the body's next link is null: one page", silent_end=True)
    why = 'no Link header with rel="next" and no next URL in the body: one page'
    for candidate in NEXT_PATHS:
        value = lookup(page.document, candidate)
        if isinstance(value, str | int) and value != "":
            shown = format_path(candidate)
            why += f" (the body's {shown!r} is not a URL; if it is a cursor, use --cursor {shown} --cursor-param NAME)"
            break
    return SinglePage(why)
