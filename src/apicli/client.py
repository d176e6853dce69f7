"""Sending one request and handing its response to the right writer.

`Client` holds what every request of one run shares: the session, network
options, the reporter and the deadline. `perform` is what the request verbs run.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import requests

from . import __version__
from .errors import ConnectionFailed, HTTPStatusError
from .output import (
    PRETTY_LIMIT,
    ByteSink,
    atomic_output,
    format_error_body,
    format_pretty,
    is_json_type,
    iter_body,
    looks_binary,
    output_style,
    read_limited,
    write_stream,
)
from .report import Reporter
from .session import GuardedSession, OriginBoundAuth, build_session, request_kwargs, translate_errors
from .spec import NetworkOptions, OutputOptions, RequestSpec, RetryPolicy
from .urls import add_query, origin_of, redact_url, same_origin

if TYPE_CHECKING:
    from .jqfilter import JqProgram
    from .schema import SchemaValidator

USER_AGENT = f"apicli/{__version__}"
DEFAULT_ACCEPT = "application/json, */*;q=0.5"
_NO_BODY_STATUSES = (204, 304)
ERROR_BODY_READ = 64 * 1024


class Client:
    def __init__(
        self, session: GuardedSession, network: NetworkOptions, reporter: Reporter, deadline: float | None = None
    ) -> None:
        self.session = session
        self.network = network
        self.reporter = reporter
        self.deadline = deadline  # a time.monotonic() value
        self.environment_cache: dict[tuple[tuple[str, str, int], bool], dict[str, Any]] = {}

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

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
        lowered = {k.lower(): k for k in headers}
        for name, value in spec.headers:
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
        version = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(getattr(response.raw, "version", 11), "HTTP/1.1")
        line = f"{version} {response.status_code} {response.reason}"
        if include:
            self.reporter.always(line)
            self.reporter.headers("", _shown_headers(response), always=True)
        else:
            self.reporter.verbose(f"< {line}")
            self.reporter.headers("< ", _shown_headers(response))

    def body_chunks(self, response: requests.Response) -> Iterator[bytes]:
        """The decoded body, chunk by chunk, with failures translated (and said to be partial)."""
        url = response.url
        received = 0
        with translate_errors(url, self.network):
            try:
                for chunk in iter_body(response.raw):
                    received += len(chunk)
                    yield chunk
            except Exception as exc:
                if received:
                    exc.add_note(f"after {received} bytes")
                raise

    def check_status(self, response: requests.Response, options: OutputOptions) -> None:
        status = response.status_code
        if options.ignore_status or status < 300 or status == 304:
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


def _shown_headers(response: requests.Response) -> list[tuple[str, str]]:
    """Response headers for display: a Location may carry a signed URL whose signature is a secret."""
    return [
        (name, redact_url(value) if name.lower() in ("location", "content-location") else value)
        for name, value in response.headers.items()
    ]


def _removed(spec: RequestSpec) -> set[str]:
    return {name.lower() for name, value in spec.headers if value == ""}


def perform(
    client: Client,
    spec: RequestSpec,
    options: OutputOptions,
    stdout: ByteSink,
    *,
    stdout_is_terminal: bool,
    environ: Mapping[str, str],
    jq: JqProgram | None = None,
    schema: SchemaValidator | None = None,
) -> None:
    """Send `spec` and write a successful body to `stdout` (or -o); raise on failure."""
    with ExitStack() as stack:
        prepared = client.prepare(spec, stack)
        response = client.send(prepared)
        stack.callback(response.close)
        client.show_response_head(response, options.include)
        client.check_status(response, options)
        # These have no body by definition: nothing to write, filter or check.
        if spec.method == "HEAD" or response.status_code in _NO_BODY_STATUSES:
            return
        if jq is not None or schema is not None:
            from .postprocess import write_filtered_body

            write_filtered_body(
                client, response, options, stdout, is_terminal=stdout_is_terminal, environ=environ, jq=jq, schema=schema
            )
            return
        if options.output is not None:
            with atomic_output(options.output) as sink:
                write_stream(client.body_chunks(response), sink, flush=False)
            return
        write_response_body(client, response, options, stdout, stdout_is_terminal, environ)


def write_response_body(
    client: Client,
    response: requests.Response,
    options: OutputOptions,
    stdout: ByteSink,
    is_terminal: bool,
    environ: Mapping[str, str],
) -> None:
    content_type = response.headers.get("Content-Type")
    pretty, color = output_style(options.pretty, options.color, environ, on_terminal=is_terminal)
    chunks = client.body_chunks(response)
    if not pretty and not is_terminal:
        written = 0
        try:
            for chunk in chunks:
                stdout.write(chunk)
                stdout.flush()
                written += len(chunk)
        except ConnectionFailed as exc:
            exc.message += f"; output is incomplete ({written} bytes written)"
            raise
        return
    first = next(chunks, b"")
    if is_terminal and looks_binary(content_type, first[:1024]):
        size = response.headers.get("Content-Length", "unknown")
        client.reporter.note(
            f"apicli: binary body not shown ({content_type or 'no type'}, {size} bytes); save it with -o FILE"
        )
        return
    if pretty and (is_json_type(content_type) or first.lstrip()[:1] in (b"{", b"[")):
        body = read_limited(itertools.chain([first], chunks), PRETTY_LIMIT)
        stdout.write(format_pretty(body, content_type, color=color))
        stdout.flush()
        return
    stdout.write(first)
    write_stream(chunks, stdout)


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
    deadline = None if network.max_time is None else time.monotonic() + network.max_time
    session = build_session(
        retry,
        network,
        credentials=spec.credentials,
        credential_origin=spec.url,
        unsafe_retries=unsafe_retries,
        deadline=deadline,
        report=lambda line: reporter.verbose(f"apicli: {line}"),
        pool_size=pool_size,
    )
    return Client(session=session, network=network, reporter=reporter, deadline=deadline)
