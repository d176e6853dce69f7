"""Typed, immutable descriptions of what to send, how to retry and how to show the result.

The CLI layer builds these from flags; the core only ever sees these objects. They are
NamedTuples rather than frozen dataclasses because they are built on every start: a
NamedTuple class costs about a tenth of a dataclass to create. Copy with `_replace`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = (429, 500, 502, 503, 504)


class FilePart(NamedTuple):
    """One multipart file upload from a `field@path` item."""

    field: str
    path: Path
    content_type: str | None = None


class Body(NamedTuple):
    """A request body: exactly one of json / raw / form is meaningful, chosen by `kind`."""

    kind: Literal["json", "raw", "form", "multipart"]
    json: Any = None
    raw: bytes = b""
    form: tuple[tuple[str, str], ...] = ()
    files: tuple[FilePart, ...] = ()
    content_type: str | None = None


class Credentials(NamedTuple):
    """Secrets that belong to one origin and must never travel to another."""

    basic: tuple[str, str] | None = None
    bearer: str | None = None
    api_key: str | None = None
    api_key_header: str | None = None
    api_key_query: str | None = None

    @property
    def secret_values(self) -> tuple[str, ...]:
        values = [self.bearer, self.api_key, self.basic[1] if self.basic else None]
        return tuple(v for v in values if v)


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
                return value
        return None


class RetryPolicy(NamedTuple):
    retries: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0
    retry_unsafe: bool = False
    statuses: tuple[int, ...] = RETRY_STATUSES
    # Injectable so tests never sleep for real.
    sleep: Callable[[float], None] = time.sleep


class NetworkOptions(NamedTuple):
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_time: float | None = None
    follow: bool = True
    max_redirects: int = 30
    allow_insecure_redirect: bool = False
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None


class OutputOptions(NamedTuple):
    # None means "decide from whether stdout is a terminal".
    pretty: bool | None = None
    color: bool | None = None
    include: bool = False
    verbose: bool = False
    quiet: bool = False
    output: Path | None = None
    ignore_status: bool = False
