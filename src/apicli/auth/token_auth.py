"""Credentials fetched while the run goes: OAuth2 client-credentials tokens (RFC 6749 §4.4).

A `HeaderSource` gives the headers to add to a request for the credentials' origin. Its
values are secrets: each one is handed to `on_secret` (the run's redactor) as soon as it
is known, and never quoted in an error.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any

import requests

from ..clock import Clock
from ..errors import ApicliError
from ..formats import jsontext
from ..formats.headertext import has_controls, header_bytes, header_text, shown_text
from ..formats.jsontext import JSONTooDeep
from ..formats.urls import check_environment_proxy, redact_url
from ..limits import TOKEN_RESPONSE, TooLarge, read_bounded
from ..spec import NetworkOptions, OAuth2Settings
from .token_cache import TokenCache, cache_key


class OAuth2Error(ApicliError):
    """The token endpoint did not hand out a token."""


def parse_token_response(document: Any) -> tuple[str, float | None]:
    """(access token as header text, seconds it lasts or None) from the token endpoint's JSON; OAuth2Error if none."""
    if not isinstance(document, dict):
        raise OAuth2Error("the OAuth2 token endpoint's answer is not a JSON object")
    token = document.get("access_token")
    if not isinstance(token, str) or not token.strip() or has_controls(token):
        raise OAuth2Error("the OAuth2 token endpoint's answer has no usable access_token")
    token = header_text(token, "the OAuth2 access_token")
    expires = document.get("expires_in")
    if isinstance(expires, str) and expires.strip().isdigit() and len(expires) < 12:
        expires = int(expires)
    if isinstance(expires, bool) or not isinstance(expires, int | float) or not 0 < expires < 10**9:
        return token, None
    return token, float(expires)


def client_authorization(client_id: str, client_secret: str) -> str:
    """client_secret_basic (RFC 6749 §2.3.1) with the ID and secret sent as UTF-8, never refused for their text."""
    pair = (
        header_bytes(client_id, "--oauth2-client-id") + b":" + header_bytes(client_secret, "the OAuth2 client secret")
    )
    return "Basic " + base64.b64encode(pair).decode("ascii")


def read_answer(response: requests.Response, clock: Clock) -> bytes | None:
    """The token endpoint's decoded body, read in bounded pieces up to TOKEN_RESPONSE and the --max-time deadline.

    A larger success is refused (OAuth2Error); a larger error body is only not shown (None).
    """
    from ..output.streams import iter_body

    try:
        return read_bounded(iter_body(response.raw), TOKEN_RESPONSE, error=TooLarge, clock=clock)
    except TooLarge as exc:
        if 200 <= response.status_code < 300:
            raise OAuth2Error(exc.message, hint="check --oauth2-token-url") from None
        return None


def parse_answer(body: bytes | None, *, success: bool) -> Any:
    """The answer's JSON value; None when it is not JSON. A success nested past JSON_DEPTH is an OAuth2Error."""
    if not body:
        return None
    try:
        return jsontext.loads(body)
    except JSONTooDeep as exc:
        if success:
            raise OAuth2Error(f"the OAuth2 token endpoint's answer is {exc}") from None
        return None
    except ValueError:
        return None


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
        from ..transport.pool import StaleAwareAdapter
        from ..transport.session import request_kwargs, translate_errors

        settings, network = self.settings, self.network
        form = {"grant_type": "client_credentials"}
        if settings.scope:
            form["scope"] = settings.scope
        if settings.audience:
            form["audience"] = settings.audience
        where = redact_url(settings.token_url)
        authorization = client_authorization(settings.client_id, settings.client_secret)
        self.fetches += 1
        # A session of its own, whose adapter never retries: the token POST is not idempotent.
        with requests.Session() as session, translate_errors(settings.token_url, network):
            adapter = StaleAwareAdapter(max_retries=0)  # it sends a proxy's user and password as UTF-8
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            flag_proxy = self.proxies.get("https") or self.proxies.get("http")
            # requests fills in the dict it is given: a copy keeps --proxy's apart from the environment's.
            chosen = session.merge_environment_settings(settings.token_url, dict(self.proxies), True, None, None)
            check_environment_proxy(settings.token_url, chosen.get("proxies"), flag_proxy, os.environ)
            response = session.post(
                settings.token_url,
                data=form,
                headers={"Accept": "application/json", "Authorization": authorization},
                timeout=request_kwargs(network)["timeout"],
                verify=network.verify,
                cert=network.cert,
                proxies=self.proxies,
                allow_redirects=False,
                stream=True,
            )
            with response:
                success = 200 <= response.status_code < 300
                document = parse_answer(read_answer(response, network.clock), success=success)
        if not success:
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
        self.on_secret(shown_text(token))
        return token, expires_in


class PreviewToken:
    """Stands in for the OAuth2 token in --curl and --dry-run, which send nothing, not even the token request."""

    refresh_on_401 = False

    def __init__(self) -> None:
        self.header_names = {"authorization"}

    def headers(self, request: requests.PreparedRequest, *, fresh: bool = False) -> dict[str, str]:
        return {"Authorization": "Bearer $OAUTH2_TOKEN"}
