"""Shared flags for cookies, the further auth kinds and the transports, in the same form as options.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .panels import AUTH, NETWORK, SESSION, option

SESSION_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    (
        "auth_type",
        str | None,
        None,
        option(
            "-A",
            "--auth-type",
            help="How -u (basic, digest) or the token (bearer) is sent (default: basic for -u).",
            panel=AUTH,
            metavar="basic|digest|bearer",
            show_default=False,
        ),
    ),
    (
        "oauth2_token_url",
        str | None,
        None,
        option(
            "--oauth2-token-url",
            help="OAuth2 client credentials: the token endpoint (the token is cached until a minute before "
            "it expires).",
            panel=AUTH,
            metavar="URL",
            show_default=False,
        ),
    ),
    (
        "oauth2_client_id",
        str | None,
        None,
        option("--oauth2-client-id", help="OAuth2 client ID.", panel=AUTH, metavar="ID", show_default=False),
    ),
    (
        "oauth2_client_secret_env",
        str | None,
        None,
        option(
            "--oauth2-client-secret-env",
            help="OAuth2 client secret from this environment variable.",
            panel=AUTH,
            metavar="VAR",
            show_default=False,
        ),
    ),
    (
        "oauth2_client_secret_file",
        Path | None,
        None,
        option(
            "--oauth2-client-secret-file",
            help="OAuth2 client secret from this file.",
            panel=AUTH,
            metavar="FILE",
            show_default=False,
        ),
    ),
    (
        "oauth2_scope",
        str | None,
        None,
        option("--oauth2-scope", help="OAuth2 scope to ask for.", panel=AUTH, metavar="SCOPE", show_default=False),
    ),
    (
        "oauth2_audience",
        str | None,
        None,
        option(
            "--oauth2-audience", help="OAuth2 audience to ask for.", panel=AUTH, metavar="AUDIENCE", show_default=False
        ),
    ),
    (
        "auth_command",
        str | None,
        None,
        option(
            "--auth-command",
            help="Run this credential helper (no shell) for the headers to send: it prints a token, or JSON "
            "{headers, expires_in}.",
            panel=AUTH,
            metavar="'CMD ARGS'",
            show_default=False,
        ),
    ),
    (
        "cookie_jar",
        Path | None,
        None,
        option(
            "--cookie-jar",
            help="Load cookies from FILE before the run and save them after it (Netscape format, as curl's -b/-c; "
            "created 0600).",
            panel=SESSION,
            metavar="FILE",
            show_default=False,
        ),
    ),
    (
        "cookie",
        list[str] | None,
        None,
        option(
            "--cookie",
            help="Send this cookie to the request's origin (repeatable); not saved in the jar.",
            panel=SESSION,
            metavar="NAME=VALUE",
            show_default=False,
        ),
    ),
    (
        "proxy",
        str | None,
        None,
        option(
            "--proxy",
            help="Send through this proxy (http://, https://; socks5:// and socks5h:// with the socks extra), "
            "over HTTP_PROXY/HTTPS_PROXY/ALL_PROXY.",
            panel=NETWORK,
            metavar="URL",
            show_default=False,
        ),
    ),
    (
        "no_proxy",
        str | None,
        None,
        option(
            "--no-proxy",
            help="Comma-separated hosts (domains, IPs, CIDRs; * for all) that go direct, over NO_PROXY.",
            panel=NETWORK,
            metavar="HOSTS",
            show_default=False,
        ),
    ),
    (
        "unix_socket",
        Path | None,
        None,
        option(
            "--unix-socket",
            help="Connect to this unix socket instead of the URL's host, which still names the Host header "
            "(http:// URLs).",
            panel=NETWORK,
            metavar="PATH",
            show_default=False,
        ),
    ),
]
