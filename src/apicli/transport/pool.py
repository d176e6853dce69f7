"""Connection pools that do not count a stale keep-alive connection as a failed attempt.

A server may close an idle keep-alive connection at any moment, without `Connection: close`.
urllib3 checks a pooled connection before reusing it, but the close can arrive just after that
check: the request goes out on a dead socket and the server's reset (or EOF) comes back before
any byte of a response. That is not the server failing the request, so an idempotent request
is sent again at once on a fresh connection, outside the retry budget and without a wait.
"""

from __future__ import annotations

import http.client
import ssl
import weakref
from collections.abc import Callable
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.poolmanager import pool_classes_by_scheme as default_pool_classes
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ..compat import PoolSendHook
from ..spec import IDEMPOTENT_METHODS

# What a dead socket gives before the response head: EOF, reset, abort, or a TLS EOF.
STALE_ERRORS = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    ssl.SSLEOFError,
)


def is_replayable(method: str, body: object, retries: object) -> bool:
    """Whether sending the request again cannot do harm: an idempotent (or allowed) method, a body in memory."""
    allowed = retries.allowed_methods if isinstance(retries, Retry) else None
    methods = allowed or IDEMPOTENT_METHODS
    return method.upper() in methods and (body is None or isinstance(body, bytes | str))


class _StaleAware(PoolSendHook):
    """Mixin for a connection pool: one free resend when a reused socket turns out to be dead."""

    def _init_reuse_tracking(self) -> None:
        # Sockets that already carried a response: only those can be stale. Weak, so closed ones go.
        self.used_sockets: weakref.WeakSet[Any] = weakref.WeakSet()

    def send_request(
        self, send: Callable[..., Any], conn: Any, method: str, url: str, *args: Any, **kwargs: Any
    ) -> BaseHTTPResponse:
        sock = getattr(conn, "sock", None)
        reused = sock is not None and sock in self.used_sockets
        try:
            response: BaseHTTPResponse = send(conn, method, url, *args, **kwargs)
        except STALE_ERRORS:
            body = kwargs.get("body", args[0] if args else None)
            if not reused or not is_replayable(method, body, kwargs.get("retries")):
                raise
            conn.close()  # the next send opens a fresh socket on the same connection object
            response = send(conn, method, url, *args, **kwargs)
        if conn.sock is not None:
            self.used_sockets.add(conn.sock)
        return response


class StaleAwareHTTPPool(_StaleAware, HTTPConnectionPool):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_reuse_tracking()


class StaleAwareHTTPSPool(_StaleAware, HTTPSConnectionPool):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_reuse_tracking()


POOL_CLASSES = {"http": StaleAwareHTTPPool, "https": StaleAwareHTTPSPool}


def _use_stale_aware_pools(manager: PoolManager) -> None:
    # A SOCKS proxy manager brings pools of its own; leave those alone.
    if manager.pool_classes_by_scheme == default_pool_classes:
        manager.pool_classes_by_scheme = POOL_CLASSES  # type: ignore[assignment]


class StaleAwareAdapter(HTTPAdapter):
    """requests' HTTPAdapter over the stale-aware pools, for direct and proxied connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_stale_aware_pools(self.poolmanager)

    def proxy_headers(self, proxy: str) -> dict[str, str]:
        """The proxy's user and password sent as UTF-8, where requests' own encoding fails past Latin-1."""
        from ..formats.urls import proxy_authorization

        authorization = proxy_authorization(proxy)
        return {"Proxy-Authorization": authorization} if authorization else {}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_stale_aware_pools(manager)
        return manager
