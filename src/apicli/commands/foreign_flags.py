"""Flags people bring from curl, HTTPie, xh and jq, and what to use in apicli instead.

An unknown option is usually a habit from another tool, and click's spelling suggestions
(`--session` -> `--json`) point the wrong way. The usage error names the tool the flag comes
from and the apicli equivalent, or says that apicli already does it by default.

Flags that mean exactly the same as an apicli flag are accepted as aliases instead
(`--offline` for `--dry-run`, `-m` for `--max-time`), so they are not listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ForeignFlag:
    """One flag of one tool: its spellings there, and the advice for apicli."""

    names: tuple[str, ...]
    tool: str
    hint: str
    # Whether the flag takes a value in its tool: in a cluster (`-XPOST`) the rest is that value.
    takes_value: bool = False


DEFAULT_FOLLOW = "apicli follows redirects by default (--no-follow stops, --max-redirects N limits)"
DEFAULT_FAIL = "apicli does this by default: a 4xx exits 4, a 5xx exits 5 (--ignore-status turns it off)"
AUTH = "-u USER[:PASSWORD] for basic auth, --token-env VAR or --token-file FILE for a bearer token"

FOREIGN_FLAGS: tuple[ForeignFlag, ...] = (
    # curl
    ForeignFlag(
        ("-X", "--request"),
        "curl",
        "the method is the command: apicli post URL, or apicli request METHOD URL",
        takes_value=True,
    ),
    ForeignFlag(
        ("-d", "--data-ascii", "--data-raw"),
        "curl",
        "--data TEXT|@FILE, or field=value items for JSON",
        takes_value=True,
    ),
    ForeignFlag(("--data-binary",), "curl", "--data @FILE sends the file's bytes unchanged"),
    ForeignFlag(("--data-urlencode",), "curl", "name==value items for the query, or field=value items with --form"),
    ForeignFlag(("-F",), "curl", "multipart fields are items with --form: field=value, field@file", takes_value=True),
    ForeignFlag(("-G", "--get", "--url-query"), "curl", "name==value items (or -q name=value) go in the query string"),
    ForeignFlag(("-L", "--location"), "curl", DEFAULT_FOLLOW),
    ForeignFlag(("-f", "--fail", "--fail-with-body"), "curl", DEFAULT_FAIL + "; the error body is shown on stderr"),
    ForeignFlag(
        ("-b",),
        "curl",
        "--cookie NAME=VALUE sends a cookie; --cookie-jar FILE reads (and saves) a jar",
        takes_value=True,
    ),
    ForeignFlag(
        ("-c",), "curl", "--cookie-jar FILE saves the cookies in curl's format (and reads them first)", takes_value=True
    ),
    ForeignFlag(("--user-agent",), "curl", "a header item: User-Agent:'name/1.0'"),
    ForeignFlag(("-e", "--referer"), "curl", "a header item: Referer:URL", takes_value=True),
    ForeignFlag(("-I", "--head"), "curl", "apicli head URL prints the status line and headers"),
    ForeignFlag(("-D", "--dump-header"), "curl", "-i prints the status line and headers on stderr", takes_value=True),
    ForeignFlag(("-O", "--remote-name"), "curl", "apicli download URL saves under the server's or the URL's name"),
    ForeignFlag(
        ("-C", "--continue-at"), "curl", "apicli download --continue resumes a partial download", takes_value=True
    ),
    ForeignFlag(("-T", "--upload-file"), "curl", "apicli put URL --data @FILE", takes_value=True),
    ForeignFlag(("--retry",), "curl", "--retries N (connection errors, timeouts, 429 and 5xx are retried)"),
    ForeignFlag(("--retry-delay",), "curl", "--backoff S sets the base of the exponential backoff"),
    ForeignFlag(("--retry-max-time",), "curl", "--max-time S bounds the whole exchange, retries included"),
    ForeignFlag(("-S", "--show-error"), "curl", "apicli always shows errors; -s/--quiet silences everything else"),
    ForeignFlag(("--silent",), "curl", "-s/--quiet prints nothing on stderr but errors"),
    ForeignFlag(("--compressed",), "curl", "apicli asks for compression and decodes it by default"),
    ForeignFlag(("-N", "--no-buffer"), "curl", "apicli writes a piped body as it arrives by default"),
    ForeignFlag(
        ("-x",),
        "curl",
        "--proxy URL (and --no-proxy HOSTS); HTTPS_PROXY, HTTP_PROXY and NO_PROXY work too",
        takes_value=True,
    ),
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
        takes_value=True,
    ),
    ForeignFlag(
        ("--headers",), "HTTPie and xh", "-i prints the status line and headers on stderr; apicli head URL on stdout"
    ),
    ForeignFlag(("-b", "--body"), "HTTPie and xh", "apicli prints only the body by default"),
    ForeignFlag(("-a", "--auth"), "HTTPie and xh", AUTH, takes_value=True),
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
    # jq, for what people bring to --jq
    ForeignFlag(
        ("-c", "--compact-output"),
        "jq",
        "--jq output is compact when piped already; --raw keeps it compact on a terminal too",
    ),
    ForeignFlag(
        ("-j", "--join-output"),
        "jq",
        "-r prints strings bare; for no newlines, join in the program: --jq '[.[] | .name] | join(\"\")' -r",
    ),
    ForeignFlag(
        ("-S", "--sort-keys"),
        "jq",
        "apicli keeps the server's key order; sort in the program: --jq 'to_entries | sort_by(.key) | from_entries'",
    ),
    ForeignFlag(("-e", "--exit-status"), "jq", "--assert EXPR fails the run (exit 10) when EXPR is false or null"),
    ForeignFlag(
        ("--slurp",), "jq", "one body is one input already; paginate --jq-all runs the program on all items at once"
    ),
    ForeignFlag(
        ("-n", "--null-input"), "jq", "--jq runs on the response body; for a constant, write it in the program"
    ),
    ForeignFlag(("-R", "--raw-input"), "jq", "--jq reads JSON; a text body is a string in --envelope's .body"),
    ForeignFlag(("-C", "--color-output"), "jq", "--color"),
    ForeignFlag(("-M", "--monochrome-output"), "jq", "--no-color"),
    ForeignFlag(("--tab", "--indent"), "jq", "--pretty indents by 2 spaces (on a terminal by default)"),
    ForeignFlag(
        ("-a", "--ascii-output"), "jq", "--jq output keeps non-ASCII text as UTF-8; escape in the program with @json"
    ),
    ForeignFlag(("--args", "--jsonargs"), "jq", "--arg NAME VALUE and --argjson NAME JSON bind named values"),
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


# What a cluster of short flags (`-fsSL`) is made of, letter by letter.
@dataclass(frozen=True)
class ClusterLetter:
    flag: str  # "-f"
    own: str | None = None  # apicli's name for it ("--quiet"), when apicli has the letter
    foreign: ForeignFlag | None = None  # the other tool's flag, when apicli lacks the letter


# curl's clusters (-fsSL) are the commoner habit: it wins ties; jq's (-rc) come next.
_CLUSTER_TOOLS = ("curl", "HTTPie and xh", "jq")


def is_cluster(arg: str) -> bool:
    """Whether `arg` is several short flags written as one word (`-fsSL`), as click reads `-abc`."""
    return len(arg) > 2 and arg[0] == "-" and arg[1] != "-"


def read_cluster(cluster: str, own: dict[str, tuple[str, bool]], first: str | None = None) -> list[ClusterLetter]:
    """The letters of `cluster`, each apicli's own, another tool's, or neither.

    `own` maps apicli's short flags to (long name, takes a value). A letter that takes a value
    ends the cluster (the rest is its value), as in `-XPOST`. Where a letter means different
    things in curl and HTTPie, the tool that explains most of the cluster decides, and then the
    reading that takes most of it as flags (`-bj`: HTTPie's -b and -j, not curl's cookie `j`);
    `first` names the tool that wins a tie (jq's, when the command line has --jq).
    """
    tools = sorted(_CLUSTER_TOOLS, key=lambda tool: tool != first)  # with --jq given, jq's -rc wins ties
    readings = [_read_as(cluster, own, tool) for tool in tools]

    def fit(index: int) -> tuple[int, int]:
        return sum(_strange(letter, tools[index]) for letter in readings[index]), -len(readings[index])

    return readings[min(range(len(readings)), key=fit)]


def _strange(letter: ClusterLetter, tool: str) -> bool:
    return letter.own is None and (letter.foreign is None or letter.foreign.tool != tool)


def _read_as(cluster: str, own: dict[str, tuple[str, bool]], tool: str) -> list[ClusterLetter]:
    letters: list[ClusterLetter] = []
    for letter in cluster[1:]:
        flag = "-" + letter
        if flag in own:
            name, takes_value = own[flag]
            letters.append(ClusterLetter(flag, own=name))
        else:
            choices = [known for known in FOREIGN_FLAGS if flag in known.names]
            chosen = next((known for known in choices if known.tool == tool), choices[0] if choices else None)
            letters.append(ClusterLetter(flag, foreign=chosen))
            takes_value = chosen is not None and chosen.takes_value
        if takes_value:
            break
    return letters


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cluster_lines(cluster: str, letters: list[ClusterLetter], command_path: str) -> list[str]:
    """One error and one hint covering every letter of `cluster`, so it can be fixed at once."""
    parts: list[str] = []
    tools = dict.fromkeys(letter.foreign.tool for letter in letters if letter.foreign is not None)
    for tool in tools:
        flags = [letter.flag for letter in letters if letter.foreign is not None and letter.foreign.tool == tool]
        parts.append(f"{_listed(flags)} {'is a flag' if len(flags) == 1 else 'are flags'} of {tool}")
    unknown = [letter.flag for letter in letters if letter.own is None and letter.foreign is None]
    if unknown:
        parts.append(f"{_listed(unknown)} {'is' if len(unknown) == 1 else 'are'} no flag apicli knows")
    own = [letter for letter in letters if letter.own is not None]
    if own:
        names = _listed([f"{letter.flag} ({letter.own})" for letter in own])
        parts.append(f"{names} {'is' if len(own) == 1 else 'are'} apicli's own")
    advice = [f"{letter.flag}: {letter.foreign.hint}." for letter in letters if letter.foreign is not None]
    if unknown:
        advice.append(f"See '{command_path} --help'.")
    if own and not unknown and not any(letter.foreign.takes_value for letter in letters if letter.foreign):
        advice.append(f"apicli's part of {cluster} is -{''.join(letter.flag[1] for letter in own)}.")
    options = "option" if len(letters) - len(own) == 1 else "options"
    return [f"apicli: no such {options} in {cluster}: {'; '.join(parts)}", "hint: " + " ".join(advice)]


# The request verbs are commands; HTTPie's capitals (`GET`) mean the same. Other methods have
# `apicli request METHOD`, which a capitalised method name in the command's place runs as.
VERBS = frozenset({"get", "post", "put", "patch", "delete", "head"})
OTHER_METHODS = frozenset(
    {"OPTIONS", "TRACE", "CONNECT", "QUERY", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"}
    | {"REPORT", "SEARCH", "PURGE", "LINK", "UNLINK"}
)


def command_for(word: str) -> list[str] | None:
    """The words `word` stands for in the command's place: ['get'] for GET, ['request', 'OPTIONS'] for OPTIONS."""
    if word.lower() in VERBS and word != word.lower():
        return [word.lower()]
    if word.upper() in OTHER_METHODS:
        return ["request", word.upper()]
    return None


_URL_LIKE = re.compile(
    r"""^(?:
        [a-zA-Z][a-zA-Z0-9+.-]*://.*        # a scheme
      | :\d*(?:[/?#].*)?                    # :8080/x, localhost's shorthand
      | /.*                                 # a path under a profile's base_url
      | \[[0-9a-fA-F:.]+\](?::\d+)?(?:[/?#].*)?   # [::1]:8080
      | [\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#].*)?  # api.example.com/x, 127.0.0.1:8080
      | [\w-]+:\d+(?:[/?#].*)?              # localhost:8080, api:8080
      | localhost(?:[/?#].*)?
    )$""",
    re.VERBOSE,
)


def unknown_command_lines(word: str) -> list[str] | None:
    """The error for a URL or an unknown method name in the command's place, else None (click's own error)."""
    if _URL_LIKE.match(word):
        return [
            f"apicli: no such command {word!r}: the command comes before the URL",
            f"hint: apicli get {word}",
        ]
    if word.isalpha() and word.isupper():
        return [f"apicli: no such command {word!r}", f"hint: apicli request {word} URL sends any method"]
    return None


QUERY_HINT = "HTTPie's and xh's quiet is -s/--quiet here"
QUERY_MEANING = "-q is --query name=value here (a query parameter)"
