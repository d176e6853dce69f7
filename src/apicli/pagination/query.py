"""Setting one query parameter in a URL without disturbing the rest of it.

The page loop compares URLs as strings (a planned page is used only if it is exactly
the URL the server's own next link names), so these functions change the one
`name=value` field and keep every other byte of the URL as it was.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

__all__ = ["query_fields", "query_value", "step_parameter", "with_query_param"]


def _split(url: str) -> tuple[str, list[str], str]:
    """(everything before '?', the `&`-separated fields, '#fragment' or '')."""
    before_fragment, hash_mark, fragment = url.partition("#")
    base, _, query = before_fragment.partition("?")
    return base, query.split("&") if query else [], hash_mark + fragment


def _field_name(field: str) -> str:
    return unquote_plus(field.partition("=")[0])


def with_query_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value`: replaced where it first stands (later repeats dropped), else appended."""
    base, fields, fragment = _split(url)
    encoded = quote(value, safe="")
    kept: list[str] = []
    placed = False
    for field in fields:
        if _field_name(field) != name:
            kept.append(field)
        elif not placed:
            # Keep the name exactly as written (`page[number]` stays unescaped, say).
            kept.append(f"{field.partition('=')[0]}={encoded}")
            placed = True
    if not placed:
        kept.append(f"{quote(name, safe='[]')}={encoded}")
    return f"{base}?{'&'.join(kept)}{fragment}"


def query_fields(url: str) -> list[tuple[str, str]]:
    """Every `name=value` field of `url`'s query, both decoded, in order."""
    return [(_field_name(field), unquote_plus(field.partition("=")[2])) for field in _split(url)[1]]


def query_value(url: str, name: str) -> str | None:
    """The first value of query parameter `name`, decoded; None when absent."""
    for field in _split(url)[1]:
        if _field_name(field) == name:
            return unquote_plus(field.partition("=")[2])
    return None


def step_parameter(first: str, last: str) -> tuple[str, int, int] | None:
    """When `first` and `last` differ only in one integer query parameter: its name and both numbers.

    `?per_page=50&page=2` and `?per_page=50&page=9` give ("page", 2, 9). Anything else
    (another field differs, a non-number, the path differs, last before first) gives None.
    """
    first_base, first_fields, _ = _split(first)
    last_base, last_fields, _ = _split(last)
    if first_base != last_base or len(first_fields) != len(last_fields):
        return None
    differing = [(a, b) for a, b in zip(first_fields, last_fields, strict=True) if a != b]
    if len(differing) != 1:
        return None
    (mine, theirs) = differing[0]
    name, _, low = mine.partition("=")
    other_name, _, high = theirs.partition("=")
    if name != other_name or not (low.isascii() and low.isdigit() and high.isascii() and high.isdigit()):
        return None
    if len(low) > 9 or len(high) > 9 or int(low) > int(high):
        return None
    return unquote_plus(name), int(low), int(high)
