"""Sending one request and handing its response to the right writer.

`Client` holds what every request of one run shares: the session, network
options, the reporter and the deadline. `perform` is what the request verbs run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import requests
from urllib3 import HTTPHeaderDict

from . import __version__
from .codings import Undecodable
from .errors import HTTPStatusError
from .output import ByteSink, OutputPlan, iter_body
from .output.format import format_error_body, format_head, http_version_text
from .report import Reporter
from .session import GuardedSession, OriginBoundAuth, build_session, request_kwargs, translate_errors
from .spec import NetworkOptions, RequestSpec, RetryPolicy
from .urls import add_query, origin_of, redact_url, same_origin

if TYPE_CHECKING:
    from .jqfilter import JqProgram
    from .schema import SchemaValidator

USER_AGENT = f"apicli/{__version__}"
DEFAULT_ACCEPT = "application/json, */*;q=0.5"
_NO_BODY_STATUSES = (204, 304)
ERROR_BODY_READ = 64 * 1024


class Client:
    def __init__(self, session: GuardedSession, network: NetworkOptions, reporter: Reporter) -> None:
        self.session = session
        self.network = network
        self.reporter = reporter
        self.environment_cache: dict[tuple[tuple[str, str, int], bool], dict[str, Any]] = {}

    @property
    def deadline(self) -> float | None:
        """The --max-time deadline, a time.monotonic() value."""
        return self.network.deadline

    def remaining(self) -> float | None:
        return self.network.remaining()

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
        request = requests.Request(
            method=spec.method,
            url=add_query(spec.url, spec.query),
            headers=headers,
            data=data,
            files=files,
        )
        creds = spec.credentials
        has_creds = bool(creds.basic or creds.bearer or creds.api_key)
        if has_creds:
            request.auth = OriginBoundAuth(creds, self.session.credential_origin or spec.url)
        with translate_errors(spec.url, self.network):
            prepared = self.session.prepare_request(request)
        for name in [h for h in prepared.headers if h.lower() in _removed(spec)]:
            del prepared.headers[name]
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

    def _environment_settings(self, url: str, stream: bool) -> dict[str, Any]:
        """Proxy/verify/cert settings from the environment, looked up once per origin (a page loop sends many)."""
        key = (origin_of(url), stream)
        cached = self.environment_cache.get(key)
        if cached is None:
            # --cacert/--insecure must win over REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, which requests prefers otherwise.
            verify = None if self.network.verify is True else self.network.verify
            cached = dict(self.session.merge_environment_settings(url, {}, stream, verify, None))
            self.environment_cache[key] = cached
        return cached

    def send(self, prepared: requests.PreparedRequest, *, stream: bool = True) -> requests.Response:
        url = prepared.url or ""
        self.reporter.verbose(f"> {prepared.method} {redact_url(url)}")
        self.reporter.headers("> ", prepared.headers.items())
        if prepared.body is not None:
            size = len(prepared.body) if isinstance(prepared.body, bytes | str) else None
            self.reporter.verbose(f"> ({size} byte body)" if size is not None else "> (streamed body)")
        settings = dict(self._environment_settings(url, stream))
        settings.update(request_kwargs(self.network, self.remaining()))
        with translate_errors(url, self.network):
            response = self.session.send(prepared, **settings)
        for hop in response.history:
            location = redact_url(hop.headers.get("Location", "?"))
            self.reporter.verbose(f"< {hop.status_code} {hop.reason} -> {location}")
        return response

    def show_response_head(self, response: requests.Response, include: bool) -> None:
        """The status line and headers on stderr: with -i always, with -v as `<` lines."""
        if include:
            self.reporter.formatted(self.format_response_head(response, color=self.reporter.color))
        elif self.reporter.verbose_enabled:
            lines = self.format_response_head(response, color=self.reporter.color)
            self.reporter.formatted([f"< {line}" for line in lines])

    def format_response_head(self, response: requests.Response, *, color: bool) -> list[str]:
        version = http_version_text(getattr(response.raw, "version", 11))
        shown = _shown_headers(response, self.reporter)
        return format_head(version, response.status_code, response.reason or "", shown, color=color)

    def body_chunks(self, response: requests.Response) -> Iterator[bytes]:
        """The decoded body, chunk by chunk, with failures translated (and said to be partial)."""
        url = response.url
        received = 0
        with translate_errors(url, self.network):
            try:
                for chunk in iter_body(response.raw):
                    received += len(chunk)
                    yield chunk
            except Undecodable:
                raise  # its message counts the bytes received
            except Exception as exc:
                if received:
                    exc.add_note(f"after {received} bytes")
                raise

    def check_status(self, response: requests.Response, ignore_status: bool = False) -> None:
        status = response.status_code
        if ignore_status or status < 300 or status == 304:
            return
        method = response.request.method
        where = redact_url(response.url)
        summary = f"HTTP {status} {response.reason} ({method} {where})"
        if status < 400:
            location = response.headers.get("Location")
            location = redact_url(location) if location else None
            raise HTTPStatusError(
                f"{summary}, redirect not followed" + (f": Location: {location}" if location else ""),
                status=status,
                hint="drop --no-follow to follow it",
            )
        body = b""
        try:
            # Enough of the error body to show; a larger one is cut rather than dropped.
            for chunk in self.body_chunks(response):
                body += chunk
                if len(body) >= ERROR_BODY_READ:
                    break
        except Exception:
            pass
        raise HTTPStatusError(
            summary,
            status=status,
            detail=format_error_body(body, response.headers.get("Content-Type")),
            hint="use --ignore-status to get the body on stdout and exit 0",
        )


def _shown_headers(response: requests.Response, reporter: Reporter) -> list[tuple[str, str]]:
    """Response headers as sent, each repeat on its own line, with Set-Cookie values and our secrets redacted.

    A Location may carry a signed URL whose signature is a secret.
    """
    raw_headers = getattr(response.raw, "headers", None)
    pairs = list(raw_headers.items()) if isinstance(raw_headers, HTTPHeaderDict) else list(response.headers.items())
    shown = []
    for name, value in pairs:
        if name.lower() in ("location", "content-location"):
            value = redact_url(value)
        shown.append((name, reporter.redactor.response_header(name, value)))
    return shown


def _removed(spec: RequestSpec) -> set[str]:
    return {name.lower() for name, value in spec.headers if value == ""}


def _group_headers(
    headers: tuple[tuple[str, str], ...],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the first value of each name, every later value) of the headers to send; empty values remove."""
    first: list[tuple[str, str]] = []
    repeats: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in headers:
        if value == "":
            continue
        key = name.lower()
        (repeats if key in seen else first).append((name, value))
        seen.add(key)
    return first, repeats


def perform(
    client: Client,
    spec: RequestSpec,
    plan: OutputPlan,
    stdout: ByteSink,
    *,
    include: bool = False,
    ignore_status: bool = False,
    jq: JqProgram | None = None,
    schema: SchemaValidator | None = None,
) -> None:
    """Send `spec` and write a successful body (for HEAD, the head) where `plan` says; raise on failure."""
    from .output.body import ResponseBody, write_block, write_body

    with ExitStack() as stack:
        prepared = client.prepare(spec, stack)
        response = client.send(prepared)
        stack.callback(response.close)
        is_head = spec.method == "HEAD"
        failed = not ignore_status and response.status_code >= 300 and response.status_code != 304
        # For HEAD the head is the data, on stdout; -i repeats it on stderr only when it is not.
        client.show_response_head(response, include and (failed or not is_head))
        client.check_status(response, ignore_status)
        if is_head:
            head = client.format_response_head(response, color=plan.color)
            write_block("".join(f"{line}\n" for line in head).encode("utf-8"), plan, stdout)
            return
        # These have no body by definition: nothing to write, filter or check.
        if response.status_code in _NO_BODY_STATUSES:
            return
        body = ResponseBody(
            client.body_chunks(response), response.headers.get("Content-Type"), response.headers.get("Content-Length")
        )
        write_body(body, plan, stdout, note=client.reporter.note, jq=jq, schema=schema)


def open_client(
    spec: RequestSpec,
    retry: RetryPolicy,
    network: NetworkOptions,
    reporter: Reporter,
    *,
    unsafe_retries: bool,
    pool_size: int = 10,
) -> Client:
    """A Client whose session binds credentials to the request's origin and honours --max-time."""
    session = build_session(
        retry,
        network,
        credentials=spec.credentials,
        credential_origin=spec.url,
        unsafe_retries=unsafe_retries,
        deadline=network.deadline,
        report=lambda line: reporter.verbose(f"apicli: {line}"),
        pool_size=pool_size,
    )
    return Client(session=session, network=network, reporter=reporter)
