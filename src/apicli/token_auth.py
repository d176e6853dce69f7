"""Credentials fetched while the run goes: OAuth2 client-credentials tokens (RFC 6749 §4.4).

A `HeaderSource` gives the headers to add to a request for the credentials' origin. Its
values are secrets: each one is handed to `on_secret` (the run's redactor) as soon as it
is known, and never quoted in an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests

from .errors import ApicliError
from .httpsyntax import header_value_problem
from .spec import NetworkOptions, OAuth2Settings
from .token_cache import TokenCache, cache_key
from .urls import redact_url


class OAuth2Error(ApicliError):
    """The token endpoint did not hand out a token."""


def parse_token_response(document: Any) -> tuple[str, float | None]:
    """(access token, seconds it lasts or None) from the token endpoint's JSON; OAuth2Error if it has none."""
    if not isinstance(document, dict):
        raise OAuth2Error("the OAuth2 token endpoint's answer is not a JSON object")
    token = document.get("access_token")
    if not isinstance(token, str) or not token or header_value_problem(token):
        raise OAuth2Error("the OAuth2 token endpoint's answer has no usable access_token")
    expires = document.get("expires_in")
    if isinstance(expires, str) and expires.strip().isdigit():
        expires = int(expires)
    if isinstance(expires, bool) or not isinstance(expires, int | float) or not 0 < expires < 10**9:
        return token, None
    return token, float(expires)


class OAuth2Source:
    """Fetches (once), caches and refreshes an OAuth2 client-credentials token."""

    refresh_on_401 = True

    def __init__(
        self,
        settings: OAuth2Settings,
        network: NetworkOptions,
        cache: TokenCache | None,
        on_secret: Callable[[str], None],
        proxies: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.network = network
        self.cache = cache
        self.on_secret = on_secret
        self.proxies = proxies or {}
        self.header_names = {"authorization"}
        self.key = cache_key("oauth2", [settings.token_url, settings.client_id, settings.scope or "",
                                        settings.audience or ""])  # fmt: skip
        self.current: dict[str, str] | None = None
        self.lock = threading.Lock()
        self.fetches = 0

    def headers(self, request: requests.PreparedRequest, *, fresh: bool = False) -> dict[str, str]:
        with self.lock:
            if self.current is not None and not fresh:
                return self.current
            cached = self.cache.load(self.key) if self.cache is not None and not fresh else None
            if cached is not None and "Authorization" in cached:
                self.on_secret(cached["Authorization"].partition(" ")[2])
                self.current = cached
                return cached
            token, expires_in = self._fetch()
            self.current = {"Authorization": f"Bearer {token}"}
            if self.cache is not None:
                if expires_in is not None:
                    self.cache.store(self.key, self.current, expires_in)
                else:
                    self.cache.forget(self.key)
            return self.current

    def _fetch(self) -> tuple[str, float | None]:
        from .session import translate_errors

        settings = self.settings
        form = {"grant_type": "client_credentials"}
        if settings.scope:
            form["scope"] = settings.scope
        if settings.audience:
            form["audience"] = settings.audience
        where = redact_url(settings.token_url)
        self.fetches += 1
        # A session of its own, whose adapter never retries: the token POST is not idempotent.
        with requests.Session() as session, translate_errors(settings.token_url, self.network):
            response = session.post(
                settings.token_url,
                data=form,
                auth=(settings.client_id, settings.client_secret),  # client_secret_basic, RFC 6749 §2.3.1
                headers={"Accept": "application/json"},
                timeout=(self.network.connect_timeout, self.network.timeout),
                verify=self.network.verify,
                cert=self.network.cert,
                proxies=self.proxies,
                allow_redirects=False,
            )
            body = response.content[:64 * 1024]
        try:
            document = response.json() if body else None
        except ValueError:
            document = None
        if not 200 <= response.status_code < 300:
            error = document.get("error") if isinstance(document, dict) else None
            code = f" ({error})" if isinstance(error, str) and error.replace("_", "").isalnum() else ""
            raise OAuth2Error(
                f"the OAuth2 token request to {where} failed: HTTP {response.status_code}{code}",
                hint="check --oauth2-client-id, the client secret, --oauth2-scope and --oauth2-audience",
            )
        try:
            token, expires_in = parse_token_response(document)
        except OAuth2Error as exc:
            exc.message += f" ({where})"
            raise
        self.on_secret(token)
        return token, expires_in


class PreviewToken:
    """Stands in for the OAuth2 token in --curl and --dry-run, which send nothing, not even the token request."""

    refresh_on_401 = False

    def __init__(self) -> None:
        self.header_names = {"authorization"}

    def headers(self, request: requests.PreparedRequest, *, fresh: bool = False) -> dict[str, str]:
        return {"Authorization": "Bearer $OAUTH2_TOKEN"}
