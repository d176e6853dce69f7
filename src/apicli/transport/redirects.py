"""Following redirects in the open: each hop reported as it happens, each Location checked first.

`RedirectTrail` is a requests response hook for one request and the redirects it follows.
It shows every hop with -v before the next request goes out (so a hop that leads to a failure
is shown too), keeps the URLs reached so an error can name the one that failed, and refuses a
Location that cannot be followed (empty, malformed, not http(s)) before requests trips on it.
Such a 3xx ends the run like one not followed: HTTPStatusError, exit 3 (REDIRECT).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import HTTPStatusError
from ..formats.urls import redact_url
from ..output.report import Reporter

# The statuses requests follows (requests.sessions.REDIRECT_STATI).
FOLLOWED_STATUSES = frozenset({301, 302, 303, 307, 308})
_SHOWN_LOCATION = 200


class RedirectTrail:
    """The hops of one request; call it as a `response` hook."""

    def __init__(self, reporter: Reporter, *, follow: bool) -> None:
        self.reporter = reporter
        self.follow = follow
        self.reached: list[str] = []  # each URL a redirect led to, in order

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if not self.follow or response.status_code not in FOLLOWED_STATUSES or "Location" not in response.headers:
            return response
        location = response.headers["Location"]
        problem, target = check_location(location, response.url)
        status = f"{response.status_code} {response.reason or ''}".rstrip()
        if problem is not None:
            response.close()
            raise HTTPStatusError(
                f"HTTP {status} ({response.request.method} {redact_url(response.url)}) cannot be followed: {problem}",
                status=response.status_code,
                hint="the server's redirect is broken: a redirect needs a Location naming an http or https URL",
            )
        self.reporter.verbose(f"< {status} -> {redact_url(target)}")
        self.reached.append(target)
        return response


def unfollowed_hint(response: requests.Response) -> str:
    """The hint for a 3xx not followed under --no-follow: drop the flag only when following would work."""
    location = response.headers.get("Location")
    if response.status_code not in FOLLOWED_STATUSES:
        problem: str | None = f"apicli does not follow HTTP {response.status_code}"
    elif location is None:
        problem = "it has no Location header"
    else:
        problem = check_location(location, response.url)[0]
    if problem is None:
        return "drop --no-follow to follow it"
    return f"following would not work either: {problem}; --ignore-status exits 0 with the response"


def check_location(location: str, base: str) -> tuple[str | None, str]:
    """(what makes `location` unusable or None, the absolute URL it names relative to `base`)."""
    text = location.strip()
    shown = _shown(text)
    if not text:
        return "its Location header is empty", ""
    if not _is_utf8(text):
        # http.client gives header bytes as Latin-1; a URL's bytes are UTF-8 (requests cannot follow others).
        return f"its Location {shown} is not valid UTF-8", text
    try:
        own = urlsplit(text)
        # `http://`, `//` or `https://:80/` name an authority with no host in it: joined to the base they
        # would come back to the same URL, a loop instead of the refusal they deserve.
        if (own.scheme.lower() in ("http", "https") or text.startswith("//")) and not own.hostname:
            return f"its Location {shown} names no host", text
        target = urljoin(base, text)
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return f"its Location {shown} is not a valid URL", text
    if any(char.isspace() or not char.isprintable() for char in parts.netloc):
        return f"its Location {shown} is not a valid URL", target
    if parts.scheme not in ("http", "https"):
        return f"its Location {shown} is not an http or https URL", target
    if not parts.hostname:
        return f"its Location {shown} names no host", target
    return None, target


def _is_utf8(header_text: str) -> bool:
    try:
        header_text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _shown(text: str) -> str:
    shown = redact_url(text) or text
    if len(shown) > _SHOWN_LOCATION:
        shown = shown[:_SHOWN_LOCATION] + "..."
    return f"'{shown}'"
