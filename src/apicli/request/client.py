"""The run's client: what every request of one run shares, and sending a request with it.

`Client` holds the session, the network options (with the run's clock) and the reporter; it
prepares a `RequestSpec`, sends it, and reads the response's body in bounded pieces. What is
done with the answer is the caller's: `commands.exchange.perform` for the request verbs, the
pagination runner, the download transfer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

import requests
from requests.utils import select_proxy
from urllib3 import HTTPHeaderDict
from urllib3.util import SKIP_HEADER
from urllib3.util.retry import Retry

from .. import __version__
from ..clock import Clock
from ..errors import ApicliError, HTTPStatusError, MalformedResponse, UsageError
from ..formats.codings import Undecodable
from ..formats.headertext import header_text, shown_text
from ..formats.status_hints import status_hint
from ..formats.urls import add_query, check_environment_proxy, origin_of, redact_url, same_origin
from ..inputs.local_input import NotReadable, iter_chunks, open_local
from ..output import iter_body
from ..output.format import format_error_body, format_head, http_version_text
from ..output.report import Reporter, request_body_lines
from ..output.streams import STREAM_CHUNK
from ..spec import NO_HEADER, Credentials, HeaderSource, NetworkOptions, RequestSpec, RetryPolicy, SessionOptions
from ..transport.origin_auth import OriginBoundAuth
from ..transport.redirects import RedirectTrail, unfollowed_hint
from ..transport.session import GuardedSession, build_session, request_kwargs, translate_errors

USER_AGENT = f"apicli/{__version__}"
DEFAULT_ACCEPT = "application/json, */*;q=0.5"
NO_BODY_STATUSES = (204, 304)
_ADDED_BY_URLLIB3 = frozenset({"user-agent", "accept-encoding"})
ERROR_BODY_READ = 64 * 1024


# Told of each request a command makes, as it ends: (request, final response or None, seconds, error or None).
# --report's cases come from here for paginate's pages and download's files.
ExchangeObserver = Callable[[RequestSpec, requests.Response | None, float, ApicliError | None], None]


class Client:
    def __init__(
        self,
        session: GuardedSession,
        network: NetworkOptions,
        reporter: Reporter,
        options: SessionOptions = SessionOptions(),
    ) -> None:
        self.session = session
        self.network = network
        self.reporter = reporter
        self.options = options
        self.preview = False  # --curl/--dry-run: no token is fetched
        self.environment_cache: dict[tuple[tuple[str, str, int], bool], dict[str, Any]] = {}
        # Shared by the run's requests: digest auth reuses the server's nonce instead of a 401 each time.
        self.auth: OriginBoundAuth | None = None

    @property
    def clock(self) -> Clock:
        """The run's time budget: every wait and read of this client's requests is checked against it."""
        return self.network.clock

    def header_source(self, creds: Credentials) -> HeaderSource | None:
        """Where fetched credentials come from: the OAuth2 token endpoint or the credential helper."""
        if not creds.fetched:
            return None
        from ..auth.token_cache import TokenCache

        cache = TokenCache(self.options.cache_dir) if self.options.cache_dir is not None else None
        source: HeaderSource
        if creds.oauth2 is not None and self.preview:
            from ..auth.token_auth import PreviewToken

            source = PreviewToken()
        elif creds.oauth2 is not None:
            from ..auth.token_auth import OAuth2Source

            proxies = _flag_proxies(creds.oauth2.token_url, self.options)
            source = OAuth2Source(creds.oauth2, self.network, cache, self.reporter.redactor.add, proxies)
        else:
            from ..auth.auth_command import HelperSource

            assert creds.auth_command is not None
            source = HelperSource(creds.auth_command, cache, self.reporter.redactor.add, clock=self.clock)
        self.session.fetched_header_names = source.header_names
        return source

    def save_cookies(self) -> None:
        """Write the --cookie-jar file, if the run has one."""
        from ..transport.cookies import CookieJarFile

        if isinstance(self.session.cookies, CookieJarFile):
            self.session.cookies.save_file()

    def prepare(self, spec: RequestSpec, stack: ExitStack) -> requests.PreparedRequest:
        headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": DEFAULT_ACCEPT}
        data: Any = None
        files: Any = None
        body = spec.body
        if body is not None:
            if body.kind == "json":
                data = json.dumps(body.json, ensure_ascii=False).encode("utf-8")
                headers["Content-Type"] = "application/json"
            elif body.kind == "raw":
                data = body.raw
            elif body.kind == "file":
                data = self._file_body(body.path, stack)
            elif body.kind == "form":
                data = list(body.form)
            else:
                data = list(body.form)
                files = [
                    (part.field, (part.path.name, stack.enter_context(part.path.open("rb")), part.content_type))
                    for part in body.files
                ]
        given, repeats = _group_headers(spec.headers)
        lowered = {k.lower(): k for k in headers}
        for name, value in given:
            existing = lowered.pop(name.lower(), None)
            if existing is not None:
                headers.pop(existing)
            headers[name] = value
            lowered[name.lower()] = name
        creds = spec.credentials
        request = requests.Request(
            method=spec.method,
            url=add_query(spec.url, spec.query),
            headers=headers,
            data=data,
            files=files,
            # Stripped below (and by GuardedSession on redirects) from any request for another origin.
            cookies=dict(creds.cookies) if creds.cookies else None,
        )
        has_creds = bool(creds.basic or creds.bearer or creds.api_key or creds.fetched)
        if has_creds:
            if self.auth is None or self.auth.credentials != creds:
                source = self.header_source(creds)
                self.auth = OriginBoundAuth(creds, self.session.credential_origin or spec.url, source)
            request.auth = self.auth
        with translate_errors(spec.url, self.network):
            prepared = self.session.prepare_request(request)
        removed = _removed(spec)
        for name in [h for h in prepared.headers if h.lower() in removed]:
            del prepared.headers[name]
        for name in removed & _ADDED_BY_URLLIB3:
            # Without a value of its own, urllib3 would add its default; this tells it to send none.
            prepared.headers[name] = SKIP_HEADER
        if repeats:
            # requests keeps one value per name; urllib3's HTTPHeaderDict sends each value on its own line.
            multi = HTTPHeaderDict(prepared.headers)
            for name, value in repeats:
                multi.add(name, value)
            prepared.headers = multi  # type: ignore[assignment]
        origin = self.session.credential_origin
        if origin is not None and not same_origin(prepared.url or "", origin):
            # Any request that leaves the credentials' origin (a next link, a mirror) goes without them.
            self.session.strip_credentials(prepared)
        return prepared

    def _file_body(self, path: Path | None, stack: ExitStack) -> Any:
        """--data @FILE: a regular file goes as a file object (requests sends its size as Content-Length
        and streams it); anything else goes chunked, read as it is sent."""
        assert path is not None
        try:
            opened = open_local(path)
        except NotReadable as exc:
            raise UsageError(f"cannot read {str(path)!r} for --data: {exc.reason}") from None
        stack.callback(opened.stream.close)
        if opened.size is not None:
            return opened.stream
        return StreamedBody(opened.stream, path, self.network)

    def _environment_settings(self, url: str, stream: bool) -> dict[str, Any]:
        """Proxy/verify/cert settings from the environment, looked up once per origin (a page loop sends many)."""
        key = (origin_of(url), stream)
        cached = self.environment_cache.get(key)
        if cached is None:
            # --cacert/--insecure must win over REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, which requests prefers otherwise.
            verify = None if self.network.verify is True else self.network.verify
            proxies = _flag_proxies(url, self.options)
            cached = dict(self.session.merge_environment_settings(url, proxies, stream, verify, None))
            check_environment_proxy(url, cached.get("proxies"), self.options.proxy, os.environ)
            self.environment_cache[key] = cached
        return cached

    def send(self, prepared: requests.PreparedRequest, *, stream: bool = True) -> requests.Response:
        url = prepared.url or ""
        self.reporter.verbose(f"> {prepared.method} {redact_url(url)}")
        self.reporter.headers("> ", wire_headers(prepared))
        if prepared.body is not None and self.reporter.verbose_enabled:
            for line in request_body_lines(prepared.body, prepared.headers.get("Content-Type")):
                self.reporter.verbose(f"> {line}")
        settings = dict(self._environment_settings(url, stream))
        if self.reporter.verbose_enabled and (proxy := select_proxy(url, settings.get("proxies"))):
            self.reporter.verbose(f"> (through the proxy {redact_url(proxy)})")  # --proxy or a *_PROXY variable
        settings.update(request_kwargs(self.network))
        # Each hop is shown as it happens, and a failure after one names the URL that failed.
        trail = RedirectTrail(self.reporter, follow=self.network.follow)
        hooks = prepared.hooks.setdefault("response", [])
        hooks.append(trail)
        try:
            with translate_errors(url, self.network, redirected_to=trail.reached):
                response = self.session.send(prepared, **settings)
        finally:
            hooks.remove(trail)
        refuse_interim_status(response, prepared)
        return response

    def show_response_head(self, response: requests.Response, include: bool) -> None:
        """The status line and headers on stderr: with -i always, with -v as `<` lines."""
        if include:
            self.reporter.formatted(self.format_response_head(response, color=self.reporter.color))
        elif self.reporter.verbose_enabled:
            lines = self.format_response_head(response, color=self.reporter.color)
            self.reporter.formatted([f"< {line}" for line in lines])

    def format_response_head(self, response: requests.Response, *, color: bool, data: bool = False) -> list[str]:
        """The head as shown on stderr, redacted; as `data` for stdout (HEAD), exactly as sent."""
        version = http_version_text(getattr(response.raw, "version", 11))
        shown = _sent_headers(response) if data else _shown_headers(response, self.reporter)
        return format_head(version, response.status_code, response.reason or "", shown, color=color)

    def body_chunks(
        self, response: requests.Response, chunk_size: int = STREAM_CHUNK, *, direct: bool = False
    ) -> Iterator[bytes]:
        """The decoded body, chunk by chunk, with failures translated (and said to be partial).

        `direct`: a stream read in small pieces, which skips urllib3's per-read overhead (iter_wire_direct)."""
        # A body that fails after redirects names the URL it came from and how it was reached.
        first = response.history[0].url if response.history else response.url
        reached = [hop.url for hop in response.history[1:]] + ([response.url] if response.history else [])
        received = 0
        check_clock = self.clock.check
        with translate_errors(first, self.network, redirected_to=reached):
            try:
                for chunk in iter_body(response.raw, chunk_size, direct=direct):
                    # A body that trickles in beats every socket timeout: only the clock ends it.
                    check_clock()
                    received += len(chunk)
                    yield chunk
            except Undecodable:
                raise  # its message counts the bytes received
            except Exception as exc:
                if received:
                    exc.add_note(f"after {received} bytes")
                raise

    def check_status(self, response: requests.Response, ignore_status: bool = False, held: bytes | None = None) -> None:
        """HTTPStatusError for an error status (3xx not followed, 4xx, 5xx), with the start of its body
        (`held`: the body, when it was already read)."""
        status = response.status_code
        if ignore_status or status < 300 or status == 304:
            return
        method = response.request.method
        where = redact_url(response.url)
        summary = f"HTTP {status} {response.reason} ({method} {where})"
        retried = getattr(response.raw, "retries", None)
        if isinstance(retried, Retry) and retried.history:
            summary += f", after {len(retried.history) + 1} attempts"
        if status < 400:
            location = response.headers.get("Location")
            location = redact_url(location) if location else None
            if self.network.follow:
                # Redirects were being followed: this one had nothing to follow, or is not a redirect requests follows.
                why = f"HTTP {status} is not a redirect apicli follows" if location else "it has no Location header"
                raise HTTPStatusError(
                    f"{summary} cannot be followed: {why}" + (f" (Location: {location})" if location else ""),
                    status=status,
                    hint="use --ignore-status to get the body on stdout and exit 0",
                )
            raise HTTPStatusError(
                f"{summary}, redirect not followed" + (f": Location: {location}" if location else ""),
                status=status,
                hint=unfollowed_hint(response),
            )
        body = held[:ERROR_BODY_READ] if held is not None else b""
        try:
            # Enough of the error body to show; a larger one is cut rather than dropped.
            for chunk in self.body_chunks(response) if held is None else ():
                body += chunk
                if len(body) >= ERROR_BODY_READ:
                    break
        except Exception:
            pass
        raise HTTPStatusError(
            summary,
            status=status,
            detail=format_error_body(body, response.headers.get("Content-Type")),
            hint=status_hint(
                method or "GET",
                status,
                response.headers,
                response.request.headers,
                retried if isinstance(retried, Retry) else None,
                has_body=bool(body),
            ),
        )


def refuse_interim_status(response: requests.Response, prepared: requests.PreparedRequest) -> None:
    """A 1xx status is never a final answer (RFC 9110 §15.2): one that ends the exchange is a malformed response.

    http.client skips only `100 Continue`; any other 1xx comes back as if it were final, with no body.
    """
    status = response.status_code
    if not 100 <= status < 200:
        return
    response.close()
    where = redact_url(response.url or prepared.url or "")
    if status == 101:
        asked = "upgrade" in {name.lower() for name in prepared.headers}
        why = (
            "switched protocols, which apicli does not speak"
            if asked
            else "switched protocols though none was asked for"
        )
        raise MalformedResponse(f"malformed response from {where}: HTTP 101, the server {why}")
    raise MalformedResponse(
        f"malformed response from {where}: HTTP {status} is an interim status, and no final response followed"
    )


class StreamedBody:
    """A body read from a FIFO or device while it is sent, in chunks, within --max-time; it can be sent once."""

    def __init__(self, stream: BinaryIO, path: Path, network: NetworkOptions) -> None:
        self.stream = stream
        self.path = path
        self.network = network
        self.started = False

    def __iter__(self) -> Iterator[bytes]:
        if self.started:
            # A retry or a 307/308 redirect would otherwise resend an exhausted stream: an empty body.
            raise ApicliError(
                f"the body read from {str(self.path)!r} cannot be sent a second time",
                hint="save it to a regular file and pass --data @FILE",
            )
        self.started = True
        return self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        clock = self.network.clock
        for chunk in iter_chunks(self.stream):
            clock.check()
            yield chunk


def _flag_proxies(url: str, options: SessionOptions) -> dict[str, str]:
    """The proxies --proxy and --no-proxy ask for; requests adds the environment's only where these are silent."""
    proxies: dict[str, str] = {}
    if options.unix_socket is not None:
        return {"no_proxy": "*"}  # the socket is the only way out
    if options.no_proxy is not None:
        proxies["no_proxy"] = options.no_proxy  # requests then reads NO_PROXY no more
    if options.proxy is not None:
        from requests.utils import should_bypass_proxies

        if should_bypass_proxies(url, no_proxy=options.no_proxy):
            proxies["no_proxy"] = "*"  # direct: nor may an environment proxy step in
        else:
            proxies["http"] = proxies["https"] = options.proxy
    return proxies


def _shown_headers(response: requests.Response, reporter: Reporter) -> list[tuple[str, str]]:
    """Response headers as sent, each repeat on its own line, with Set-Cookie values and our secrets redacted.

    A Location may carry a signed URL whose signature is a secret.
    """
    shown = []
    for name, value in _sent_headers(response):
        if name.lower() in ("location", "content-location"):
            value = redact_url(value)
        shown.append((name, reporter.redactor.response_header(name, value)))
    return shown


def _sent_headers(response: requests.Response) -> list[tuple[str, str]]:
    """Response headers as sent, each repeat on its own line."""
    raw_headers = getattr(response.raw, "headers", None)
    return list(raw_headers.items()) if isinstance(raw_headers, HTTPHeaderDict) else list(response.headers.items())


def wire_headers(prepared: requests.PreparedRequest) -> list[tuple[str, str]]:
    """The headers as they will be sent, as text: each repeat on its own, and none that the user removed."""
    return [(name, shown_text(value)) for name, value in prepared.headers.items() if value != SKIP_HEADER]


def _removed(spec: RequestSpec) -> set[str]:
    return {name.lower() for name, value in spec.headers if value == NO_HEADER}


def _group_headers(
    headers: tuple[tuple[str, str], ...],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the first value of each name, every later value) of the headers to send; NO_HEADER removes."""
    first: list[tuple[str, str]] = []
    repeats: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in headers:
        if value == NO_HEADER:
            continue
        key = name.lower()
        # The one place a request's own headers become what goes on the wire (text as UTF-8).
        (repeats if key in seen else first).append((name, header_text(value, f"the {name} header")))
        seen.add(key)
    return first, repeats


def open_client(
    spec: RequestSpec,
    retry: RetryPolicy,
    network: NetworkOptions,
    reporter: Reporter,
    *,
    unsafe_retries: bool,
    pool_size: int = 10,
    timed: bool = False,
    session_options: SessionOptions = SessionOptions(),
) -> Client:
    """A Client whose session binds credentials to the request's origin and honours --max-time.

    `timed` measures each transfer's phases on its connections (for -w/--write-out).
    """
    session = build_session(
        retry,
        network,
        credentials=spec.credentials,
        credential_origin=spec.url,
        unsafe_retries=unsafe_retries,
        report=lambda line: reporter.verbose(f"apicli: {line}"),
        note=lambda line: reporter.note(f"apicli: {line}"),
        pool_size=pool_size,
        timed=timed,
        unix_socket=session_options.unix_socket,
    )
    if session_options.cookie_jar is not None:
        from ..transport.cookies import CookieJarFile

        jar = CookieJarFile(session_options.cookie_jar)
        jar.load_file(clock=network.clock)
        for cookie in jar:  # secrets like --cookie values: a server may echo its Cookie header back
            reporter.redactor.add(cookie.value or "")
        session.cookies = jar  # type: ignore[assignment]
    return Client(session=session, network=network, reporter=reporter, options=session_options)
