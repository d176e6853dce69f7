"""Command-line flag values (no Typer here) and their conversion into core objects.

The CLI layer fills a `CommonFlags`; `build_invocation` checks it, reads secrets
from the environment or files, parses request items, and returns an `Invocation`
holding the frozen core objects a command needs.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .errors import UsageError
from .items import build_body, parse_items, stdin_reader
from .spec import Credentials, NetworkOptions, OutputOptions, RequestSpec, RetryPolicy
from .urls import normalize_url


@dataclass
class CommonFlags:
    """Raw values of the flags shared by every command that sends requests."""

    header: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    json_body: str | None = None
    data: str | None = None
    form: bool = False
    user: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    token_file: Path | None = None
    api_key_env: str | None = None
    api_key_file: Path | None = None
    api_key_header: str | None = None
    api_key_query: str | None = None
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_time: float | None = None
    no_follow: bool = False
    max_redirects: int = 30
    allow_insecure_redirect: bool = False
    insecure: bool = False
    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    retries: int = 3
    backoff: float = 0.5
    retry_max_wait: float = 60.0
    retry_unsafe: bool = False
    pretty: bool = False
    raw: bool = False
    color: bool | None = None
    include: bool = False
    verbose: bool = False
    quiet: bool = False
    output: Path | None = None
    ignore_status: bool = False


@dataclass(frozen=True)
class Invocation:
    spec: RequestSpec
    retry: RetryPolicy
    network: NetworkOptions
    output: OutputOptions

    @property
    def unsafe_retries(self) -> bool:
        """POST/PATCH may be retried only when asked, or with an Idempotency-Key."""
        return self.retry.retry_unsafe or self.spec.header("Idempotency-Key") is not None


def _secret_from_env(variable: str, flag: str, environ: Mapping[str, str]) -> str:
    value = environ.get(variable)
    if not value:
        raise UsageError(f"{flag}: environment variable {variable} is not set or empty")
    return value


def _secret_from_file(path: Path, flag: str) -> str:
    try:
        value = path.expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable text"
        raise UsageError(f"{flag}: cannot read {str(path)!r}: {reason}") from None
    if not value:
        raise UsageError(f"{flag}: {str(path)!r} is empty")
    return value


def read_credentials(
    flags: CommonFlags,
    environ: Mapping[str, str],
    *,
    prompt: Callable[[str], str] | None = None,
    stdin_is_terminal: bool = False,
) -> Credentials:
    basic: tuple[str, str] | None = None
    if flags.user is not None:
        user, sep, password = flags.user.partition(":")
        if not user:
            raise UsageError("-u/--user needs a user name: -u user[:password]")
        if not sep:
            if flags.password_env:
                password = _secret_from_env(flags.password_env, "--password-env", environ)
            elif stdin_is_terminal and prompt is not None:
                password = prompt(f"Password for {user}: ")
            else:
                raise UsageError(
                    f"no password for user {user!r}",
                    hint="use --password-env VAR, or -u user:password (a terminal gets a prompt)",
                )
        basic = (user, password)
    bearer = None
    if flags.token_env and flags.token_file:
        raise UsageError("--token-env and --token-file cannot be combined")
    if flags.token_env:
        bearer = _secret_from_env(flags.token_env, "--token-env", environ)
    elif flags.token_file:
        bearer = _secret_from_file(flags.token_file, "--token-file")
    if bearer and basic:
        raise UsageError("a bearer token and -u/--user cannot be combined", hint="both use the Authorization header")
    api_key = None
    if flags.api_key_env and flags.api_key_file:
        raise UsageError("--api-key-env and --api-key-file cannot be combined")
    if flags.api_key_env:
        api_key = _secret_from_env(flags.api_key_env, "--api-key-env", environ)
    elif flags.api_key_file:
        api_key = _secret_from_file(flags.api_key_file, "--api-key-file")
    if (flags.api_key_header or flags.api_key_query) and not api_key:
        raise UsageError(
            "--api-key-header/--api-key-query need a key", hint="add --api-key-env VAR or --api-key-file FILE"
        )
    if flags.api_key_header and flags.api_key_query:
        raise UsageError("--api-key-header and --api-key-query cannot be combined")
    return Credentials(
        basic=basic,
        bearer=bearer,
        api_key=api_key,
        api_key_header=flags.api_key_header or ("X-API-Key" if api_key and not flags.api_key_query else None),
        api_key_query=flags.api_key_query,
    )


def _split_flag_pair(text: str, sep: str, flag: str, example: str) -> tuple[str, str]:
    name, found, value = text.partition(sep)
    if not found or not name.strip():
        raise UsageError(f"invalid {flag} {text!r}", hint=f"expected {example}")
    return name.strip(), value.strip() if sep == ":" else value


def build_invocation(
    method: str,
    url: str,
    items: list[str],
    flags: CommonFlags,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: BinaryIO | None = None,
    stdin_is_terminal: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Invocation:
    environ = os.environ if environ is None else environ
    if flags.pretty and flags.raw:
        raise UsageError("--pretty and --raw cannot be combined")
    if flags.verbose and flags.quiet:
        raise UsageError("-v/--verbose and -s/--quiet cannot be combined")
    if flags.cacert is not None and flags.insecure:
        raise UsageError("--cacert and --insecure cannot be combined")
    for path, flag in ((flags.cacert, "--cacert"), (flags.cert, "--cert"), (flags.key, "--key")):
        if path is not None and not path.expanduser().is_file():
            raise UsageError(f"{flag}: {str(path)!r} is not a readable file")
    reader = stdin_reader(stdin if stdin is not None else sys.stdin.buffer)
    parsed = parse_items(items, reader)
    headers = [_split_flag_pair(h, ":", "-H/--header", "'Name: Value'") for h in flags.header]
    headers += parsed.headers
    headers += [(name, "") for name in parsed.removed_headers]
    query = [_split_flag_pair(q, "=", "-q/--query", "name=value") for q in flags.query] + parsed.query
    body = build_body(parsed, json_arg=flags.json_body, data_arg=flags.data, form=flags.form, stdin=reader)
    credentials = read_credentials(flags, environ, prompt=getpass.getpass, stdin_is_terminal=stdin_is_terminal)
    spec = RequestSpec(
        method=method.upper(),
        url=normalize_url(url),
        headers=tuple(headers),
        query=tuple(query),
        body=body,
        credentials=credentials,
    )
    retry = RetryPolicy(
        retries=flags.retries,
        backoff=flags.backoff,
        max_wait=flags.retry_max_wait,
        retry_unsafe=flags.retry_unsafe,
    )
    if sleep is not None:
        retry = dataclasses.replace(retry, sleep=sleep)
    cert: str | tuple[str, str] | None = None
    if flags.cert is not None:
        cert = (str(flags.cert), str(flags.key)) if flags.key is not None else str(flags.cert)
    network = NetworkOptions(
        timeout=flags.timeout,
        connect_timeout=flags.connect_timeout,
        max_time=flags.max_time,
        follow=not flags.no_follow,
        max_redirects=flags.max_redirects,
        allow_insecure_redirect=flags.allow_insecure_redirect,
        verify=False if flags.insecure else (str(flags.cacert) if flags.cacert else True),
        cert=cert,
    )
    output = OutputOptions(
        pretty=True if flags.pretty else (False if flags.raw else None),
        color=flags.color,
        include=flags.include,
        verbose=flags.verbose,
        quiet=flags.quiet,
        output=None if flags.output is None or str(flags.output) == "-" else flags.output,
        ignore_status=flags.ignore_status,
    )
    return Invocation(spec=spec, retry=retry, network=network, output=output)
