"""The request verbs: get, post, put, patch, delete, head, and the generic `request`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..commands.flags import CommonFlags, jq_bindings
from ..errors import UsageError
from ..flag_groups import CheckFlags, PollFlags
from .application import app
from .common import open_run_client, prepare_run, request_options

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram

UrlArgument = Annotated[
    str,
    typer.Argument(
        metavar="URL",
        help=(
            "URL. Without a scheme, localhost, 127.x and single-label hosts (api:8080, a compose service) "
            "get http://, other hosts https://; :PORT/path means http://localhost:PORT/path."
        ),
    ),
]
ItemsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="ITEM",
        help="Request items: Name:Value header, name==value query, field=value JSON string, "
        "field:=json raw JSON, field=@file / field:=@file from a file, field@file upload.",
        show_default=False,
    ),
]


def send_one(
    method: str, url: str, items: list[str] | None, flags: CommonFlags, ci: PollFlags, checking: CheckFlags
) -> None:
    import os
    import sys

    from ..commands.checks import build_checks
    from ..commands.exchange import ExchangeOptions, perform

    bindings = jq_bindings(flags)
    checks = build_checks(checking, os.environ, sys.argv[1:], bindings)

    until = None
    if ci.until is not None or ci.until_status is not None:
        from ..request.polling import UntilCondition, check_until_method, parse_status_list

        check_until_method(method)
        until = UntilCondition(
            expression=_until_program(ci.until, bindings) if ci.until is not None else None,
            statuses=parse_status_list(ci.until_status) if ci.until_status is not None else None,
            interval=ci.interval,
        )
    run = prepare_run(method, url, items, flags, until=until)
    if checks is not None and checks.expected is not None:
        retry = run.invocation.retry._replace(answers=checks.answers())
        run = run._replace(invocation=run.invocation._replace(retry=retry))
    invocation = run.invocation
    options = ExchangeOptions(
        include=invocation.output.include,
        ignore_status=invocation.output.ignore_status,
        jq=invocation.jq,
        schema=invocation.schema,
        write_out=invocation.write_out,
        envelope=ci.envelope,
        until=until,
        events=ci.events,
        reconnects=invocation.retry.retries,
        backoff=invocation.retry.backoff,
        retry_max_wait=invocation.retry.max_wait,
        checks=checks,
    )
    perform(
        open_run_client(run),
        invocation.spec,
        run.printer,
        options,
    )


def _until_program(expression: str, bindings: str) -> JqProgram:
    from ..filters.jqfilter import compile_jq

    try:
        # An --until body is read whole before it is checked, so a late fork holds no extra copy;
        # a condition that cannot compute for long is checked here on a small body, with no fork.
        return compile_jq(expression, fork_now=False, brief_here=True, bindings=bindings)
    except UsageError as exc:
        exc.message = exc.message.replace("--jq", "--until", 1)
        raise


def _verb(method: str, summary: str, examples: list[str]) -> None:
    lines = "\n\n".join(f"  $ {example}" for example in examples)

    @request_options(method.lower())
    def command(
        url: UrlArgument, items: ItemsArgument = None, *, flags: CommonFlags, poll: PollFlags, checks: CheckFlags
    ) -> None:
        send_one(method, url, items, flags, poll, checks)

    command.__doc__ = f"{summary}\n\nExamples:\n\n{lines}"
    app.command(name=method.lower(), help=command.__doc__)(command)


_verb(
    "GET",
    "Fetch a resource.",
    [
        "apicli get api.example.com/users/1",
        "apicli get :8080/users per_page==50 | jq -r '.[].login'",
        "apicli get api.example.com/me --token-env API_TOKEN -i",
    ],
)
_verb(
    "POST",
    "Create: send a JSON body built from items, --json or --data.",
    [
        "apicli post :8080/users name=ann age:=31 tags:='[\"a\"]'",
        "apicli post :8080/users --json @user.json",
        "apicli post :8080/upload file@report.csv",
    ],
)
_verb(
    "PUT",
    "Replace a resource.",
    [
        "apicli put :8080/users/1 name=ann admin:=true",
        "apicli put :8080/users/1 --json @user.json --schema user.schema.json",
    ],
)
_verb(
    "PATCH",
    "Update part of a resource.",
    ["apicli patch :8080/users/1 email=ann@example.com", "apicli patch /users/1 -P prod active:=false --dry-run"],
)
_verb("DELETE", "Delete a resource.", ["apicli delete :8080/users/1", "apicli delete :8080/users/1 --ignore-status"])
_verb(
    "HEAD",
    "Fetch only the status line and headers, printed on stdout like the body of other commands.",
    ["apicli head :8080/files/big.bin -i", "apicli head api.example.com/health --retries 0 --max-time 5"],
)


@app.command(name="request")
@request_options("request")
def request_command(
    method: Annotated[str, typer.Argument(metavar="METHOD", help="HTTP method, e.g. OPTIONS.")],
    url: UrlArgument,
    items: ItemsArgument = None,
    *,
    flags: CommonFlags,
    poll: PollFlags,
    checks: CheckFlags,
) -> None:
    """Send a request with any method.

    Examples:

      $ apicli request OPTIONS :8080/users -i

      $ apicli request PROPFIND :8080/dav/ Depth:1
    """
    if not method.isalpha():
        raise UsageError(f"invalid HTTP method {method!r}")
    send_one(method.upper(), url, items, flags, poll, checks)
