"""--schema: check response bodies against a JSON Schema (with the `jsonschema` package).

The schema file is read and checked before anything is sent, so a broken
schema is a usage error (exit 2). A body that does not match is reported as one
`schema: $.path: message` line per error and exits 9; the CLI writes the body
to stdout first. `jsonschema` is optional (`pip install 'apicli[schema]'`) and
imported only when --schema is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SchemaValidationError, UsageError
from ..formats import jsontext
from ..inputs.items import expand_user
from ..inputs.local_input import NotReadable, iter_chunks, open_local
from ..limits import SCHEMA_FILE, read_bounded, size_text

INSTALL_HINT = "install it with: pip install 'apicli[schema]'"
MAX_REPORTED = 20  # errors listed before "... and N more"
_MESSAGE_LIMIT = 300
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SchemaValidator:
    """A checked schema, ready to validate parsed JSON values."""

    path: Path
    validator: Any

    def errors(self, value: Any, *, root: str = "$") -> list[str]:
        """One `PATH: message` line per way `value` breaks the schema; paths start at `root`."""
        try:
            found = sorted(self.validator.iter_errors(value), key=lambda error: _sort_key(error.absolute_path))
        except RecursionError:
            raise UsageError(f"--schema {self.path}: the schema and the value nest too deeply to validate") from None
        except Exception as exc:  # an unresolvable $ref surfaces only while validating
            raise UsageError(f"--schema {self.path}: cannot use the schema: {_first_line(exc)}") from None
        return [f"{json_path(error.absolute_path, root)}: {_shorten(error.message)}" for error in found]

    def body_errors(self, body: bytes) -> list[str]:
        """Errors for a response body; a body that is not JSON is itself an error."""
        if not body.strip():
            return ["$: the response body is empty, not JSON"]
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as exc:
            reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else _first_line(exc)
            return [f"$: the response body is not JSON ({reason})"]
        return self.errors(value)


def load_schema(path: Path) -> SchemaValidator:
    """Read and check a schema file; any problem is a usage error, raised before sending."""
    try:
        import jsonschema
        from jsonschema.validators import validator_for
    except ImportError:
        raise UsageError("--schema needs the jsonschema package, which is not installed", hint=INSTALL_HINT) from None
    schema = _read_schema_file(path)
    if not isinstance(schema, dict | bool):
        raise UsageError(f"--schema: {str(path)!r} is not a JSON Schema (expected an object)")
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except RecursionError:  # jsonschema walks a schema recursively: a deep one is refused, not a crash
        raise UsageError(f"--schema: {str(path)!r} nests its subschemas too deeply to check") from None
    except jsonschema.SchemaError as exc:
        where = json_path(exc.absolute_path)
        raise UsageError(
            f"--schema: {str(path)!r} is not a valid JSON Schema: {where}: {_shorten(exc.message)}"
        ) from None
    return SchemaValidator(path, cls(schema, format_checker=cls.FORMAT_CHECKER))


def _read_schema_file(path: Path) -> Any:
    """The schema file's JSON value: read within SCHEMA_FILE, parsed without recursion on its depth."""
    where = repr(str(path))
    try:
        opened = open_local(expand_user(path))
        with opened.stream as stream:
            if opened.size is not None and opened.size > SCHEMA_FILE.bytes:
                raise UsageError(f"{SCHEMA_FILE.what} {where} is larger than {size_text(SCHEMA_FILE.bytes)}")
            text = read_bounded(iter_chunks(stream), SCHEMA_FILE, error=UsageError, what=f"{SCHEMA_FILE.what} {where}")
    except NotReadable as exc:
        raise UsageError(f"--schema: cannot read {where}: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"--schema: cannot read {where}: {exc.strerror or exc}") from None
    try:
        return jsontext.loads(text)
    except ValueError as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else _first_line(exc)
        raise UsageError(f"--schema: {where} is not valid JSON: {reason}") from None


def validate_item(validator: SchemaValidator, item: Any, *, root: str = "$") -> list[str]:
    """Errors for one item (a parsed value, or JSON text as str/bytes), with paths under `root`.

    For pagination: `validate_item(v, item, root=f"$[{index}]")` per item, then
    `raise schema_failure(all_errors)` after the output is written.
    """
    if isinstance(item, bytes | str):
        try:
            item = json.loads(item)
        except (ValueError, RecursionError) as exc:
            return [f"{root}: not JSON ({_first_line(exc)})"]
    return validator.errors(item, root=root)


def schema_failure(errors: list[str], limit: int = MAX_REPORTED, *, total: int | None = None) -> SchemaValidationError:
    """The exit-9 error listing `errors`, one `apicli: schema: ...` line each.

    `total` counts all the errors when `errors` holds only the first ones (a stream keeps memory bounded).
    """
    shown = [f"schema: {error}" for error in errors[:limit]]
    hidden = (len(errors) if total is None else max(total, len(errors))) - len(shown)
    if hidden > 0:
        shown.append(f"schema: ... and {hidden} more errors")
    detail = "\n".join(f"apicli: {line}" for line in shown[1:]) or None
    return SchemaValidationError(shown[0] if shown else "schema: validation failed", detail=detail)


def json_path(path: Iterable[Any], root: str = "$") -> str:
    """`$.items[2].id` for the path ('items', 2, 'id')."""
    parts = [root]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.match(str(step)):
            parts.append(f".{step}")
        else:
            parts.append(f"[{json.dumps(str(step), ensure_ascii=False)}]")
    return "".join(parts)


def _sort_key(path: Iterable[Any]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, step, "") if isinstance(step, int) else (1, 0, str(step)) for step in path)


def _shorten(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 1] + "…"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
