"""Requests, responses and routing for the example API: what every endpoint module builds on."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Protocol
from urllib.parse import urlencode

JSON_TYPE = "application/json"


class ClientError(Exception):
    """A request the server refuses; becomes a JSON `{"error": ...}` response."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Response:
    """What an endpoint returns; an iterable body is sent chunked."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Send only this many body bytes, then drop the connection (the cut download).
    cut_after: int | None = None


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(message: str, status: int) -> Response:
    return json_response({"error": message}, status)


def is_number(text: str) -> bool:
    # str.isdigit() alone accepts digits such as "²" that int() rejects.
    return text.isascii() and text.isdigit()


class ServerState(Protocol):
    """The per-server counters endpoints share; the running server provides them."""

    def count_attempt(self, key: str) -> int: ...

    def next_download_number(self) -> int: ...

    def allocate_user_id(self) -> int: ...


@dataclass(frozen=True)
class Request:
    """One parsed request, as endpoints see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    server: ServerState
    origin: str  # scheme://host:port as the client addressed us

    def arg(self, name: str, default: str) -> str:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.arg(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ClientError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ClientError(f"{name} must be at least {minimum}")
        return value if maximum is None else min(value, maximum)

    def float_arg(self, name: str, default: float, *, maximum: float) -> float:
        raw = self.arg(name, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise ClientError(f"{name} must be a number, got {raw!r}") from None
        if not 0 <= value < math.inf:
            raise ClientError(f"{name} must be a non-negative number")
        return min(value, maximum)

    def url_with(self, **params: int | str) -> str:
        """This request's absolute URL with some query parameters replaced."""
        query = {**self.query, **{name: [str(value)] for name, value in params.items()}}
        return f"{self.origin}{self.path}?{urlencode(query, doseq=True)}"


Endpoint = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: frozenset[str]  # empty: any method
    endpoint: Endpoint


class Router:
    """Endpoints by path pattern and method, tried in the order they were added."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, pattern: str, *methods: str) -> Callable[[Endpoint], Endpoint]:
        """Register an endpoint; named groups in the pattern become keyword arguments."""

        def register(endpoint: Endpoint) -> Endpoint:
            self.routes.append(Route(re.compile(pattern), frozenset(methods), endpoint))
            return endpoint

        return register

    def include(self, *routers: Router) -> None:
        """Append the routes of other routers, keeping their order."""
        for router in routers:
            self.routes.extend(router.routes)

    def dispatch(self, request: Request) -> Response:
        allowed: set[str] = set()
        for candidate in self.routes:
            match = candidate.pattern.fullmatch(request.path)
            if match is None:
                continue
            methods = candidate.methods
            # HEAD is GET without the body; the handler drops the body.
            if not methods or request.method in methods or (request.method == "HEAD" and "GET" in methods):
                return candidate.endpoint(request, **match.groupdict())
            allowed |= methods
        if allowed:
            return json_response({"error": "method not allowed"}, 405, {"Allow": ", ".join(sorted(allowed))})
        return error_response("not found", 404)
