"""Parsing the config file: TOML -> checked Profiles, with errors that name the file and line.

tomllib reports positions only for syntax errors; for a wrong type or an
unknown key, `find_key_line` finds the line that defines the key.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UsageError
from ..formats.httpsyntax import header_value_problem
from ..formats.urls import is_secret_query_name, normalize_url, same_origin
from ..inputs.items import expand_user
from ..output.report import is_secret_header_name
from ..spec import Credentials
from .config_lines import find_key_line

_PROFILE_KEYS = (
    "base_url", "headers", "query", "auth", "oauth2", "auth_command", "timeout", "retries", "verify", "cookie_jar",
)  # fmt: skip
_OAUTH2_KEYS = (
    "token_url", "client_id", "client_secret_env", "client_secret_file", "client_secret", "scope", "audience",
)  # fmt: skip
# For each auth type: the keys it allows and the one-of group naming where its secret comes from.
_AUTH_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, str, str]]] = {
    "bearer": ((), ("token_env", "token_file", "token")),
    "basic": (("user",), ("password_env", "password_file", "password")),
    "digest": (("user",), ("password_env", "password_file", "password")),
    "api_key": (("header", "query"), ("key_env", "key_file", "key")),
}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_TOML_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


@dataclass(frozen=True)
class SecretSource:
    """Where a profile's secret comes from: an environment variable, a file, or the config itself."""

    key: str  # the config key that names it, such as profiles.dev.auth.token_env
    env: str | None = None
    file: Path | None = None
    inline: str | None = None


@dataclass(frozen=True)
class ProfileAuth:
    kind: str  # bearer, basic or api_key
    secret: SecretSource
    user: str | None = None
    header: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class ProfileOAuth2:
    token_url: str
    client_id: str
    secret: SecretSource
    scope: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    base_url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    auth: ProfileAuth | None = None
    oauth2: ProfileOAuth2 | None = None
    auth_command: tuple[str, ...] | None = None
    timeout: float | None = None
    retries: int | None = None
    verify: bool | str | None = None
    cookie_jar: Path | None = None
    # Warnings about how the profile keeps its secrets, shown on stderr when it is used.
    notices: tuple[str, ...] = ()

    def covers(self, url: str) -> bool:
        """Whether headers, query and credentials apply to `url`: only on base_url's origin."""
        return self.base_url is None or same_origin(url, self.base_url)

    def credentials(self, environ: Mapping[str, str]) -> Credentials:
        if self.auth_command is not None:
            return Credentials(auth_command=self.auth_command)
        if self.oauth2 is not None:
            from ..spec import OAuth2Settings

            o = self.oauth2
            secret = _read_secret(self, o.secret, environ)
            return Credentials(oauth2=OAuth2Settings(o.token_url, o.client_id, secret, o.scope, o.audience))
        auth = self.auth
        if auth is None:
            return Credentials()
        secret = _read_secret(self, auth.secret, environ)
        if auth.kind == "bearer":
            return Credentials(bearer=secret)
        if auth.kind in ("basic", "digest"):
            return Credentials(basic=(auth.user or "", secret), digest=auth.kind == "digest")
        header = auth.header or (None if auth.query else "X-API-Key")
        return Credentials(api_key=secret, api_key_header=header, api_key_query=auth.query)


@dataclass(frozen=True)
class Config:
    path: Path
    text: str
    profiles: dict[str, Profile]

    def line_of(self, keys: tuple[str, ...]) -> int | None:
        return find_key_line(self.text, keys)

    def select(self, name: str) -> Profile:
        profile = self.profiles.get(name)
        if profile is None:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise UsageError(f"unknown profile {name!r} in {self.path}", hint=f"profiles there: {known}")
        if isinstance(profile.verify, str) and not Path(profile.verify).is_file():
            keys = ("profiles", name, "verify")
            raise ConfigError(self.path, self.line_of(keys), f"profiles.{name}.verify: no file at {profile.verify!r}")
        return profile


def parse_config(path: Path, data: bytes, *, exposed: bool) -> Config:
    """Check and parse the config file's bytes; `exposed` says group or others can read it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, None, "the config file is not UTF-8 text") from None
    import tomllib

    try:
        document = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or int()'s refusal of an integer over 4300 digits
        message = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else "an integer has too many digits"
        found = _TOML_LINE.search(message)
        line = int(found.group(1)) if found else None
        if found:
            message = f"{message[: found.start()]} (column {found.group(2)})"
        raise ConfigError(path, line, f"invalid TOML: {message}") from None
    return _ConfigParser(path, text).parse(document, exposed=exposed)


def _read_secret(profile: Profile, source: SecretSource, environ: Mapping[str, str]) -> str:
    from ..inputs.secret_input import secret_from_env, secret_from_file  # the same rules as the command-line flags

    where = f"profile {profile.name!r} ({source.key})"
    if source.inline is not None:
        return source.inline
    if source.env is not None:
        key = source.key.rsplit(".", 1)[-1]
        return secret_from_env(source.env, where, environ, example=f'{key} = "{{}}"')
    assert source.file is not None
    return secret_from_file(source.file, where)


class _ConfigParser:
    """Checks the TOML document's shape and builds Profiles; errors point at the offending line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.inline: list[str] = []

    def fail(self, keys: tuple[str, ...], message: str) -> ConfigError:
        return ConfigError(self.path, find_key_line(self.text, keys), f"{'.'.join(keys)}: {message}")

    def unknown(self, keys: tuple[str, ...], allowed: tuple[str, ...]) -> ConfigError:
        import difflib

        close = difflib.get_close_matches(keys[-1], allowed, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else f" (known keys: {', '.join(allowed)})"
        return self.fail(keys, f"unknown key{suggestion}")

    def parse(self, document: dict[str, Any], *, exposed: bool) -> Config:
        for key in document:
            if key != "profiles":
                raise self.unknown((key,), ("profiles",))
        raw_profiles = document.get("profiles", {})
        if not isinstance(raw_profiles, dict):
            raise self.fail(("profiles",), f"expected a table of profiles, not {_kind(raw_profiles)}")
        profiles = {name: self.profile(name, raw) for name, raw in raw_profiles.items()}
        if self.inline and exposed:
            notice = (
                f"apicli: warning: {self.path} holds secrets ({', '.join(self.inline)}) and is readable by "
                f"group or others; run: chmod 600 {self.path}"
            )
            profiles = {name: _with_notice(profile, notice) for name, profile in profiles.items()}
        return Config(self.path, self.text, profiles)

    def profile(self, name: str, raw: Any) -> Profile:
        keys = ("profiles", name)
        if not isinstance(raw, dict):
            raise self.fail(keys, f"expected a table, not {_kind(raw)}")
        for key in raw:
            if key not in _PROFILE_KEYS:
                raise self.unknown((*keys, key), _PROFILE_KEYS)
        inline_before = len(self.inline)
        base_url = self.base_url(keys, raw.get("base_url"))
        headers = self.pairs((*keys, "headers"), raw.get("headers", {}), header_names=True)
        query = self.pairs((*keys, "query"), raw.get("query", {}), header_names=False)
        auth = self.auth((*keys, "auth"), raw["auth"]) if "auth" in raw else None
        oauth2 = self.oauth2((*keys, "oauth2"), raw["oauth2"]) if "oauth2" in raw else None
        command = self.command((*keys, "auth_command"), raw["auth_command"]) if "auth_command" in raw else None
        kinds = [key for key in ("auth", "oauth2", "auth_command") if key in raw]
        if len(kinds) > 1:
            why = f"cannot be combined with {kinds[0]}: a profile has one kind of credentials"
            raise self.fail((*keys, kinds[1]), why)
        if kinds and base_url is None:
            raise self.fail((*keys, kinds[0]), "needs a base_url: credentials are sent only to its origin")
        timeout = raw.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
            raise self.fail((*keys, "timeout"), f"expected a positive number of seconds, not {_kind(timeout)}")
        # TOML allows nan and inf (and integers past a float): the one would crash urllib3, the others wait forever.
        if timeout is not None and _finite_seconds(timeout) is None:
            given = str(timeout) if len(str(timeout)) <= 20 else "a number too large"
            raise self.fail((*keys, "timeout"), f"expected a positive, finite number of seconds, not {given}")
        retries = raw.get("retries")
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
            got = str(retries) if isinstance(retries, int) and not isinstance(retries, bool) else _kind(retries)
            raise self.fail((*keys, "retries"), f"expected a whole number >= 0, not {got}")
        verify = self.verify((*keys, "verify"), raw.get("verify"))
        cookie_jar = self.path_value((*keys, "cookie_jar"), raw.get("cookie_jar"))
        notices: tuple[str, ...] = ()
        if len(self.inline) > inline_before:
            held = ", ".join(self.inline[inline_before:])
            notices = (
                f"apicli: note: profile {name!r} keeps secrets inline ({held}); "
                "*_env or *_file keys keep them out of the config file",
            )
        return Profile(
            name=name,
            path=self.path,
            base_url=base_url,
            headers=headers,
            query=query,
            auth=auth,
            oauth2=oauth2,
            auth_command=command,
            timeout=float(timeout) if timeout is not None else None,
            retries=retries,
            verify=verify,
            cookie_jar=cookie_jar,
            notices=notices,
        )

    def base_url(self, keys: tuple[str, ...], value: Any) -> str | None:
        if value is None:
            return None
        where = (*keys, "base_url")
        if not isinstance(value, str):
            raise self.fail(where, f"expected a URL string, not {_kind(value)}")
        try:
            url = normalize_url(value)
        except UsageError as exc:
            raise self.fail(where, exc.message) from None
        if "?" in url or "#" in url:
            raise self.fail(where, "cannot hold a query or fragment; put parameters under query")
        return url

    def pairs(self, keys: tuple[str, ...], value: Any, *, header_names: bool) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict):
            raise self.fail(keys, f"expected a table of name = value, not {_kind(value)}")
        pairs: list[tuple[str, str]] = []
        for name, item in value.items():
            if header_names and not _HEADER_NAME.match(name):
                raise self.fail((*keys, name), "is not a valid header name")
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail((*keys, name), f"expected a string or number, not {_kind(item)}")
            problem = header_value_problem(str(item)) if header_names else None
            if problem is not None:
                # Named, not quoted: the value may be a secret.
                raise self.fail((*keys, name), f"the value contains {problem}")
            secret = is_secret_header_name(name) if header_names else is_secret_query_name(name)
            if secret:
                self.inline.append(".".join((*keys, name)))
            pairs.append((name, str(item)))
        return tuple(pairs)

    def auth(self, keys: tuple[str, ...], raw: Any) -> ProfileAuth:
        if not isinstance(raw, dict):
            raise self.fail(
                keys, f'expected a table such as {{ type = "bearer", token_env = "VAR" }}, not {_kind(raw)}'
            )
        kind = raw.get("type")
        if kind not in _AUTH_KEYS:
            raise self.fail((*keys, "type"), f'expected "bearer", "basic", "digest" or "api_key", not {kind!r}')
        extra, sources = _AUTH_KEYS[kind]
        allowed = ("type", *extra, *sources)
        for key, value in raw.items():
            if key not in allowed:
                raise self.unknown((*keys, key), allowed)
            if not isinstance(value, str) or not value:
                raise self.fail((*keys, key), f"expected a non-empty string, not {_kind(value)}")
        given = [key for key in sources if key in raw]
        if len(given) != 1:
            found = f"found {' and '.join(given)}" if given else "found none"
            raise self.fail(keys, f"{kind} auth needs exactly one of {', '.join(sources)} ({found})")
        if kind in ("basic", "digest") and "user" not in raw:
            raise self.fail(keys, f"{kind} auth needs a user")
        if "header" in raw and "query" in raw:
            raise self.fail(keys, "api_key auth takes header or query, not both")
        source = self.secret_source(keys, given[0], raw[given[0]])
        return ProfileAuth(kind, source, user=raw.get("user"), header=raw.get("header"), query=raw.get("query"))

    def oauth2(self, keys: tuple[str, ...], raw: Any) -> ProfileOAuth2:
        if not isinstance(raw, dict):
            raise self.fail(keys, f"expected a table with token_url, client_id and client_secret_env, not {_kind(raw)}")
        for key, value in raw.items():
            if key not in _OAUTH2_KEYS:
                raise self.unknown((*keys, key), _OAUTH2_KEYS)
            if not isinstance(value, str) or not value:
                raise self.fail((*keys, key), f"expected a non-empty string, not {_kind(value)}")
        for key in ("token_url", "client_id"):
            if key not in raw:
                raise self.fail(keys, f"needs {key}")
        sources = [key for key in ("client_secret_env", "client_secret_file", "client_secret") if key in raw]
        if len(sources) != 1:
            raise self.fail(keys, "needs exactly one of client_secret_env, client_secret_file or client_secret")
        try:
            token_url = normalize_url(raw["token_url"])
        except UsageError as exc:
            raise self.fail((*keys, "token_url"), exc.message) from None
        key = sources[0]
        return ProfileOAuth2(
            token_url, raw["client_id"], self.secret_source(keys, key, raw[key]), raw.get("scope"), raw.get("audience")
        )

    def command(self, keys: tuple[str, ...], raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw or not all(isinstance(part, str) and part for part in raw):
            raise self.fail(keys, 'expected an array of strings such as ["cmd", "arg"], the program first')
        return tuple(raw)

    def secret_source(self, keys: tuple[str, ...], key: str, value: str) -> SecretSource:
        dotted = ".".join((*keys, key))
        if key.endswith("_env"):
            return SecretSource(dotted, env=value)
        if key.endswith("_file"):
            path = expand_user(value)
            return SecretSource(dotted, file=path if path.is_absolute() else self.path.parent / path)
        self.inline.append(dotted)
        return SecretSource(dotted, inline=value)

    def path_value(self, keys: tuple[str, ...], value: Any) -> Path | None:
        """A file path; a relative one is relative to the config file's directory."""
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(keys, f"expected a file path, not {_kind(value)}")
        path = expand_user(value)
        return path if path.is_absolute() else self.path.parent / path

    def verify(self, keys: tuple[str, ...], value: Any) -> bool | str | None:
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, str) or not value:
            raise self.fail(keys, f"expected true, false or a CA bundle path, not {_kind(value)}")
        path = expand_user(value)
        return str(path if path.is_absolute() else self.path.parent / path)


def _finite_seconds(value: float) -> float | None:
    """`value` as a float when it is a positive, finite number of seconds; else None."""
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _with_notice(profile: Profile, notice: str) -> Profile:
    return dataclasses.replace(profile, notices=(notice, *profile.notices))


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    if isinstance(value, str) and len(value) <= 40:
        return f"the string {value!r}"
    return names.get(type(value), type(value).__name__)
