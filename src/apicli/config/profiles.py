"""Profiles: named API settings read from a TOML config file.

    [profiles.github]
    base_url = "https://api.github.com"
    headers = { Accept = "application/vnd.github+json" }
    auth = { type = "bearer", token_env = "GITHUB_TOKEN" }
    timeout = 10

The file is `$APICLI_CONFIG`, else `$XDG_CONFIG_HOME/apicli/config.toml`, else
`~/.config/apicli/config.toml`. A profile is chosen with -P/--profile or
APICLI_PROFILE; the profile named `default` applies when none is named.

A profile's headers, query and credentials apply only to requests for its
base_url's origin; its network settings (timeout, retries, verify) apply to the
whole run. This module is on every run's path, so it stays small: when no
config file exists, profiles cost one failed open(). Parsing lives in
`config_file`, imported only when there is a file to parse.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, UsageError
from ..inputs.items import expand_user
from ..spec import Credentials

if TYPE_CHECKING:
    from .config_file import Config, Profile

# A URL argument with no scheme, and no dot, port or user in its first segment: `headers`, `users/1`.
_BARE_WORD = re.compile(r"^(?!localhost(?:[/?#]|$))([A-Za-z0-9_-]+)(?:[/?#]|$)", re.IGNORECASE)

CONFIG_ENV = "APICLI_CONFIG"
PROFILE_ENV = "APICLI_PROFILE"
DEFAULT_PROFILE = "default"


def config_path(environ: Mapping[str, str]) -> Path:
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return expand_user(explicit)
    xdg = environ.get("XDG_CONFIG_HOME")
    # The XDG spec says a relative XDG_CONFIG_HOME is ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path(environ.get("HOME") or expand_user("~")) / ".config"
    return base / "apicli" / "config.toml"


def read_config(path: Path) -> Config | None:
    """The parsed config file, or None when it does not exist."""
    from ..inputs.local_input import CONFIG_LIMIT, NotReadable, open_local, read_capped, size_text

    if not path.exists():
        return None
    try:
        opened = open_local(path, regular_only=True)
        with opened.stream as stream:
            data = read_capped(stream, CONFIG_LIMIT)
            mode = os.fstat(stream.fileno()).st_mode
    except NotReadable as exc:
        raise ConfigError(path, None, f"cannot read the config file: {exc.reason}") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read the config file: {exc.strerror or exc}") from None
    if len(data) > CONFIG_LIMIT:
        raise ConfigError(path, None, f"the config file is larger than {size_text(CONFIG_LIMIT)}")
    from .config_file import parse_config

    # Like ssh: a file that holds secrets should be readable by its owner only.
    try:
        return parse_config(path, data, exposed=os.name == "posix" and bool(mode & 0o077))
    except RecursionError:  # the TOML parser descends once per nested array or inline table
        raise ConfigError(path, None, "the config file nests arrays or tables too deeply") from None


def load_profile(name: str | None, environ: Mapping[str, str]) -> Profile | None:
    """The profile this run uses: -P NAME, else APICLI_PROFILE, else `default` if the file has one."""
    chosen = name or environ.get(PROFILE_ENV) or None
    path = config_path(environ)
    config = read_config(path)
    if config is None:
        if chosen is not None:
            raise UsageError(
                f"unknown profile {chosen!r}: there is no config file at {path}",
                hint=f"create it, or point {CONFIG_ENV} at one; see 'apicli config --help'",
            )
        if environ.get(CONFIG_ENV):
            raise UsageError(f"{CONFIG_ENV}: {path} does not exist")
        return None
    if chosen is None:
        return config.select(DEFAULT_PROFILE) if DEFAULT_PROFILE in config.profiles else None
    return config.select(chosen)


def resolve_url(url: str, profile: Profile | None) -> str:
    """A URL starting with / is relative to the profile's base_url.

    Under a profile with a base_url, a bare word (`headers`, `users/1`) is refused: it would
    otherwise be a host of its own (http://headers/), and guessing it was a path could send a
    DELETE meant for a local service to the profile's API instead.
    """
    if not url.startswith("/"):
        bare = _BARE_WORD.match(url)
        if bare is not None and profile is not None and profile.base_url is not None:
            raise UsageError(
                f"{url!r} would be the host {bare[1]!r}, not a path under profile {profile.name!r}",
                hint=f"write /{url} for the path under {profile.base_url}, or http://{url} for that host",
            )
        return url
    if profile is None or profile.base_url is None:
        raise UsageError(
            f"relative URL {url!r} needs a profile with a base_url",
            hint="pick one with -P NAME, or give a full URL",
        )
    return profile.base_url.rstrip("/") + url


def merge_profile(
    profile: Profile | None,
    url: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    credentials: Credentials,
    environ: Mapping[str, str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], Credentials]:
    """Add the profile's headers, query and credentials under the command line's own (which win).

    Nothing of the profile's is added for a URL outside its base_url's origin.
    """
    if profile is None or not profile.covers(url):
        return headers, query, credentials
    given = {name for name, _ in query}
    merged_query = [(name, value) for name, value in profile.query if name not in given] + query
    auth = profile.auth
    flags_have_auth = bool(credentials.basic or credentials.bearer or credentials.api_key or credentials.fetched)
    profile_has_auth = auth is not None or profile.oauth2 is not None or profile.auth_command is not None
    if profile_has_auth and not flags_have_auth:
        # An explicit -H 'Authorization: ...' (or the key's own header or query name) replaces the profile's too.
        if auth is not None and auth.kind == "api_key":
            taken = auth.query in given if auth.query else _has_header(headers, auth.header or "X-API-Key")
        else:
            taken = _has_header(headers, "Authorization")
        if not taken:
            credentials = profile.credentials(environ)._replace(cookies=credentials.cookies)
    # A header named on the command line replaces the profile's of that name; repeats there are all sent.
    profile_headers = [(name, value) for name, value in profile.headers if not _has_header(headers, name)]
    return profile_headers + headers, merged_query, credentials


def withheld_credentials_note(profile: Profile | None, url: str, credentials: Credentials) -> str | None:
    """The note for a profile whose credentials stay home because `url` is on another origin.

    Withholding them is right (they belong to base_url's server); a bare 401 with no word of
    why is not. The note names both origins, never the credential.
    """
    if profile is None or profile.base_url is None or profile.covers(url):
        return None
    if profile.auth is None and profile.oauth2 is None and profile.auth_command is None:
        return None
    if credentials.basic or credentials.bearer or credentials.api_key or credentials.fetched:
        return None  # the command line's own credentials are sent instead: nothing was lost
    return (
        f"apicli: note: profile {profile.name!r} has credentials for {_origin_text(profile.base_url)}; "
        f"not sent to {_origin_text(url)}, another origin"
    )


def _origin_text(url: str) -> str:
    from ..formats.urls import DEFAULT_PORTS, origin_of

    scheme, host, port = origin_of(url)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if DEFAULT_PORTS.get(scheme) == port else f":{port}")


def _has_header(headers: list[tuple[str, str]], name: str) -> bool:
    return any(key.lower() == name.lower() for key, _ in headers)
