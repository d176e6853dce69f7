"""One transfer in curl's terms, for -w/--write-out: codes, URLs, sizes, addresses and phase times.

Sizes are counted as curl counts them: `size_download` is the body as it came over the wire
(still compressed when the server compressed it), `size_header` every response head of the
transfer (redirects included), `size_request` every request head plus the body sent.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import ApicliError
from ..formats.urls import add_query, redact_url
from ..inputs.writeout import Segment, TransferReport, as_sent, render_write_out
from ..output.format import http_version_text
from ..output.printer import Printer
from ..spec import RequestSpec
from ..transport.timing import TransferClock

_CURL_VERSIONS = {"HTTP/1.0": "1", "HTTP/1.1": "1.1", "HTTP/2": "2", "HTTP/3": "3", "HTTP/0.9": "0.9"}


def _head_size(response: requests.Response) -> int:
    version = http_version_text(getattr(response.raw, "version", 11))
    status_line = f"{version} {response.status_code} {response.reason or ''}".rstrip()
    headers = _final_headers(response)
    return len(status_line) + 2 + sum(len(name) + len(value) + 4 for name, value in headers) + 2


def _request_size(request: requests.PreparedRequest) -> int:
    url = urlsplit(request.url or "")
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    line = f"{request.method} {target} HTTP/1.1"
    headers = [("Host", url.netloc), *request.headers.items()]
    body = request.body
    body_size = len(body) if isinstance(body, bytes | str) else 0
    return len(line) + 2 + sum(len(name) + len(value) + 4 for name, value in headers) + 2 + body_size


def _retries(response: requests.Response) -> int:
    retry = getattr(response.raw, "retries", None)
    return len(getattr(retry, "history", ()) or ())


def transfer_report(
    *,
    url: str,
    method: str,
    clock: TransferClock | None,
    response: requests.Response | None,
    error: ApicliError | None,
    filename: str = "",
    size_upload: int = 0,
    downloaded: int | None = None,
) -> TransferReport:
    """The report of a transfer that ended now, with `response` (None when none came) or `error`."""
    finished = time.perf_counter()
    started = clock.started if clock is not None else finished
    total = finished - started

    def since_start(moment: float | None, floor: float) -> float:
        return max(floor, moment - started) if moment is not None else floor

    namelookup = since_start(clock.namelookup if clock else None, 0.0)
    connect = since_start(clock.connect if clock else None, namelookup)
    tls = clock is not None and clock.appconnect is not None
    # As curl does, a transfer without TLS has no handshake time at all: 0, not the connect time.
    appconnect = since_start(clock.appconnect if clock else None, connect) if tls else 0.0
    pretransfer = since_start(clock.pretransfer if clock else None, max(connect, appconnect))
    starttransfer = since_start(clock.starttransfer if clock else None, pretransfer) if response is not None else 0.0
    redirected = response is not None and bool(response.history)
    redirect = since_start(clock.final_hop if clock else None, 0.0) if redirected else 0.0
    exchanges = [*response.history, response] if response is not None else []
    final_url = response.url if response is not None else url
    location = response.headers.get("Location") if response is not None and 300 <= response.status_code < 400 else None
    version = http_version_text(getattr(response.raw, "version", 11)) if response is not None else ""
    size_download = downloaded if downloaded is not None else (response.raw.tell() if response is not None else 0)
    local = clock.local if clock is not None and clock.local else None
    remote = clock.remote if clock is not None and clock.remote else None
    values = {
        "content_type": _sent_text(response.headers.get("Content-Type")) if response is not None else None,
        "errormsg": as_sent(error.message) if error is not None else None,
        "exitcode": int(error.exit_code) if error is not None else 0,
        "filename_effective": filename or None,
        "http_code": response.status_code if response is not None else 0,
        "response_code": response.status_code if response is not None else 0,
        "http_version": _CURL_VERSIONS.get(version, "0"),
        "local_ip": local[0] if local else None,
        "local_port": local[1] if local else 0,
        "remote_ip": remote[0] if remote else None,
        "remote_port": remote[1] if remote else 0,
        "method": (response.request.method if response is not None else method) or method,
        "num_connects": clock.connects if clock is not None else 0,
        "num_headers": len(_final_headers(response)),
        "num_redirects": len(response.history) if response is not None else 0,
        "num_retries": sum(_retries(exchange) for exchange in exchanges)
        if exchanges
        else max(0, (error.attempts or 1) - 1 if error is not None else 0),
        "redirect_url": as_sent(redact_url(urljoin(final_url, location))) if location else None,
        "scheme": urlsplit(final_url).scheme.upper() or None,
        "size_download": size_download,
        "size_header": sum(_head_size(exchange) for exchange in exchanges),
        "size_request": sum(_request_size(exchange.request) for exchange in exchanges),
        "size_upload": size_upload if response is not None else 0,
        "speed_download": int(size_download / total) if total > 0 else 0,
        "speed_upload": int(size_upload / total) if total > 0 and response is not None else 0,
        "url": redact_url(url),
        "url_effective": redact_url(final_url),
        "time_namelookup": namelookup,
        "time_connect": connect,
        "time_appconnect": appconnect,
        "time_pretransfer": pretransfer,
        "time_starttransfer": starttransfer,
        "time_redirect": redirect,
        "time_total": max(total, starttransfer),
    }
    return TransferReport(values, _final_headers(response))


def _sent_text(value: str | None) -> str | None:
    return as_sent(value) if value is not None else None


def _final_headers(response: requests.Response | None) -> tuple[tuple[str, str], ...]:
    """The final response's headers as received, each repeat on its own."""
    if response is None:
        return ()
    raw = getattr(response.raw, "headers", None)
    return tuple(raw.items()) if raw is not None else tuple(response.headers.items())


class WriteOut:
    """-w for one run: each transfer's report, written where the format says, one transfer at a time.

    Every value filled in may be the server's (%header{...}, %{content_type}, %{errormsg}, a
    redirect's URL): the Printer's sink for each stream says how such values are shown there, so
    on a terminal, whichever of stdout or stderr it goes to and wherever the body went, their
    control characters are made visible. Into a pipe or file they are written as they were sent.
    """

    def __init__(self, segments: tuple[Segment, ...], printer: Printer) -> None:
        self.segments = segments
        self.printer = printer
        self.lock = threading.Lock()  # downloads run on several threads
        self.filename = str(printer.destination or "")
        self.shown = printer.shown_filters()

    def transfer(
        self,
        spec: RequestSpec,
        clock: TransferClock | None,
        response: requests.Response | None,
        error: ApicliError | None,
        *,
        filename: str | None = None,
        downloaded: int | None = None,
    ) -> None:
        body = response.request.body if response is not None else None
        report = transfer_report(
            url=add_query(spec.url, spec.query),
            method=spec.method,
            clock=clock,
            response=response,
            error=error,
            filename=filename if filename is not None else self.filename,
            size_upload=len(body) if isinstance(body, bytes | str) else 0,
            downloaded=downloaded,
        )
        self.write(report)

    def write(self, report: TransferReport) -> None:
        with self.lock:
            for destination, text in render_write_out(self.segments, report, self.shown):
                self.printer.write_text(destination, text)
