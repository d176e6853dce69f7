"""The reference tables a user needs away from the source tree: exit codes, request items, config keys.

One source for three outputs: `apicli help TOPIC` prints them as plain text, `make docs` writes
them into docs/ as Markdown, and the man page carries them too. Text uses Markdown backticks for
code; the plain-text rendering drops them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..errors import ExitCode
from ..limits import JSON_DEPTH, PAGE_HOLD, TABLE, size_text
from ..output.report import MIN_SECRET_LENGTH


@dataclass(frozen=True)
class Table:
    """A table whose last column is prose that wraps; the others stay on one line."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    blocks: tuple[str | Table, ...]  # a str is a paragraph


EXIT_CODES = Topic(
    "exit-codes",
    "Exit codes",
    (
        "Every command exits with one of these. Anything but 0 comes with one `apicli: …` line on stderr "
        "(and often a `hint:` line); stdout carries only successful data.",
        Table(
            ("code", "meaning"),
            (
                (
                    str(int(ExitCode.OK)),
                    "success; also when the reader of a pipe closes it early (as `head` does), "
                    "and for `--curl`/`--dry-run`",
                ),
                (
                    str(int(ExitCode.ERROR)),
                    "any other error: writing output failed, a pagination cycle, a cross-origin next link "
                    "refused, a download that is short or fails its checksum, a `--jq` program past the "
                    "768 MiB cap on jq's memory (or its 48 MiB of output), an internal error",
                ),
                (
                    str(int(ExitCode.USAGE)),
                    "usage or bad input, nothing useful was done: a bad flag or item, invalid JSON, an "
                    "unreadable `@file`, an invalid URL, an invalid config file or unknown profile, an invalid "
                    "`--jq` program or `--schema` file, a missing optional package; also a response that is "
                    "not the JSON a command needs (`paginate`, `--jq`, a stream's record) or a jq runtime "
                    "error; also `halt_error` in `--jq` or `--until`: what came before it is written, its "
                    "message (a string as itself, any other value as JSON) follows on stderr with jq's own "
                    "code named, as in `apicli: --jq: halt_error(3): boom`; `halt_error(0)` exits 0 with "
                    "the message, and `halt` just stops, exit 0",
                ),
                (str(int(ExitCode.REDIRECT)), "a 3xx response with `--no-follow`"),
                (str(int(ExitCode.HTTP_4XX)), "an HTTP 4xx response"),
                (str(int(ExitCode.HTTP_5XX)), "an HTTP 5xx response"),
                (str(int(ExitCode.TOO_MANY_REDIRECTS)), "too many redirects (`--max-redirects`)"),
                (
                    str(int(ExitCode.CONNECTION)),
                    "connection failure: DNS, refused, reset, TLS; or a malformed response (not HTTP, conflicting "
                    "lengths, a final 1xx, an undecodable or over-long coding chain)",
                ),
                (str(int(ExitCode.TIMEOUT)), "a timeout, the `--max-time` deadline, or `--until` not met"),
                (
                    str(int(ExitCode.SCHEMA)),
                    "the response (for paginate: any item) does not match `--schema` (the body is still written first)",
                ),
                (
                    str(int(ExitCode.ASSERTION)),
                    "a check failed: an `--assert` did not hold or raised a jq error, a `--capture` had no "
                    "value, or a 1xx/2xx status is not in `--expect-status` (the body is still written first)",
                ),
                (
                    str(int(ExitCode.BATCH_FAILED)),
                    "`batch`: some requests failed (or some input lines were not requests); every result is "
                    "written, and the summary on stderr names the failed lines",
                ),
                (str(int(ExitCode.INTERRUPTED)), "interrupted: Ctrl-C or SIGTERM"),
            ),
        ),
        "`--ignore-status` makes any HTTP status exit 0 with the body on stdout; `--expect-status LIST` "
        "makes exactly the statuses in LIST succeed.",
        "When several checks fail at once, stderr names every failure and the exit code is the first "
        "that applies:",
        Table(
            ("order", "code", "failure"),
            (
                ("1", "7, 8, 130", "no answer: connection, timeout, interruption (nothing else is checked)"),
                ("2", "3, 4, 5", "the status is not expected (`--expect-status`, else any 2xx); 10 for a 1xx or 2xx"),
                ("3", "9", "the body does not match `--schema`"),
                ("4", "10", "an `--assert` failed or raised a jq error; a `--capture` had no value"),
            ),
        ),
        "Captures are written only when every check passed; `--report` gets the request's case whatever happened.",
    ),
)

ITEMS = Topic(
    "items",
    "Request items",
    (
        "Positional arguments after the URL, in HTTPie's grammar. Data items make a JSON object body "
        "with `Content-Type: application/json`; `--form` sends them as a form.",
        Table(
            ("item", "meaning"),
            (
                (
                    "`Name:Value`",
                    "request header; repeat it to send several values; `Name:` with nothing after it "
                    "removes a default header",
                ),
                ("`Name;`", "a header with an empty value"),
                ("`Name:@file`", "header value read from a file"),
                ("`name==value`", "query parameter"),
                ("`name==@file`", "query value read from a file (without its final newline)"),
                ("`field=value`", "JSON string field"),
                ("`field:=json`", "raw JSON value: `n:=1`, `ok:=true`, `tags:='[\"a\"]'`"),
                ("`field=@file`", "string read from a file (`@-` reads stdin)"),
                ("`field:=@file`", "JSON value read from a file"),
                (
                    "`field@file`",
                    "multipart file upload; the type is guessed from the name, or `field@file;type=image/png`",
                ),
                ("`user[name]=ann`", 'nested object: `{"user": {"name": "ann"}}`'),
                ("`tags[]=a`", 'append to an array: `{"tags": ["a"]}`'),
                ("`arr[2]=z`", "array index; a gap before it is filled with null"),
                ("`[]:=1`", "a top-level array body: `[]:=1 []:=2` sends `[1, 2]`"),
                ("`a\\[b\\]=c`", 'a backslash makes a bracket literal: the key is `a[b]` (`[\\1]` is the key "1")'),
                ("`a\\=b=c`", "a backslash makes one of `:;=@` literal, in a name or a value: the key is `a=b`"),
            ),
        ),
        "The same from flags, for scripts: `-H 'Name: Value'`, `-q name=value`, `--json TEXT|@file|@-` "
        "(checked before sending), `--data TEXT|@file|@-`. The body is never read from stdin unless "
        "asked with `@-`.",
    ),
)

CONFIG = Topic(
    "config",
    "Config file and profiles",
    (
        "The file is the first of `$APICLI_CONFIG`, `$XDG_CONFIG_HOME/apicli/config.toml` and "
        "`~/.config/apicli/config.toml`; `apicli config path` names it. A profile is chosen by "
        "`-P/--profile NAME`, else `$APICLI_PROFILE`, else the profile named `default`, else none. "
        "Each profile is a `[profiles.NAME]` table with these keys:",
        Table(
            ("key", "type", "meaning"),
            (
                (
                    "`base_url`",
                    "URL",
                    "a URL starting with `/` is relative to it; a bare word (`users`) is refused, "
                    "not taken for a host; it may have a path, not a query",
                ),
                ("`headers`", "table", "default headers; a `-H` or `Name:Value` item with the same name wins"),
                ("`query`", "table", "default query parameters; one with the same name on the command line wins"),
                ("`auth`", "table", "credentials (below); any auth flag on the command line replaces them"),
                ("`timeout`", "number", "read timeout in seconds, positive and finite (`--timeout` wins)"),
                ("`retries`", "integer", "retries, 0 or more (`--retries` wins)"),
                (
                    "`verify`",
                    "bool or path",
                    "`false` skips TLS verification, a path trusts that CA bundle (`-k`/`--cacert` win)",
                ),
            ),
        ),
        "`auth` takes `type` and one source of the secret:",
        Table(
            ("type", "keys"),
            (
                ("`bearer`", "`token_env`, `token_file` or `token`"),
                ("`basic`", "`user`, and `password_env`, `password_file` or `password`"),
                (
                    "`api_key`",
                    '`header = "NAME"` (default `X-API-Key`) or `query = "NAME"`, and `key_env`, `key_file` or `key`',
                ),
            ),
        ),
        "`headers`, `query` and `auth` apply only to requests for `base_url`'s origin (scheme, host and "
        "port); for another origin a note on stderr says that they were not sent (`-s` silences it). "
        "Prefer `*_env` and `*_file` to inline secrets.",
        "Secrets are shown as `REDACTED` on stderr (`-v`, `-i`, error messages): always in their own "
        "headers (`Authorization`, `Cookie`, the API-key header), `Set-Cookie` values and their own query "
        "parameter; elsewhere (a server echoing one in an error body) when they are at least "
        f"{MIN_SECRET_LENGTH} characters long, since a shorter value turns up by chance. What goes to "
        "stdout (the body, `--envelope`, `head`) is data, and is never altered.",
    ),
)

LIMITS = Topic(
    "limits",
    "What apicli holds in memory",
    (
        "A body that streams (to a pipe, to `-o`, `--pretty`, the items of `paginate`, events and NDJSON "
        "records) is never held whole and has no size limit. What apicli must hold whole to use has one limit "
        "each, checked while it is read: past it the read stops at once, and the run ends with one `apicli: …` "
        "line (exit 2 for a local file, 1 for what a server or helper sent) and nothing half-written.",
        Table(
            ("input", "limit", "where"),
            tuple((limit.what, size_text(limit.bytes), limit.where) for limit in TABLE),
        ),
        f"A page of `paginate` holds back up to {size_text(PAGE_HOLD)} of its items until the whole page "
        "has proved to be JSON, so a broken page of that size writes none of them; a longer page's items are "
        "written as they arrive, and an error later in it comes after them.",
        f"JSON that apicli reads for its own use (a token endpoint's answer, a helper's output, a cache entry, "
        f"`--schema`) is refused past {JSON_DEPTH} levels of nesting; no input makes apicli recurse.",
    ),
)

BATCH = Topic(
    "batch",
    "Batches of requests",
    (
        "`apicli batch [FILE|-]` reads one request per line (stdin without FILE) and writes one JSON result "
        "per line, in input order (`--unordered`: as they complete). Blank lines and `#` comments are skipped.",
        Table(
            ("line field", "meaning"),
            (
                ("`url`", "required; a URL starting with / is under `--base-url` (else the profile's base_url)"),
                ("`method`", "default GET, or POST when the line has a body"),
                ("`headers`", "an object; a value that is an array sends the header once per value"),
                ("`query`", "an object of query parameters; an array value repeats the parameter"),
                ("`json`", "a JSON body, sent compact with every number as the line wrote it (1.10 stays 1.10, "
                 "a 30-digit integer whole); `Content-Type: application/json` unless a header names another"),
                ("`data`", 'a raw body: text, or `{"base64": "…"}` for bytes'),
                ("`id`", "any JSON value, copied into the line's result"),
            ),
        ),
        "A line that is a bare URL is a GET of it. A line's own fields win over `-H`, `-q` and the profile. "
        "The run's credentials (flags or profile) go only to the base URL's origin: a line for another origin "
        "is sent without them, and without the profile's headers. A batch with credentials needs a base URL.",
        Table(
            ("result field", "meaning"),
            (
                ("`index`", "the request's position in the input, from 0 (bad lines count)"),
                ("`line`", "its line number in the input, from 1"),
                ("`id`", "the line's `id`, when it has one"),
                ("`method`, `url`", "what was sent (the URL with a password and secret query values hidden)"),
                ("`status`, `ok`", "the final status (null when none came), and whether the request succeeded"),
                ("`attempts`, `time`", "how many times it was sent (retries included), and the seconds it took"),
                ("`body`", "the body as `--envelope` embeds it: JSON as sent (numbers exact), else a string "
                 'or `{"base64": …}`; absent when empty'),
                ("`captures`", '`{NAME: value}` for `--capture NAME=EXPR`, when the request and its checks '
                 "succeeded (a string as itself, else its JSON text)"),
                ("`error`", '`{"kind", "message"}` when it failed: kind is http, connection, timeout, redirect, '
                 "request, response, input (a bad line), schema, assertion, capture, jq or interrupted"),
            ),
        ),
        "`--parallel N` sends N at once on one connection pool, cookie jar and OAuth2 token (fetched once, "
        "refreshed once for all after a 401). `--rate` spaces request starts over all workers, retries "
        "included. A 429 or 503 with Retry-After (or a rate-limit reset) pauses every worker, not only the one "
        "that got it. `--max-time` bounds the whole run, `--timeout` each request; POST and PATCH are retried "
        "only with `--retry-unsafe` or an Idempotency-Key header.",
        "`--bodies` writes only each successful body; `--jq` applies to each result (or, with `--bodies`, to "
        "each body). `-w` reports each request after its result (on stderr with `%{stderr}`, or on stdout "
        "when the results go to `-o FILE`). `--dry-run` and `--curl` print each line's request.",
        "Checks apply to each result: `--schema FILE` checks each successful body (a mismatch fails that "
        "result, kind schema, and names the first ways it breaks the schema); `--assert EXPR` must hold for "
        "it (`.` is its body; `$status`, `$headers`, … are bound; kind assertion); `--expect-status LIST` "
        "decides which statuses succeed; `--capture NAME=EXPR` adds each value to its result's `captures` "
        "(an expression with no value fails it, kind capture); `--report FORMAT:FILE` writes a case per "
        "request, with these checks. Captures stay in the results: `--capture-file` and `--capture-secret` "
        "are refused.",
        "When stderr is a terminal (and neither `--quiet` nor `-v` is given), a progress bar shows done, "
        "failed, running and the rate, and for a FILE how much of it has its results written; it is erased "
        "before each result that goes to the same terminal, and at the end for the summary line.",
        "Exit 0 when every request succeeded; 11 when some failed (`--fail-fast` stops sending at the first); "
        "130 on Ctrl-C or SIGTERM, 8 at `--max-time`. Stopping sends nothing more, lets the requests in flight "
        "finish within a few seconds and writes their results, so every line written is whole; a request "
        "still running then gets a result with the kind interrupted. With `-o FILE` the file keeps the "
        "results written.",
        "To rerun only what did not succeed, keep the results and select the input lines that failed or "
        "never ran, by line number: "
        "`jq -r 'select(.ok) | .line' results.ndjson > done.txt; "
        "awk 'NR==FNR {done[$1]; next} !(FNR in done)' done.txt requests.ndjson | apicli batch >> results.ndjson` "
        "(the rerun's `line` numbers count the lines of its own input; give each request an `id` to follow it "
        "across runs).",
    ),
)

TOPICS: dict[str, Topic] = {topic.name: topic for topic in (EXIT_CODES, ITEMS, CONFIG, LIMITS, BATCH)}


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """textwrap.wrap that never leaves one word alone on the last line of a paragraph."""
    lines = textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
    )
    if len(lines) >= 2 and " " not in lines[-1].strip() and len(lines[-2].split()) >= 3:
        head, _, word = lines[-2].rpartition(" ")
        lines[-2:] = [head, f"{indent}{word} {lines[-1].strip()}"]
    return lines


def _plain(text: str) -> str:
    return text.replace("`", "")


def _text_table(table: Table, width: int) -> list[str]:
    rows = [tuple(_plain(cell) for cell in row) for row in (table.header, *table.rows)]
    fixed = [max(len(row[column]) for row in rows) for column in range(len(table.header) - 1)]
    indent = sum(fixed) + 2 * len(fixed) + 2
    prose_width = max(20, width - indent)
    lines: list[str] = []
    for number, row in enumerate(rows):
        lead = "  " + "".join(cell.ljust(size + 2) for cell, size in zip(row, fixed, strict=False))
        wrapped = wrap(row[-1], prose_width) or [""]
        if len(lead) > indent:  # a key too long for its column: the prose starts below it
            lines.append(lead.rstrip())
            lead = ""
        lines.append((lead.ljust(indent) + wrapped[0]).rstrip())
        lines.extend(" " * indent + line for line in wrapped[1:])
        if number == 0:
            lines.append("")
    return lines


def format_topic_text(topic: Topic, width: int = 80) -> str:
    """The topic as plain text for a terminal of `width` columns."""
    width = max(40, width)
    lines = [topic.title.upper(), ""]
    for block in topic.blocks:
        if isinstance(block, Table):
            lines.extend(_text_table(block, width))
        else:
            lines.extend(wrap(_plain(block), width, indent="  "))
        lines.append("")
    return "\n".join(lines)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def format_topic_markdown(topic: Topic) -> str:
    """The topic's blocks as Markdown (no heading: the docs page has its own)."""
    parts: list[str] = []
    for block in topic.blocks:
        if isinstance(block, Table):
            rows = [
                "| " + " | ".join(block.header) + " |",
                "|" + "---|" * len(block.header),
                *("| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in block.rows),
            ]
            parts.append("\n".join(rows))
        else:
            parts.append("\n".join(textwrap.wrap(block, 100, break_on_hyphens=False, break_long_words=False)))
    return "\n\n".join(parts) + "\n"


def topic_names() -> list[str]:
    return list(TOPICS)
