"""SOCKS proxy failures in words: which proxy, and which side of it failed.

urllib3 reports every SOCKS failure as a NewConnectionError about the target URL, so without
this a proxy that is down, one that refuses the user and password, and one that cannot reach
the target all read "connection refused (URL)" with a hint to check the server. PySocks' own
exception is on the chain (the context urllib3 raised in) and says which it was; the proxy's
scheme, host and port come from the connection urllib3 made, never its user or password.

Loaded only when a failure happens; PySocks itself is never imported here.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import NamedTuple

import requests

from ..compat import socks_options
from ..errors import ApicliError, ConnectionFailed, RequestTimeout, UsageError

# PySocks' proxy types (socks.PROXY_TYPE_SOCKS4 and _SOCKS5) with remote resolution off and on.
_SCHEMES = {(1, False): "socks4", (1, True): "socks4a", (2, False): "socks5", (2, True): "socks5h"}
NEEDS_PYSOCKS_HINT = "install apicli[socks] (pip install 'apicli[socks]')"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception behind it: reasons, wrapped first arguments, causes and contexts."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < 20:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        args = getattr(current, "args", ())
        for nested in (getattr(current, "reason", None), args[0] if args else None, current.__cause__,
                       current.__context__):  # fmt: skip
            if isinstance(nested, BaseException):
                pending.append(nested)


def _proxy_name(chain: list[BaseException]) -> str:
    """'the SOCKS proxy socks5h://HOST:PORT' from the connection urllib3 made, or without the URL."""
    for exc in chain:
        # NewConnectionError keeps the connection as .conn, ConnectTimeoutError as its first argument.
        args = getattr(exc, "args", ())
        for conn in (getattr(exc, "conn", None), args[0] if args else None):
            options = socks_options(conn)
            if options is not None and options.get("proxy_host"):
                version, remote_dns = options.get("socks_version"), bool(options.get("rdns"))
                scheme = _SCHEMES.get((version, remote_dns), "socks") if isinstance(version, int) else "socks"
                host = str(options["proxy_host"])
                host = f"[{host}]" if ":" in host else host
                port = options.get("proxy_port")
                return f"the SOCKS proxy {scheme}://{host}{':' + str(port) if port else ''}"
    return "the SOCKS proxy"


class SocksProblem(NamedTuple):
    proxy: str  # "the SOCKS proxy socks5h://HOST:PORT"
    problem: str  # what went wrong there, with the proxy as "it"
    hint: str
    timed_out: bool


def _socket_problem(error: BaseException) -> str:
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    return str(error).split("\n", 1)[0][:200] or type(error).__name__


def socks_problem(exc: BaseException) -> SocksProblem | None:
    """What PySocks said went wrong, in words; None when no SOCKS proxy was involved."""
    socks = sys.modules.get("socks")
    if socks is None:
        return None
    chain = list(_chain(exc))
    failure = next((e for e in chain if isinstance(e, socks.ProxyError)), None)
    if failure is None:
        return None
    # PySocks wraps what went wrong while negotiating (itself an OSError) in GeneralProxyError("Socket error").
    while isinstance(getattr(failure, "socket_err", None), socks.ProxyError):
        failure = failure.socket_err
    underlying = getattr(failure, "socket_err", None)
    hint = "check --proxy and the ALL_PROXY/HTTP_PROXY/HTTPS_PROXY variables, and that the proxy is up"
    if isinstance(underlying, TimeoutError | socket.timeout):
        problem, hint = "it did not answer in time", "raise --connect-timeout, or check that the proxy is up"
    elif isinstance(failure, socks.ProxyConnectionError):
        if isinstance(underlying, ConnectionRefusedError):
            problem = "it refused the connection"
        elif isinstance(underlying, socket.gaierror):
            problem = "could not resolve its host name"
        else:
            problem = f"could not connect to it ({_socket_problem(underlying) if underlying else failure})"
    elif isinstance(failure, socks.SOCKS5AuthError):
        lowered = str(failure).lower()
        if "no username/password supplied" in lowered or "all offered" in lowered:
            problem = "it asks for a user name and password"
        else:
            problem = "it refused the user name and password"
        hint = "give them in the proxy URL: socks5://USER:PASSWORD@HOST:PORT (percent-encode @, : and /)"
    elif isinstance(failure, socks.SOCKS5Error | socks.SOCKS4Error):
        # "0x05: Connection refused": the proxy's reply to CONNECT, about the target.
        code, _, reason = str(failure).partition(": ")
        problem = f"it could not reach the server ({reason.lower() or 'no reason given'}, SOCKS reply {code})"
        hint = "check the host and port, and that the server is up and reachable from the proxy"
    elif underlying is not None:
        problem = f"the connection to it broke ({_socket_problem(underlying)})"
    else:
        problem = f"its answer is not SOCKS ({failure})"
    return SocksProblem(_proxy_name(chain), problem, hint, isinstance(underlying, TimeoutError | socket.timeout))


def socks_failure(exc: BaseException, where: str, connect_timeout: float) -> ApicliError | None:
    """The apicli error for a failure at a SOCKS proxy; None when `exc` is not one."""
    if isinstance(exc, requests.exceptions.InvalidSchema) and "SOCKS" in str(exc):
        # requests found a socks5:// proxy in ALL_PROXY/HTTP(S)_PROXY (--proxy is checked before sending).
        return UsageError(
            f"the proxy for {where} (from ALL_PROXY, HTTP_PROXY or HTTPS_PROXY) is a SOCKS proxy, which needs PySocks",
            hint=NEEDS_PYSOCKS_HINT,
        )
    found = socks_problem(exc)
    if found is None:
        return None
    if found.timed_out:
        return RequestTimeout(
            f"connecting through {found.proxy} to {where} timed out after {connect_timeout:g}s", hint=found.hint
        )
    return ConnectionFailed(f"could not go through {found.proxy} to {where}: {found.problem}", hint=found.hint)
