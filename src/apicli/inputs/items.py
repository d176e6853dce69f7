"""Request items (HTTPie's grammar) and body flags, parsed into request parts.

    Name:Value     header            Name;          header with an empty value
    Name:@file     header from file  Name:          no such header (removes a default)
    name==value    query parameter   name==@file    query value from a file
    field=value    JSON string       field:=json    raw JSON value
    field=@file    string from file  field:=@file   JSON from file
    field@file     multipart upload  (optionally field@file;type=mime)

A backslash before one of `:;=@` makes it literal, in the name and the value (`a\\=b=c`);
before any other character it stays. Nested keys (`user[name]=ann`, `tags[]=a`, `[]:=1`) are
apicli.formats.nested_keys.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .. import limits
from ..errors import ItemError, UsageError
from ..formats.httpsyntax import is_header_name
from ..formats.nested_keys import parse_key_path, set_nested
from ..limits import Limit, read_bounded
from ..spec import Body, FilePart
from .local_input import BODY_LIMIT, NotReadable, check_readable, iter_chunks, open_local, read_capped, size_text

# Longest first, so that at one position `:=@` wins over `:=` and `:`.
SEPARATORS = (":=@", "==@", "=@", "==", ":=", ":@", "=", ":", "@", ";")
# A backslash makes these literal; before any other character it is kept (HTTPie's rule).
_ESCAPABLE = frozenset(":;=@")


class ParsedItems:
    """What the request items asked for, filled in item by item."""

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.removed_headers: list[str] = []
        self.query: list[tuple[str, str]] = []
        self.data: dict[str, Any] | list[Any] | None = None
        self.raw_json_fields = False
        self.files: list[FilePart] = []


# Reads standard input once; the argument caps what is kept (None: no cap).
StdinReader = Callable[[int | None], bytes]
_EMPTY_NAME_HINTS = {
    "==": "a query item is name==value",
    "==@": "a query item is name==@path/to/file",
    "@": "an upload item is field@path/to/file",
    ":@": "a header item is Name:@path/to/file",
    ";": "an empty header is Name;",
}


def _unescape(text: str) -> str:
    """`\\=` -> `=` for the separator characters; any other backslash pair (`\\\\`, `\\[`) stays whole."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            following = text[i + 1 : i + 2]
            out.append(following if following and following in _ESCAPABLE else "\\" + following)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def split_item(item: str) -> tuple[str, str, str]:
    """Split an item into (key, separator, value) at the earliest unescaped separator (longest there).

    Escaped separator characters come back literal in both halves; other backslashes are kept,
    for the nested-key grammar (`a\\[b\\]`) to read.
    """
    i = 0
    while i < len(item):
        if item[i] == "\\":
            i += 2
            continue
        for sep in SEPARATORS:
            if item.startswith(sep, i):
                return _unescape(item[:i]), sep, _unescape(item[i + len(sep) :])
        i += 1
    raise ItemError(
        f"invalid request item {item!r}",
        hint="use Name:Value (header), name==value (query), field=value or field:=json (body)",
    )


def expand_user(path: str | Path) -> Path:
    """`~/x` and `~ann/x` expanded; like a shell, `~nobody/x` for an unknown user stays as written."""
    try:
        return Path(path).expanduser()
    except RuntimeError:  # no home directory for that user
        return Path(path)


def read_file_bytes(path_text: str, item: str, *, hint: str, limit: Limit = limits.BODY_FILE) -> bytes:
    """The file's bytes, read in chunks and refused as soon as they pass `limit` (`hint` says what to do instead).

    A regular file is refused by its size, unread; anything else (/dev/zero, a FIFO) costs at most `limit`.
    """
    if not path_text:
        raise ItemError(f"{item!r} names no file", hint="write @path/to/file, or @- for standard input")
    too_large = f"{path_text!r} for {item!r} is larger than {size_text(limit.bytes)}"
    try:
        opened = open_local(expand_user(path_text))
        with opened.stream as stream:
            if opened.size is not None and opened.size > limit.bytes:
                raise ItemError(too_large, hint=hint)
            return read_bounded(
                iter_chunks(stream), limit, error=ItemError, what=f"{path_text!r} for {item!r}", hint=hint
            )
    except NotReadable as exc:
        raise ItemError(f"cannot read {path_text!r} for {item!r}: {exc.reason}") from None
    except OSError as exc:
        raise ItemError(f"cannot read {path_text!r} for {item!r}: {exc.strerror or exc}") from None


def parse_json_text(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise ItemError(f"invalid JSON in {what}: {detail}", hint="check quoting: the shell eats quotes") from None


def _decode_text(raw: bytes, path_text: str, item: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ItemError(
            f"{path_text!r} for {item!r} is not UTF-8 text", hint=f"upload it as a file: {item.replace('=@', '@')}"
        ) from None


def parse_items(items: list[str], stdin: StdinReader | None = None) -> ParsedItems:
    parsed = ParsedItems()
    for item in items:
        key, sep, value = split_item(item)
        if not key and sep != ":":
            raise ItemError(
                f"request item {item!r} has an empty name",
                hint=_EMPTY_NAME_HINTS.get(sep, "a body item is field=value or field:=json"),
            )
        if sep in (":", ":@", ";"):
            _header_item(parsed, key, sep, value, item, stdin)
            continue
        if sep == "==":
            parsed.query.append((key, value))
        elif sep == "==@":
            raw = _read_source_bytes(value, item, stdin, hint="send a large value in the body instead")
            # A file's final newline is not part of the value (HTTPie drops it too).
            parsed.query.append((key, _decode_text(raw, value, item).removesuffix("\n")))
        elif sep == "@":
            path_text, _, content_type = value.partition(";type=")
            path = expand_user(path_text)
            if not path.is_file():
                raise ItemError(f"cannot upload {path_text!r} for {item!r}: not a readable file")
            # No ;type=: guessed from the name, as HTTPie and curl do (a server may check it).
            guessed = mimetypes.guess_type(path.name, strict=False)[0]
            parsed.files.append(FilePart(key, path, content_type or guessed))
        else:
            field_value: Any
            if sep == "=":
                field_value = value
            elif sep == "=@":
                raw = _read_source_bytes(value, item, stdin, hint=f"upload it as a file instead: {key}@{value}")
                field_value = _decode_text(raw, value, item)
            elif sep == ":=":
                field_value = parse_json_text(value, f"item {item!r}")
                parsed.raw_json_fields = True
            else:  # ":=@"
                raw = _read_source_bytes(value, item, stdin, hint="send a large document with --data @FILE")
                field_value = parse_json_text(raw, f"{value!r} for {item!r}")
                parsed.raw_json_fields = True
            has_name, segments = parse_key_path(key, item)
            parsed.data = set_nested(parsed.data, has_name, segments, field_value, item)
    return parsed


def _header_item(parsed: ParsedItems, key: str, sep: str, value: str, item: str, stdin: StdinReader | None) -> None:
    """`Name:Value`, `Name:` (no such header), `Name;` (an empty value) and `Name:@file`."""
    name = key.strip()
    if not is_header_name(name):
        raise ItemError(f"invalid header name in {item!r}", hint="header items look like Name:Value")
    if sep == ";":
        if value:
            raise ItemError(f"invalid item {item!r}: nothing may follow the ';'", hint="an empty header is Name;")
        parsed.headers.append((name, ""))
    elif sep == ":@":
        raw = _read_source_bytes(value, item, stdin, hint="a header value is one line of text")
        parsed.headers.append((name, _decode_text(raw, value, item).strip()))
    elif value == "":
        parsed.removed_headers.append(name)
    else:
        parsed.headers.append((name, value.strip()))


def _read_source_bytes(source: str, what: str, stdin: StdinReader | None, *, hint: str) -> bytes:
    if source == "-":
        if stdin is None:
            raise UsageError(f"{what!r}: standard input is already used")
        data = stdin(BODY_LIMIT)
        if len(data) > BODY_LIMIT:
            raise ItemError(f"standard input for {what!r} is larger than {size_text(BODY_LIMIT)}", hint=hint)
        return data
    return read_file_bytes(source, what, hint=hint)


def read_argument(value: str, flag: str, stdin: StdinReader | None, *, hint: str) -> bytes:
    """`TEXT`, `@file` or `@-` (standard input, read only when asked)."""
    if value.startswith("@"):
        return _read_source_bytes(value[1:], f"{flag} {value}", stdin, hint=hint)
    return value.encode("utf-8")


def _data_body(value: str, stdin: StdinReader | None) -> Body:
    """--data: TEXT and @- as bytes; @FILE is streamed from the file when the request is sent."""
    if not value.startswith("@") or value == "@-":
        if value == "@-" and stdin is not None:
            return Body(kind="raw", raw=stdin(None))
        return Body(kind="raw", raw=read_argument(value, "--data", stdin, hint=""))
    path_text = value[1:]
    what = f"--data {value}"
    if not path_text:
        raise ItemError(f"{what!r} names no file", hint="write @path/to/file, or @- for standard input")
    path = expand_user(path_text)
    try:
        size = check_readable(path)
    except NotReadable as exc:
        raise ItemError(f"cannot read {path_text!r} for {what!r}: {exc.reason}") from None
    return Body(kind="file", path=path, size=size)


def build_body(
    parsed: ParsedItems,
    *,
    json_arg: str | None,
    data_arg: str | None,
    form: bool,
    stdin: StdinReader | None,
) -> Body | None:
    """Choose the one body the flags and items describe, rejecting contradictions."""
    if json_arg is not None and data_arg is not None:
        raise UsageError("--json and --data cannot be combined", hint="pick one body source")
    explicit = json_arg if json_arg is not None else data_arg
    if explicit is not None and (parsed.data is not None or parsed.files):
        flag = "--json" if json_arg is not None else "--data"
        raise UsageError(f"{flag} cannot be combined with body items (field=value, field:=json, field@file)")
    if json_arg is not None:
        if form:
            raise UsageError("--json and --form cannot be combined")
        raw = read_argument(json_arg, "--json", stdin, hint="send a large document with --data @FILE, which streams it")
        return Body(kind="json", json=parse_json_text(raw, "--json"))
    if data_arg is not None:
        return _data_body(data_arg, stdin)
    if form or parsed.files:
        if parsed.raw_json_fields:
            raise UsageError("raw JSON fields (:=) cannot be sent as a form", hint="drop --form or use field=value")
        if isinstance(parsed.data, list):
            raise UsageError("a top-level array ([]) cannot be sent as a form", hint="drop --form to send JSON")
        fields = tuple((k, _form_value(v)) for k, v in (parsed.data or {}).items())
        if parsed.files:
            return Body(kind="multipart", form=fields, files=tuple(parsed.files))
        return Body(kind="form", form=fields)
    if parsed.data is not None:
        return Body(kind="json", json=parsed.data)
    return None


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise UsageError("nested fields cannot be sent as a form", hint="drop --form to send JSON")


def stdin_reader(stream: BinaryIO) -> StdinReader:
    """A reader that allows standard input to be consumed once.

    It reads in chunks, so that Ctrl-C lands between them, and with a limit it stops one
    byte past it: the caller refuses the input then, without having read it all.
    """
    used = False

    def read(limit: int | None) -> bytes:
        nonlocal used
        if used:
            raise UsageError("standard input (@-) can be used only once")
        used = True
        try:
            return read_capped(stream, limit)
        except OSError as exc:
            # Started with stdin closed (<&-), or a descriptor that cannot be read.
            raise UsageError(
                f"cannot read standard input (@-): {exc.strerror or exc}", hint="give the data as TEXT or @FILE"
            ) from None

    return read
