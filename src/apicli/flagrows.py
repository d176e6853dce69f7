"""The flags of single commands: the root and `config show`, the verbs' polling and checks, paginate,
download and batch. The flags every request command shares are in flagtable.py, which assembles both.
"""

# No `from __future__ import annotations` here (see flagspec.py).
from pathlib import Path
from typing import Any

from .flagspec import (
    BATCH,
    CHECKS,
    CI,
    CONFIG_SHOW,
    DEFAULT_BATCH_PARALLEL,
    DEFAULT_DOWNLOAD_PARALLEL,
    DEFAULT_INTERVAL,
    DEFAULT_UNTIL_MAX_TIME,
    DOWNLOAD,
    MAX_PARALLEL,
    OUTPUT,
    PAGINATION,
    ROOT,
    VERBS,
    Flag,
)

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
    _check("capture", "--capture", metavar="NAME=EXPR", commands=(*VERBS, "batch"),
           help="Keep the first result of a jq expression (a string as itself, else JSON) as NAME in "
           "--capture-file; written only when the request and every check succeeded. batch: in each "
           "result's \"captures\" object instead."),
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
