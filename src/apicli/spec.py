"""Typed, immutable descriptions of what to send, how to retry and how to show the result.

The CLI layer builds these from flags; the core only ever sees these objects. They are
NamedTuples rather than frozen dataclasses because they are built on every start: a
NamedTuple class costs about a tenth of a dataclass to create. Copy with `_replace`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from .clock import UNLIMITED, Clock

# The defaults of the shared flags are declared in the flag table; the objects below and older imports read them here.
from .flagtable import DEFAULT_BACKOFF as DEFAULT_BACKOFF
from .flagtable import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from .flagtable import DEFAULT_MAX_REDIRECTS as DEFAULT_MAX_REDIRECTS
from .flagtable import DEFAULT_RETRIES as DEFAULT_RETRIES
from .flagtable import DEFAULT_RETRY_MAX_WAIT as DEFAULT_RETRY_MAX_WAIT
from .flagtable import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .flagtable import MAX_PARALLEL as MAX_PARALLEL

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = (429, 500, 502, 503, 504)


class FilePart(NamedTuple):
    """One multipart file upload from a `field@path` item."""

    field: str
    path: Path
    content_type: str | None = None


class Body(NamedTuple):
    """A request body: exactly one of json / raw / form / path is meaningful, chosen by `kind`.

    A "file" body (--data @FILE) is read from `path` while it is sent; `size` is the size of
    a regular file, None for a FIFO or device, which is sent chunked.
    """

    kind: Literal["json", "raw", "form", "multipart", "file"]
    json: Any = None
    raw: bytes = b""
    form: tuple[tuple[str, str], ...] = ()
    files: tuple[FilePart, ...] = ()
    content_type: str | None = None
    path: Path | None = None
    size: int | None = None


class OAuth2Settings(NamedTuple):
    """OAuth2 client credentials (RFC 6749 §4.4): where to get a token, and as whom."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    audience: str | None = None

    def __repr__(self) -> str:  # never the secret, should one end up in a message
        return f"OAuth2Settings(token_url={self.token_url!r}, client_id={self.client_id!r})"


class HeaderSource(Protocol):
    """Fetched credentials: the headers for a request (a requests.PreparedRequest) to their origin."""

    refresh_on_401: bool
    header_names: set[str]  # lowercased, for stripping them off requests to another origin

    def headers(self, request: Any, *, fresh: bool = False) -> dict[str, str]: ...


class Credentials(NamedTuple):
    """Secrets that belong to one origin and must never travel to another."""

    basic: tuple[str, str] | None = None
    digest: bool = False  # `basic` holds the user and password of digest auth (-A digest)
    bearer: str | None = None
    api_key: str | None = None
    api_key_header: str | None = None
    api_key_query: str | None = None
    # --cookie NAME=VALUE: sent to this origin only, and never written to a cookie jar (as curl's -b NAME=VALUE).
    cookies: tuple[tuple[str, str], ...] = ()
    oauth2: OAuth2Settings | None = None  # the token is fetched when the first request goes out
    auth_command: tuple[str, ...] | None = None  # a credential helper's argv, run for the headers to send

    @property
    def fetched(self) -> bool:
        """Whether the credentials come from a token endpoint or a helper, while the run goes."""
        return self.oauth2 is not None or self.auth_command is not None

    @property
    def secret_values(self) -> tuple[str, ...]:
        values = [self.bearer, self.api_key, self.basic[1] if self.basic else None]
        values.append(self.oauth2.client_secret if self.oauth2 else None)
        values += [value for _, value in self.cookies]
        return tuple(v for v in values if v)


# The value of a header the user removed (`Name:` item, -H 'Name:'): a default of that name is not
# sent. A control character, so no real value (those are refused) can be mistaken for it; an
# empty string is a real value (`Name;`), sent as an empty header.
NO_HEADER = "\x00"


class RequestSpec(NamedTuple):
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: Body | None = None
    credentials: Credentials = Credentials()

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == lowered:
                return None if value == NO_HEADER else value
        return None


class RetryPolicy(NamedTuple):
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_wait: float = DEFAULT_RETRY_MAX_WAIT
    retry_unsafe: bool = False
    statuses: tuple[int, ...] = RETRY_STATUSES
    # --expect-status: statuses that are the answer, so never retried (even with Retry-After).
    answers: frozenset[int] = frozenset()


class NetworkOptions(NamedTuple):
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_time: float | None = None
    follow: bool = True
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allow_insecure_redirect: bool = False
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None
    # The run's time budget, from --max-time; every socket timeout and wait is cut to it.
    clock: Clock = UNLIMITED


class SessionOptions(NamedTuple):
    """What the one session of a run carries besides the network settings: cookies and transports."""

    cookie_jar: Path | None = None
    proxy: str | None = None  # --proxy: for http and https URLs, over HTTP(S)_PROXY/ALL_PROXY
    no_proxy: str | None = None  # --no-proxy: hosts that go direct, over NO_PROXY
    unix_socket: str | None = None  # --unix-socket: every connection goes to this socket
    cache_dir: Path | None = None  # where OAuth2 tokens and helper headers are cached


class OutputOptions(NamedTuple):
    # None means "decide from whether stdout is a terminal".
    pretty: bool | None = None
    color: bool | None = None
    include: bool = False
    verbose: bool = False
    quiet: bool = False
    output: Path | None = None
    to_stdout: bool = False  # -o - : stdout asked for by name
    ignore_status: bool = False
