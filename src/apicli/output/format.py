"""Pure formatters: response heads, error lines and bodies, pretty bodies. They return text and write nothing.

Everything a server controls passes through `visible` here before it is shown, and
apicli's own colours are added after, so they are the only escape sequences on screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from .terminal import visible

ERROR_BODY_LIMIT = 4096
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "yaml", "csv", "x-www-form-urlencoded", "ndjson")

# Heads use the palette of the JSON colouriser: names like keys, the status by its class.
_NAME_COLOR = "\x1b[1;34m"
_VERSION_COLOR = "\x1b[90m"
_STATUS_COLORS = {2: "\x1b[1;32m", 3: "\x1b[1;33m", 4: "\x1b[1;31m", 5: "\x1b[1;31m"}
_RESET = "\x1b[0m"
_HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}


def http_version_text(version: int | None) -> str:
    """urllib3's numeric version (11) as it is written on the wire (HTTP/1.1)."""
    return _HTTP_VERSIONS.get(version or 11, "HTTP/1.1")


def format_status_line(version: str, status: int, reason: str, *, color: bool = False) -> str:
    reason = visible(reason)
    if not color:
        return f"{version} {status} {reason}".rstrip()
    paint = _STATUS_COLORS.get(status // 100, "")
    return f"{_VERSION_COLOR}{version}{_RESET} {paint}{status} {reason}".rstrip() + _RESET


def format_header_line(name: str, value: str, *, color: bool = False) -> str:
    name, value = visible(name), visible(value)
    return f"{_NAME_COLOR}{name}{_RESET}: {value}" if color else f"{name}: {value}"


def format_head(
    version: str, status: int, reason: str, headers: Iterable[tuple[str, str]], *, color: bool = False
) -> list[str]:
    """The status line and one line per header (already redacted as the caller wants)."""
    lines = [format_status_line(version, status, reason, color=color)]
    lines.extend(format_header_line(name, value, color=color) for name, value in headers)
    return lines


def format_error(message: str, *, detail: str | None = None, hint: str | None = None) -> list[str]:
    """The lines of an error report: `apicli: message`, then the detail (an error body), then the hint."""
    lines = [f"apicli: {visible(message)}"]
    if detail:
        lines.append(visible(detail))
    if hint:
        lines.append(f"hint: {visible(hint)}")
    return lines


def is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media.endswith("/json")


# Bodies that are streams of records, handled one record at a time (see apicli.streams).
RECORD_STREAM_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
        "application/json-seq",
    }
)


def media_type(content_type: str | None) -> str:
    return content_type.split(";", 1)[0].strip().lower() if content_type else ""


def is_event_stream(content_type: str | None) -> bool:
    return media_type(content_type) == "text/event-stream"


def is_record_stream(content_type: str | None) -> bool:
    return media_type(content_type) in RECORD_STREAM_TYPES


def is_text_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return any(marker in media for marker in _TEXT_TYPES)


def looks_binary(content_type: str | None, head: bytes) -> bool:
    """Binary unless the type says text, or the first bytes are text without NULs."""
    if is_text_type(content_type):
        return False
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start < len(head) - 3
    return content_type is not None and not content_type.startswith("text/")


def format_error_body(body: bytes, content_type: str | None, limit: int = ERROR_BODY_LIMIT) -> str:
    """An error response body as readable text, pretty if JSON, cut to `limit` characters."""
    if not body.strip():
        return ""
    from .prettystream import pretty_json

    try:
        text = pretty_json(body, color=False).decode("utf-8").rstrip("\n")  # the body as it is, when not JSON
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="surrogateescape").rstrip("\n")
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(body)} bytes in all; see it whole with --ignore-status)"
    return visible(text)
