"""Adding credentials to a request, but only to requests for the credentials' own origin.

Basic, bearer and API keys are added directly; digest answers the server's challenge
(digest_auth.py), and fetched credentials (OAuth2, credential helpers) come through a
HeaderSource. The response hooks both register travel with a request through redirects, so
each runs only for responses from the credentials' origin.
"""

from __future__ import annotations

import base64
from typing import Any

import requests
from requests.auth import AuthBase

from ..formats.headertext import header_text
from ..formats.urls import same_origin
from ..spec import Credentials, HeaderSource
from .digest_auth import DigestAnswerer


class OriginBoundAuth(AuthBase):
    """Adds basic/digest/bearer/API-key credentials, but only to requests for `origin_url`'s origin."""

    def __init__(self, credentials: Credentials, origin_url: str, source: HeaderSource | None = None) -> None:
        self.credentials = credentials
        self.origin_url = origin_url
        self.source = source
        self.digest: DigestAnswerer | None = None
        if credentials.digest and credentials.basic is not None:
            # One per run: it keeps the server's nonce and counts its uses.
            self.digest = DigestAnswerer(*credentials.basic)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = request.url or ""
        if not same_origin(url, self.origin_url):
            return request
        creds = self.credentials
        if self.digest is not None:
            return self._add_digest(request)
        if self.source is not None:
            request.headers.update(self.source.headers(request))
            if self.source.refresh_on_401:
                request.hooks.setdefault("response", []).append(_OriginHook(self._refresh_on_401, self.origin_url))
        if creds.basic is not None:
            user, password = creds.basic
            token = base64.b64encode(f"{user}:{password}".encode("utf-8", "surrogateescape")).decode("ascii")
            request.headers["Authorization"] = f"Basic {token}"
        if creds.bearer:
            request.headers["Authorization"] = f"Bearer {header_text(creds.bearer, 'the bearer token')}"
        if creds.api_key:
            if creds.api_key_query:
                request.prepare_url(url, {creds.api_key_query: creds.api_key})
            else:
                request.headers[creds.api_key_header or "X-API-Key"] = header_text(creds.api_key, "the API key")
        return request

    def _add_digest(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """The digest answer when a challenge is known, and a hook that answers one, from this origin only.

        The hook travels with the request through redirects: unguarded, it would answer another
        origin's Digest challenge with this user's credentials.
        """
        assert self.digest is not None
        request = self.digest.prepare(request)
        request.hooks.setdefault("response", []).append(_OriginHook(self.digest.answer_401, self.origin_url))
        return request

    def _refresh_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """A 401 may mean the token was revoked or expired early: fetch a fresh one and send once more."""
        assert self.source is not None
        if response.status_code != 401 or getattr(response.request, "apicli_refreshed", False):
            return response
        _ = response.content  # read the answer so the connection can be reused
        response.close()
        again = response.request.copy()
        again.headers.update(self.source.headers(again, fresh=True))
        again.apicli_refreshed = True  # type: ignore[attr-defined]
        retried: requests.Response = response.connection.send(again, **kwargs)
        retried.history.append(response)
        retried.request = again
        return retried


class _OriginHook:
    """A response hook that runs only for responses from `origin_url`'s origin."""

    def __init__(self, hook: Any, origin_url: str) -> None:
        self.hook = hook
        self.origin_url = origin_url

    def __call__(self, response: requests.Response, **kwargs: Any) -> Any:
        if not same_origin(response.url or response.request.url or "", self.origin_url):
            return response
        return self.hook(response, **kwargs)
