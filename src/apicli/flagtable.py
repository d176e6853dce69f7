"""Every command-line flag of apicli, declared once: spellings, type, default, help and the commands that take it.

The table is data. The CLI layer generates each command's options from it (apicli.cli.options),
and the core's flag objects (`FlagValues` subclasses such as flags.CommonFlags) start from its
defaults, so a flag's default, help or spelling is written here and nowhere else.

`python -m apicli.flagtable` prints the table: name, spellings, default and commands.
"""

# No `from __future__ import annotations` here: NamedTuple would compile each string annotation at import,
# and this module is imported on every start.
import sys
from pathlib import Path
from typing import Any, ClassVar

from .flagrows import _BATCHES, _CHECKING, _DOWNLOADS, _PAGINATION, _POLLING, _ROOT_AND_CONFIG
from .flagspec import AUTH as AUTH
from .flagspec import BATCH as BATCH
from .flagspec import BODY_COMMANDS as BODY_COMMANDS
from .flagspec import CHECKS as CHECKS
from .flagspec import CI as CI
from .flagspec import CONFIG_SHOW as CONFIG_SHOW
from .flagspec import DEFAULT_BACKOFF as DEFAULT_BACKOFF
from .flagspec import DEFAULT_BATCH_PARALLEL as DEFAULT_BATCH_PARALLEL
from .flagspec import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from .flagspec import DEFAULT_DOWNLOAD_PARALLEL as DEFAULT_DOWNLOAD_PARALLEL
from .flagspec import DEFAULT_INTERVAL as DEFAULT_INTERVAL
from .flagspec import DEFAULT_MAX_REDIRECTS as DEFAULT_MAX_REDIRECTS
from .flagspec import DEFAULT_RETRIES as DEFAULT_RETRIES
from .flagspec import DEFAULT_RETRY_MAX_WAIT as DEFAULT_RETRY_MAX_WAIT
from .flagspec import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .flagspec import DEFAULT_UNTIL_MAX_TIME as DEFAULT_UNTIL_MAX_TIME
from .flagspec import DOWNLOAD as DOWNLOAD
from .flagspec import MAX_PARALLEL as MAX_PARALLEL
from .flagspec import NETWORK as NETWORK
from .flagspec import OUTPUT as OUTPUT
from .flagspec import PAGINATION as PAGINATION
from .flagspec import PREVIEW as PREVIEW
from .flagspec import REQUEST as REQUEST
from .flagspec import REQUEST_COMMANDS as REQUEST_COMMANDS
from .flagspec import RETRY as RETRY
from .flagspec import ROOT as ROOT
from .flagspec import SESSION as SESSION
from .flagspec import SHAPING_COMMANDS as SHAPING_COMMANDS
from .flagspec import VERBS as VERBS
from .flagspec import Flag as Flag
from .flagspec import _file, _repeated, _request, _switch, _text

_BEFORE_AUTH_KINDS = (
    _text("profile", "-P", "--profile", panel=REQUEST, metavar="NAME",
          help="Use this profile from the config file (default: $APICLI_PROFILE, else the 'default' profile)."),
    _repeated("header", "-H", "--header", panel=REQUEST, metavar="'NAME: VALUE'",
              help="Header 'Name: Value' (repeatable)."),
    _repeated("query", "-q", "--query", panel=REQUEST, metavar="NAME=VALUE",
              help="Query parameter name=value (repeatable)."),
    _text("json_body", "--json", panel=REQUEST, metavar="TEXT|@FILE|@-", commands=BODY_COMMANDS,
          help="JSON body: TEXT, @FILE or @- (stdin); checked before sending."),
    _text("data", "--data", panel=REQUEST, metavar="TEXT|@FILE|@-", commands=BODY_COMMANDS,
          help="Raw body: TEXT, @FILE or @- (stdin)."),
    _switch("form", "--form", panel=REQUEST, commands=BODY_COMMANDS,
            help="Send field=value items as a form (multipart when a field@file item is present)."),
    _text("user", "-u", "--user", panel=AUTH, metavar="USER[:PASSWORD]",
          help="Basic auth user[:password]; without a password, --password-env or a terminal prompt."),
    _text("password_env", "--password-env", panel=AUTH, metavar="VAR",
          help="Read the -u password from this environment variable."),
    _text("token_env", "--token-env", panel=AUTH, metavar="VAR", help="Bearer token from this environment variable."),
    _file("token_file", "--token-file", panel=AUTH, help="Bearer token from this file."),
    _text("api_key_env", "--api-key-env", panel=AUTH, metavar="VAR", help="API key from this environment variable."),
    _file("api_key_file", "--api-key-file", panel=AUTH, help="API key from this file."),
    _text("api_key_header", "--api-key-header", panel=AUTH, metavar="NAME",
          help="Send the API key in this header (default X-API-Key)."),
    _text("api_key_query", "--api-key-query", panel=AUTH, metavar="NAME",
          help="Send the API key as this query parameter instead."),
)  # fmt: skip

# Cookies, the other auth kinds and transports: after the auth flags in --help.
_AUTH_KINDS_AND_TRANSPORTS = (
    _text("auth_type", "-A", "--auth-type", panel=AUTH, metavar="basic|digest|bearer",
          help="How -u (basic, digest) or the token (bearer) is sent (default: basic for -u)."),
    _text("oauth2_token_url", "--oauth2-token-url", panel=AUTH, metavar="URL",
          help="OAuth2 client credentials: the token endpoint (the token is cached until a minute before "
          "it expires)."),
    _text("oauth2_client_id", "--oauth2-client-id", panel=AUTH, metavar="ID", help="OAuth2 client ID."),
    _text("oauth2_client_secret_env", "--oauth2-client-secret-env", panel=AUTH, metavar="VAR",
          help="OAuth2 client secret from this environment variable."),
    _file("oauth2_client_secret_file", "--oauth2-client-secret-file", panel=AUTH,
          help="OAuth2 client secret from this file."),
    _text("oauth2_scope", "--oauth2-scope", panel=AUTH, metavar="SCOPE", help="OAuth2 scope to ask for."),
    _text("oauth2_audience", "--oauth2-audience", panel=AUTH, metavar="AUDIENCE", help="OAuth2 audience to ask for."),
    _text("auth_command", "--auth-command", panel=AUTH, metavar="'CMD ARGS'",
          help="Run this credential helper (no shell) for the headers to send: it prints a token, or JSON "
          "{headers, expires_in}."),
    _file("cookie_jar", "--cookie-jar", panel=SESSION,
          help="Load cookies from FILE before the run and save them after it (Netscape format, as curl's -b/-c; "
          "created 0600)."),
    _repeated("cookie", "--cookie", panel=SESSION, metavar="NAME=VALUE",
              help="Send this cookie to the request's origin (repeatable); not saved in the jar."),
    _text("proxy", "--proxy", panel=NETWORK, metavar="URL",
          help="Send through this proxy (http://, https://; socks5:// and socks5h:// with the socks extra), "
          "over HTTP_PROXY/HTTPS_PROXY/ALL_PROXY."),
    _text("no_proxy", "--no-proxy", panel=NETWORK, metavar="HOSTS",
          help="Comma-separated hosts (domains, IPs, CIDRs; * for all) that go direct, over NO_PROXY."),
    _request("unix_socket", "--unix-socket", type=Path | None, panel=NETWORK, metavar="PATH", show_default=False,
             help="Connect to this unix socket instead of the URL's host, which still names the Host header "
             "(http:// URLs)."),
)  # fmt: skip

_NETWORK_TO_PREVIEW = (
    _request("timeout", "--timeout", type=float | None, fallback=DEFAULT_TIMEOUT, panel=NETWORK, minimum=0.001,
             metavar="S", show_default=False,
             help=f"Read timeout in seconds (default: the profile's, else {DEFAULT_TIMEOUT:g})."),
    _request("connect_timeout", "--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT, panel=NETWORK,
             minimum=0.001, metavar="S", help="Connect timeout in seconds."),
    _request("max_time", "-m", "--max-time", type=float | None, panel=NETWORK, minimum=0.001, metavar="S",
             show_default=False, help="Overall deadline in seconds, retries and waits included (curl's -m)."),
    _switch("no_follow", "--no-follow", panel=NETWORK, help="Do not follow redirects; a 3xx exits 3."),
    _request("max_redirects", "--max-redirects", type=int | None, fallback=DEFAULT_MAX_REDIRECTS, panel=NETWORK,
             minimum=0, metavar="N", show_default=False,
             help=f"Most redirects to follow (default {DEFAULT_MAX_REDIRECTS})."),
    _switch("allow_insecure_redirect", "--allow-insecure-redirect", panel=NETWORK,
            help="Allow redirects from https to http."),
    _switch("insecure", "-k", "--insecure", panel=NETWORK, help="Skip TLS certificate verification."),
    _file("cacert", "--cacert", panel=NETWORK, help="Trust this CA bundle (PEM)."),
    _file("cert", "--cert", panel=NETWORK, help="Client certificate (PEM)."),
    _file("key", "--key", panel=NETWORK, help="Private key for --cert."),
    _request("retries", "--retries", type=int | None, fallback=DEFAULT_RETRIES, panel=RETRY, minimum=0, metavar="N",
             show_default=False,
             help="Retries for connection errors, timeouts, 429 and 5xx (idempotent methods; "
             f"default: the profile's, else {DEFAULT_RETRIES})."),
    _request("backoff", "--backoff", type=float, default=DEFAULT_BACKOFF, panel=RETRY, minimum=0.0, metavar="S",
             help="Base of the exponential backoff, in seconds."),
    _request("retry_max_wait", "--retry-max-wait", type=float, default=DEFAULT_RETRY_MAX_WAIT, panel=RETRY,
             minimum=0.0, metavar="S", help="Cap on any single wait (Retry-After included), in seconds."),
    _switch("retry_unsafe", "--retry-unsafe", panel=RETRY,
            help="Also retry POST and PATCH (an Idempotency-Key header does the same)."),
    _switch("pretty", "--pretty", panel=OUTPUT, commands=SHAPING_COMMANDS,
            help="Indent and colour JSON even into a pipe."),
    _switch("raw", "--raw", panel=OUTPUT, help="Write the body unchanged even on a terminal."),
    # Two flags rather than one --color/--no-color, so that giving both can be refused.
    _switch("color", "--color", panel=OUTPUT, show_default=False,
            help="Force colour on (default: on for a terminal; NO_COLOR and FORCE_COLOR are honoured)."),
    _switch("no_color", "--no-color", panel=OUTPUT, show_default=False, help="Force colour off."),
    _switch("include", "-i", "--include", panel=OUTPUT, help="Print the status line and response headers to stderr."),
    _switch("verbose", "-v", "--verbose", panel=OUTPUT,
            help="Also print the request, redirects and retries to stderr (secrets redacted)."),
    _switch("quiet", "-s", "--quiet", panel=OUTPUT, help="Print nothing on stderr but errors."),
    _file("output", "-o", "--output", panel=OUTPUT, help="Write the body to FILE (atomically); - is stdout."),
    _switch("ignore_status", "--ignore-status", panel=OUTPUT, commands=SHAPING_COMMANDS,
            help="Treat any HTTP status as success: body on stdout, exit 0."),
    _text("jq", "--jq", panel=OUTPUT, metavar="EXPR", commands=SHAPING_COMMANDS,
          help="Filter the JSON response with this jq program; one result per line."),
    _switch("raw_output", "-r", "--raw-output", panel=OUTPUT, help="With --jq, print string results without quotes."),
    _request("jq_arg", "--arg", type=list[tuple[str, str]], panel=OUTPUT, metavar="NAME VALUE", nargs=2,
             repeatable=True, show_default=False, commands=BODY_COMMANDS,
             help="Bind $NAME to the string VALUE in every jq expression (--jq, --until, --assert, --capture), "
             "as jq's --arg."),
    _request("jq_argjson", "--argjson", type=list[tuple[str, str]], panel=OUTPUT, metavar="NAME JSON", nargs=2,
             repeatable=True, show_default=False, commands=BODY_COMMANDS,
             help="Bind $NAME to a JSON value (numbers kept as written), as jq's --argjson."),
    _request("jq_slurpfile", "--slurpfile", type=list[tuple[str, str]], panel=OUTPUT, metavar="NAME FILE", nargs=2,
             repeatable=True, show_default=False, commands=BODY_COMMANDS,
             help="Bind $NAME to an array of the JSON values in FILE, as jq's --slurpfile."),
    _request("jq_rawfile", "--rawfile", type=list[tuple[str, str]], panel=OUTPUT, metavar="NAME FILE", nargs=2,
             repeatable=True, show_default=False, commands=BODY_COMMANDS,
             help="Bind $NAME to FILE's text as a string, as jq's --rawfile."),
    _text("write_out", "-w", "--write-out", panel=OUTPUT, metavar="FORMAT",
          help="After the transfer, print FORMAT with curl's %{variables} (%{http_code}, %{time_total}, "
          "%header{name}, %{json}...) on stdout, or on stderr after %{stderr}; @FILE or @- reads it."),
    _file("schema", "--schema", panel=OUTPUT, commands=(*BODY_COMMANDS, "batch"),
          help="Check the response against this JSON Schema; a mismatch exits 9 after the body is written."),
    _switch("curl", "--curl", panel=PREVIEW, help="Print the equivalent curl command instead of sending."),
    _switch("dry_run", "--dry-run", "--offline", panel=PREVIEW,
            help="Print the request (method, URL, headers, body) instead of sending (HTTPie's --offline)."),
    _switch("show_secrets", "--show-secrets", panel=PREVIEW,
            help="Do not redact secrets in --curl and --dry-run output."),
)  # fmt: skip

# The order of each command's flags in its --help: its own flags, then the shared ones.
FLAGS: tuple[Flag, ...] = (
    *_ROOT_AND_CONFIG,
    *_POLLING,
    *_CHECKING,
    *_PAGINATION,
    *_DOWNLOADS,
    *_BATCHES,
    *_BEFORE_AUTH_KINDS,
    *_AUTH_KINDS_AND_TRANSPORTS,
    *_NETWORK_TO_PREVIEW,
)

# Why a command refuses the shared flags it does not take: the hint of the usage error.
REFUSALS = {
    "download": "download sends GET requests and saves the body",
    "batch": "each line of a batch gives its own body: {\"json\": …} or {\"data\": …}",
}


def flags_of(command: str, table: tuple[Flag, ...] = FLAGS) -> tuple[Flag, ...]:
    """The flags `command` takes, in --help order."""
    return tuple(flag for flag in table if command in flag.commands)


def group_flags(group: str) -> tuple[Flag, ...]:
    return tuple(flag for flag in FLAGS if flag.group == group)


def find_flag(group: str, name: str) -> Flag:
    return next(flag for flag in FLAGS if flag.group == group and flag.name == name)


# Flags a command refuses for a reason of their own: the hint of the usage error.
_CAPTURES_IN_RESULTS = 'a batch writes each result\'s captures into its own line: "captures": {NAME: value}'
FLAG_REFUSALS = {
    ("batch", "--capture-file"): _CAPTURES_IN_RESULTS,
    ("batch", "--capture-secret"): _CAPTURES_IN_RESULTS + "; a secret has no place in the results",
}


def refusal(command: str, spelling: str) -> tuple[str, str] | None:
    """(message, hint) when `spelling` is a flag other commands take and `command` refuses, else None."""
    own = FLAG_REFUSALS.get((command, spelling))
    if own is not None:
        return f"{command} does not take {spelling}", own
    reason = REFUSALS.get(command)
    if reason is None:
        return None
    for flag in FLAGS:
        if spelling in flag.spellings and command not in flag.commands and flag.group == "request":
            return f"{command} does not take {spelling}", reason
    return None


class FlagValues:
    """The values of one group of flags, each starting at the table's default.

    A plain class, not a dataclass: building one on every start must cost next to nothing.
    Subclasses name their group and annotate each attribute (without a default) for the type checker.
    """

    group: ClassVar[str] = ""
    _flags: ClassVar[tuple[Flag, ...]] = ()
    _names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, *, group: str, flags: tuple[Flag, ...] | None = None, **kwargs: Any) -> None:
        """`flags`: the group's flags when they are not the table's (a test's own flag)."""
        super().__init_subclass__(**kwargs)
        cls.group = group
        cls._flags = group_flags(group) if flags is None else flags
        cls._names = frozenset(flag.name for flag in cls._flags)

    def __init__(self, **values: Any) -> None:
        for flag in self._flags:
            setattr(self, flag.name, flag.initial())
        for name, value in values.items():
            if name not in self._names:
                raise TypeError(f"unknown flag {name!r}")
            setattr(self, name, value)


def _shown(value: Any) -> str:
    return "-" if value is None else (repr(value) if isinstance(value, str) else str(value))


def listing() -> list[str]:
    """The table as text, one flag a line: name, spellings, default (or fallback) and commands."""
    rows = [("NAME", "SPELLINGS", "DEFAULT", "COMMANDS")]
    named = {REQUEST_COMMANDS: "requests", BODY_COMMANDS: "requests but download and batch", VERBS: "verbs"}
    for flag in FLAGS:
        default = _shown(flag.initial())
        if flag.fallback is not None:
            default += f" (else {_shown(flag.fallback)})"
        rows.append((flag.name, ", ".join(flag.spellings), default, named.get(flag.commands, " ".join(flag.commands))))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [" ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]]) for row in rows]


if __name__ == "__main__":
    sys.stdout.write("\n".join(listing()) + "\n")
