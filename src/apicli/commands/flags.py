"""Command-line flag values (no Typer here) and their conversion into core objects.

The CLI layer fills a `CommonFlags`; `build_invocation` checks it, reads secrets
from the environment or files, parses request items, and returns an `Invocation`
holding the frozen core objects a command needs.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, NamedTuple, TypeVar

from ..clock import UNLIMITED, Clock
from ..errors import UsageError
from ..flagtable import (
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    FlagValues,
)
from ..formats.urls import normalize_url
from ..inputs.items import build_body, expand_user, parse_items, stdin_reader
from ..inputs.local_checks import (
    check_api_key_names,
    check_ca_bundle,
    check_client_certificate,
    check_credentials,
    check_flag_pairs,
    check_header_names,
    check_header_values,
)
from ..inputs.secret_input import secret_from_env, secret_from_file
from ..spec import (
    NO_HEADER,
    Credentials,
    NetworkOptions,
    OutputOptions,
    RequestSpec,
    RetryPolicy,
    SessionOptions,
)

if TYPE_CHECKING:
    from ..config.config_file import Profile
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator
    from ..inputs.writeout import Segment

_T = TypeVar("_T")
# HTTPie's and xh's -q is quiet: a bad -q value is most likely that habit.
QUERY_HINT = ": -q is --query here, a query parameter (HTTPie's and xh's quiet is -s/--quiet here)"


class CommonFlags(FlagValues, group="request"):
    """Raw values of the flags shared by every command that sends requests (defaults: apicli.flagtable)."""

    header: list[str]
    query: list[str]
    cookie: list[str]
    cookie_jar: Path | None
    proxy: str | None
    no_proxy: str | None
    unix_socket: Path | None
    oauth2_token_url: str | None
    oauth2_client_id: str | None
    oauth2_client_secret_env: str | None
    oauth2_client_secret_file: Path | None
    oauth2_scope: str | None
    oauth2_audience: str | None
    auth_command: str | None
    json_body: str | None
    data: str | None
    form: bool
    user: str | None
    auth_type: str | None
    password_env: str | None
    token_env: str | None
    token_file: Path | None
    api_key_env: str | None
    api_key_file: Path | None
    api_key_header: str | None
    api_key_query: str | None
    timeout: float | None
    connect_timeout: float
    max_time: float | None
    no_follow: bool
    max_redirects: int | None  # None: not given (DEFAULT_MAX_REDIRECTS)
    allow_insecure_redirect: bool
    insecure: bool
    cacert: Path | None
    cert: Path | None
    key: Path | None
    retries: int | None
    backoff: float
    retry_max_wait: float
    retry_unsafe: bool
    pretty: bool
    raw: bool
    color: bool  # --color
    no_color: bool  # --no-color
    include: bool
    verbose: bool
    quiet: bool
    output: Path | None
    ignore_status: bool
    profile: str | None
    jq: str | None
    raw_output: bool
    jq_arg: list[tuple[str, str]]
    jq_argjson: list[tuple[str, str]]
    jq_slurpfile: list[tuple[str, str]]
    jq_rawfile: list[tuple[str, str]]
    schema: Path | None
    write_out: str | None
    curl: bool
    dry_run: bool
    show_secrets: bool
    # Not a flag: set by the CLI layer when the command starts, the run's one clock (clock.py).
    clock: Clock | None = None
    # Not a flag: the jq arguments' program prefix (filters/jqargs.py), made once by jq_bindings().
    jq_prefix: str | None = None


def jq_bindings(flags: CommonFlags) -> str:
    """The prefix that binds --arg, --argjson, --slurpfile and --rawfile in every jq program of the run."""
    if flags.jq_prefix is None:
        given = (flags.jq_arg, flags.jq_argjson, flags.jq_slurpfile, flags.jq_rawfile)
        if any(given):
            from ..filters.jqargs import bindings_prefix

            flags.jq_prefix = bindings_prefix(*given)
        else:
            flags.jq_prefix = ""
    return flags.jq_prefix


_FETCHED_FLAGS = tuple(
    flag.name for flag in CommonFlags._flags if flag.name.startswith("oauth2_") or flag.name == "auth_command"
)


class Invocation(NamedTuple):
    spec: RequestSpec
    retry: RetryPolicy
    network: NetworkOptions
    output: OutputOptions
    profile: Profile | None = None
    jq: JqProgram | None = None
    schema: SchemaValidator | None = None
    # --curl / --dry-run: show the request instead of sending it.
    preview: Literal["curl", "dry-run"] | None = None
    show_secrets: bool = False
    write_out: tuple[Segment, ...] | None = None
    session: SessionOptions = SessionOptions()
    # Lines for stderr before the request goes (silenced by -s): the profile's, and what was not sent.
    notices: tuple[str, ...] = ()

    @property
    def unsafe_retries(self) -> bool:
        """POST/PATCH may be retried only when asked, or with an Idempotency-Key."""
        return self.retry.retry_unsafe or self.spec.header("Idempotency-Key") is not None


def _ask_password(prompt: str) -> str:
    import getpass  # with termios: only a terminal prompt needs them

    return getpass.getpass(prompt)


def _no_password(user: str) -> UsageError:
    return UsageError(
        f"no password for user {user!r}", hint="use --password-env VAR, or -u user:password (a terminal gets a prompt)"
    )


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
                password = secret_from_env(flags.password_env, "--password-env", environ)
            elif stdin_is_terminal and prompt is not None:
                try:
                    password = prompt(f"Password for {user}: ")
                except EOFError:  # Ctrl-D at the prompt
                    raise _no_password(user) from None
            else:
                raise _no_password(user)
        basic = (user, password)
    bearer = None
    if flags.token_env and flags.token_file:
        raise UsageError("--token-env and --token-file cannot be combined")
    if flags.token_env:
        bearer = secret_from_env(flags.token_env, "--token-env", environ)
    elif flags.token_file:
        bearer = secret_from_file(flags.token_file, "--token-file")
    if bearer and basic:
        raise UsageError("a bearer token and -u/--user cannot be combined", hint="both use the Authorization header")
    api_key = None
    if flags.api_key_env and flags.api_key_file:
        raise UsageError("--api-key-env and --api-key-file cannot be combined")
    if flags.api_key_env:
        api_key = secret_from_env(flags.api_key_env, "--api-key-env", environ)
    elif flags.api_key_file:
        api_key = secret_from_file(flags.api_key_file, "--api-key-file")
    if (flags.api_key_header is not None or flags.api_key_query is not None) and not api_key:
        raise UsageError(
            "--api-key-header/--api-key-query need a key", hint="add --api-key-env VAR or --api-key-file FILE"
        )
    digest = False
    if flags.auth_type is not None:
        from .session_flags import check_auth_type

        digest = check_auth_type(flags.auth_type, basic is not None, bearer is not None)
    return Credentials(
        basic=basic,
        digest=digest,
        bearer=bearer,
        api_key=api_key,
        api_key_header=flags.api_key_header or ("X-API-Key" if api_key and not flags.api_key_query else None),
        api_key_query=flags.api_key_query,
    )


def _split_flag_pair(text: str, sep: str, flag: str, example: str, hint: str = "") -> tuple[str, str]:
    name, found, value = text.partition(sep)
    if not found or not name.strip():
        raise UsageError(f"invalid {flag} {text!r}", hint=f"expected {example}{hint}")
    return name.strip(), value.strip() if sep == ":" else value


def _duration_flags(flags: CommonFlags) -> list[tuple[str, float | None]]:
    return [
        ("--timeout", flags.timeout),
        ("--connect-timeout", flags.connect_timeout),
        ("--max-time", flags.max_time),
        ("--backoff", flags.backoff),
        ("--retry-max-wait", flags.retry_max_wait),
    ]


def build_invocation(
    method: str,
    url: str,
    items: list[str],
    flags: CommonFlags,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: BinaryIO | None = None,
    stdin_is_terminal: bool = False,
) -> Invocation:
    environ = os.environ if environ is None else environ
    if flags.pretty and flags.raw:
        raise UsageError("--pretty and --raw cannot be combined")
    if flags.verbose and flags.quiet:
        raise UsageError("-v/--verbose and -s/--quiet cannot be combined")
    if flags.include and flags.quiet:
        raise UsageError("-i/--include and -s/--quiet cannot be combined")
    if flags.cacert is not None and flags.insecure:
        raise UsageError("--cacert and --insecure cannot be combined")
    if flags.curl and flags.dry_run:
        raise UsageError("--curl and --dry-run cannot be combined")
    check_flag_pairs(flags)
    for flag, seconds in _duration_flags(flags):
        # click's min= lets nan and inf through; a nan timeout crashes urllib3, an inf one never ends.
        if seconds is not None and not math.isfinite(seconds):
            raise UsageError(f"Invalid value for '{flag}': {seconds} is not a finite number of seconds")
    from ..config.profiles import load_profile, merge_profile, resolve_url, withheld_credentials_note

    profile = load_profile(flags.profile, environ)
    url = resolve_url(url, profile)
    jq_program: JqProgram | None = None
    schema: SchemaValidator | None = None
    if flags.jq is not None:
        from ..filters.jqfilter import compile_jq

        jq_program = compile_jq(flags.jq, raw_output=flags.raw_output, brief_here=True, bindings=jq_bindings(flags))
    if flags.schema is not None:
        from ..filters.schema import load_schema

        schema = load_schema(flags.schema)
    for path, flag in ((flags.cacert, "--cacert"), (flags.cert, "--cert"), (flags.key, "--key")):
        if path is not None and not expand_user(path).is_file():
            raise UsageError(f"{flag}: {str(path)!r} is not a readable file")
    if flags.cacert is not None:
        check_ca_bundle(expand_user(flags.cacert), "--cacert")
    if flags.cert is not None:
        check_client_certificate(expand_user(flags.cert), expand_user(flags.key) if flags.key else None)
    check_api_key_names(flags.api_key_header, flags.api_key_query)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    reader = stdin_reader(stdin)
    write_out = None
    if flags.write_out is not None:
        from ..inputs.writeout import read_write_out

        write_out = read_write_out(flags.write_out, reader)
    parsed = parse_items(items, reader)
    headers = [_split_flag_pair(h, ":", "-H/--header", "'Name: Value'") for h in flags.header]
    check_header_names((name for name, _ in headers), "-H/--header", "-H 'X-Trace: 1'")
    check_header_values(headers, "-H/--header")
    check_header_values(parsed.headers, "the Name:Value item")
    # -H 'Name:' removes a header, as in curl (-H 'Name;' would be curl's empty header).
    headers = [(name, value if value else NO_HEADER) for name, value in headers]
    headers += parsed.headers
    headers += [(name, NO_HEADER) for name in parsed.removed_headers]
    query = [_split_flag_pair(q, "=", "-q/--query", "name=value", QUERY_HINT) for q in flags.query] + parsed.query
    body = build_body(parsed, json_arg=flags.json_body, data_arg=flags.data, form=flags.form, stdin=reader)
    credentials = read_credentials(flags, environ, prompt=_ask_password, stdin_is_terminal=stdin_is_terminal)
    if any(getattr(flags, name) is not None for name in _FETCHED_FLAGS):
        from .session_flags import fetched_credentials

        credentials = fetched_credentials(vars(flags), credentials, environ)
    url = normalize_url(url)
    notices = list(profile.notices) if profile is not None else []
    withheld = withheld_credentials_note(profile, url, credentials)
    notices += [withheld] if withheld else []
    headers, query, credentials = merge_profile(profile, url, headers, query, credentials, environ)
    if body is None and method.upper() not in _BODILESS_METHODS and _unread_stdin(stdin):
        notices.append(
            f"apicli: note: stdin has data, but this {method.upper()} sends no body: "
            "apicli reads stdin only when told, as with --json @- or --data @-"
        )
    session = SessionOptions()
    if flags.cookie or flags.cookie_jar or (profile is not None and profile.cookie_jar is not None):
        from .session_flags import cookie_options

        session, cookies = cookie_options(flags.cookie, flags.cookie_jar, profile, session)
        credentials = credentials._replace(cookies=cookies)
    if flags.proxy is not None or flags.no_proxy is not None:
        from .session_flags import proxy_options

        session = proxy_options(flags.proxy, flags.no_proxy, session)
    if flags.unix_socket is not None:
        from .session_flags import unix_socket_option

        session = unix_socket_option(flags.unix_socket, url, flags.proxy, session)
    if credentials.fetched:
        from ..auth.token_cache import cache_directory

        session = session._replace(cache_dir=cache_directory(environ))
    check_credentials(credentials)
    spec = RequestSpec(
        method=method.upper(),
        url=url,
        headers=tuple(headers),
        query=tuple(query),
        body=body,
        credentials=credentials,
    )
    retry = RetryPolicy(
        retries=_first_given(flags.retries, profile.retries if profile else None, DEFAULT_RETRIES),
        backoff=flags.backoff,
        max_wait=flags.retry_max_wait,
        retry_unsafe=flags.retry_unsafe,
    )
    if body is not None and body.kind == "file" and body.size is None:
        # A pipe or device is read as it is sent: there is nothing to send again.
        retry = retry._replace(retries=0)
    cert: str | tuple[str, str] | None = None
    if flags.cert is not None:
        cert = str(expand_user(flags.cert))
        if flags.key is not None:
            cert = (cert, str(expand_user(flags.key)))
    verify: bool | str = False if flags.insecure else (str(expand_user(flags.cacert)) if flags.cacert else True)
    if not flags.insecure and flags.cacert is None and profile is not None and profile.verify is not None:
        verify = profile.verify
        if isinstance(verify, str):
            check_ca_bundle(expand_user(verify), f"profile {profile.name!r} (verify)")
    network = NetworkOptions(
        timeout=_first_given(flags.timeout, profile.timeout if profile else None, DEFAULT_TIMEOUT),
        connect_timeout=flags.connect_timeout,
        max_time=flags.max_time,
        clock=flags.clock or UNLIMITED,
        follow=not flags.no_follow,
        max_redirects=DEFAULT_MAX_REDIRECTS if flags.max_redirects is None else flags.max_redirects,
        allow_insecure_redirect=flags.allow_insecure_redirect,
        verify=verify,
        cert=cert,
    )
    output = OutputOptions(
        pretty=True if flags.pretty else (False if flags.raw else None),
        color=True if flags.color else (False if flags.no_color else None),
        include=flags.include,
        verbose=flags.verbose,
        quiet=flags.quiet,
        output=None if flags.output is None or str(flags.output) == "-" else flags.output,
        to_stdout=flags.output is not None and str(flags.output) == "-",
        ignore_status=flags.ignore_status,
    )
    return Invocation(
        spec=spec,
        retry=retry,
        network=network,
        output=output,
        profile=profile,
        jq=jq_program,
        schema=schema,
        preview="curl" if flags.curl else ("dry-run" if flags.dry_run else None),
        show_secrets=flags.show_secrets,
        write_out=write_out,
        session=session,
        notices=tuple(notices),
    )


_BODILESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def _unread_stdin(stdin: BinaryIO) -> bool:
    """Whether stdin holds bytes now: a regular file with data left, or a pipe or socket with bytes ready.

    Nothing is read or waited for, so the bytes stay for whoever reads them next and an idle
    pipe cannot hang the run; a pipe at its end counts as empty (FIONREAD, where poll would
    call it readable). A terminal or device never counts.
    """
    import stat

    try:
        descriptor = stdin.fileno()
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISREG(mode):
            return os.fstat(descriptor).st_size > os.lseek(descriptor, 0, os.SEEK_CUR)
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            import fcntl
            import termios

            waiting = bytearray(4)
            fcntl.ioctl(descriptor, termios.FIONREAD, waiting)
            return int.from_bytes(waiting, sys.byteorder) > 0
    except (OSError, ValueError, ImportError):  # no descriptor (a test's stream), or no such call here
        return False
    return False


def _first_given(flag: _T | None, profile: _T | None, default: _T) -> _T:
    """The flag if given, else the profile's value, else the default."""
    return flag if flag is not None else (profile if profile is not None else default)
