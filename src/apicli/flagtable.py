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
from typing import Any, ClassVar, NamedTuple

# Panels of --help, in the order they first appear on a command's screen.
REQUEST = "Request"
AUTH = "Authentication"
SESSION = "Cookies"
NETWORK = "Network"
RETRY = "Retries"
OUTPUT = "Output"
PREVIEW = "Preview (send nothing)"
CI = "CI: polling and the whole exchange"
CHECKS = "CI: checks, captures and reports"
PAGINATION = "Pagination"
DOWNLOAD = "Download"
BATCH = "Batch"

# The commands that take flags, by the name typed after `apicli` ("apicli" itself for the root).
ROOT = "apicli"
VERBS = ("get", "post", "put", "patch", "delete", "head", "request")
# The commands that may send a body and write the response body to stdout, where it can be shaped and checked.
BODY_COMMANDS = (*VERBS, "paginate")
REQUEST_COMMANDS = (*BODY_COMMANDS, "download", "batch")
# The commands whose output is JSON they can shape: the body commands, and batch's results.
SHAPING_COMMANDS = (*BODY_COMMANDS, "batch")
CONFIG_SHOW = "config show"

# Values used when a flag is not given and a profile gives none either.
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_MAX_REDIRECTS = 30
# Real flag defaults, named because core objects (spec.NetworkOptions, spec.RetryPolicy) share them.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_BACKOFF = 0.5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_INTERVAL = 2.0
DEFAULT_DOWNLOAD_PARALLEL = 4
DEFAULT_BATCH_PARALLEL = 8
# --max-time when --until or --until-status is given without one: a poll never waits forever.
DEFAULT_UNTIL_MAX_TIME = 300.0
MAX_PARALLEL = 64  # most requests at once for --parallel (paginate, download and batch)


class Flag(NamedTuple):
    """One flag of one or more commands.

    `type` is the value a command receives (a repeatable flag's is a list, empty when not
    given); `fallback` is what applies when the flag is not given and its default is None
    (a profile's value may come first). `group` names the flags object that receives it.
    """

    name: str
    spellings: tuple[str, ...]
    type: Any
    default: Any
    help: str
    commands: tuple[str, ...]
    group: str
    panel: str | None = None
    metavar: str | None = None
    show_default: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # Values each use takes (--arg NAME VALUE takes 2); with `repeatable`, a list of tuples.
    nargs: int = 1
    repeatable: bool = False
    hidden: bool = False
    fallback: Any = None

    def initial(self) -> Any:
        """The value before the command line is read: a fresh list for a repeatable flag."""
        return [] if self.repeatable else self.default

    @property
    def long(self) -> str:
        """The spelling messages use: the first long one."""
        return next(spelling for spelling in self.spellings if spelling.startswith("--"))


def _request(name: str, *spellings: str, type: Any, default: Any = None, **fields: Any) -> Flag:
    """A flag every request command shares (download refuses a body and response shaping)."""
    fields.setdefault("commands", REQUEST_COMMANDS)
    return Flag(name, spellings, type, default, group="request", **fields)


def _text(name: str, *spellings: str, **fields: Any) -> Flag:
    """A shared flag taking one text value, None when not given."""
    return _request(name, *spellings, type=str | None, show_default=False, **fields)


def _file(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=Path | None, show_default=False, metavar="FILE", **fields)


def _switch(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=bool, default=False, **fields)


def _repeated(name: str, *spellings: str, **fields: Any) -> Flag:
    return _request(name, *spellings, type=list[str], repeatable=True, show_default=False, **fields)


_ROOT_AND_CONFIG = (
    Flag("version", ("--version",), bool, False, "Show the version and exit.", (ROOT,), group="root"),
    Flag(
        "profile",
        ("-P", "--profile"),
        str | None,
        None,
        "Show only this profile.",
        (CONFIG_SHOW,),
        group="config show",
        metavar="NAME",
        show_default=False,
    ),
)


def _poll(name: str, *spellings: str, type: Any, default: Any, help: str, **fields: Any) -> Flag:
    fields.setdefault("panel", CI)
    return Flag(name, spellings, type, default, help, VERBS, group="poll", **fields)


_POLLING = (
    _poll(
        "until",
        "--until",
        type=str | None,
        default=None,
        help="Repeat the request until this jq expression holds on the JSON body (as jq -e decides); "
        "only the last body is printed. On an event or NDJSON stream, the first event that satisfies "
        f"it ends the stream. Bounded by --max-time (default {DEFAULT_UNTIL_MAX_TIME:g} s).",
        metavar="EXPR",
        show_default=False,
    ),
    _poll(
        "until_status",
        "--until-status",
        type=str | None,
        default=None,
        help="Repeat the request until the status is one of LIST (200, 2xx, 200,204).",
        metavar="LIST",
        show_default=False,
    ),
    _poll(
        "interval",
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help="Seconds between --until attempts.",
        minimum=0.0,
        metavar="S",
    ),
    _poll(
        "envelope",
        "--envelope",
        type=bool,
        default=False,
        help="Print the whole exchange as one JSON document: status, headers, timing and the body.",
    ),
    _poll(
        "events",
        "--events",
        type=bool,
        default=False,
        help="Write a text/event-stream response as NDJSON, one {event, id, data} object per event as it arrives.",
        panel=OUTPUT,
    ),
)


def _check(name: str, *spellings: str, help: str, metavar: str, repeatable: bool = True, **fields: Any) -> Flag:
    type = list[str] if repeatable else str | None
    fields.setdefault("commands", VERBS)
    return Flag(
        name,
        spellings,
        type,
        None,
        help,
        group="checks",
        panel=CHECKS,
        metavar=metavar,
        repeatable=repeatable,
        show_default=False,
        **fields,
    )


_CHECKING = (
    _check("assert_", "--assert", commands=(*VERBS, "batch"), metavar="EXPR",
           help="A jq expression over the JSON body that must hold (not false or null, for every result); "
           "$status, $headers, $elapsed, $url, $method and $retries are bound. A trailing '# text' is its "
           "message. Every assert is checked; a failure exits 10 after the body is written."),
    _check("expect_status", "--expect-status", commands=(*VERBS, "batch"), metavar="LIST", repeatable=False,
           help="The statuses that count as success (200, 2xx, 200,201,404) instead of any 2xx; an expected "
           "status is not retried."),
    _check("capture", "--capture", metavar="NAME=EXPR",
           help="Keep the first result of a jq expression (a string as itself, else JSON) as NAME in "
           "--capture-file; written only when the request and every check succeeded."),
    _check("capture_secret", "--capture-secret", metavar="NAME=EXPR",
           help="As --capture, for a secret: masked in GitHub Actions' log and redacted from apicli's stderr."),
    _check("capture_file", "--capture-file", metavar="FILE", repeatable=False,
           help="Where captures are appended: a file of NAME='value' lines to source in sh, or GitHub's "
           "format for github ($GITHUB_OUTPUT), github-env ($GITHUB_ENV) or the files they name."),
    _check("report", "--report", metavar="FORMAT:FILE", commands=(*VERBS, "paginate", "download", "batch"),
           help="Add this run to a test report: junit:FILE (one testsuite per run), tap:FILE or json:FILE "
           "(JSON Lines); one case per request (paginate: per page; download: per file) with each check."),
)  # fmt: skip


def _page(name: str, *spellings: str, type: Any, help: str, default: Any = None, **fields: Any) -> Flag:
    fields.setdefault("show_default", False)
    return Flag(name, spellings, type, default, help, ("paginate",), group="paginate", panel=PAGINATION, **fields)


_PAGINATION = (
    _page("items_path", "--items", type=str | None, help="Dot path of the item list in each page, e.g. data.users.",
          metavar="PATH"),
    _page("next_path", "--next", type=str | None, help="Dot path of the next page's URL in each body.", metavar="PATH"),
    _page("cursor_param", "--cursor-param", type=str | None, fallback="cursor", metavar="NAME",
          help="Send the cursor as this query parameter (default: cursor)."),
    _page("cursor", "--cursor", type=str | None, metavar="PATH",
          help="Dot path of the cursor in each body; null, missing or empty ends."),
    _page("page_param", "--page-param", type=str | None, fallback="page", metavar="NAME",
          help="Page-number pagination with this query parameter."),
    _page("start", "--start", type=int | None, minimum=0, metavar="N",
          help="First page number (default 1) or first offset (default 0)."),
    _page("offset_param", "--offset-param", type=str | None, fallback="offset", metavar="NAME",
          help="Offset pagination with this query parameter."),
    _page("limit", "--limit", type=int | None, minimum=1, metavar="N", help="Page size for offset pagination."),
    _page("limit_param", "--limit-param", type=str | None, fallback="limit", metavar="NAME",
          help="Query parameter of --limit (default: limit)."),
    _page("scheme", "--scheme", type=str, default="auto", choices=("auto", "link", "body", "cursor", "page", "offset"),
          metavar="SCHEME", show_default=True,
          help="auto (a Link header, else a next URL in the body), or force link, body, cursor, page or offset."),
    _page("max_pages", "--max-pages", type=int | None, minimum=1, metavar="N", help="Stop after N pages (exit 0)."),
    _page("max_items", "--max-items", type=int | None, minimum=1, metavar="N", help="Stop after N items (exit 0)."),
    _page("array", "--array", type=bool, default=False, help="Write one JSON array instead of NDJSON lines."),
    _page("allow_cross_origin", "--allow-cross-origin", type=bool, default=False,
          help="Follow next links to another origin, without any credentials."),
    _page("parallel", "--parallel", type=int, default=1, minimum=1, maximum=MAX_PARALLEL, metavar="N",
          show_default=True,
          help="Fetch up to N pages at once when their URLs can be known ahead; output order is unchanged."),
    _page("delay", "--delay", type=float | None, minimum=0.0, metavar="S",
          help="Pause S seconds before each request after the first."),
    _page("rate", "--rate", type=str | None, metavar="N/s", help="At most N requests per second (or N/min, N/h)."),
    _page("jq_all", "--jq-all", type=bool, default=False,
          help="Run --jq once over all the items as one array (like jq -s) instead of once per item; "
          "the whole collection is gathered in memory first."),
)  # fmt: skip


def _download(name: str, *spellings: str, type: Any, help: str, default: Any = None, **fields: Any) -> Flag:
    return Flag(name, spellings, type, default, help, ("download",), group="download", panel=DOWNLOAD, **fields)


_DOWNLOADS = (
    _download("directory", "-d", "--dir", type=Path | None, metavar="DIR", show_default=False,
              help="Save into this directory (created if needed), named by the server or the URL."),
    _download("resume", "--continue", type=bool, default=False,
              help="Resume the .part file (or the -o FILE) a previous run left, with a Range request, even "
              "without a validator; a plain rerun resumes a .part only when its ETag or Last-Modified agrees."),
    _download("sha256", "--sha256", type=str | None, metavar="HEX", show_default=False,
              help="Expected SHA-256 (hex); checked before the file gets its name."),
    _download("checksum", "--checksum", type=str | None, metavar="ALGO:HEX", show_default=False,
              help="Expected digest as ALGO:HEX, ALGO one of sha256, sha512, md5."),
    _download("input_file", "--input-file", type=Path | None, metavar="FILE", show_default=False,
              help="Read URLs from FILE (- is stdin), one per line, optionally URL<TAB>name; # comments."),
    _download("decode", "--decode", type=bool, default=False,
              help="Save a body the server compressed (Content-Encoding) decoded; by default it is saved as sent."),
    _download("parallel", "--parallel", type=int, default=DEFAULT_DOWNLOAD_PARALLEL, minimum=1,
              maximum=MAX_PARALLEL, metavar="N", help="Downloads at once."),
)  # fmt: skip


def _batch(name: str, *spellings: str, type: Any, help: str, default: Any = None, **fields: Any) -> Flag:
    return Flag(name, spellings, type, default, help, ("batch",), group="batch", panel=BATCH, **fields)


_BATCHES = (
    _batch("base_url", "--base-url", type=str | None, metavar="URL", show_default=False,
           help="Base of the lines' URLs that start with / (default: the profile's base_url); "
           "credentials go only to its origin."),
    _batch("parallel", "--parallel", type=int, default=DEFAULT_BATCH_PARALLEL, minimum=1, maximum=MAX_PARALLEL,
           metavar="N", help="Requests at once, on one connection pool, cookie jar and token."),
    _batch("rate", "--rate", type=str | None, metavar="N/s", show_default=False,
           help="At most N requests per second over all workers (or N/min, N/h)."),
    _batch("unordered", "--unordered", type=bool, default=False,
           help="Write each result as it completes instead of in input order."),
    _batch("bodies", "--bodies", type=bool, default=False,
           help="Write only each successful response body, one per line (then --jq applies to the body)."),
    _batch("fail_fast", "--fail-fast", type=bool, default=False,
           help="Stop sending at the first failed request (or bad line); the requests in flight finish."),
)  # fmt: skip

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
    _file("schema", "--schema", panel=OUTPUT, commands=BODY_COMMANDS,
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


def refusal(command: str, spelling: str) -> tuple[str, str] | None:
    """(message, hint) when `spelling` is a flag other commands take and `command` refuses, else None."""
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
