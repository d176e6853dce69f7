"""Reading secrets (tokens, passwords, API keys) from the environment or from files.

The command-line flags and the config file's profiles read secrets by the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import UsageError
from .items import expand_user


def secret_from_env(variable: str, flag: str, environ: Mapping[str, str]) -> str:
    value = environ.get(variable)
    if not value:
        raise UsageError(f"{flag}: environment variable {variable} is not set or empty")
    return value


def secret_from_file(path: Path, flag: str) -> str:
    try:
        value = expand_user(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable text"
        raise UsageError(f"{flag}: cannot read {str(path)!r}: {reason}") from None
    if not value:
        raise UsageError(f"{flag}: {str(path)!r} is empty")
    return value
