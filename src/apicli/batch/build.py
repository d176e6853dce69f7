"""A batch line plus the run's flags and profile: the RequestSpec to send.

The line's own fields win: its method, its headers and query parameters over the flags' and the
profile's of the same name, its body. A URL starting with / is under the base URL (--base-url,
else the profile's base_url). The run's credentials stay bound to the base URL's origin, as a
redirect's rule has it: a line whose URL points elsewhere is sent without them (the client
strips them there), and without the profile's headers and query, which belong to its origin.
"""

from __future__ import annotations

from ..errors import UsageError
from ..formats.urls import normalize_url, same_origin
from ..spec import RequestSpec
from .lines import LineRequest


class SpecBuilder:
    """Turns each line into a RequestSpec over the run's `base` spec (flags and profile merged)."""

    def __init__(
        self,
        base: RequestSpec,
        base_url: str | None,
        *,
        profile_headers: frozenset[str] = frozenset(),
        profile_query: frozenset[str] = frozenset(),
    ) -> None:
        self.base = base
        self.base_url = base_url
        # What only the profile gave (no flag of that name): it does not leave the base URL's origin.
        self._foreign_headers = tuple(pair for pair in base.headers if pair[0].lower() not in profile_headers)
        self._foreign_query = tuple(pair for pair in base.query if pair[0] not in profile_query)

    def url_of(self, request: LineRequest) -> str:
        url = request.url
        if url.startswith("/"):
            if self.base_url is None:
                raise UsageError(
                    f"the URL {url!r} needs a base URL",
                    hint="give --base-url URL, or -P NAME for a profile with a base_url",
                )
            url = self.base_url.rstrip("/") + url
        return normalize_url(url)

    def build(self, request: LineRequest) -> RequestSpec:
        url = self.url_of(request)
        home = self.base_url is not None and same_origin(url, self.base.url)
        headers = self.base.headers if home else self._foreign_headers
        query = self.base.query if home else self._foreign_query
        if request.headers:
            named = {name.lower() for name, _ in request.headers}
            headers = tuple(pair for pair in headers if pair[0].lower() not in named) + request.headers
        if request.query:
            named = {name for name, _ in request.query}
            query = tuple(pair for pair in query if pair[0] not in named) + request.query
        body = request.body
        if body is not None and body.content_type is not None and not _has_header(headers, "content-type"):
            # The type of a "json" body, unless a header (the line's or a flag's) names another.
            headers = (*headers, ("Content-Type", body.content_type))
        method = request.method or ("POST" if body is not None else "GET")
        return self.base._replace(method=method, url=url, headers=headers, query=query, body=body)


def _has_header(headers: tuple[tuple[str, str], ...], lowered: str) -> bool:
    return any(name.lower() == lowered for name, _ in headers)
