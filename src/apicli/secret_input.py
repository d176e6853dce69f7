"""Reading secrets (tokens, passwords, API keys) from the environment or from files.

The command-line flags and the config file's profiles read secrets by the same rules:
a secret is short, so it is read up to SECRET_LIMIT bytes, and only from a regular file
(a device or FIFO could be endless, or block forever).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import UsageError
from .items import expand_user
from .local_input import SECRET_LIMIT, NotReadable, read_local_file, size_text


def secret_from_env(variable: str, flag: str, environ: Mapping[str, str]) -> str:
    value = environ.get(variable)
    if not value:
        raise UsageError(f"{flag}: environment variable {variable} is not set or empty")
    if len(value.encode("utf-8", "surrogateescape")) > SECRET_LIMIT:
        raise UsageError(
            f"{flag}: environment variable {variable} is longer than {size_text(SECRET_LIMIT)}",
            hint=f"{flag} takes a variable that holds only the secret",
        )
    return value


def secret_from_file(path: Path, flag: str) -> str:
    try:
        raw = read_local_file(expand_user(path), SECRET_LIMIT, regular_only=True)
    except NotReadable as exc:
        raise UsageError(
            f"{flag}: cannot read {str(path)!r}: {exc.reason}", hint=f"{flag} takes a regular file holding the secret"
        ) from None
    if len(raw) > SECRET_LIMIT:
        raise UsageError(
            f"{flag}: {str(path)!r} is larger than {size_text(SECRET_LIMIT)}",
            hint=f"{flag} takes a file that holds only the secret",
        )
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError(f"{flag}: cannot read {str(path)!r}: not readable text") from None
    if not value:
        raise UsageError(f"{flag}: {str(path)!r} is empty")
    return value
