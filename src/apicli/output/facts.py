"""The response's facts, as --envelope names and shapes them and jq programs see them as $status & co.

Kept apart from envelope.py, which needs orjson for the body: a run with --assert or a jq program
naming $status needs only these.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from ..formats.urls import redact_url


def _headers(response: requests.Response) -> dict[str, Any]:
    """The response headers as sent, by lower-case name; a repeated one as an array of its values."""
    grouped: dict[str, Any] = {}
    raw = getattr(response.raw, "headers", None)
    for name, value in raw.items() if raw is not None else response.headers.items():
        key = name.lower()
        if key not in grouped:
            grouped[key] = value
        elif isinstance(grouped[key], list):
            grouped[key].append(value)
        else:
            grouped[key] = [grouped[key], value]
    return grouped


def response_facts(response: requests.Response, *, elapsed: float) -> dict[str, Any]:
    """The facts jq programs see as $status, $headers, $elapsed, $url, $method, $retries (filters/jqvars.py),
    named and shaped as in the envelope."""
    retry = getattr(response.raw, "retries", None)
    return {
        "status": response.status_code,
        "headers": _headers(response),
        "elapsed": round(elapsed, 6),
        "url": redact_url(response.url),
        "method": response.request.method,
        "retries": len(getattr(retry, "history", ()) or ()),
    }


def facts_text(facts: dict[str, Any]) -> bytes:
    """The facts as one compact JSON object, the form jq programs are handed them in."""
    return json.dumps(facts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape")
