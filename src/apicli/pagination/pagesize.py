"""The page size a request named, and the note for a full first page that pointed nowhere.

An API that sends its `Link` header only when a page is asked for (json-server's `_page`)
answers a plain request with one page and no next link: paginate would stop there, exit 0
and look done. When the request named a page size and that page came back full (as many
items as asked for, or more), the collection very likely goes on, so the user is told what
was looked for.
"""

from __future__ import annotations

from .query import query_fields

__all__ = ["PAGE_SIZE_PARAMS", "asked_page_size", "full_page_note"]

# Page-size parameters of widely used APIs, compared exactly (their case is part of the name).
PAGE_SIZE_PARAMS = (
    "per_page",
    "perPage",
    "page_size",
    "pageSize",
    "page[size]",
    "page[limit]",
    "limit",
    "_limit",
    "size",
    "count",
    "max_results",
    "maxResults",
    "maxResultCount",
    "pagelen",
    "$top",
    "top",
    "first",
)
_LARGEST = 10**9  # past this a "page size" is no page size


def asked_page_size(url: str) -> tuple[str, int] | None:
    """The first page-size parameter in `url`'s query with a positive whole value: (name, size)."""
    for name, value in query_fields(url):
        digits = value.lstrip("0")
        # ASCII digits only (str.isdigit takes other scripts' digits too), and few enough to be a size.
        if name in PAGE_SIZE_PARAMS and digits.isascii() and digits.isdigit() and len(digits) <= 10:
            size = int(digits)
            if size <= _LARGEST:
                return name, size
    return None


def full_page_note(url: str, items: int, looked_for: str) -> str | None:
    """The note for a first page that was the last one found; None when nothing suggests more pages."""
    asked = asked_page_size(url)
    if asked is None:
        return None
    name, size = asked
    if items < size:
        return None  # a genuinely small collection
    return (
        f"apicli: paginate: page 1 came back full ({items} items for {name}={size}) but nothing pointed to "
        f"a next page (looked for {looked_for}); stopping after it; if the API numbers its pages, "
        "add --page-param NAME (e.g. page or _page)"
    )
