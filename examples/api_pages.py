"""The example API's paginated listings, one endpoint per style under ``/paged/``.

Link headers, opaque cursors, next/previous URLs in the body, page numbers and
offsets, each over the users or the events (``?dataset=``).
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from api_data import EVENTS, USERS
from api_http import ClientError, Request, Response, Router, is_number, json_response

router = Router()


def _dataset(request: Request) -> list[dict[str, Any]]:
    name = request.arg("dataset", "users")
    if name == "users":
        return USERS
    if name == "events":
        return EVENTS
    raise ClientError("dataset must be 'users' or 'events'")


def _page_bounds(request: Request, total: int) -> tuple[int, int, int]:
    """(page, per_page, last_page) from ?page= and ?per_page=."""
    page = request.int_arg("page", 1, minimum=1)
    per_page = request.int_arg("per_page", 10, minimum=1, maximum=100)
    return page, per_page, max(1, math.ceil(total / per_page))


@router.route("/paged/link", "GET")
def paged_link(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, last = _page_bounds(request, len(items))
    relations = {"next": page + 1 if page < last else None, "prev": page - 1 if page > 1 else None}
    relations |= {"first": 1, "last": last}
    link = ", ".join(f'<{request.url_with(page=number)}>; rel="{rel}"' for rel, number in relations.items() if number)
    chunk = items[(page - 1) * per_page : page * per_page]
    return json_response(chunk, headers={"Link": link, "X-Total-Count": str(len(items))})


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, offset = text.partition(":")
        if prefix == "offset" and is_number(offset):
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ClientError("invalid cursor")


@router.route("/paged/cursor", "GET")
def paged_cursor(request: Request) -> Response:
    items = _dataset(request)
    cursor = request.arg("cursor", "")
    offset = _decode_cursor(cursor) if cursor else 0
    limit = request.int_arg("limit", 10, minimum=1, maximum=100)
    end = offset + limit
    next_cursor = _encode_cursor(end) if end < len(items) else None
    return json_response({"data": items[offset:end], "meta": {"next_cursor": next_cursor}})


@router.route("/paged/body", "GET")
def paged_body(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, last = _page_bounds(request, len(items))
    return json_response(
        {
            "count": len(items),
            "next": request.url_with(page=page + 1) if page < last else None,
            "previous": request.url_with(page=min(page, last + 1) - 1) if page > 1 else None,
            "results": items[(page - 1) * per_page : page * per_page],
        }
    )


@router.route("/paged/page", "GET")
def paged_page(request: Request) -> Response:
    items = _dataset(request)
    page, per_page, _ = _page_bounds(request, len(items))
    chunk = items[(page - 1) * per_page : page * per_page]
    return json_response({"items": chunk, "total": len(items), "page": page, "per_page": per_page})


@router.route("/paged/offset", "GET")
def paged_offset(request: Request) -> Response:
    items = _dataset(request)
    offset = request.int_arg("offset", 0)
    limit = request.int_arg("limit", 10, minimum=1, maximum=100)
    chunk = items[offset : offset + limit]
    return json_response({"records": chunk, "total": len(items), "offset": offset, "limit": limit})
