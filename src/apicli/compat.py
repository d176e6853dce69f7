"""Every reach into a library's private internals, in one place, each with why no public API serves.

The rest of apicli calls these functions and mixins, never a private name of urllib3, requests
or the standard library (typer's and click's are reached from cli/typer_compat.py, so that the
core never loads typer). tests/unit/test_compat.py checks each reach against the
installed versions, so an upgrade that moves one fails there, by name. Nothing here imports
urllib3 or requests at import time: a caller that loads them lazily still does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import http.client
    import socket
    from http.cookiejar import Cookie, CookieJar


# --- the standard library ---------------------------------------------------------------------


def set_http_client_header_limits(max_headers: int, max_line: int) -> None:
    """http.client's header count and line length limits are module globals, with no setter."""
    import http.client

    http.client._MAXHEADERS = max_headers  # type: ignore[attr-defined]
    http.client._MAXLINE = max_line  # type: ignore[attr-defined]


def run_exit_handlers() -> None:
    """atexit runs its handlers only at interpreter exit; os._exit skips that, so they are run first."""
    import atexit

    atexit._run_exitfuncs()


def cookie_attribute_names(cookie: Cookie) -> list[str]:
    """A cookie's non-standard attributes (HttpOnly) as spelled; has_nonstandard_attr only matches exactly."""
    return list(cookie._rest)  # type: ignore[attr-defined]


def response_socket(reader: http.client.HTTPResponse) -> object | None:
    """The socket (plain or TLS) under an http.client response's makefile() reader, which keeps it as _sock."""
    return getattr(getattr(reader.fp, "raw", None), "_sock", None)


def cookie_jar_lock(jar: CookieJar) -> AbstractContextManager[Any]:
    """The lock http.cookiejar takes around its own reads and writes (_cookies_lock): holding it
    while a request is prepared keeps another thread's response from changing the jar meanwhile.
    A jar without one (not http.cookiejar's) gets a lock that does nothing."""
    from contextlib import nullcontext

    lock: AbstractContextManager[Any] | None = getattr(jar, "_cookies_lock", None)
    return lock if lock is not None else nullcontext()


# --- requests ---------------------------------------------------------------------------------


def request_cookie_jar(prepared: Any) -> CookieJar | None:
    """The jar a PreparedRequest's Cookie header came from: requests keeps it only as _cookies."""
    jar: CookieJar | None = getattr(prepared, "_cookies", None)
    return jar


# --- urllib3 ----------------------------------------------------------------------------------


class PoolSendHook:
    """Mixin before a urllib3 connection pool: each request's send on a connection goes through `send_request`.

    urllib3 sends one request on one connection in _make_request, which has no public hook."""

    def _make_request(self, conn: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return self.send_request(super()._make_request, conn, method, url, *args, **kwargs)  # type: ignore[misc]

    def send_request(
        self, send: Callable[..., Any], conn: Any, method: str, url: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Override to wrap the send; `send(conn, method, url, *args, **kwargs)` is urllib3's."""
        return send(conn, method, url, *args, **kwargs)


class ConnectionSocketHook:
    """Mixin before a urllib3 connection class: its socket comes from `open_socket`.

    urllib3 opens a connection's socket in _new_conn (before any TLS), which has no public hook."""

    def _new_conn(self) -> socket.socket:
        return self.open_socket()

    def open_socket(self) -> socket.socket:
        """Override to open the socket another way; this is urllib3's own (name lookup, connect)."""
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        return sock


def name_to_resolve(conn: Any) -> str:
    """The host name a urllib3 connection looks up: its public `host` drops a trailing dot, _dns_host keeps it."""
    name: str = conn._dns_host
    return name


@contextmanager
def connecting_to_address(conn: Any, address: str) -> Iterator[None]:
    """Make urllib3's own connect (errors, options, timeouts) go to one resolved address, not the name."""
    name = conn._dns_host
    conn._dns_host = address
    try:
        yield
    finally:
        conn._dns_host = name


def socks_options(conn: Any) -> dict[str, Any] | None:
    """The proxy settings of a urllib3 SOCKS connection, kept only as _socks_options; None for any other."""
    options = getattr(conn, "_socks_options", None)
    return options if isinstance(options, dict) else None


def decoder_stream_ended(decoder: Any) -> bool:
    """Whether a urllib3 brotli or zstd decoder saw its end of stream: only the library object (_obj) knows."""
    engine = decoder._obj
    finished = getattr(engine, "is_finished", None)  # brotli; zstd says eof
    return bool(finished()) if callable(finished) else bool(getattr(engine, "eof", True))


def http_client_response(raw: Any) -> http.client.HTTPResponse | None:
    """The http.client response under a urllib3 response, kept as _fp: reading it skips urllib3's copies."""
    import http.client

    fp = getattr(raw, "_fp", None)
    return fp if isinstance(fp, http.client.HTTPResponse) else None


def directly_readable_response(raw: Any) -> http.client.HTTPResponse | None:
    """`http_client_response(raw)` when it can be read past urllib3 with `urllib3_read_errors` and `count_bytes_read`.

    None when urllib3 has already buffered decoded content (it would be skipped) or lacks the
    error translation and byte count those keep up."""
    usable = (
        callable(getattr(raw, "_error_catcher", None))
        and isinstance(getattr(raw, "_fp_bytes_read", None), int)
        and hasattr(raw, "length_remaining")
        and not getattr(raw, "_has_decoded_content", False)
    )
    return http_client_response(raw) if usable else None


def urllib3_read_errors(raw: Any) -> AbstractContextManager[None]:
    """urllib3's translation of a failed read into its own errors (closing the connection): _error_catcher."""
    catcher: AbstractContextManager[None] = raw._error_catcher()
    return catcher


def count_bytes_read(raw: Any, count: int) -> None:
    """Record bytes read under a urllib3 response: tell() and its Content-Length check read _fp_bytes_read."""
    raw._fp_bytes_read += count
    if raw.length_remaining is not None:
        raw.length_remaining -= count
