"""`apicli paginate`: the Typer command over `apicli.pagination`."""

from __future__ import annotations

from ..commands.flags import CommonFlags
from ..flag_groups import CheckFlags, PaginationFlags
from ..pagination.settings import build_settings
from .application import app
from .common import open_run_client, prepare_run, reports_only, request_options
from .verbs import ItemsArgument, UrlArgument


@app.command(name="paginate")
@request_options("paginate")
def paginate_command(
    url: UrlArgument,
    items: ItemsArgument = None,
    *,
    flags: CommonFlags,
    pages: PaginationFlags,
    checking: CheckFlags,
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
    settings = build_settings(jq=flags.jq is not None, **vars(pages))
    from ..pagination.runner import paginate  # only this command pays for loading it

    checks = reports_only(checking)
    run = prepare_run("GET", url, items, flags)
    invocation = run.invocation
    try:
        paginate(
            open_run_client(run, pool_size=max(10, settings.parallel)),
            invocation.spec,
            settings,
            invocation.output,
            run.printer,
            jq=invocation.jq,
            schema=invocation.schema,
            write_out=invocation.write_out,
            observe=checks.observer("page") if checks is not None else None,
        )
    finally:
        if checks is not None:
            checks.write_reports(run.printer)
