"""Credential helpers (--auth-command, a profile's auth_command): a program that prints what to send.

The helper runs without a shell, with APICLI_URL, APICLI_METHOD and APICLI_ORIGIN in its
environment, and prints either one line (a bearer token) or JSON
`{"headers": {...}, "expires_in": N}`. With expires_in its headers are cached like an OAuth2
token; without, it runs for every request. Its output is a secret: an error names the helper
and its exit status, never what it printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any

import requests

from .errors import ApicliError
from .httpsyntax import header_value_problem
from .token_cache import TokenCache, cache_key
from .urls import origin_of

HELPER_TIMEOUT = 30.0
MAX_OUTPUT = 64 * 1024
_USAGE = 'a helper prints one line (a bearer token) or JSON {"headers": {"Name": "value"}, "expires_in": SECONDS}'
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class HelperOutputError(ValueError):
    """The helper's output is not one of the two forms (the message never quotes it)."""


def parse_helper_output(text: str) -> tuple[dict[str, str], float | None]:
    """(headers to send, seconds they last or None) from what a helper printed."""
    stripped = text.strip()
    if not stripped:
        raise HelperOutputError("printed nothing")
    if stripped.startswith("{"):
        try:
            document: Any = json.loads(stripped)
        except ValueError:
            raise HelperOutputError("printed JSON that does not parse") from None
        headers = document.get("headers") if isinstance(document, dict) else None
        if not isinstance(headers, dict) or not headers:
            raise HelperOutputError('printed JSON without a "headers" object')
        for name, value in headers.items():
            if not name or not set(name) <= _TOKEN_CHARS:
                raise HelperOutputError("printed a header name that HTTP does not allow")
            if not isinstance(value, str) or header_value_problem(value):
                raise HelperOutputError("printed a header value that is not a string HTTP allows")
        expires = document.get("expires_in")
        if expires is None:
            return dict(headers), None
        if isinstance(expires, bool) or not isinstance(expires, int | float) or not 0 < expires < 10**9:
            raise HelperOutputError("printed an expires_in that is not a positive number of seconds")
        return dict(headers), float(expires)
    if "\n" in stripped:
        raise HelperOutputError("printed more than one line")
    if header_value_problem(stripped) or any(char.isspace() for char in stripped):
        raise HelperOutputError("printed a token with spaces or characters HTTP does not allow")
    return {"Authorization": f"Bearer {stripped}"}, None


class HelperSource:
    """Runs the helper for the headers of a request to the credentials' origin (or reuses cached ones)."""

    refresh_on_401 = False

    def __init__(
        self,
        argv: Sequence[str],
        cache: TokenCache | None,
        on_secret: Callable[[str], None],
        *,
        run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run,
    ) -> None:
        self.argv = tuple(argv)
        self.name = self.argv[0]
        self.cache = cache
        self.on_secret = on_secret
        self.run = run
        self.header_names: set[str] = set()
        self.lock = threading.Lock()

    def headers(self, request: requests.PreparedRequest, *, fresh: bool = False) -> dict[str, str]:
        url = request.url or ""
        scheme, host, port = origin_of(url)
        origin = f"{scheme}://{host}:{port}"
        key = cache_key("helper", [*self.argv, origin])
        with self.lock:
            headers = self.cache.load(key) if self.cache is not None and not fresh else None
            if headers is None:
                headers, expires_in = self._ask(url, request.method or "GET", origin)
                if expires_in is not None and self.cache is not None:
                    self.cache.store(key, headers, expires_in)
            for name, value in headers.items():
                self.header_names.add(name.lower())
                self.on_secret(value)
                self.on_secret(value.partition(" ")[2])
            return headers

    def _ask(self, url: str, method: str, origin: str) -> tuple[dict[str, str], float | None]:
        environment = dict(os.environ, APICLI_URL=url, APICLI_METHOD=method, APICLI_ORIGIN=origin)
        who = f"the credential helper {self.name!r}"
        try:
            done = self.run(
                list(self.argv), stdin=subprocess.DEVNULL, capture_output=True, env=environment, timeout=HELPER_TIMEOUT
            )
        except FileNotFoundError:
            hint = "check --auth-command (or the profile's auth_command)"
            raise ApicliError(f"{who} was not found", hint=hint) from None
        except PermissionError:
            raise ApicliError(f"{who} cannot be run: permission denied") from None
        except subprocess.TimeoutExpired:
            raise ApicliError(f"{who} did not finish within {HELPER_TIMEOUT:g} s and was stopped") from None
        except OSError as exc:
            raise ApicliError(f"{who} cannot be run: {exc.strerror or type(exc).__name__}") from None
        status = done.returncode
        if status != 0:
            how = f"was killed by signal {-status}" if status < 0 else f"failed with exit status {status}"
            raise ApicliError(f"{who} {how}", hint="its output is not shown: it may hold secrets")
        try:
            return parse_helper_output(done.stdout[:MAX_OUTPUT].decode("utf-8", "replace"))
        except HelperOutputError as exc:
            raise ApicliError(f"{who} {exc} (exit status 0)", hint=_USAGE) from None
