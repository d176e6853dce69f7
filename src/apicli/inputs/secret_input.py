"""Reading secrets (tokens, passwords, API keys) from the environment or from files.

The command-line flags and the config file's profiles read secrets by the same rules:
a secret is short, so it is read up to SECRET_LIMIT bytes, and only from a regular file
(a device or FIFO could be endless, or block forever).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import UsageError
from .items import expand_user
from .local_input import SECRET_LIMIT, NotReadable, read_local_file, size_text

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def shown_variable(name: str) -> str | None:
    """`name` if it reads as a variable's name, else None: a *-env value that is not one may be the secret.

    A secret pasted where the name belongs (`--token-env "$TOKEN"`) is often a valid name too
    (`ghp_abc123`), so only conventional names are echoed: no digits, or upper case with an underscore.
    """
    if not _VARIABLE_NAME.fullmatch(name):
        return None
    if not any(char.isdigit() for char in name) or (name.isupper() and "_" in name):
        return name
    return None


def check_variable_name(variable: str, setting: str, example: str) -> None:
    """Refuse a *-env value that is no variable's name, without echoing it (it may be the secret).

    `example` is the setting with `{}` where a name goes: `--token-env {}`, `token_env = "{}"`.
    """
    if _VARIABLE_NAME.fullmatch(variable):
        return
    if variable.startswith("$") and (name := shown_variable(variable[1:].strip("{}"))):
        raise UsageError(
            f"{setting} takes the name of an environment variable, not ${name}",
            hint=f"drop the $: {example.format(name)}",
        )
    raise UsageError(
        f"{setting} takes the name of an environment variable; the value given is not one (not shown: "
        "it may be the secret itself)",
        hint=f"name the variable that holds the secret, as in {example.format('GITHUB_TOKEN')}",
    )


def secret_from_env(variable: str, flag: str, environ: Mapping[str, str], *, example: str | None = None) -> str:
    """The secret in environment variable `variable`; `flag` names the setting in errors.

    `example` is the setting for hints, `{}` where the name goes (`FLAG {}` by default).
    """
    example = example if example is not None else f"{flag} {{}}"
    check_variable_name(variable, flag, example)
    value = environ.get(variable)
    if not value:
        name = shown_variable(variable)
        if name is None:
            raise UsageError(
                f"{flag}: the environment variable it names is not set or empty (the name is not shown: "
                "it looks like a secret, not a variable's name)",
                hint=f"name the variable that holds the secret, as in {example.format('GITHUB_TOKEN')}",
            )
        raise UsageError(f"{flag}: environment variable {name} is not set or empty")
    if len(value.encode("utf-8", "surrogateescape")) > SECRET_LIMIT:
        raise UsageError(
            f"{flag}: environment variable {shown_variable(variable) or '(name not shown)'} is longer than "
            f"{size_text(SECRET_LIMIT)}",
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
