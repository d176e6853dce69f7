"""Phase times of a transfer, measured on the connection itself: name lookup, connect, TLS, first byte.

`install_timed_connections` swaps the connection classes of an HTTPAdapter's pools for
subclasses that report each phase as it happens to the `TransferClock` of the current thread
(`clock_for_this_thread`). Name resolution is done once, here, and timed; the connection is
then made to the resolved address, each address in turn as urllib3 itself would. Only a run
that asks for the figures (-w/--write-out) pays for any of this.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from ..compat import ConnectionSocketHook, connecting_to_address, name_to_resolve
from .pool import StaleAwareHTTPPool, StaleAwareHTTPSPool

_current = threading.local()


class TransferClock:
    """When each phase of one transfer ended, in time.perf_counter() seconds; None for a phase not seen."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.namelookup: float | None = None
        self.connect: float | None = None
        self.appconnect: float | None = None
        self.pretransfer: float | None = None
        self.starttransfer: float | None = None
        self.final_hop: float | None = None  # when the last request of a redirect chain was sent
        self.connects = 0
        self.local: tuple[str, int] | None = None
        self.remote: tuple[str, int] | None = None

    def mark(self, phase: str) -> None:
        setattr(self, phase, time.perf_counter())


def start_clock() -> TransferClock:
    """A new clock for the transfer this thread is about to make."""
    clock = TransferClock()
    _current.clock = clock
    return clock


def clock_for_this_thread() -> TransferClock | None:
    clock: TransferClock | None = getattr(_current, "clock", None)
    return clock


def _endpoint(address: Any) -> tuple[str, int] | None:
    return (str(address[0]), int(address[1])) if isinstance(address, tuple) and len(address) >= 2 else None


class _Timed(ConnectionSocketHook):
    """The timing half of both connection classes (mixed in before urllib3's own)."""

    host: str
    port: int
    sock: Any

    def open_socket(self) -> socket.socket:
        clock = clock_for_this_thread()
        if clock is None:
            return super().open_socket()
        try:
            addresses = socket.getaddrinfo(name_to_resolve(self), self.port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        clock.mark("namelookup")
        failure = None
        for address in dict.fromkeys(str(info[4][0]) for info in addresses):
            try:
                with connecting_to_address(self, address):
                    sock = super().open_socket()
            except (NewConnectionError, ConnectTimeoutError) as exc:
                failure = exc
                continue
            clock.mark("connect")
            clock.connects += 1
            return sock
        assert failure is not None  # getaddrinfo returns at least one address or raises
        raise failure

    def request(self, *args: Any, **kwargs: Any) -> None:
        clock = clock_for_this_thread()
        if clock is not None:
            if clock.pretransfer is not None:  # a request after a redirect: the final hop so far
                clock.final_hop = time.perf_counter()
            clock.mark("pretransfer")
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> Any:
        clock = clock_for_this_thread()
        if clock is not None:
            # The request is sent, so the socket exists, made for it or reused; reading a
            # `Connection: close` answer will drop it.
            try:
                clock.local = _endpoint(self.sock.getsockname())
                clock.remote = _endpoint(self.sock.getpeername())
            except (OSError, AttributeError):
                pass
        response = super().getresponse()  # type: ignore[misc]
        if clock is not None:
            clock.mark("starttransfer")
        return response


class TimedHTTPConnection(_Timed, HTTPConnection):
    pass


class TimedHTTPSConnection(_Timed, HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        clock = clock_for_this_thread()
        if clock is not None:
            clock.mark("appconnect")


class _TimedHTTPPool(StaleAwareHTTPPool):
    ConnectionCls = TimedHTTPConnection


class _TimedHTTPSPool(StaleAwareHTTPSPool):
    ConnectionCls = TimedHTTPSConnection


def install_timed_connections(adapter: HTTPAdapter) -> None:
    """Make the adapter's new pools use the timed connections."""
    adapter.poolmanager.pool_classes_by_scheme = {"http": _TimedHTTPPool, "https": _TimedHTTPSPool}
