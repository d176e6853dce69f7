"""`apicli config path` and `apicli config show`: where the profiles live and what they hold."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

import typer

from ..config.profiles import DEFAULT_PROFILE, PROFILE_ENV, config_path, read_config
from ..flag_groups import ConfigShowFlags
from ..formats.urls import REDACTED, is_secret_query_name
from ..output.report import is_secret_header_name
from .application import app
from .options import with_flags

if TYPE_CHECKING:
    from ..config.config_file import Profile

config_app = typer.Typer(
    name="config",
    help="Show where the config file (profiles) is and what it holds.\n\n"
    "Examples:\n\n  $ apicli config path\n\n  $ apicli config show --profile github",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@config_app.command("path")
def path_command() -> None:
    """Print the path of the config file in use ($APICLI_CONFIG, $XDG_CONFIG_HOME or ~/.config).

    Examples:

      $ apicli config path

      $ $EDITOR "$(apicli config path)"
    """
    path = config_path(os.environ)
    typer.echo(str(path))
    if not path.exists():
        sys.stderr.write("apicli: note: the file does not exist yet\n")


@config_app.command("show")
@with_flags("config show")
def show_command(*, flags: ConfigShowFlags) -> None:
    """Print the config as TOML, with inline secrets shown as REDACTED.

    Examples:

      $ apicli config show

      $ apicli config show --profile github
    """
    profile = flags.profile
    path = config_path(os.environ)
    config = read_config(path)
    if config is None:
        if profile is not None:
            from ..errors import UsageError

            raise UsageError(f"unknown profile {profile!r}: there is no config file at {path}")
        sys.stderr.write(f"apicli: no config file at {path}\n")
        return
    chosen = [config.select(profile)] if profile else list(config.profiles.values())
    active = os.environ.get(PROFILE_ENV) or (DEFAULT_PROFILE if DEFAULT_PROFILE in config.profiles else None)
    lines = [f"# {path}"]
    if active and profile is None:
        lines.append(f"# active profile: {active}")
    for item in chosen:
        lines += ["", *format_profile(item)]
    typer.echo("\n".join(lines))


def format_profile(profile: Profile) -> list[str]:
    """One profile as TOML tables, secrets replaced by REDACTED."""
    prefix = f"profiles.{_key(profile.name)}"
    lines = [f"[{prefix}]"]
    scalars: list[tuple[str, Any]] = [
        ("base_url", profile.base_url),
        ("timeout", profile.timeout),
        ("retries", profile.retries),
        ("verify", profile.verify),
    ]
    lines += [f"{key} = {_value(value)}" for key, value in scalars if value is not None]
    if profile.headers:
        lines += ["", f"[{prefix}.headers]"]
        lines += [
            f"{_key(name)} = {_value(REDACTED if is_secret_header_name(name) else value)}"
            for name, value in profile.headers
        ]
    if profile.query:
        lines += ["", f"[{prefix}.query]"]
        lines += [
            f"{_key(name)} = {_value(REDACTED if is_secret_query_name(name) else value)}"
            for name, value in profile.query
        ]
    auth = profile.auth
    if auth is not None:
        lines += ["", f"[{prefix}.auth]", f"type = {_value(auth.kind)}"]
        for key, value in (("user", auth.user), ("header", auth.header), ("query", auth.query)):
            if value is not None:
                lines.append(f"{key} = {_value(value)}")
        source = auth.secret
        name = source.key.rsplit(".", 1)[-1]
        from ..inputs.secret_input import shown_variable  # an *_env value that is no variable's name may be the secret

        hidden = source.inline is not None or (source.env is not None and shown_variable(source.env) is None)
        shown = REDACTED if hidden else (source.env or str(source.file))
        lines.append(f"{name} = {_value(shown)}")
    return lines


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
