"""The example API's general endpoints: users, echo, status codes, flaky, slow and streamed responses."""

from __future__ import annotations

import email.policy
import json
import time
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from typing import Any
from urllib.parse import parse_qs

from api_data import USERS
from api_http import ClientError, Request, Response, Router, error_response, is_number, json_response

router = Router()


@router.route("/users", "GET")
def list_users(request: Request) -> Response:
    return json_response(USERS)


@router.route("/users/(?P<user_id>[^/]+)", "GET")
def get_user(request: Request, user_id: str) -> Response:
    if is_number(user_id) and 1 <= int(user_id) <= len(USERS):
        return json_response(USERS[int(user_id) - 1])
    return error_response("not found", 404)


@router.route("/users", "POST")
def create_user(request: Request) -> Response:
    try:
        fields = json.loads(request.body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ClientError("expected a JSON object")
    user_id = request.server.allocate_user_id()
    return json_response({**fields, "id": user_id}, 201, {"Location": f"/users/{user_id}"})


@router.route("/echo")
def echo(request: Request) -> Response:
    content_type = request.headers.get("Content-Type", "")
    mime = content_type.split(";")[0].strip().lower()
    payload: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": _header_dict(request.headers),
        "json": None,
        "body": None,
        "form": {},
        "files": [],
    }
    if mime == "multipart/form-data":
        payload["form"], payload["files"] = parse_multipart(content_type, request.body)
    elif request.body:
        text = request.body.decode("utf-8", errors="replace")
        if mime == "application/x-www-form-urlencoded":
            payload["form"] = parse_qs(text, keep_blank_values=True)
        try:
            payload["json"] = json.loads(request.body)
        except ValueError:
            payload["body"] = text
    return json_response(payload)


def _header_dict(headers: Message) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers.items():
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """Form fields and uploaded-file summaries of a multipart/form-data body."""
    # The email parser understands MIME multipart once it is given the outer header.
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ClientError("malformed multipart body")
    form: dict[str, list[str]] = {}
    files: list[dict[str, Any]] = []
    for part in message.get_payload():
        assert isinstance(part, Message)
        raw_name = part.get_param("name", header="content-disposition")
        name = collapse_rfc2231_value(raw_name) if raw_name else ""
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form.setdefault(name, []).append(data.decode("utf-8", errors="replace"))
        else:
            summary = {"field": name, "filename": filename, "size": len(data)}
            files.append(summary | {"content_type": part.get_content_type()})
    return form, files


@router.route("/status/(?P<code>[^/]+)", "GET")
def status(request: Request, code: str) -> Response:
    if not is_number(code) or not 200 <= int(code) <= 599:
        raise ClientError("status code must be between 200 and 599")
    number = int(code)
    headers = {"Location": "/users"} if 300 <= number < 400 else {}
    if number in (204, 304):
        return Response(number, b"", headers)
    return json_response({"status": number}, number, headers)


@router.route("/flaky", "GET")
def flaky(request: Request) -> Response:
    failures = request.int_arg("fail", 1)
    attempt = request.server.count_attempt(request.arg("key", "default"))
    if attempt <= failures:
        return json_response({"error": "temporarily unavailable", "attempt": attempt}, 503, {"Retry-After": "1"})
    return json_response({"ok": True, "attempts": attempt})


@router.route("/slow", "GET")
def slow(request: Request) -> Response:
    seconds = request.float_arg("seconds", 1.0, maximum=10.0)
    time.sleep(seconds)
    return json_response({"slept": seconds})


@router.route("/stream", "GET")
def stream(request: Request) -> Response:
    count = request.int_arg("lines", 10, maximum=1000)
    interval = request.float_arg("interval", 0.1, maximum=5.0)

    def lines() -> Iterator[bytes]:
        for number in range(1, count + 1):
            if number > 1 and interval:
                time.sleep(interval)
            yield json.dumps({"line": number, "of": count}).encode() + b"\n"

    return Response(200, lines(), {"Content-Type": "application/x-ndjson"})
