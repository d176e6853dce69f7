"""The example API's downloads: a generated CSV report and the user JSON Schema.

The report carries ETag and Last-Modified and honours If-None-Match, single
byte ranges and If-Range; ``/files/cut/`` drops every other full download
halfway, so clients can practise resuming.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import formatdate

from api_data import EPOCH, USER_SCHEMA
from api_http import Request, Response, Router, json_response

router = Router()


@dataclass(frozen=True)
class StaticFile:
    """A generated download with the validators that Range and If-Range need."""

    name: str
    content: bytes
    etag: str
    last_modified: str


def _build_report() -> StaticFile:
    # Arithmetic rather than `random` so the bytes (and the digest) never change.
    regions = ("north", "south", "east", "west", "central")
    products = ("anvil", "bolt", "cog", "drill", "easel", "flange", "gasket", "hinge")
    lines = ["id,date,region,product,units,unit_price,total"]
    size = len(lines[0]) + 1
    row = 0
    while size < 200_000:
        row += 1
        units = (row * 37) % 50 + 1
        cents = 199 + (row * 7919) % 9800
        line = (
            f"{row},{date(2024, 1, 1) + timedelta(days=row % 366)},{regions[(row * 7) % 5]},"
            f"{products[(row * 13) % 8]},{units},{cents / 100:.2f},{units * cents / 100:.2f}"
        )
        lines.append(line)
        size += len(line) + 1
    content = ("\n".join(lines) + "\n").encode()
    return StaticFile(
        name="report.csv",
        content=content,
        etag=f'"{hashlib.sha256(content).hexdigest()[:20]}"',
        last_modified=formatdate(EPOCH.timestamp(), usegmt=True),
    )


REPORT = _build_report()


class RangeNotSatisfiable(Exception):
    """The Range header starts at or past the end of the file."""


_BYTE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.ASCII | re.IGNORECASE)


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single-range header, or None to send everything.

    Multiple ranges and malformed headers are answered with the full body, as
    RFC 9110 allows; a range that starts past the end raises RangeNotSatisfiable.
    """
    match = _BYTE_RANGE.fullmatch(header)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if not first_text:  # suffix range: the last N bytes
        suffix = int(last_text)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if first >= size:
        raise RangeNotSatisfiable
    if not last_text:
        return first, size - 1
    if int(last_text) < first:
        return None
    return first, min(int(last_text), size - 1)


def serve_file(request: Request, file: StaticFile, *, cut: bool = False) -> Response:
    """A download with ETag, Last-Modified and single byte-range support."""
    size = len(file.content)
    headers = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{file.name}"',
        "ETag": file.etag,
        "Last-Modified": file.last_modified,
        "Accept-Ranges": "bytes",
    }
    if request.headers.get("If-None-Match", "").strip() == file.etag:
        return Response(304, b"", headers)
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    # A stale validator means the client's partial copy is of another version: send it all.
    if range_header and if_range is not None and if_range.strip() not in (file.etag, file.last_modified):
        range_header = None
    if range_header:
        try:
            span = parse_byte_range(range_header, size)
        except RangeNotSatisfiable:
            unsatisfiable = {"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}"}
            return json_response({"error": "range not satisfiable"}, 416, unsatisfiable)
        if span is not None:
            first, last = span
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            return Response(206, file.content[first : last + 1], headers)
    response = Response(200, file.content, headers)
    if cut and request.method == "GET" and request.server.next_download_number() % 2 == 1:
        response.cut_after = size // 2
    return response


@router.route("/files/report\\.csv", "GET")
def report_csv(request: Request) -> Response:
    return serve_file(request, REPORT)


@router.route("/files/report\\.csv\\.sha256", "GET")
def report_checksum(request: Request) -> Response:
    digest = hashlib.sha256(REPORT.content).hexdigest()
    return Response(200, f"{digest}\n".encode(), {"Content-Type": "text/plain; charset=utf-8"})


@router.route("/files/cut/report\\.csv", "GET")
def report_csv_cut(request: Request) -> Response:
    """Every odd-numbered full download is dropped halfway; ranges always complete."""
    return serve_file(request, REPORT, cut=True)


@router.route("/schema/user\\.json", "GET")
def user_schema(request: Request) -> Response:
    return json_response(USER_SCHEMA, headers={"Content-Type": "application/schema+json"})
