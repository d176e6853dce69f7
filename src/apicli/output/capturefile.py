"""--capture-file: where captured values go, and in which of two formats.

* GitHub's (the file `$GITHUB_OUTPUT` or `$GITHUB_ENV` names; `github` and `github-env` are short
  for them): `NAME<<DELIMITER`, the value's lines, `DELIMITER`, with a delimiter that occurs in
  no value, so any value, one line or many, comes back as it was.
* Shell (any other file): `NAME='value'` lines, safe to `source` in bash and sh: inside single
  quotes nothing is special but the quote itself, written as '\\''; so `$(...)`, backquotes,
  double quotes and newlines stay data.

The captures of one run are appended in one write (O_APPEND), so steps that share the file never
interleave, and earlier lines are never touched.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from ..errors import OutputError, UsageError
from ..limits import CAPTURE_VALUE, size_text

CaptureFormat = Literal["github", "shell"]
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GITHUB_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# GitHub refuses these through $GITHUB_ENV (NODE_OPTIONS) or ignores them (its own variables).
_GITHUB_ENV_RESERVED = re.compile(r"(?i)NODE_OPTIONS|GITHUB_.*|RUNNER_.*")
_SHORT_NAMES = {"github": "GITHUB_OUTPUT", "github-env": "GITHUB_ENV"}


class CaptureTarget(NamedTuple):
    path: Path
    format: CaptureFormat
    variable: str | None  # GITHUB_OUTPUT or GITHUB_ENV when the file is one of GitHub's


def capture_target(text: str, environ: Mapping[str, str]) -> CaptureTarget:
    """The file `--capture-file TEXT` names, and its format."""
    if not text:
        raise UsageError("--capture-file: the file name is empty", hint="--capture-file vars.sh, or github")
    short = _SHORT_NAMES.get(text.lower())
    if short is not None:
        named = environ.get(short)
        if not named:
            raise UsageError(
                f"--capture-file {text}: ${short} is not set (it is, in a GitHub Actions step)",
                hint="outside GitHub Actions, name a file: --capture-file vars.sh",
            )
        return CaptureTarget(Path(named), "github", short)
    path = Path(text)
    for variable in _SHORT_NAMES.values():
        named = environ.get(variable)
        if named and _same_file(Path(named), path):
            return CaptureTarget(path, "github", variable)
    return CaptureTarget(path, "shell", None)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except (OSError, RuntimeError):
        return False


def check_capture_names(names: Sequence[str], target: CaptureTarget) -> None:
    """A usage error, before anything is sent, for a name the target's format cannot hold."""
    for name in names:
        if target.format == "shell" and not _SHELL_NAME.fullmatch(name):
            raise UsageError(
                f"--capture: {name!r} is not a shell variable name, which {target.path} needs",
                hint="letters, digits and _, not starting with a digit",
            )
        if target.variable == "GITHUB_OUTPUT" and not _GITHUB_OUTPUT_NAME.fullmatch(name):
            raise UsageError(f"--capture: {name!r} is not a GitHub output name", hint="letters, digits, - and _")
        reserved = not _SHELL_NAME.fullmatch(name) or _GITHUB_ENV_RESERVED.fullmatch(name)
        if target.variable == "GITHUB_ENV" and reserved:
            raise UsageError(
                f"--capture: {name!r} cannot be set through $GITHUB_ENV",
                hint="GitHub reserves NODE_OPTIONS, GITHUB_* and RUNNER_*; use a name of your own",
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UsageError(f"--capture: {name!r} is captured twice", hint="give each capture its own name")
        seen.add(name)


def check_capture_size(name: str, value: str) -> None:
    """OutputError when `value` is past CAPTURE_VALUE, wherever the capture goes (a file, a batch result)."""
    if len(value) > CAPTURE_VALUE.bytes // 4 and len(value.encode("utf-8", "surrogateescape")) > CAPTURE_VALUE.bytes:
        raise OutputError(
            f"--capture {name}: the value is larger than {size_text(CAPTURE_VALUE.bytes)}, the most a capture keeps",
            hint="capture a narrower part of the body, or save the body with -o FILE",
        )


def check_capture_value(name: str, value: str) -> None:
    """OutputError when a shell or GitHub file cannot keep `value`: past CAPTURE_VALUE, or with a NUL."""
    check_capture_size(name, value)
    if "\x00" in value:
        raise OutputError(
            f"--capture {name}: the value holds a NUL byte, which no shell or GitHub file can keep",
            hint="capture an encoded form, e.g. with @base64",
        )


def capture_lines(values: Sequence[tuple[str, str]], target: CaptureTarget) -> bytes:
    """The text one run appends: every (name, value) in the target's format."""
    if target.format == "github":
        return "".join(_github_entry(name, value) for name, value in values).encode("utf-8", "surrogateescape")
    return "".join(f"{name}={_single_quoted(value)}\n" for name, value in values).encode("utf-8", "surrogateescape")


def _github_entry(name: str, value: str) -> str:
    delimiter = f"APICLI_EOF_{secrets.token_hex(8)}"
    while delimiter in value:
        delimiter = f"APICLI_EOF_{secrets.token_hex(8)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def mask_lines(value: str) -> list[str]:
    """GitHub's workflow commands that hide `value` in the job's log: the whole value (with the
    runner's escapes for %, CR and LF), then each of its lines, as a log shows them one by one."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    lines = [line for line in value.splitlines() if line.strip()]
    return [f"::add-mask::{escaped}"] + [f"::add-mask::{line}" for line in lines if line != value]


def append_once(path: Path, data: bytes) -> None:
    """Append `data` to `path` (created if absent) in one write, never replacing what is there."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(f"--capture-file: cannot open {str(path)!r}: {exc.strerror}") from None
    try:
        view = memoryview(data)
        while view:  # one write for a regular file; a short write (a full disk) goes on or fails
            view = view[os.write(descriptor, view) :]
    except OSError as exc:
        raise OutputError(f"--capture-file: cannot write {str(path)!r}: {exc.strerror}") from None
    finally:
        os.close(descriptor)
