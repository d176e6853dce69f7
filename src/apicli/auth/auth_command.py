"""Credential helpers (--auth-command, a profile's auth_command): a program that prints what to send.

The helper runs without a shell, with APICLI_URL, APICLI_METHOD and APICLI_ORIGIN in its
environment, and prints either one line (a bearer token) or JSON
`{"headers": {...}, "expires_in": N}`. With expires_in its headers are cached like an OAuth2
token; without, it runs for every request. Its output is a secret: an error names the helper
and its exit status, never what it printed.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import requests

from ..clock import UNLIMITED, Clock
from ..errors import ApicliError
from ..formats import jsontext
from ..formats.headertext import has_controls, header_text
from ..formats.jsontext import JSONTooDeep
from ..formats.urls import origin_of
from ..limits import HELPER_OUTPUT, TooLarge, read_bounded, size_text
from .token_cache import TokenCache, cache_key

HELPER_TIMEOUT = 30.0
CHUNK = 64 * 1024
_USAGE = 'a helper prints one line (a bearer token) or JSON {"headers": {"Name": "value"}, "expires_in": SECONDS}'
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class HelperOutputError(ValueError):
    """The helper's output is not one of the two forms (the message never quotes it)."""


def parse_helper_output(output: bytes) -> tuple[dict[str, str], float | None]:
    """(headers to send, as header text; seconds they last or None) from what a helper printed."""
    try:
        stripped = output.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise HelperOutputError("printed text that is not UTF-8 text") from None
    if not stripped:
        raise HelperOutputError("printed nothing")
    if stripped.startswith("{"):
        return _parse_json_output(stripped)
    if "\n" in stripped:
        raise HelperOutputError("printed more than one line")
    if has_controls(stripped) or any(char.isspace() for char in stripped):
        raise HelperOutputError("printed a token with spaces or characters HTTP does not allow")
    return {"Authorization": f"Bearer {header_text(stripped, 'the helper token')}"}, None


def _parse_json_output(text: str) -> tuple[dict[str, str], float | None]:
    try:
        document: Any = jsontext.loads(text)
    except JSONTooDeep as exc:
        raise HelperOutputError(f"printed {exc}") from None
    except ValueError:
        raise HelperOutputError("printed JSON that does not parse") from None
    headers = document.get("headers") if isinstance(document, dict) else None
    if not isinstance(headers, dict) or not headers:
        raise HelperOutputError('printed JSON without a "headers" object')
    sent: dict[str, str] = {}
    for name, value in headers.items():
        if not name or not set(name) <= _TOKEN_CHARS:
            raise HelperOutputError("printed a header name that HTTP does not allow")
        if not isinstance(value, str) or has_controls(value):
            raise HelperOutputError("printed a header value that is not a string HTTP allows")
        sent[name] = header_text(value, "a helper header value")
    expires = document.get("expires_in")
    if expires is None:
        return sent, None
    if isinstance(expires, bool) or not isinstance(expires, int | float) or not 0 < expires < 10**9:
        raise HelperOutputError("printed an expires_in that is not a positive number of seconds")
    return sent, float(expires)


class HelperStopped(Exception):
    """The helper was stopped before it finished: it ran past `limit` seconds."""


def run_helper(argv: Sequence[str], environment: dict[str, str], budget: Clock) -> tuple[int, bytes]:
    """(exit status, stdout) of the helper, both its outputs read in chunks as they come.

    Its stdout goes through the one bounded reader (HELPER_OUTPUT), its stderr is counted
    against the same limit and dropped: past either the helper is killed and TooLarge raised.
    So it is when `budget` runs out (HelperStopped) and on anything raised
    meanwhile (the --max-time alarm, Ctrl-C).
    """
    process = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    )
    try:
        stdout = read_bounded(_outputs(process, budget), HELPER_OUTPUT, error=TooLarge)
        return process.wait(budget.timeout()), stdout
    except subprocess.TimeoutExpired:
        raise HelperStopped() from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def _outputs(process: subprocess.Popen[bytes], budget: Clock) -> Iterator[bytes]:
    """The helper's stdout in chunks until both pipes end, its stderr read alongside and only counted.

    Once the helper has exited, only what is already in the pipes is read: a process it left
    behind may hold them open for as long as it lives.
    """
    assert process.stdout is not None and process.stderr is not None
    names = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
    poller = select.poll()
    for fd in names:
        poller.register(fd, select.POLLIN)
    open_fds, errors = set(names), 0
    while open_fds:
        exited = process.poll() is not None
        if budget.expired():
            raise HelperStopped()
        ready = poller.poll(0 if exited else budget.cap(1.0) * 1000)
        if not ready and exited:
            return
        for fd, _ in ready:
            chunk = os.read(fd, CHUNK)
            if not chunk:
                poller.unregister(fd)
                open_fds.discard(fd)
            elif names[fd] == "stdout":
                yield chunk
            else:
                errors += len(chunk)
                if errors > HELPER_OUTPUT.bytes:
                    raise TooLarge(HELPER_OUTPUT.bytes, "what the helper printed on stderr")


class HelperSource:
    """Runs the helper for the headers of a request to the credentials' origin (or reuses cached ones)."""

    refresh_on_401 = False

    def __init__(
        self,
        argv: Sequence[str],
        cache: TokenCache | None,
        on_secret: Callable[[str], None],
        *,
        run: Callable[[Sequence[str], dict[str, str], Clock], tuple[int, bytes]] = run_helper,
        clock: Clock = UNLIMITED,
    ) -> None:
        self.argv = tuple(argv)
        self.name = self.argv[0]
        self.cache = cache
        self.on_secret = on_secret
        self.run = run
        self.clock = clock  # the run's: the helper is stopped when --max-time runs out
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
        quiet = "its output is not shown: it may hold secrets"
        by_deadline = self.clock.would_pass(HELPER_TIMEOUT)
        try:
            status, output = self.run(self.argv, environment, self.clock.within(HELPER_TIMEOUT))
        except FileNotFoundError:
            hint = "check --auth-command (or the profile's auth_command)"
            raise ApicliError(f"{who} was not found", hint=hint) from None
        except PermissionError:
            raise ApicliError(f"{who} cannot be run: permission denied") from None
        except HelperStopped:
            if by_deadline:
                raise self.clock.expired_error(f"{who} ran; it was stopped") from None
            raise ApicliError(f"{who} did not finish within {HELPER_TIMEOUT:g} s and was stopped") from None
        except TooLarge as exc:
            raise ApicliError(f"{who} printed more than {size_text(exc.limit)} and was stopped", hint=quiet) from None
        except OSError as exc:
            raise ApicliError(f"{who} cannot be run: {exc.strerror or type(exc).__name__}") from None
        if status != 0:
            how = f"was killed by signal {-status}" if status < 0 else f"failed with exit status {status}"
            raise ApicliError(f"{who} {how}", hint=quiet)
        try:
            return parse_helper_output(output)
        except HelperOutputError as exc:
            raise ApicliError(f"{who} {exc} (exit status 0)", hint=_USAGE) from None
