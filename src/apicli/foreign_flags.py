"""Flags people bring from curl, HTTPie and xh, and what to use in apicli instead.

An unknown option is usually a habit from another tool, and click's spelling suggestions
(`--session` -> `--json`) point the wrong way. The usage error names the tool the flag comes
from and the apicli equivalent, or says that apicli already does it by default.

Flags that mean exactly the same as an apicli flag are accepted as aliases instead
(`--offline` for `--dry-run`, `-m` for `--max-time`), so they are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ForeignFlag:
    """One flag of one tool: its spellings there, and the advice for apicli."""

    names: tuple[str, ...]
    tool: str
    hint: str


DEFAULT_FOLLOW = "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)"
DEFAULT_FAIL = "apicli does this by default: a 4xx exits 4, a 5xx exits 5 (--ignore-status turns it off)"
AUTH = "-u USER[:PASSWORD] for basic auth, --token-env VAR or --token-file FILE for a bearer token"

FOREIGN_FLAGS: tuple[ForeignFlag, ...] = (
    # curl
    ForeignFlag(
        ("-X", "--request"), "curl", "the method is the command: apicli post URL, or apicli request METHOD URL"
    ),
    ForeignFlag(("-d", "--data-ascii", "--data-raw"), "curl", "--data TEXT|@FILE, or field=value items for JSON"),
    ForeignFlag(("--data-binary",), "curl", "--data @FILE sends the file's bytes unchanged"),
    ForeignFlag(("--data-urlencode",), "curl", "name==value items for the query, or field=value items with --form"),
    ForeignFlag(("-F",), "curl", "multipart fields are items with --form: field=value, field@file"),
    ForeignFlag(("-G", "--get", "--url-query"), "curl", "name==value items (or -q name=value) go in the query string"),
    ForeignFlag(("-L", "--location"), "curl", DEFAULT_FOLLOW),
    ForeignFlag(("-f", "--fail", "--fail-with-body"), "curl", DEFAULT_FAIL + "; the error body is shown on stderr"),
    ForeignFlag(("-b",), "curl", "--cookie NAME=VALUE sends a cookie; --cookie-jar FILE reads (and saves) a jar"),
    ForeignFlag(("-c",), "curl", "--cookie-jar FILE saves the cookies in curl's format (and reads them first)"),
    ForeignFlag(("--user-agent",), "curl", "a header item: User-Agent:'name/1.0'"),
    ForeignFlag(("-e", "--referer"), "curl", "a header item: Referer:URL"),
    ForeignFlag(("-I", "--head"), "curl", "apicli head URL prints the status line and headers"),
    ForeignFlag(("-D", "--dump-header"), "curl", "-i prints the status line and headers on stderr"),
    ForeignFlag(("-O", "--remote-name"), "curl", "apicli download URL saves under the server's or the URL's name"),
    ForeignFlag(("-C", "--continue-at"), "curl", "apicli download --continue resumes a partial download"),
    ForeignFlag(("-T", "--upload-file"), "curl", "apicli put URL --data @FILE"),
    ForeignFlag(("--retry",), "curl", "--retries N (connection errors, timeouts, 429 and 5xx are retried)"),
    ForeignFlag(("--retry-delay",), "curl", "--backoff S sets the base of the exponential backoff"),
    ForeignFlag(("--retry-max-time",), "curl", "--max-time S bounds the whole exchange, retries included"),
    ForeignFlag(("-S", "--show-error"), "curl", "apicli always shows errors; -s/--quiet silences everything else"),
    ForeignFlag(("--silent",), "curl", "-s/--quiet prints nothing on stderr but errors"),
    ForeignFlag(("--compressed",), "curl", "apicli asks for compression and decodes it by default"),
    ForeignFlag(("-N", "--no-buffer"), "curl", "apicli writes a piped body as it arrives by default"),
    ForeignFlag(("-x",), "curl", "--proxy URL (and --no-proxy HOSTS); HTTPS_PROXY, HTTP_PROXY and NO_PROXY work too"),
    ForeignFlag(("-n", "--netrc"), "curl", "apicli reads ~/.netrc (or $NETRC) by default"),
    ForeignFlag(("--oauth2-bearer",), "curl", "--token-env VAR or --token-file FILE (no secret on the command line)"),
    ForeignFlag(("--http2", "--http1.1", "--http1.0"), "curl", "apicli speaks HTTP/1.1 only"),
    # HTTPie (xh shares most of its flags)
    ForeignFlag(
        ("--session", "--session-read-only"),
        "HTTPie and xh",
        "apicli has no sessions; a profile (-P NAME) keeps a base URL, headers and credentials: apicli help config",
    ),
    ForeignFlag(("-F", "--follow"), "HTTPie and xh", DEFAULT_FOLLOW),
    ForeignFlag(("--check-status",), "HTTPie and xh", DEFAULT_FAIL),
    ForeignFlag(("-I", "--ignore-stdin"), "HTTPie and xh", "apicli reads stdin only when an item or flag says @-"),
    ForeignFlag(
        ("-p", "--print"),
        "HTTPie and xh",
        "the body goes to stdout; -i adds the response head on stderr, -v the request too",
    ),
    ForeignFlag(
        ("--headers",), "HTTPie and xh", "-i prints the status line and headers on stderr; apicli head URL on stdout"
    ),
    ForeignFlag(("-b", "--body"), "HTTPie and xh", "apicli prints only the body by default"),
    ForeignFlag(("-a", "--auth"), "HTTPie and xh", AUTH),
    ForeignFlag(("--bearer",), "xh", "--token-env VAR or --token-file FILE (no secret on the command line)"),
    ForeignFlag(("-j",), "HTTPie and xh", "data items send JSON by default; --json TEXT|@FILE sends a whole body"),
    ForeignFlag(("-f",), "HTTPie and xh", "--form sends the data items as a form"),
    ForeignFlag(("--multipart",), "HTTPie and xh", "--form with a field@file item sends multipart"),
    ForeignFlag(("-d", "--download"), "HTTPie and xh", "apicli download URL"),
    ForeignFlag(("-c",), "HTTPie and xh", "apicli download --continue resumes a partial download"),
    ForeignFlag(("-S", "--stream"), "HTTPie and xh", "apicli writes a piped body as it arrives by default"),
    ForeignFlag(("--verify",), "HTTPie and xh", "-k/--insecure skips verification; --cacert FILE trusts a CA bundle"),
    ForeignFlag(("--cert-key",), "HTTPie and xh", "--key FILE"),
    ForeignFlag(("--all", "--history-print"), "HTTPie and xh", "-v shows each redirect and retry on stderr"),
)


def foreign_flag_advice(option: str) -> tuple[str, str] | None:
    """(where `option` comes from, what to do in apicli), or None when no tool here has it.

    `option` is as typed, without any `=value`. A short flag can mean different things in
    different tools (curl's -d sends data, HTTPie's downloads): the advice then names each.
    """
    matches = [flag for flag in FOREIGN_FLAGS if option in flag.names]
    if not matches:
        return None
    origin = "a flag of " + ", and of ".join(flag.tool for flag in matches)
    if len(matches) == 1:
        return origin, matches[0].hint
    return origin, "; ".join(f"{option} in {flag.tool}: {flag.hint}" for flag in matches)
