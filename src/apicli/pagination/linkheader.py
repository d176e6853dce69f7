"""Parse RFC 8288 `Link` headers into links, so that pagination can follow `rel="next"`.

    Link: <https://api.example.com/items?page=2>; rel="next", </items?page=9>; rel=last

The parser is lenient where servers are sloppy (unquoted or multi-token rels, unknown
parameters, stray commas and whitespace) and strict only where guessing would be wrong:
every link must start with a `<URI-Reference>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urljoin

from ..errors import ParseError
from ..formats.httpsyntax import OWS, excerpt, parse_quoted, skip_ows

__all__ = ["Link", "find_rel", "parse_link_header"]

_HINT = 'each link looks like <https://api.example.com/items?page=2>; rel="next"'
# Long headers are cut in messages so that an error stays on one readable line.


@dataclass(frozen=True)
class Link:
    """One link: its resolved target URL, its relation types and its other parameters."""

    url: str
    rels: frozenset[str]
    # Lowercase parameter names (without rel); left out of the hash because a mapping has none.
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)


def parse_link_header(values: str | Iterable[str], base_url: str) -> list[Link]:
    """Every link in one header value or several, in order, with URLs resolved against `base_url`."""
    if isinstance(values, str):
        values = [values]
    links: list[Link] = []
    for value in values:
        links.extend(_parse_value(value, base_url))
    return links


def find_rel(links: Iterable[Link], rel: str) -> str | None:
    """The URL of the first link whose relation types include `rel`, if any."""
    wanted = rel.lower()
    for link in links:
        if wanted in link.rels:
            return link.url
    return None


def _parse_value(text: str, base_url: str) -> list[Link]:
    links: list[Link] = []
    pos = 0
    end = len(text)
    while True:
        # Empty list elements (`, ,`) are allowed by RFC 9110's list syntax.
        while pos < end and (text[pos] in OWS or text[pos] == ","):
            pos += 1
        if pos >= end:
            return links
        link, pos = _parse_link(text, pos, base_url)
        links.append(link)


def _parse_link(text: str, pos: int, base_url: str) -> tuple[Link, int]:
    """Parse one `<url> *(; param)` starting at `pos`; return it and the position after it."""
    end = len(text)
    if text[pos] != "<":
        raise _error(f"missing '<' in {excerpt(text, pos)!r}")
    close = text.find(">", pos + 1)
    if close < 0:
        raise _error(f"missing '>' in {excerpt(text, pos)!r}")
    target = text[pos + 1 : close].strip(OWS)
    pos = close + 1

    rels: frozenset[str] | None = None
    params: dict[str, str] = {}
    while True:
        pos = skip_ows(text, pos)
        if pos >= end or text[pos] == ",":
            break
        if text[pos] != ";":
            raise _error(f"expected ';' or ',' after the link target in {excerpt(text, pos)!r}")
        name, value, pos = _parse_param(text, pos + 1)
        if not name:
            continue  # `;;` or a trailing `;`
        # RFC 8288 section 3: occurrences after the first are ignored.
        if name == "rel":
            if rels is None:
                rels = frozenset(token.lower() for token in value.split())
        else:
            params.setdefault(name, value)

    try:
        url = urljoin(base_url, target)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket in the host
        raise _error(f"invalid link target {target!r}: {exc}") from None
    return Link(url=url, rels=rels or frozenset(), params=MappingProxyType(params)), pos


def _parse_param(text: str, pos: int) -> tuple[str, str, int]:
    """Parse `name[=value]` after a ';'; return the lowercase name, its value and the next position."""
    end = len(text)
    start = pos
    while pos < end and text[pos] not in "=;,":
        pos += 1
    name = text[start:pos].strip(OWS).lower()
    if pos >= end or text[pos] != "=":
        return name, "", pos
    pos = skip_ows(text, pos + 1)
    if pos < end and text[pos] == '"':
        value, pos = parse_quoted(text, pos, _error)
        pos = skip_ows(text, pos)
        if pos < end and text[pos] not in ";,":
            raise _error(f"unexpected text after a quoted value in {excerpt(text, pos)!r}")
        return name, value, pos
    start = pos
    while pos < end and text[pos] not in ";,":
        pos += 1
    # Lenient: an unquoted value runs to the next separator, so `rel=next last` still works.
    return name, text[start:pos].strip(OWS), pos


def _error(detail: str) -> ParseError:
    return ParseError(f"malformed Link header: {detail}", hint=_HINT)
