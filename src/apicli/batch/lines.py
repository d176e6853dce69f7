"""The input of `apicli batch`: one request a line, read lazily, each line within its limit.

A line is a JSON request object:

    {"url": "/users/1"}
    {"method": "POST", "url": "/users", "json": {"name": "ann"}, "headers": {"X-Trace": "t1"},
     "query": {"v": "2"}, "id": "row-17"}

or a bare URL, which is a GET of it (as `download --input-file` reads URLs). `data` is a raw body,
as text or as {"base64": …}; a header whose value is an array is sent once per value. Numbers are
kept as the line wrote them (pagination/exact): a `json` body is sent with 1.10 as 1.10 and a
100-digit integer whole, as are numbers in headers, query values and the id. Blank lines
and `#` comments are skipped. A line that is not a valid request becomes a `LineError` naming its
line number, so one bad line fails that line, never the run; a line past the limit is skipped to
its end without being held.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Iterable, Iterator
from json import JSONDecodeError
from typing import Any, NamedTuple

from ..formats.headertext import has_controls
from ..formats.httpsyntax import is_header_name
from ..formats.jsontext import nesting_depth
from ..limits import BATCH_LINE, JSON_DEPTH, Limit, size_text
from ..pagination.exact import exact_decoder, exact_text
from ..spec import Body

FIELDS = frozenset({"url", "method", "headers", "query", "json", "data", "id"})
_METHOD = re.compile(r"^[A-Za-z]{1,32}$")
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
# Below this many brackets a line cannot nest past JSON_DEPTH, nor reach the interpreter's recursion limit.
_FEW_BRACKETS = 256
JSON_TYPE = "application/json"


class LineRequest(NamedTuple):
    """One request of the input: where it came from, and what the line itself asks for."""

    line: int  # 1-based line number in the input
    position: int  # 0-based among the input's requests (bad lines count too): the result's index
    id: str | None  # the line's "id" as JSON text, exactly as written back in its result
    url: str
    method: str | None = None  # None: GET, or the body's method
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: Body | None = None
    end: int = 0  # the input's byte offset just past this line: how far the input has been read


class LineError(NamedTuple):
    """A line that is not a request: its result is this error, and the run goes on."""

    line: int
    position: int
    id: str | None
    message: str
    end: int = 0


class BadLine(ValueError):
    """Why a line is not a request object (the message of its LineError)."""


def raw_lines(chunks: Iterable[bytes], limit: Limit = BATCH_LINE) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number from 1, the line without its end, the byte offset past it) as the chunks arrive; the
    line is None when it is past `limit`.

    A line past the limit is dropped as it streams in, so an input without line ends costs at most
    `limit`, and the next line is read as usual.
    """
    number = 1
    pending = bytearray()
    skipping = False
    before = 0  # the bytes of the chunks before this one
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if skipping:
                yield number, None, before + end + 1
                skipping = False
            elif len(pending) + end - start > limit.bytes:
                yield number, None, before + end + 1
            else:
                pending += chunk[start:end]
                yield number, bytes(pending), before + end + 1
            pending.clear()
            number += 1
            start = end + 1
        before += len(chunk)
        if skipping:
            continue
        pending += chunk[start:]
        if len(pending) > limit.bytes:
            pending.clear()
            skipping = True
    if skipping:
        yield number, None, before
    elif pending:
        yield number, bytes(pending), before


def read_requests(chunks: Iterable[bytes], limit: Limit = BATCH_LINE) -> Iterator[LineRequest | LineError]:
    """Each request line of the input, parsed, in order; blank lines and # comments are skipped."""
    index = 0
    for number, raw, end in raw_lines(chunks, limit):
        if raw is None:
            yield LineError(number, index, None, f"line {number} is larger than {size_text(limit.bytes)}", end)
            index += 1
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        yield parse_line(stripped, number, index)._replace(end=end)
        index += 1


def parse_line(raw: bytes, number: int, index: int) -> LineRequest | LineError:
    """One non-blank line as a request, or the error that says why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return LineError(number, index, None, f"line {number} is not UTF-8 text")
    if not text.startswith(("{", "[", '"')):  # JSON that is not an object is refused below, not taken for a URL
        if _NOT_IN_URL.search(text):
            return LineError(number, index, None, f"line {number} is neither a JSON object nor a URL")
        return LineRequest(number, index, None, text)
    try:
        document = _load(raw, text)
    except BadLine as exc:
        return LineError(number, index, None, f"line {number}: {exc}")
    if not isinstance(document, dict):
        return LineError(number, index, None, f"line {number} is not a JSON object")
    given_id = exact_text(document["id"]) if "id" in document else None
    try:
        return _request(document, number, index, given_id)
    except BadLine as exc:
        return LineError(number, index, given_id, f"line {number}: {exc}")


def _refuse(constant: str) -> Any:
    raise BadLine(f"{constant} is not JSON")


_DECODER = exact_decoder(parse_constant=_refuse)


def _load(raw: bytes, text: str) -> Any:
    """The line's JSON, every number kept as written, never deeper than JSON_DEPTH, no NaN."""
    if raw.count(b"[") + raw.count(b"{") < _FEW_BRACKETS:
        return _decode(text)
    if nesting_depth(raw) > JSON_DEPTH:
        raise BadLine(f"the JSON nests deeper than {JSON_DEPTH} levels")
    previous = sys.getrecursionlimit()
    # The C parser counts each level against the recursion limit: room for JSON_DEPTH of them.
    sys.setrecursionlimit(max(previous, JSON_DEPTH + 256))
    try:
        return _decode(text)
    finally:
        sys.setrecursionlimit(previous)


def _decode(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None


def _request(document: dict[str, Any], number: int, index: int, given_id: str | None) -> LineRequest:
    unknown = sorted(set(document) - FIELDS)
    if unknown:
        raise BadLine(f"unknown field {unknown[0]!r} (a request has {', '.join(sorted(FIELDS))})")
    url = document.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadLine('"url" must be a non-empty string')
    if _NOT_IN_URL.search(url.strip()):
        raise BadLine('"url" holds whitespace or a control character')
    method = document.get("method")
    if method is not None and (not isinstance(method, str) or not _METHOD.match(method)):
        raise BadLine('"method" must be an HTTP method such as "POST"')
    if "json" in document and "data" in document:
        raise BadLine('"json" and "data" cannot be combined')
    body = None
    if "json" in document:
        # Sent as the compact text of the value with its numbers as written, never re-read as floats.
        body = Body(kind="raw", raw=exact_text(document["json"]).encode("utf-8"), content_type=JSON_TYPE)
    elif "data" in document:
        body = Body(kind="raw", raw=_data(document["data"]))
    return LineRequest(
        line=number,
        position=index,
        id=given_id,
        url=url.strip(),
        method=method.upper() if method is not None else None,
        headers=_headers(document.get("headers")),
        query=_query(document.get("query")),
        body=body,
    )


def _data(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise BadLine('"data": {"base64": …} is not valid base64') from None
    raise BadLine('"data" must be a string or {"base64": "…"}')


def _values(name: str, value: Any, what: str) -> list[str]:
    """A member's value(s) as text: a string, number or boolean, or an array of them."""
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, int | float | str):
            texts.append(item if isinstance(item, str) else exact_text(item))
        else:
            raise BadLine(f"{what} {name!r} must be a string, a number or an array of them")
    return texts


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise BadLine('"headers" must be an object of names and values')
    headers = []
    for name, given in value.items():
        if not is_header_name(name):
            raise BadLine(f"invalid header name {name!r}")
        for text in _values(name, given, "header"):
            if has_controls(text):
                raise BadLine(f"the {name} header holds a control character")
            headers.append((name, text))
    return tuple(headers)


def _query(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise BadLine('"query" must be an object of names and values')
    return tuple((name, text) for name, given in value.items() for text in _values(name, given, "query parameter"))
