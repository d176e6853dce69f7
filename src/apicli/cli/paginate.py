"""`apicli paginate`: the Typer command over `apicli.pagination`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..flags import CommonFlags
from ..pagination.settings import Scheme, build_settings
from ..spec import MAX_PARALLEL
from . import common
from .application import app
from .common import open_run_client, prepare_run, request_options
from .verbs import ItemsArgument, UrlArgument

PANEL = "Pagination"


def _option(*names: str, help: str, **kwargs: Any) -> Any:
    return typer.Option(
        *names, help=help, rich_help_panel=PANEL, show_default=kwargs.pop("show_default", False), **kwargs
    )


@app.command(name="paginate")
@request_options
def paginate_command(
    url: UrlArgument,
    items: ItemsArgument = None,
    *,
    items_path: Annotated[
        str | None, _option("--items", help="Dot path of the item list in each page, e.g. data.users.", metavar="PATH")
    ] = None,
    next_path: Annotated[
        str | None, _option("--next", help="Dot path of the next page's URL in each body.", metavar="PATH")
    ] = None,
    cursor_param: Annotated[
        str | None,
        _option("--cursor-param", help="Send the cursor as this query parameter (default: cursor).", metavar="NAME"),
    ] = None,
    cursor: Annotated[
        str | None,
        _option("--cursor", help="Dot path of the cursor in each body; null, missing or empty ends.", metavar="PATH"),
    ] = None,
    page_param: Annotated[
        str | None, _option("--page-param", help="Page-number pagination with this query parameter.", metavar="NAME")
    ] = None,
    start: Annotated[
        int | None,
        _option("--start", help="First page number (default 1) or first offset (default 0).", min=0, metavar="N"),
    ] = None,
    offset_param: Annotated[
        str | None, _option("--offset-param", help="Offset pagination with this query parameter.", metavar="NAME")
    ] = None,
    limit: Annotated[
        int | None, _option("--limit", help="Page size for offset pagination.", min=1, metavar="N")
    ] = None,
    limit_param: Annotated[
        str | None, _option("--limit-param", help="Query parameter of --limit (default: limit).", metavar="NAME")
    ] = None,
    scheme: Annotated[
        Scheme,
        _option(
            "--scheme",
            help="auto (a Link header, else a next URL in the body), or force link, body, cursor, page or offset.",
            case_sensitive=False,
            metavar="SCHEME",
            show_default=True,
        ),
    ] = Scheme.AUTO,
    max_pages: Annotated[
        int | None, _option("--max-pages", help="Stop after N pages (exit 0).", min=1, metavar="N")
    ] = None,
    max_items: Annotated[
        int | None, _option("--max-items", help="Stop after N items (exit 0).", min=1, metavar="N")
    ] = None,
    array: Annotated[bool, _option("--array", help="Write one JSON array instead of NDJSON lines.")] = False,
    allow_cross_origin: Annotated[
        bool,
        _option("--allow-cross-origin", help="Follow next links to another origin, without any credentials."),
    ] = False,
    parallel: Annotated[
        int,
        _option(
            "--parallel",
            help="Fetch up to N pages at once when their URLs can be known ahead; output order is unchanged.",
            min=1,
            max=MAX_PARALLEL,
            metavar="N",
            show_default=True,
        ),
    ] = 1,
    delay: Annotated[
        float | None,
        _option("--delay", help="Pause S seconds before each request after the first.", min=0.0, metavar="S"),
    ] = None,
    rate: Annotated[
        str | None, _option("--rate", help="At most N requests per second (or N/min, N/h).", metavar="N/s")
    ] = None,
    jq_all: Annotated[
        bool,
        _option(
            "--jq-all",
            help="Run --jq once over all the items as one array (like jq -s) instead of once per item; "
            "the whole collection is gathered in memory first.",
        ),
    ] = False,
    flags: CommonFlags,
) -> None:
    """Fetch every page of a collection and write its items: NDJSON, one item per line.

    The next page comes from the Link header (rel="next"), else a next URL in the body
    (next, links.next, _links.next.href, meta.next, paging.next), or from --cursor,
    --page-param or --offset-param. Items are the top-level array, else the list under
    data, items, results, values, records, entries or nodes, else --items PATH.

    --jq EXPR filters each item (with --jq-all, the whole collection at once);
    --schema FILE checks each item: all are written, and a mismatch exits 9 at the end.

    Examples:

      $ apicli paginate api.github.com/repos/psf/requests/issues | jq -r .title

      $ apicli paginate :8080/users --page-param page --parallel 4 --array

      $ apicli paginate :8080/events --cursor meta.next_cursor --max-items 500

      $ apicli paginate :8080/users --jq 'select(.admin) | .login' -r
    """
    settings = build_settings(
        scheme=scheme,
        items=items_path,
        next_path=next_path,
        cursor_param=cursor_param,
        cursor=cursor,
        page_param=page_param,
        start=start,
        offset_param=offset_param,
        limit=limit,
        limit_param=limit_param,
        max_pages=max_pages,
        max_items=max_items,
        array=array,
        allow_cross_origin=allow_cross_origin,
        parallel=parallel,
        delay=delay,
        rate=rate,
        jq=flags.jq is not None,
        jq_all=jq_all,
    )
    from ..pagination.runner import paginate  # only this command pays for loading it

    run = prepare_run("GET", url, items, flags)
    invocation = run.invocation
    paginate(
        open_run_client(run, pool_size=max(10, settings.parallel)),
        invocation.spec,
        settings,
        invocation.output,
        run.printer,
        sleep=lambda seconds: common.sleep_function(seconds),
        jq=invocation.jq,
        schema=invocation.schema,
        write_out=invocation.write_out,
    )
