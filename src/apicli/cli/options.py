"""The flags every request-sending command shares, declared once with their defaults and help.

Each entry is (parameter name, type, default, Typer option); the order is the order in --help.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..spec import (
    DEFAULT_BACKOFF,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_MAX_WAIT,
    DEFAULT_TIMEOUT,
)
from .panels import AUTH, NETWORK, OUTPUT, PREVIEW, REQUEST, RETRY, option
from .session_options import SESSION_OPTIONS

# (name, type, default, Option) for each shared flag; the order is the order in --help.
COMMON_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    (
        "profile",
        str | None,
        None,
        option(
            "-P",
            "--profile",
            help="Use this profile from the config file (default: $APICLI_PROFILE, else the 'default' profile).",
            panel=REQUEST,
            metavar="NAME",
            show_default=False,
        ),
    ),
    (
        "header",
        list[str] | None,
        None,
        option(
            "-H",
            "--header",
            help="Header 'Name: Value' (repeatable).",
            panel=REQUEST,
            metavar="'NAME: VALUE'",
            show_default=False,
        ),
    ),
    (
        "query",
        list[str] | None,
        None,
        option(
            "-q",
            "--query",
            help="Query parameter name=value (repeatable).",
            panel=REQUEST,
            metavar="NAME=VALUE",
            show_default=False,
        ),
    ),
    (
        "json_body",
        str | None,
        None,
        option(
            "--json",
            help="JSON body: TEXT, @FILE or @- (stdin); checked before sending.",
            panel=REQUEST,
            metavar="TEXT|@FILE|@-",
            show_default=False,
        ),
    ),
    (
        "data",
        str | None,
        None,
        option(
            "--data",
            help="Raw body: TEXT, @FILE or @- (stdin).",
            panel=REQUEST,
            metavar="TEXT|@FILE|@-",
            show_default=False,
        ),
    ),
    (
        "form",
        bool,
        False,
        option(
            "--form",
            help="Send field=value items as a form (multipart when a field@file item is present).",
            panel=REQUEST,
        ),
    ),
    (
        "user",
        str | None,
        None,
        option(
            "-u",
            "--user",
            help="Basic auth user[:password]; without a password, --password-env or a terminal prompt.",
            panel=AUTH,
            metavar="USER[:PASSWORD]",
            show_default=False,
        ),
    ),
    (
        "password_env",
        str | None,
        None,
        option(
            "--password-env",
            help="Read the -u password from this environment variable.",
            panel=AUTH,
            metavar="VAR",
            show_default=False,
        ),
    ),
    (
        "token_env",
        str | None,
        None,
        option(
            "--token-env",
            help="Bearer token from this environment variable.",
            panel=AUTH,
            metavar="VAR",
            show_default=False,
        ),
    ),
    (
        "token_file",
        Path | None,
        None,
        option("--token-file", help="Bearer token from this file.", panel=AUTH, metavar="FILE", show_default=False),
    ),
    (
        "api_key_env",
        str | None,
        None,
        option(
            "--api-key-env",
            help="API key from this environment variable.",
            panel=AUTH,
            metavar="VAR",
            show_default=False,
        ),
    ),
    (
        "api_key_file",
        Path | None,
        None,
        option("--api-key-file", help="API key from this file.", panel=AUTH, metavar="FILE", show_default=False),
    ),
    (
        "api_key_header",
        str | None,
        None,
        option(
            "--api-key-header",
            help="Send the API key in this header (default X-API-Key).",
            panel=AUTH,
            metavar="NAME",
            show_default=False,
        ),
    ),
    (
        "api_key_query",
        str | None,
        None,
        option(
            "--api-key-query",
            help="Send the API key as this query parameter instead.",
            panel=AUTH,
            metavar="NAME",
            show_default=False,
        ),
    ),
    (
        "timeout",
        float | None,
        None,
        option(
            "--timeout",
            help=f"Read timeout in seconds (default: the profile's, else {DEFAULT_TIMEOUT:g}).",
            panel=NETWORK,
            min=0.001,
            metavar="S",
            show_default=False,
        ),
    ),
    (
        "connect_timeout",
        float,
        DEFAULT_CONNECT_TIMEOUT,
        option("--connect-timeout", help="Connect timeout in seconds.", panel=NETWORK, min=0.001, metavar="S"),
    ),
    (
        "max_time",
        float | None,
        None,
        option(
            "-m",
            "--max-time",
            help="Overall deadline in seconds, retries and waits included (curl's -m).",
            panel=NETWORK,
            min=0.001,
            metavar="S",
            show_default=False,
        ),
    ),
    ("no_follow", bool, False, option("--no-follow", help="Do not follow redirects; a 3xx exits 3.", panel=NETWORK)),
    (
        "max_redirects",
        int | None,
        None,
        option(
            "--max-redirects",
            help=f"Most redirects to follow (default {DEFAULT_MAX_REDIRECTS}).",
            panel=NETWORK,
            min=0,
            metavar="N",
            show_default=False,
        ),
    ),
    (
        "allow_insecure_redirect",
        bool,
        False,
        option("--allow-insecure-redirect", help="Allow redirects from https to http.", panel=NETWORK),
    ),
    ("insecure", bool, False, option("-k", "--insecure", help="Skip TLS certificate verification.", panel=NETWORK)),
    (
        "cacert",
        Path | None,
        None,
        option("--cacert", help="Trust this CA bundle (PEM).", panel=NETWORK, metavar="FILE", show_default=False),
    ),
    (
        "cert",
        Path | None,
        None,
        option("--cert", help="Client certificate (PEM).", panel=NETWORK, metavar="FILE", show_default=False),
    ),
    (
        "key",
        Path | None,
        None,
        option("--key", help="Private key for --cert.", panel=NETWORK, metavar="FILE", show_default=False),
    ),
    (
        "retries",
        int | None,
        None,
        option(
            "--retries",
            help="Retries for connection errors, timeouts, 429 and 5xx (idempotent methods; "
            f"default: the profile's, else {DEFAULT_RETRIES}).",
            panel=RETRY,
            min=0,
            metavar="N",
            show_default=False,
        ),
    ),
    (
        "backoff",
        float,
        DEFAULT_BACKOFF,
        option("--backoff", help="Base of the exponential backoff, in seconds.", panel=RETRY, min=0.0, metavar="S"),
    ),
    (
        "retry_max_wait",
        float,
        DEFAULT_RETRY_MAX_WAIT,
        option(
            "--retry-max-wait",
            help="Cap on any single wait (Retry-After included), in seconds.",
            panel=RETRY,
            min=0.0,
            metavar="S",
        ),
    ),
    (
        "retry_unsafe",
        bool,
        False,
        option(
            "--retry-unsafe", help="Also retry POST and PATCH (an Idempotency-Key header does the same).", panel=RETRY
        ),
    ),
    ("pretty", bool, False, option("--pretty", help="Indent and colour JSON even into a pipe.", panel=OUTPUT)),
    ("raw", bool, False, option("--raw", help="Write the body unchanged even on a terminal.", panel=OUTPUT)),
    # Two flags rather than one --color/--no-color, so that giving both can be refused.
    (
        "color",
        bool,
        False,
        option(
            "--color",
            help="Force colour on (default: on for a terminal; NO_COLOR and FORCE_COLOR are honoured).",
            panel=OUTPUT,
            show_default=False,
        ),
    ),
    ("no_color", bool, False, option("--no-color", help="Force colour off.", panel=OUTPUT, show_default=False)),
    (
        "include",
        bool,
        False,
        option("-i", "--include", help="Print the status line and response headers to stderr.", panel=OUTPUT),
    ),
    (
        "verbose",
        bool,
        False,
        option(
            "-v",
            "--verbose",
            help="Also print the request, redirects and retries to stderr (secrets redacted).",
            panel=OUTPUT,
        ),
    ),
    ("quiet", bool, False, option("-s", "--quiet", help="Print nothing on stderr but errors.", panel=OUTPUT)),
    (
        "output",
        Path | None,
        None,
        option(
            "-o",
            "--output",
            help="Write the body to FILE (atomically); - is stdout.",
            panel=OUTPUT,
            metavar="FILE",
            show_default=False,
        ),
    ),
    (
        "ignore_status",
        bool,
        False,
        option("--ignore-status", help="Treat any HTTP status as success: body on stdout, exit 0.", panel=OUTPUT),
    ),
    (
        "jq",
        str | None,
        None,
        option(
            "--jq",
            help="Filter the JSON response with this jq program; one result per line.",
            panel=OUTPUT,
            metavar="EXPR",
            show_default=False,
        ),
    ),
    (
        "raw_output",
        bool,
        False,
        option("-r", "--raw-output", help="With --jq, print string results without quotes.", panel=OUTPUT),
    ),
    (
        "write_out",
        str | None,
        None,
        option(
            "-w",
            "--write-out",
            help="After the transfer, print FORMAT with curl's %{variables} (%{http_code}, %{time_total}, "
            "%header{name}, %{json}...) on stdout, or on stderr after %{stderr}; @FILE or @- reads it.",
            panel=OUTPUT,
            metavar="FORMAT",
            show_default=False,
        ),
    ),
    (
        "schema",
        Path | None,
        None,
        option(
            "--schema",
            help="Check the response against this JSON Schema; a mismatch exits 9 after the body is written.",
            panel=OUTPUT,
            metavar="FILE",
            show_default=False,
        ),
    ),
    (
        "curl",
        bool,
        False,
        option("--curl", help="Print the equivalent curl command instead of sending.", panel=PREVIEW),
    ),
    (
        "dry_run",
        bool,
        False,
        option(
            "--dry-run",
            "--offline",
            help="Print the request (method, URL, headers, body) instead of sending (HTTPie's --offline).",
            panel=PREVIEW,
        ),
    ),
    (
        "show_secrets",
        bool,
        False,
        option("--show-secrets", help="Do not redact secrets in --curl and --dry-run output.", panel=PREVIEW),
    ),
]
# Cookies, the other auth kinds and transports, kept in their own module: after the auth flags in --help.
_AFTER_AUTH = [name for name, _, _, _ in COMMON_OPTIONS].index("timeout")
COMMON_OPTIONS[_AFTER_AUTH:_AFTER_AUTH] = SESSION_OPTIONS
COMMON_NAMES = frozenset(name for name, _, _, _ in COMMON_OPTIONS)
