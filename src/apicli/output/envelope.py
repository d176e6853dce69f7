"""--envelope: the whole exchange as one JSON document, for a single jq pipeline.

    {"url", "method", "status", "reason", "http_version", "headers", "elapsed", "retries",
     "redirects", "body"}

The body is embedded as the JSON text the server sent when it is JSON (so numbers stay
exactly as written), as a string when it is text, and as {"base64": …} otherwise. JSON nested
deeper than 1024 levels (limits.JSON_DEPTH) is not parsed: it is embedded as text, like NaN.
A header that repeats keeps every value, as an array.

The envelope is data, like the body it carries: the status, headers (Set-Cookie included) and
body are exactly what the server sent, never redacted, even where they echo this run's secrets.
Only the URLs, which apicli writes, have a URL password and secret query values hidden, as in -v.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import requests

from ..formats.urls import redact_url
from .facts import response_facts
from .format import http_version_text, is_json_type, looks_binary


def _valid_json(body: bytes) -> bool:
    """Whether `body` is strict JSON that may be embedded as it is.

    orjson parses without recursion and refuses what a consumer of the envelope could not rely
    on: nesting past JSON_DEPTH (jsontext's limit, which is orjson's), NaN, lone surrogate escapes.
    Such a body is embedded as text instead.
    """
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def body_json(body: bytes, content_type: str | None) -> str:
    """The body as a JSON value's text: itself when it is JSON, else a string or {"base64": …}."""
    stripped = body.strip()
    if stripped and (is_json_type(content_type) or stripped[:1] in (b"{", b"[")) and _valid_json(stripped):
        try:
            return stripped.decode("utf-8")
        except UnicodeDecodeError:  # JSON in UTF-16 or UTF-32: embedded as a string instead
            pass
    if not looks_binary(content_type, body[:1024]):
        try:
            return json.dumps(body.decode("utf-8"), ensure_ascii=False)
        except UnicodeDecodeError:
            pass
    return json.dumps({"base64": base64.b64encode(body).decode("ascii")})


def build_envelope(
    response: requests.Response,
    body: bytes,
    *,
    elapsed: float,
) -> bytes:
    """The envelope's JSON text (compact, one line), ending in a newline."""
    facts = response_facts(response, elapsed=elapsed)
    fields: dict[str, Any] = {
        "url": facts["url"],
        "method": facts["method"],
        "status": facts["status"],
        "reason": response.reason or "",
        "http_version": http_version_text(getattr(response.raw, "version", 11)),
        "headers": facts["headers"],
        "elapsed": facts["elapsed"],
        "retries": facts["retries"],
        "redirects": [
            {
                "url": redact_url(hop.url),
                "status": hop.status_code,
                "location": redact_url(hop.headers.get("Location", "")),
            }
            for hop in response.history
        ],
    }
    head = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return f'{head[:-1]},"body":{body_json(body, response.headers.get("Content-Type"))}}}\n'.encode()
