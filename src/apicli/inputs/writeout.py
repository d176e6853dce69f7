"""-w/--write-out: curl's format language, with curl's variable names, units and spelling.

`parse_write_out` turns a format into segments once, before anything is sent, so that an
unknown variable is a usage error. `render_write_out` fills the segments from one
transfer's `TransferReport` and says, piece by piece, whether each goes to stdout or stderr
(`%{stderr}` and `%{stdout}` switch). Text is `\\n`, `\\t`, `\\r` and `\\\\` escaped as in curl,
and `%%` is a percent sign.

Every value filled in (as opposed to the format's own text) may come from the server, so a
caller writing to a terminal passes `Shown` filters, one for plain values and one for JSON;
a pipe or file gets the server's bytes unchanged, as curl writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ..errors import UsageError

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


class Shown(NamedTuple):
    """How filled-in values are made safe for one destination: plain text, and JSON text (kept valid)."""

    text: Callable[[str], str]
    json: Callable[[str], str]


def as_sent(value: str) -> str:
    """A header value (http.client decodes each byte as Latin-1) as the text of the bytes sent:
    UTF-8, with any byte that is not kept by surrogateescape, so encoding it that way gives the bytes back."""
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value  # not from the wire (already text)


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
        grouped.setdefault(as_sent(name).lower(), []).append(as_sent(value))
    return json.dumps(grouped, ensure_ascii=False, separators=(",", ":"))


def report_json(report: TransferReport) -> str:
    return "{" + ",".join(f'"{name}":{_json_text(name, report.values[name])}' for name in sorted(VARIABLES)) + "}"


def render_write_out(
    segments: tuple[Segment, ...], report: TransferReport, shown: Mapping[Destination, Shown] | None = None
) -> list[tuple[Destination, str]]:
    """The text to write, in order, each piece with where it goes.

    `shown` filters the values written to a destination (a terminal); the format's own text is kept.
    """
    destination: Destination = "stdout"
    pieces: list[tuple[Destination, str]] = []
    for segment in segments:
        if segment.kind == "switch":
            destination = "stderr" if segment.value == "stderr" else "stdout"
            continue
        guard = shown.get(destination) if shown else None
        if segment.kind == "text":
            text = segment.value
        elif segment.kind == "header":
            wanted = segment.value.strip().lower()
            # As curl does: the first of a repeated header's values.
            text = next((as_sent(value).strip() for name, value in report.headers if name.lower() == wanted), "")
            text = guard.text(text) if guard else text
        elif segment.value in ("json", "header_json"):
            text = report_json(report) if segment.value == "json" else header_json(report.headers)
            text = guard.json(text) if guard else text
        else:
            text = _text(segment.value, report.values[segment.value])
            text = guard.text(text) if guard else text
        if pieces and pieces[-1][0] == destination:
            pieces[-1] = (destination, pieces[-1][1] + text)
        else:
            pieces.append((destination, text))
    return pieces


def read_write_out(text: str, stdin: StdinReader) -> tuple[Segment, ...]:
    """-w's segments, its format read from @FILE or @- (stdin) as curl does, up to a small cap."""
    from ..limits import WRITE_OUT_FORMAT
    from .items import read_file_bytes

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
