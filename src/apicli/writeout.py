"""-w/--write-out: curl's format language, with curl's variable names, units and spelling.

`parse_write_out` turns a format into segments once, before anything is sent, so that an
unknown variable is a usage error. `render_write_out` fills the segments from one
transfer's `TransferReport` and says, piece by piece, whether each goes to stdout or stderr
(`%{stderr}` and `%{stdout}` switch). Text is `\\n`, `\\t`, `\\r` and `\\\\` escaped as in curl,
and `%%` is a percent sign.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .errors import UsageError

if TYPE_CHECKING:
    from .items import StdinReader

# Variables in the order curl's %{json} lists them.
TIME_VARIABLES = (
    "time_appconnect",
    "time_connect",
    "time_namelookup",
    "time_pretransfer",
    "time_redirect",
    "time_starttransfer",
    "time_total",
)
VARIABLES = frozenset(
    {
        "content_type",
        "errormsg",
        "exitcode",
        "filename_effective",
        "http_code",
        "http_version",
        "local_ip",
        "local_port",
        "method",
        "num_connects",
        "num_headers",
        "num_redirects",
        "num_retries",
        "redirect_url",
        "remote_ip",
        "remote_port",
        "response_code",
        "scheme",
        "size_download",
        "size_header",
        "size_request",
        "size_upload",
        "speed_download",
        "speed_upload",
        "url",
        "url_effective",
        *TIME_VARIABLES,
    }
)
SPECIAL = frozenset({"json", "header_json", "stdout", "stderr"})
MAX_FORMAT_BYTES = 64 * 1024

_TOKEN = re.compile(r"%%|%\{([^}]*)\}|%header\{([^}]*)\}|\\[ntr\\]|[^%\\]+|[%\\]")
_ESCAPES = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}

Destination = Literal["stdout", "stderr"]


class Segment(NamedTuple):
    kind: Literal["text", "variable", "header", "switch"]
    value: str


def parse_write_out(text: str) -> tuple[Segment, ...]:
    """The segments of a format; an unknown %{variable} is a usage error naming it."""
    segments: list[Segment] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        variable, header = match.group(1), match.group(2)
        if token == "%%":
            segments.append(Segment("text", "%"))
        elif variable is not None:
            if variable in ("stdout", "stderr"):
                segments.append(Segment("switch", variable))
            elif variable in VARIABLES or variable in SPECIAL:
                segments.append(Segment("variable", variable))
            else:
                raise UsageError(
                    f"-w/--write-out: unknown variable %{{{variable}}}",
                    hint="the variables are curl's: http_code, time_total, size_download, url_effective, json, …",
                )
        elif header is not None:
            segments.append(Segment("header", header))
        else:
            segments.append(Segment("text", _ESCAPES.get(token, token)))
    return tuple(segments)


class TransferReport(NamedTuple):
    """What one transfer did, in curl's terms; numbers are 0 and strings "" where there was no response."""

    values: Mapping[str, Any]  # every name of VARIABLES
    headers: tuple[tuple[str, str], ...] = ()  # the final response's headers, as received


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in TIME_VARIABLES:
        return f"{value:.6f}"
    if name in ("http_code", "response_code"):
        return f"{value:03d}"
    return str(value)


def _json_text(name: str, value: Any) -> str:
    """One value as curl's %{json} writes it: times with microsecond digits, null for a missing string."""
    if name in TIME_VARIABLES:
        return f"{value:.6f}"
    return json.dumps(value, ensure_ascii=False)


def header_json(headers: tuple[tuple[str, str], ...]) -> str:
    """Lower-case names in order of first appearance, each with the list of its values, as curl writes it."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return json.dumps(grouped, ensure_ascii=False, separators=(",", ":"))


def report_json(report: TransferReport) -> str:
    return "{" + ",".join(f'"{name}":{_json_text(name, report.values[name])}' for name in sorted(VARIABLES)) + "}"


def render_write_out(segments: tuple[Segment, ...], report: TransferReport) -> list[tuple[Destination, str]]:
    """The text to write, in order, each piece with where it goes."""
    destination: Destination = "stdout"
    pieces: list[tuple[Destination, str]] = []
    for segment in segments:
        if segment.kind == "switch":
            destination = "stderr" if segment.value == "stderr" else "stdout"
            continue
        if segment.kind == "text":
            text = segment.value
        elif segment.kind == "header":
            wanted = segment.value.strip().lower()
            # As curl does: the first of a repeated header's values.
            text = next((value.strip() for name, value in report.headers if name.lower() == wanted), "")
        elif segment.value == "json":
            text = report_json(report)
        elif segment.value == "header_json":
            text = header_json(report.headers)
        else:
            text = _text(segment.value, report.values[segment.value])
        if pieces and pieces[-1][0] == destination:
            pieces[-1] = (destination, pieces[-1][1] + text)
        else:
            pieces.append((destination, text))
    return pieces


def read_write_out(text: str, stdin: StdinReader) -> tuple[Segment, ...]:
    """-w's segments, its format read from @FILE or @- (stdin) as curl does, up to a small cap."""
    from .items import read_file_bytes
    from .limits import WRITE_OUT_FORMAT

    if text.startswith("@"):
        source = text[1:]
        hint = "a -w format is a short text: keep it in a small file"
        raw = (
            stdin(MAX_FORMAT_BYTES)
            if source == "-"
            else read_file_bytes(source, f"-w {text}", hint=hint, limit=WRITE_OUT_FORMAT)
        )
        if len(raw) > MAX_FORMAT_BYTES:
            raise UsageError(f"-w/--write-out: the format in {source!r} is over {MAX_FORMAT_BYTES} bytes", hint=hint)
        text = raw.decode("utf-8", "surrogateescape")
    return parse_write_out(text)
