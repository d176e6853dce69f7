"""Request items (HTTPie's grammar) and body flags, parsed into request parts.

    Name:Value     header            name==value    query parameter
    field=value    JSON string       field:=json    raw JSON value
    field=@file    string from file  field:=@file   JSON from file
    field@file     multipart upload  (optionally field@file;type=mime)

A backslash escapes a separator in the key (`a\\=b=c`). Nested keys such as
`user[name]=ann` and `tags[]=a` build nested objects and arrays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ItemError, UsageError
from .httpsyntax import is_header_name
from .local_input import BODY_LIMIT, NotReadable, check_readable, open_local, read_capped, size_text
from .spec import Body, FilePart

# Longest first, so that at one position `:=@` wins over `:=` and `:`.
SEPARATORS = (":=@", "=@", "==", ":=", "=", ":", "@")
_KEY_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class ParsedItems:
    """What the request items asked for, filled in item by item."""

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.removed_headers: list[str] = []
        self.query: list[tuple[str, str]] = []
        self.data: dict[str, Any] | None = None
        self.raw_json_fields = False
        self.files: list[FilePart] = []


# Reads standard input once; the argument caps what is kept (None: no cap).
StdinReader = Callable[[int | None], bytes]
_EMPTY_NAME_HINTS = {
    "==": "a query item is name==value",
    "@": "an upload item is field@path/to/file",
}


def split_item(item: str) -> tuple[str, str, str]:
    """Split an item into (unescaped key, separator, value) at the earliest separator."""
    key_chars: list[str] = []
    i = 0
    while i < len(item):
        ch = item[i]
        if ch == "\\" and i + 1 < len(item):
            key_chars.append(item[i + 1])
            i += 2
            continue
        for sep in SEPARATORS:
            if item.startswith(sep, i):
                return "".join(key_chars), sep, item[i + len(sep) :]
        key_chars.append(ch)
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


def read_file_bytes(path_text: str, item: str, *, hint: str) -> bytes:
    """The file's bytes, read in chunks and refused past BODY_LIMIT (`hint` says what to do instead)."""
    if not path_text:
        raise ItemError(f"{item!r} names no file", hint="write @path/to/file, or @- for standard input")
    try:
        with open_local(expand_user(path_text)).stream as stream:
            data = read_capped(stream, BODY_LIMIT)
    except NotReadable as exc:
        raise ItemError(f"cannot read {path_text!r} for {item!r}: {exc.reason}") from None
    except OSError as exc:
        raise ItemError(f"cannot read {path_text!r} for {item!r}: {exc.strerror or exc}") from None
    if len(data) > BODY_LIMIT:
        raise ItemError(f"{path_text!r} for {item!r} is larger than {size_text(BODY_LIMIT)}", hint=hint)
    return data


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


def parse_key_path(key: str, item: str) -> list[str | int | None]:
    """`user[name]` -> ['user', 'name']; `tags[]` -> ['tags', None] (None appends)."""
    bracket = key.find("[")
    if bracket <= 0 or not key.endswith("]"):
        return [key]
    segments: list[str | int | None] = [key[:bracket]]
    rest = key[bracket:]
    pos = 0
    for match in _KEY_SEGMENT.finditer(rest):
        if match.start() != pos:
            return [key]
        inner = match.group(1)
        segments.append(None if inner == "" else int(inner) if inner.isdigit() else inner)
        pos = match.end()
    return segments if pos == len(rest) else [key]


def set_nested(target: dict[str, Any], path: list[str | int | None], value: Any, item: str) -> None:
    container: Any = target
    for index, segment in enumerate(path):
        last = index == len(path) - 1
        following = None if last else path[index + 1]
        fresh: Any = [] if isinstance(following, int) or (following is None and not last) else {}
        if isinstance(container, dict):
            if not isinstance(segment, str):
                raise ItemError(
                    f"item {item!r}: cannot index an object with [{segment if segment is not None else ''}]"
                )
            if last:
                container[segment] = value
                return
            container = container.setdefault(segment, fresh)
        elif isinstance(container, list):
            if isinstance(segment, str):
                raise ItemError(f"item {item!r}: cannot use key {segment!r} on an array")
            if segment is None or segment == len(container):
                container.append(value if last else fresh)
                container = container[-1]
            elif segment < len(container):
                if last:
                    container[segment] = value
                    return
                container = container[segment]
            else:
                raise ItemError(f"item {item!r}: array index {segment} leaves a gap (length {len(container)})")
            if last:
                return
        else:
            raise ItemError(f"item {item!r}: conflicts with an earlier value at {segment!r}")


def parse_items(items: list[str], stdin: StdinReader | None = None) -> ParsedItems:
    parsed = ParsedItems()
    for item in items:
        key, sep, value = split_item(item)
        if sep == ":":
            name = key.strip()
            if not is_header_name(name):
                raise ItemError(f"invalid header name in {item!r}", hint="header items look like Name:Value")
            if value == "":
                parsed.removed_headers.append(name)
            else:
                parsed.headers.append((name, value.strip()))
            continue
        if not key:
            raise ItemError(
                f"request item {item!r} has an empty name",
                hint=_EMPTY_NAME_HINTS.get(sep, "a body item is field=value or field:=json"),
            )
        if sep == "==":
            parsed.query.append((key, value))
        elif sep == "@":
            path_text, _, content_type = value.partition(";type=")
            path = expand_user(path_text)
            if not path.is_file():
                raise ItemError(f"cannot upload {path_text!r} for {item!r}: not a readable file")
            parsed.files.append(FilePart(key, path, content_type or None))
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
            if parsed.data is None:
                parsed.data = {}
            set_nested(parsed.data, parse_key_path(key, item), field_value, item)
    return parsed


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
