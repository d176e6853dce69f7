"""--unix-socket: HTTP over a unix socket (Docker, local daemons), with the usual pools, retries and timeouts.

The URL still names the request (its host becomes the Host header, its path the target);
only the connection goes to the socket. Connections are urllib3's, so retries, timeouts,
the stale-connection resend and -w timing work as over TCP.
"""

from __future__ import annotations

import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..compat import ConnectionSocketHook
from .pool import StaleAwareHTTPPool


class UnixHTTPConnection(ConnectionSocketHook, HTTPConnection):
    """An HTTP connection whose socket is AF_UNIX, at the class's `socket_path`."""

    socket_path: str = ""

    def open_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        timeout = self.timeout
        if isinstance(timeout, int | float):
            sock.settimeout(timeout)  # the connect timeout; urllib3 sets the read timeout once connected
        try:
            sock.connect(self.socket_path)
        except TimeoutError:
            sock.close()
            raise ConnectTimeoutError(self, f"connecting to the unix socket {self.socket_path} timed out") from None
        except OSError as exc:
            sock.close()
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or str(exc))
            raise NewConnectionError(self, f"unix socket {self.socket_path}: {reason}") from exc
        return sock


def _timed_unix_connection() -> type[UnixHTTPConnection]:
    from .timing import _Timed, clock_for_this_thread

    class TimedUnixHTTPConnection(_Timed, UnixHTTPConnection):
        def open_socket(self) -> socket.socket:
            sock = UnixHTTPConnection.open_socket(self)
            clock = clock_for_this_thread()
            if clock is not None:
                clock.mark("namelookup")  # no name to look up: the phase takes no time
                clock.mark("connect")
                clock.connects += 1
            return sock

    return TimedUnixHTTPConnection


def install_unix_socket(adapter: HTTPAdapter, path: str, *, timed: bool) -> None:
    """Make every new pool of `adapter` connect to the socket at `path` (plain HTTP: https URLs are refused earlier)."""
    base = _timed_unix_connection() if timed else UnixHTTPConnection
    connection = type("SocketConnection", (base,), {"socket_path": path})

    class UnixSocketPool(StaleAwareHTTPPool):
        ConnectionCls = connection

    pools: Any = {"http": UnixSocketPool}
    adapter.poolmanager.pool_classes_by_scheme = pools
